"""The results schema: one row per episode, one per decision, as plain dataclasses.

This is the one definition of the columns that the harness writes and the diagnostics
read. The Parquet schemas (``eval.results``), the tables of ``docs/results.md``
(:func:`render_doc_tables`) and the diagnostics' column checks derive from it.
Each field is ``column(doc)``: its type annotation is the column's type (``str``,
``int``, ``bool``, ``float`` or ``list[float]``), its doc the column's one-line meaning.

    python -m wam_tts.records docs/results.md    # regenerate the doc's tables
"""

from __future__ import annotations

import re
import sys
import typing
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

#: The Python types a column may have.
COLUMN_TYPES: tuple[Any, ...] = (str, int, bool, float, list[float])


def column(doc: str) -> Any:
    """A record field with its one-line documentation."""
    return field(metadata={"doc": doc})


@dataclass(frozen=True)
class Column:
    """One column of a results table."""

    name: str
    type: Any
    doc: str


@dataclass
class EpisodeKey:
    """The columns that identify one episode; every row of both tables starts with them."""

    run_id: str = column("the run: `<selector>-n<N>-<fingerprint prefix>` of its result-relevant config")
    policy: str = column("the world action model")
    env: str = column("the env backend")
    task: str = column("the task")
    selector: str = column("the selector")
    n: int = column("branches per decision")
    trial: int = column("trial index within the task")
    seed: int = column(
        "the seed its selector and env were driven by (same across selectors and N, so runs pair up)"
    )


@dataclass
class EpisodeRecord(EpisodeKey):
    """One row per finished trial (its presence is the trial's atomic commit)."""

    success: bool = column("the env's own success check")
    status: str = column("`success`, `failure` or `error`")
    error: str = column('the traceback of an errored trial, `""` otherwise')
    length: int = column("env steps executed")
    decisions: int = column("selector calls")
    episode_consistency: float = column("mean of the steps' consistency")
    mean_value: float = column("mean predicted value of the chosen branches (NaN without a value head)")
    mean_latent_change: float = column("mean real Δz")
    wall_s: float = column("wall time of the trial")
    attempts: int = column("tries the trial took (`retries`)")
    config: str = column("the run's full config (JSON)")
    baseline_config: str = column("the config of its N = 1 baseline run (JSON)")
    baseline_run_id: str = column("the run_id of its N = 1 baseline run: the baseline every comparison uses")


@dataclass
class DecisionRecord(EpisodeKey):
    """One row per decision (one ``selector.act``)."""

    decision: int = column("index of the decision within the episode")
    t: int = column("env step when decided")
    horizon_t: int = column("the step its future refers to (t + h)")
    chosen: int = column("chosen branch")
    scores: list[float] = column("every branch's score")
    values: list[float] = column("every branch's predicted value (empty without a value head)")
    chosen_value: float = column("the chosen branch's value (NaN without)")
    distance: float = column("d(chosen future, real observation at t + h); NaN if the episode ended first")
    consistency: float = column("exp(−distance/σ), NaN likewise")
    latent_change: float = column("‖z(o_{t+h}) − z(o_t)‖, the real Δz")
    predicted_latent_change: float = column("‖chosen future − encode(o_t)‖, the predicted Δz")
    sample_s: float = column("seconds spent sampling the branches")
    score_s: float = column("seconds spent scoring them")
    env_s: float = column("seconds spent stepping the env")


def columns(record: type) -> tuple[Column, ...]:
    """The columns of a record class, in order, with their resolved types and docs."""
    if not (isinstance(record, type) and is_dataclass(record)):
        raise TypeError(f"expected a record dataclass, got {record!r}")
    hints = typing.get_type_hints(record)
    out = []
    for f in fields(record):
        kind = hints[f.name]
        if kind not in COLUMN_TYPES:
            raise TypeError(f"{record.__name__}.{f.name} has type {kind}, not one of {COLUMN_TYPES}")
        out.append(Column(f.name, kind, f.metadata.get("doc", "")))
    return tuple(out)


def column_names(record: type) -> tuple[str, ...]:
    """The column names of a record class, in order."""
    return tuple(c.name for c in columns(record))


class Names:
    """Attribute access to a record's column names: ``EPISODE.success == "success"``.

    A misspelt column is an ``AttributeError`` where it is written, not a missing column
    later.
    """

    def __init__(self, record: type) -> None:
        self._record = record
        for name in column_names(record):
            setattr(self, name, name)

    def __repr__(self) -> str:
        return f"Names({self._record.__name__})"


#: Column names of the episode key, the episodes table and the steps table.
KEY = Names(EpisodeKey)
EPISODE = Names(EpisodeRecord)
DECISION = Names(DecisionRecord)
#: The tables by the name the docs and error messages use.
TABLES: dict[str, type] = {"episodes": EpisodeRecord, "steps": DecisionRecord}


def type_name(kind: Any) -> str:
    """``str``, ``int``, ``bool``, ``float`` or ``list[float]``."""
    return str(kind) if typing.get_args(kind) else kind.__name__


def markdown_table(record: type) -> str:
    """The docs table of ``record``: one row per column; the episode key in one row."""
    own = columns(record)
    key = column_names(EpisodeKey)
    lines = ["| column | type | meaning |", "|---|---|---|"]
    if issubclass(record, EpisodeKey) and record is not EpisodeKey:
        lines.append(f"| {', '.join(key)} | | the episode key (above) |")
        own = tuple(c for c in own if c.name not in key)
    lines += [f"| {c.name} | {type_name(c.type)} | {c.doc} |" for c in own]
    return "\n".join(lines)


_REGION = re.compile(r"(<!-- columns: (\w+) -->\n)(.*?)(<!-- end columns -->)", re.DOTALL)
_RECORDS = {"EpisodeKey": EpisodeKey, "EpisodeRecord": EpisodeRecord, "DecisionRecord": DecisionRecord}


def render_doc_tables(text: str) -> str:
    """``text`` with each ``<!-- columns: Record -->`` ... ``<!-- end columns -->`` region
    replaced by that record's :func:`markdown_table`."""

    def table(match: re.Match) -> str:
        name = match.group(2)
        if name not in _RECORDS:
            raise ValueError(f"unknown record {name!r} in a columns region; known: {sorted(_RECORDS)}")
        return f"{match.group(1)}{markdown_table(_RECORDS[name])}\n{match.group(4)}"

    return _REGION.sub(table, text)


def main(argv: list[str] | None = None) -> None:
    """Rewrite the columns regions of the given Markdown files."""
    for name in sys.argv[1:] if argv is None else argv:
        path = Path(name)
        path.write_text(render_doc_tables(path.read_text()))


if __name__ == "__main__":
    main()

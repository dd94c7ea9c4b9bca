"""What every report section shares: one (policy, env) group's data, and the section protocol.

A section is computed from a :class:`Group` by one function (statistics only, via
``wam_tts.diagnostics``) into a typed dataclass; the dataclass then gives the numbers
of ``summary.json`` (:meth:`Section.numbers`) and writes its blocks and figures into a
:class:`~eval.reporting.document.Document` (:meth:`Section.render`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

from eval.reporting.document import Document
from wam_tts import diagnostics as diag
from wam_tts.records import EPISODE, KEY

#: Columns that label a task row in a table or figure (selector and N only when they vary).
TASK_LABEL = [KEY.selector, KEY.n, KEY.task]


@dataclass(frozen=True)
class Group:
    """The data the sections of one (policy, env) group read."""

    label: str
    """``"<policy> on <env>"``."""
    slug: str
    """File-name prefix of the group's figures."""
    episodes: pd.DataFrame
    """Finished episodes of every configuration."""
    steps: pd.DataFrame
    """The group's steps."""
    diagnosed: pd.DataFrame
    """Finished episodes that the consistency diagnostics use."""
    diagnosed_steps: pd.DataFrame
    """The steps of those episodes."""
    description: str
    """Which episodes are diagnosed, as a sentence fragment."""
    baseline_selector: str
    """The baseline by name, for results without ``baseline_run_id``."""
    seed: int
    """Seed of the cross-validation folds and bootstraps."""


class Section(Protocol):
    """A computed section of the report."""

    def numbers(self) -> dict[str, Any]:
        """Its entries of the group's ``summary.json`` part."""
        ...

    def render(self, doc: Document, slug: str) -> None:
        """Write its headings, text, tables and figures (file names prefixed by ``slug``)."""
        ...


def rests_on(episodes: pd.DataFrame, steps: pd.DataFrame | None = None) -> str:
    """Which runs and how many episodes (and scored steps) a figure or number rests on."""
    runs = sorted(episodes[KEY.run_id].astype(str).unique()) if KEY.run_id in episodes.columns else []
    shown = ", ".join(runs[:6]) + (f" (+{len(runs) - 6} more)" if len(runs) > 6 else "")
    n_s = int(episodes[EPISODE.success].sum())
    text = f"Runs: {shown or 'n/a'} ({len(runs)}); {len(episodes)} episodes ({n_s} success / {len(episodes) - n_s} failure)"
    if steps is not None:
        text += f"; {len(steps)} scored steps"
    return text + "."


def label_columns(table: pd.DataFrame) -> list[str]:
    """``task``, preceded by ``selector`` and ``n`` when the table holds several of them."""
    return [c for c in TASK_LABEL if c in table.columns and (c == KEY.task or table[c].nunique() > 1)]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready rows, without its private (``_``-prefixed) columns."""
    return frame.drop(columns=[c for c in frame.columns if c.startswith("_")]).to_dict(orient="records")


def task_keys(table: pd.DataFrame) -> list[str]:
    """The columns of :data:`wam_tts.diagnostics.TASK_KEY` that ``table`` has."""
    return [c for c in diag.TASK_KEY if c in table.columns]


def select(frame: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    """The rows of ``frame`` whose columns equal the values of ``where``."""
    mask = pd.Series(True, index=frame.index)
    for col, val in where.items():
        mask &= frame[col] == val
    return frame[mask]

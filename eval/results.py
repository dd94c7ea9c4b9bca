"""The results store: one Parquet file pair per finished trial, committed atomically.

Layout of a run directory::

    run.json                         config, fingerprint and run_id of the run
    steps/<task>__<trial>.parquet    one row per decision (written first)
    episodes/<task>__<trial>.parquet one row: the commit marker of the trial
    corrupt/                         unreadable files found by a later run, kept aside

Each file is written under a hidden temporary name and renamed into place, so a
reader never sees half a file; a trial counts as finished only when its episode file
exists and both files read back with matching lengths. ``pandas.read_parquet(run /
"episodes")`` reads a run directly; :func:`load_run` also validates and reads whole
sweeps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from eval.claims import create_exclusive, pid_alive
from wam_tts.records import DECISION, EPISODE, KEY, DecisionRecord, EpisodeRecord, columns

#: Arrow type of each Python column type of :mod:`wam_tts.records`.
ARROW_TYPES: dict[Any, pa.DataType] = {
    str: pa.string(),
    int: pa.int64(),
    bool: pa.bool_(),
    float: pa.float64(),
    list[float]: pa.list_(pa.float64()),
}


def arrow_schema(record: type) -> pa.Schema:
    """The Parquet schema of a :mod:`wam_tts.records` record class."""
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in columns(record)])


EPISODE_SCHEMA = arrow_schema(EpisodeRecord)
STEP_SCHEMA = arrow_schema(DecisionRecord)

STATUSES = ("success", "failure", "error")
RUN_FILE = "run.json"


class RunMismatchError(RuntimeError):
    """A run directory already holds results of a different configuration."""


@dataclass
class TrialRecord:
    """Everything stored about one trial: its episode row and its decision rows."""

    episode: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int]:
        return self.episode[KEY.task], int(self.episode[KEY.trial])


def trial_stem(task: str, trial: int) -> str:
    """File stem of a trial: ``<task>__<trial, 5 digits>`` (task made filename-safe)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", task)
    return f"{safe}__{trial:05d}"


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@dataclass
class ScanResult:
    """What a run directory holds: finished trials and files that failed to read."""

    finished: dict[tuple[str, int], str]
    """(task, trial) → status of every committed, readable trial."""
    corrupt: list[Path]


class RunStore:
    """Writes trials of one run into a directory and tells which are finished."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.episodes_dir = self.root / "episodes"
        self.steps_dir = self.root / "steps"

    def open(self, meta: dict[str, Any]) -> None:
        """Create the run (``run.json`` exclusively: one config per directory, whoever
        comes first), or check that the directory holds the same run (same fingerprint).
        A refused run writes nothing."""
        path = self.root / RUN_FILE
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            create_exclusive(path, json.dumps(meta, sort_keys=True, indent=1))
        check_run_file(path, meta)
        for d in (self.episodes_dir, self.steps_dir):
            d.mkdir(exist_ok=True)

    def commit(self, record: TrialRecord) -> None:
        """Store one finished trial: steps first, then the episode row that commits it."""
        stem = trial_stem(*record.key)
        steps = pa.Table.from_pylist(record.steps, schema=STEP_SCHEMA)
        episode = pa.Table.from_pylist([record.episode], schema=EPISODE_SCHEMA)
        _atomic_write_table(steps, self.steps_dir / f"{stem}.parquet")
        _atomic_write_table(episode, self.episodes_dir / f"{stem}.parquet")

    def remove_stale_temporaries(self) -> list[Path]:
        """Delete temporary files left by dead processes of this host; return them."""
        host = socket.gethostname()
        removed = []
        for d in (self.episodes_dir, self.steps_dir, self.root):
            for tmp in d.glob(".*.tmp"):
                parts = tmp.name.rsplit(".", 3)
                if len(parts) == 4 and parts[1] == host and not pid_alive(int(parts[2])):
                    tmp.unlink(missing_ok=True)
                    removed.append(tmp)
        return removed

    def scan(self) -> ScanResult:
        """Read every committed trial back; unreadable or inconsistent ones are corrupt."""
        finished: dict[tuple[str, int], str] = {}
        corrupt: list[Path] = []
        for path in sorted(self.episodes_dir.glob("*.parquet")):
            try:
                episode, _ = self.read_trial(path)
            except Exception as err:  # noqa: BLE001 - any unreadable file is corrupt
                warnings.warn(f"corrupt trial files {path.name} in {self.root}: {err}", stacklevel=2)
                corrupt.append(path)
                continue
            row = episode.to_pylist()[0]
            finished[(row[KEY.task], int(row[KEY.trial]))] = row[EPISODE.status]
        return ScanResult(finished, corrupt)

    def read_trial(self, episode_path: Path) -> tuple[pa.Table, pa.Table]:
        """The episode row and step rows of one committed trial, checked for consistency."""
        episode = _read_file(episode_path, EPISODE_SCHEMA)
        steps = _read_file(self.steps_dir / episode_path.name, STEP_SCHEMA)
        if episode.num_rows != 1:
            raise ValueError(f"expected one episode row, got {episode.num_rows}")
        decisions = episode.column(EPISODE.decisions)[0].as_py()
        if steps.num_rows != decisions:
            raise ValueError(f"{decisions} decisions but {steps.num_rows} step rows")
        for name in (KEY.run_id, KEY.task, KEY.trial, KEY.seed):
            expected = episode.column(name)[0].as_py()
            if any(value != expected for value in steps.column(name).to_pylist()):
                raise ValueError(f"step rows belong to another trial ({name} differs from {expected!r})")
        if steps.column(DECISION.decision).to_pylist() != list(range(decisions)):
            raise ValueError("step rows are not decisions 0, 1, ... in order")
        return episode, steps

    def quarantine(self, episode_files: Iterable[Path]) -> list[Path]:
        """Move corrupt trials' files (episode and steps) into ``corrupt/``; return new paths."""
        target = self.root / "corrupt"
        moved = []
        for path in episode_files:
            for source, prefix in ((path, "episodes"), (self.steps_dir / path.name, "steps")):
                if source.exists():
                    target.mkdir(exist_ok=True)
                    dest = target / f"{prefix}__{source.name}"
                    shutil.move(str(source), dest)
                    moved.append(dest)
        return moved


def check_run_file(path: Path, meta: dict[str, Any]) -> None:
    """Raise :class:`RunMismatchError` if ``path`` (a ``run.json``) is another config's run."""
    if not path.exists():
        return
    old = json.loads(path.read_text())
    if old.get("fingerprint") != meta["fingerprint"]:
        changed = ", ".join(_differences(old.get("result_key", {}), meta["result_key"])) or "unknown"
        raise RunMismatchError(
            f"{path.parent} holds run {old.get('run_id')}, of another configuration than this run "
            f"({meta['run_id']}); changed settings: {changed}. Nothing was written. Results of different "
            "configurations never share a directory: leave hydra.run.dir at its default "
            "(runs/<name>/<run_id>) or point it at another directory."
        )


def _read_file(path: Path, schema: pa.Schema) -> pa.Table:
    """One Parquet file as written by :meth:`RunStore.commit`.

    Read as a single file, not a dataset: a dataset reader would take directory names
    such as ``n=1,selector=vanilla`` (Hydra's run dirs) for Hive partitions.
    """
    table = pq.ParquetFile(path).read()
    if not table.schema.equals(schema, check_metadata=False):
        missing = [n for n in schema.names if n not in table.schema.names]
        extra = [n for n in table.schema.names if n not in schema.names]
        raise ValueError(
            f"{path.name} does not have the expected columns (docs/results.md): missing {missing}, "
            f"unexpected {extra}, got {table.schema.names} (written by another version of wam-tts?)"
        )
    return table


def _differences(old: dict, new: dict, prefix: str = "") -> list[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key}: {a!r} -> {b!r}")
    return out


def run_dirs(path: str | Path) -> list[Path]:
    """The run directories at or below ``path`` (those holding a ``run.json``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no results at {path}")
    return sorted(p.parent for p in path.rglob(RUN_FILE))


def load_run(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(episodes, steps)`` of the run at ``path`` or of every run below it (a sweep).

    Only committed trials are read (an episode file and its steps file, lengths
    matching); unreadable files are skipped with a warning. The columns are those of
    :mod:`wam_tts.records` (documented in ``docs/results.md``).
    """
    episode_tables, step_tables = [], []
    dirs = run_dirs(path)
    if not dirs:
        raise FileNotFoundError(f"no run directories (with {RUN_FILE}) at or below {path}")
    for run in dirs:
        store = RunStore(run)
        for ep_path in sorted(store.episodes_dir.glob("*.parquet")):
            try:
                episode, steps = store.read_trial(ep_path)
            except Exception as err:  # noqa: BLE001
                warnings.warn(f"skipping corrupt trial {ep_path}: {err}", stacklevel=2)
                continue
            episode_tables.append(episode)
            step_tables.append(steps)
    episodes = _to_frame(episode_tables, EPISODE_SCHEMA)
    steps = _to_frame(step_tables, STEP_SCHEMA)
    trial_key = [KEY.run_id, KEY.task, KEY.trial]
    duplicated = episodes.duplicated(trial_key)
    if duplicated.any():
        raise ValueError(f"duplicate trials in {path}: {episodes[duplicated][trial_key].values.tolist()}")
    return episodes, steps


def _to_frame(tables: list[pa.Table], schema: pa.Schema) -> pd.DataFrame:
    table = pa.concat_tables(tables) if tables else schema.empty_table()
    return table.to_pandas().reset_index(drop=True)

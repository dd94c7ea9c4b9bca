"""Column checks and the keys shared by every diagnostic (docs/results.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from wam_tts.records import EPISODE, KEY, TABLES, EpisodeKey, column_names
from wam_tts.records import columns as record_columns

EPISODE_KEY: tuple[str, ...] = column_names(EpisodeKey)
"""Columns that identify one episode in both the episodes and the steps table."""

CONFIG_KEY: tuple[str, ...] = (KEY.policy, KEY.env, KEY.selector, KEY.n)
"""Columns that identify one rollout configuration (what a selector comparison varies)."""

TASK_KEY: tuple[str, ...] = (*CONFIG_KEY, KEY.task)
"""Default grouping for per-task statistics: a task *within* one rollout configuration."""


MIN_PER_CLASS = 5
"""The fewest successful and failed episodes a statistic that compares them is drawn from
without a caveat (Cohen's d, an AUC, a task's aligned/misaligned label): below it the
report flags the statistic as indicative only."""


def few_per_class(n_success: int, n_failure: int, what: str) -> str:
    """A caveat when ``what`` rests on fewer than :data:`MIN_PER_CLASS` episodes of a class, else ``""``."""
    if min(n_success, n_failure) >= MIN_PER_CLASS or min(n_success, n_failure) == 0:
        return ""
    return (f"{what} rests on {n_success} successful and {n_failure} failed episode(s), fewer than the "
            f"minimum of {MIN_PER_CLASS} per class: indicative only.")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], table: str) -> None:
    """Raise a ValueError naming every missing column of ``table``, with its meaning in the
    results schema (:mod:`wam_tts.records`) when ``table`` is ``"episodes"`` or ``"steps"``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{table} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        docs = {c.name: c.doc for c in record_columns(TABLES[table])} if table in TABLES else {}
        described = "; ".join(f"{c}: {docs[c]}" if c in docs else c for c in missing)
        raise ValueError(
            f"{table} table lacks column(s) {missing} ({described}); expected the results-store columns "
            f"(docs/results.md), got {sorted(frame.columns)}"
        )


def present(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The subset of ``columns`` that ``frame`` has (so user logs may omit e.g. ``policy``)."""
    return [c for c in columns if c in frame.columns]


def finished_episodes(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes with an outcome: rows whose ``status`` is ``"error"`` are dropped.

    An errored trial says nothing about the policy, so no diagnostic counts it.
    """
    require_columns(episodes, [EPISODE.success], "episodes")
    if EPISODE.status in episodes.columns:
        episodes = episodes[episodes[EPISODE.status] != "error"]
    out = episodes.copy()
    out[EPISODE.success] = out[EPISODE.success].astype(bool)
    return out


def as_float(values: pd.Series | np.ndarray, name: str) -> np.ndarray:
    """A float array, with a clear error when the column is not numeric."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"column {name!r} must be numeric: {err}") from err

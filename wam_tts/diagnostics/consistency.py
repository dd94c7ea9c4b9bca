"""Episode-level consistency, per-task z-normalisation and Cohen's d (paper Section 3.1).

The paper z-scores each episode's consistency against the other episodes of its task, pools
the z-scores over tasks, and compares successful with failed episodes by Cohen's d.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from wam_tts.diagnostics._frames import (
    EPISODE_KEY,
    TASK_KEY,
    as_float,
    finished_episodes,
    present,
    require_columns,
)
from wam_tts.records import DECISION, EPISODE


def episode_consistency(steps: pd.DataFrame) -> pd.DataFrame:
    """Mean of each episode's per-step consistency (NaN steps skipped), from the steps table.

    Returns one row per episode: the episode-key columns, ``episode_consistency`` and
    ``scored_steps`` (how many steps had a consistency; 0 gives NaN).
    """
    require_columns(steps, [DECISION.consistency], "steps")
    key = present(steps, EPISODE_KEY)
    if not key:
        raise ValueError(f"steps table has none of the episode-key columns {list(EPISODE_KEY)}")
    c = steps.assign(consistency=as_float(steps["consistency"], "consistency"))
    grouped = c.groupby(key, sort=True, dropna=False)["consistency"]
    return grouped.agg(episode_consistency="mean", scored_steps="count").reset_index()


def zscore_within(frame: pd.DataFrame, column: str, by: Sequence[str] | None = TASK_KEY) -> pd.Series:
    """``scipy.stats.zscore`` (ddof 0) of ``column`` within each ``by`` group.

    ``by=None`` z-scores the whole frame. NaN values stay NaN and are ignored by their
    group's mean and standard deviation; a group with fewer than two finite values or zero
    spread has no z-score (NaN): it carries no information about success.
    """
    require_columns(frame, [column], "input")
    values = pd.Series(as_float(frame[column], column), index=frame.index)

    def _z(x: pd.Series) -> pd.Series:
        finite = x[np.isfinite(x)]
        if len(finite) < 2 or float(np.ptp(finite)) == 0.0:
            return pd.Series(np.nan, index=x.index)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return pd.Series(stats.zscore(x.to_numpy(), nan_policy="omit"), index=x.index)

    keys = present(frame, by or ())
    if not keys:
        return _z(values).rename(f"z_{column}")
    parts = [_z(values.loc[idx]) for idx in frame.groupby(keys, sort=False, dropna=False).groups.values()]
    return pd.concat(parts).reindex(frame.index).rename(f"z_{column}")


def normalise_per_task(
    episodes: pd.DataFrame,
    column: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
) -> pd.Series:
    """Per-task z-score of each episode's consistency (the paper's normalised score)."""
    return zscore_within(episodes, column, by)


def cohens_d(success: np.ndarray | pd.Series, failure: np.ndarray | pd.Series) -> float:
    """Cohen's d with the pooled (ddof 1) standard deviation; NaN values are dropped.

    NaN when either group has no value, both have one, or the pooled spread is zero.
    """
    a = np.asarray(success, dtype=float)
    b = np.asarray(failure, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    n_a, n_b = len(a), len(b)
    if n_a == 0 or n_b == 0 or n_a + n_b < 3:
        return float("nan")
    var_a = a.var(ddof=1) if n_a > 1 else 0.0
    var_b = b.var(ddof=1) if n_b > 1 else 0.0
    pooled = np.sqrt(((n_a - 1) * var_a + (n_b - 1) * var_b) / (n_a + n_b - 2))
    if pooled == 0:
        return float("nan")
    return float((a.mean() - b.mean()) / pooled)


@dataclass(frozen=True)
class Separation:
    """How far apart successful and failed episodes' normalised consistency lie."""

    cohens_d: float
    mean_success: float
    mean_failure: float
    n_success: int
    n_failure: int
    n_tasks: int
    message: str
    """Empty when computed; otherwise why ``cohens_d`` is NaN."""


def one_class_message(n_success: int, n_failure: int, what: str) -> str:
    """The explanation for a statistic that needs both outcomes, or ``""`` if both exist."""
    if n_success + n_failure == 0:
        return f"{what}: no episodes with a normalised consistency score."
    if n_success == 0 or n_failure == 0:
        only = "succeeded" if n_failure == 0 else "failed"
        return (
            f"{what}: all {n_success + n_failure} episodes {only}; "
            "it needs both successful and failed episodes."
        )
    return ""


def separation(
    episodes: pd.DataFrame,
    column: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
) -> Separation:
    """Cohen's d between successful and failed episodes' per-task z-scores (errors excluded)."""
    eps = finished_episodes(episodes)
    z = normalise_per_task(eps, column, by)
    ok = z.notna()
    succ, fail = z[ok & eps["success"]], z[ok & ~eps["success"]]
    keys = present(eps, by)
    n_tasks = int(eps.loc[ok, keys].drop_duplicates().shape[0]) if keys else int(ok.any())
    message = one_class_message(len(succ), len(fail), "Cohen's d not computed")
    d = cohens_d(succ, fail)
    if not message and not np.isfinite(d):
        message = "Cohen's d not computed: the normalised scores have no spread."
    return Separation(
        cohens_d=d,
        mean_success=float(succ.mean()) if len(succ) else float("nan"),
        mean_failure=float(fail.mean()) if len(fail) else float("nan"),
        n_success=len(succ),
        n_failure=len(fail),
        n_tasks=n_tasks,
        message=message,
    )

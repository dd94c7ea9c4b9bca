"""Utility alignment (Section 3.3, Fig. 5): does consistency move with the predicted value?

Per task, the success-minus-failure gap of the episodes' mean predicted value and of their
consistency. Positive gaps for both mean consistency follows the value head's trend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wam_tts.diagnostics._frames import TASK_KEY, as_float, finished_episodes, present, require_columns
from wam_tts.records import EPISODE


@dataclass(frozen=True)
class UtilityGaps:
    """Per-task gaps and how often the two signals agree in sign."""

    table: pd.DataFrame
    """Per task: ``n_success``, ``n_failure``, ``value_gap`` (NaN without a value head or
    with one outcome only), ``consistency_gap``."""
    n_compared: int
    """Tasks where both gaps exist."""
    n_same_sign: int
    """Of those, tasks where the value gap and the consistency gap have the same sign."""
    message: str
    """Empty when at least one task could be compared; otherwise why not."""


def utility_gaps(
    episodes: pd.DataFrame,
    value: str = EPISODE.mean_value,
    consistency: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
) -> UtilityGaps:
    """Success-minus-failure gap of mean predicted value and of mean consistency, per task."""
    eps = finished_episodes(episodes)
    require_columns(eps, [value, consistency], "episodes")
    keys = present(eps, by)
    if not keys:
        raise ValueError(f"episodes table has none of the task columns {list(by)}")
    eps = eps.assign(_v=as_float(eps[value], value), _c=as_float(eps[consistency], consistency))
    rows = []
    for key, g in eps.groupby(keys, sort=True, dropna=False):
        s, f = g[g["success"]], g[~g["success"]]
        row = dict(zip(keys, key, strict=True))
        row.update(
            n_success=len(s),
            n_failure=len(f),
            value_gap=float(s["_v"].mean() - f["_v"].mean()) if len(s) and len(f) else np.nan,
            consistency_gap=float(s["_c"].mean() - f["_c"].mean()) if len(s) and len(f) else np.nan,
        )
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*keys, "n_success", "n_failure", "value_gap", "consistency_gap"])
    both = table.dropna(subset=["value_gap", "consistency_gap"])
    same = int((np.sign(both["value_gap"]) == np.sign(both["consistency_gap"])).sum())
    message = ""
    if both.empty:
        if eps["_v"].isna().all():
            message = "Utility alignment not computed: the policy has no value head (mean_value is NaN)."
        else:
            message = "Utility alignment not computed: no task has both successful and failed episodes."
    return UtilityGaps(table=table, n_compared=len(both), n_same_sign=same, message=message)

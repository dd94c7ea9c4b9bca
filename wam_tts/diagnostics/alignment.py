"""Task alignment and the latent-change explanation of misalignment (Section 3.2, App. D).

A task is *consistency-aligned* when its successful episodes have a higher mean consistency
than its failed ones, *misaligned* otherwise. Background collapse predicts that misaligned
tasks move less (smaller mean Δz) and that per-step Δz and consistency correlate negatively.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from wam_tts.diagnostics._frames import (
    MIN_PER_CLASS,
    TASK_KEY,
    as_float,
    finished_episodes,
    present,
    require_columns,
)
from wam_tts.diagnostics.consistency import zscore_within
from wam_tts.records import DECISION, EPISODE

ALIGNED, MISALIGNED, UNDETERMINED = "aligned", "misaligned", "undetermined"

#: The per-task columns of :func:`task_alignment` besides its keys (and ``few``).
ALIGNMENT_COLUMNS = ("n_success", "n_failure", "consistency_success", "consistency_failure", "gap", "alignment")


def task_alignment(
    episodes: pd.DataFrame,
    column: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
) -> pd.DataFrame:
    """One row per task: success/failure counts and mean consistency, their gap, and the label.

    ``alignment`` is ``"aligned"`` (gap > 0), ``"misaligned"`` (gap <= 0) or
    ``"undetermined"`` (the task has only one outcome, or no scored episode of one).
    ``few`` marks a label drawn from fewer than :data:`MIN_PER_CLASS` episodes of a class.
    ``mean_latent_change`` (mean of the episodes' ``mean_latent_change``) is added when the
    column exists. Errored episodes are excluded.
    """
    eps = finished_episodes(episodes)
    require_columns(eps, [column], "episodes")
    keys = present(eps, by)
    if not keys:
        raise ValueError(f"episodes table has none of the task columns {list(by)}")
    eps = eps.assign(_c=as_float(eps[column], column))
    eps = eps[np.isfinite(eps["_c"])]
    rows = []
    for key, g in eps.groupby(keys, sort=True, dropna=False):
        succ, fail = g.loc[g["success"], "_c"], g.loc[~g["success"], "_c"]
        gap = succ.mean() - fail.mean() if len(succ) and len(fail) else np.nan
        label = UNDETERMINED if np.isnan(gap) else (ALIGNED if gap > 0 else MISALIGNED)
        row = dict(zip(keys, key, strict=True))
        row.update(
            n_success=len(succ),
            n_failure=len(fail),
            consistency_success=float(succ.mean()) if len(succ) else np.nan,
            consistency_failure=float(fail.mean()) if len(fail) else np.nan,
            gap=float(gap),
            alignment=label,
            few=label != UNDETERMINED and min(len(succ), len(fail)) < MIN_PER_CLASS,
        )
        if "mean_latent_change" in g.columns:
            row["mean_latent_change"] = float(
                pd.Series(as_float(g["mean_latent_change"], "mean_latent_change")).mean()
            )
        rows.append(row)
    columns = [*keys, *ALIGNMENT_COLUMNS, "few"]
    if "mean_latent_change" in eps.columns:
        columns.append("mean_latent_change")
    return pd.DataFrame(rows, columns=columns)


def aligned_episodes(
    episodes: pd.DataFrame,
    column: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
) -> pd.DataFrame:
    """The (non-errored) episodes of consistency-aligned tasks."""
    table = task_alignment(episodes, column, by)
    keys = present(table, by)
    aligned = table.loc[table["alignment"] == ALIGNED, keys].assign(_aligned=True)
    eps = finished_episodes(episodes)
    mask = eps[keys].merge(aligned, on=keys, how="left")["_aligned"].notna().to_numpy()
    return eps[mask]


def latent_change_by_alignment(
    episodes: pd.DataFrame,
    column: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
) -> pd.DataFrame:
    """Mean Δz (episodes' ``mean_latent_change``) of aligned vs misaligned tasks (Fig. 4).

    One row per group with ``n_tasks``, ``n_episodes``, ``mean_latent_change`` over all its
    episodes, ``mean_latent_change_failed`` over its failed episodes, and the scale-free
    ``failure_success_ratio``: the mean over the group's tasks of (failed episodes' mean Δz
    / successful episodes' mean Δz). Raw Δz means mix tasks of different motion scales; the
    ratio compares each task's failures with its own successes (below 1: failures move less).
    """
    eps = finished_episodes(episodes)
    require_columns(eps, [EPISODE.mean_latent_change], "episodes")
    table = task_alignment(eps, column, by)
    keys = present(table, by)
    labelled = eps.merge(table[[*keys, "alignment"]], on=keys, how="inner")
    dz = as_float(labelled["mean_latent_change"], "mean_latent_change")
    labelled = labelled.assign(_dz=dz)
    per_task = (
        labelled.groupby([*keys, "alignment", "success"], dropna=False)["_dz"].mean().unstack("success")
    )
    ratio = (per_task.get(False) / per_task.get(True)) if {False, True} <= set(per_task.columns) else None
    rows = []
    for group in (ALIGNED, MISALIGNED):
        g = labelled[labelled["alignment"] == group]
        failed = g.loc[~g["success"], "_dz"]
        r = (
            ratio[ratio.index.get_level_values("alignment") == group]
            if ratio is not None
            else pd.Series(dtype=float)
        )
        rows.append(
            dict(
                group=group,
                n_tasks=int(g[keys].drop_duplicates().shape[0]),
                n_episodes=len(g),
                mean_latent_change=float(g["_dz"].mean()) if len(g) else np.nan,
                mean_latent_change_failed=float(failed.mean()) if len(failed) else np.nan,
                failure_success_ratio=float(r.mean()) if r.notna().any() else np.nan,
            )
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Correlation:
    """Pearson and Spearman correlation between per-step Δz and consistency (App. D)."""

    pearson_r: float
    pearson_p: float
    spearman_rho: float
    spearman_p: float
    n_steps: int
    message: str
    """Empty when computed; otherwise why the values are NaN."""


def latent_consistency_pairs(
    steps: pd.DataFrame,
    latent: str = DECISION.latent_change,
    normalise_by: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Steps with both Δz and consistency finite, plus their z-scores ``z_latent``, ``z_consistency``.

    ``normalise_by=None`` z-scores over the whole frame (the paper: within each model);
    pass e.g. ``TASK_KEY`` to z-score within each task instead.
    """
    require_columns(steps, [latent, DECISION.consistency], "steps")
    s = steps.assign(_dz=as_float(steps[latent], latent), _c=as_float(steps["consistency"], "consistency"))
    s = s[np.isfinite(s["_dz"]) & np.isfinite(s["_c"])]
    return s.assign(
        z_latent=zscore_within(s, "_dz", normalise_by), z_consistency=zscore_within(s, "_c", normalise_by)
    ).drop(columns=["_dz", "_c"])


def latent_consistency_correlation(
    steps: pd.DataFrame,
    latent: str = DECISION.latent_change,
    normalise_by: Sequence[str] | None = None,
) -> Correlation:
    """``scipy.stats.pearsonr`` and ``spearmanr`` of per-step z-scored Δz vs consistency.

    Steps whose consistency is NaN (the episode ended before t+h) are left out.
    """
    pairs = latent_consistency_pairs(steps, latent, normalise_by)
    nan = float("nan")
    if len(pairs) < 3:
        return Correlation(
            nan, nan, nan, nan, len(pairs), f"correlation not computed: {len(pairs)} scored steps (need 3)."
        )
    if pairs[latent].nunique() == 1 or pairs["consistency"].nunique() == 1:
        return Correlation(
            nan, nan, nan, nan, len(pairs), "correlation not computed: Δz or consistency is constant."
        )
    pairs = pairs.dropna(subset=["z_latent", "z_consistency"])
    x, y = pairs["z_latent"].to_numpy(), pairs["z_consistency"].to_numpy()
    if len(x) < 3:
        return Correlation(
            nan,
            nan,
            nan,
            nan,
            len(x),
            "correlation not computed: fewer than 3 steps in groups where Δz and consistency vary.",
        )
    pearson = stats.pearsonr(x, y)
    spearman = stats.spearmanr(x, y)
    return Correlation(
        pearson_r=float(pearson.statistic),
        pearson_p=float(pearson.pvalue),
        spearman_rho=float(spearman.statistic),
        spearman_p=float(spearman.pvalue),
        n_steps=len(x),
        message="",
    )

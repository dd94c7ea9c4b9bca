"""Background-collapse detector (Section 3.2, Appendices G and I).

Background collapse: the policy stalls before finishing the task, the scene stops changing
and the WAM's predicted future collapses to the static background, which is trivially
"consistent". A step is *below* when both the real latent change (``latent_change``,
``‖z(o_{t+h}) − z(o_t)‖``) and the predicted one (``predicted_latent_change``,
``‖ô_{t+h} − enc(o_t)‖``) are below the threshold while the task is unfinished; a step is
*collapsed* when it belongs to a run of at least ``min_run`` consecutive below decisions;
an episode is collapsed when it has a collapsed step.

Default threshold, and why
--------------------------
``threshold=0.1`` with ``relative=True``: a change counts as "static" when it is below
10 % of the task's typical change, the median of that quantity over the steps of the
task's *successful* episodes (all its episodes when none succeeded). The reasons:

* Latents have no common scale: normalised proprio states, VAE tokens and pixels differ by
  orders of magnitude, so an absolute default would be wrong for every model but one.
  Measuring against the same model's successful episodes on the same task makes the
  threshold unit-free; real and predicted change are scaled separately for the same reason
  (they may live in different spaces).
* The median of successful steps is what "making progress" looks like for this model on
  this task, and it is robust to the few large jumps (grasps, contacts, door swings).
* 10 % of that is "nearly static", the paper's description (Fig. 3, App. I), yet well
  above numerical noise. Real successful episodes do pause (gripper closing, settling),
  which is why a step alone is not enough: ``min_run=3`` consecutive decisions, in both the
  real and the predicted change, are required. A brief pause of a successful episode rarely
  satisfies all three conditions, a stalled failure that the model predicts as static does.
* ``threshold`` and ``min_run`` are parameters; ``relative=False`` takes an absolute
  threshold in the latent's own units for users who know their scale.
  :func:`collapse_rates` reports how often successful episodes are flagged, the detector's
  false-alarm rate on the data at hand, so a user can check the default on their model.

"Unfinished": every step of a failed episode; for a successful episode the steps decided
before its last env step (the harness ends an episode at success). Without an episodes
table every step is treated as unfinished.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wam_tts.diagnostics._frames import (
    EPISODE_KEY,
    TASK_KEY,
    as_float,
    finished_episodes,
    present,
    require_columns,
)
from wam_tts.records import DECISION, EPISODE

DEFAULT_THRESHOLD = 0.1
DEFAULT_MIN_RUN = 3
CHANGE_COLUMNS = (DECISION.latent_change, DECISION.predicted_latent_change)


@dataclass(frozen=True)
class CollapseResult:
    """Per-step flags, per-episode verdicts and the per-task scales the threshold used."""

    steps: pd.DataFrame
    """Input steps plus ``relative_latent_change``, ``relative_predicted_change`` (the
    changes divided by the task scales; equal to the raw ones when ``relative=False``),
    ``unfinished``, ``below`` and ``collapsed``."""
    episodes: pd.DataFrame
    """One row per episode: key columns, ``success`` (when episodes were given),
    ``collapsed``, ``collapsed_steps`` and ``first_collapsed_t`` (NaN if none)."""
    scales: pd.DataFrame
    """Per task: ``latent_scale``, ``predicted_scale`` and ``scale_from`` (``"success"`` or
    ``"all"``); all 1.0 with ``scale_from="absolute"`` when ``relative=False``."""
    threshold: float
    min_run: int
    relative: bool


def _task_scales(steps: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rows = []
    for key, g in steps.groupby(keys, sort=True, dropna=False):
        src = g[g["_success"]] if g["_success"].any() else g
        row = dict(zip(keys, key, strict=True))
        row.update(
            latent_scale=float(src["latent_change"].median()),
            predicted_scale=float(src["predicted_latent_change"].median()),
            scale_from="success" if g["_success"].any() else "all",
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, "latent_scale", "predicted_scale", "scale_from"])


def _run_lengths(below: pd.Series, episode: pd.Series) -> np.ndarray:
    """Length of the run of equal ``below`` values (within one episode) each step belongs to."""
    run_id = ((below != below.shift()) | (episode != episode.shift())).cumsum()
    return run_id.map(run_id.value_counts()).to_numpy()


def detect_background_collapse(
    steps: pd.DataFrame,
    episodes: pd.DataFrame | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_run: int = DEFAULT_MIN_RUN,
    relative: bool = True,
    by: Sequence[str] = TASK_KEY,
) -> CollapseResult:
    """Flag steps and episodes in background collapse (see the module docstring)."""
    if not np.isfinite(threshold) or threshold <= 0:
        raise ValueError(f"threshold must be a positive number, got {threshold}")
    if not isinstance(min_run, int) or min_run < 1:
        raise ValueError(f"min_run must be an integer >= 1, got {min_run!r}")
    require_columns(steps, [*CHANGE_COLUMNS, DECISION.decision, DECISION.t], "steps")
    ep_key = present(steps, EPISODE_KEY)
    if not ep_key:
        raise ValueError(f"steps table has none of the episode-key columns {list(EPISODE_KEY)}")
    keys = present(steps, by) or ["_all"]
    s = steps.assign(_all=0) if keys == ["_all"] else steps.copy()
    for c in CHANGE_COLUMNS:
        s[c] = as_float(s[c], c)
    if episodes is not None:
        eps = finished_episodes(episodes)
        require_columns(eps, [*ep_key, EPISODE.length], "episodes")
        outcome = eps[[*ep_key, "success", "length"]]
        s = s.merge(outcome, on=ep_key, how="inner", validate="many_to_one")
        s["_success"] = s["success"].astype(bool)
        s["unfinished"] = ~s["_success"] | (s["t"] < s["length"])
        s = s.drop(columns=["success", "length"])
    else:
        s["_success"] = False
        s["unfinished"] = True
    s = s.sort_values([*ep_key, "decision"], kind="stable").reset_index(drop=True)

    if relative:
        scales = _task_scales(s, keys)
        merged = s[keys].merge(scales, on=keys, how="left")
        s["relative_latent_change"] = s["latent_change"] / merged["latent_scale"].where(
            merged["latent_scale"] > 0
        )
        s["relative_predicted_change"] = s["predicted_latent_change"] / merged["predicted_scale"].where(
            merged["predicted_scale"] > 0
        )
    else:
        scales = (
            s[keys].drop_duplicates().assign(latent_scale=1.0, predicted_scale=1.0, scale_from="absolute")
        )
        s["relative_latent_change"] = s["latent_change"]
        s["relative_predicted_change"] = s["predicted_latent_change"]

    s["below"] = (
        (s["relative_latent_change"] < threshold)
        & (s["relative_predicted_change"] < threshold)
        & s["unfinished"]
    )
    episode_id = s.groupby(ep_key, sort=False, dropna=False).ngroup()
    s["collapsed"] = s["below"].to_numpy() & (_run_lengths(s["below"], episode_id) >= min_run)
    s["_collapsed_t"] = s["t"].where(s["collapsed"])

    named = {
        "collapsed": ("collapsed", "any"),
        "collapsed_steps": ("collapsed", "sum"),
        "first_collapsed_t": ("_collapsed_t", "min"),
    }
    if episodes is not None:
        named = {"success": ("_success", "first"), **named}
    per_episode = s.groupby(ep_key, sort=True, dropna=False).agg(**named).reset_index()
    return CollapseResult(
        steps=s.drop(columns=["_success", "_collapsed_t", "_all"], errors="ignore"),
        episodes=per_episode,
        scales=scales.drop(columns=["_all"], errors="ignore").reset_index(drop=True),
        threshold=float(threshold),
        min_run=min_run,
        relative=relative,
    )


def collapse_rates(result: CollapseResult, by: Sequence[str] = TASK_KEY) -> pd.DataFrame:
    """Per task: how many successful and failed episodes are flagged as collapsed.

    ``success_flagged / n_success`` is the detector's false-alarm rate on this data.
    Needs a result computed with the episodes table.
    """
    eps = result.episodes
    if "success" not in eps.columns:
        raise ValueError("collapse_rates needs outcomes: call detect_background_collapse(steps, episodes)")
    keys = present(eps, by)
    s, c = eps["success"].astype(bool), eps["collapsed"].astype(bool)
    flags = eps[keys].assign(n_success=s, success_flagged=s & c, n_failure=~s, failure_flagged=~s & c)
    return flags.groupby(keys, sort=True, dropna=False).sum().astype(int).reset_index()

"""Appendix G curves: a higher-success run minus a lower-success run, over time.

For the two runs' steps, the per-timestep mean of Δz (``latent_change``) and of consistency
are taken over episodes (and tasks), and the curve is H − L. Positive late values are the
paper's evidence that better early selection avoids background collapse. By default both
quantities are z-scored within each task over the two runs' steps together, so that tasks
with different scales can be pooled and H − L is in units of the task's spread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from wam_tts.diagnostics._frames import CONFIG_KEY, EPISODE_KEY, finished_episodes, present, require_columns
from wam_tts.diagnostics.consistency import zscore_within
from wam_tts.diagnostics.selection import baseline_mask, success_rates
from wam_tts.records import DECISION

QUANTITIES = (DECISION.latent_change, DECISION.consistency)


@dataclass(frozen=True)
class DifferenceCurves:
    """H − L curves and which runs they compare."""

    table: pd.DataFrame
    """Per ``time`` value where both runs have steps: ``high_<q>``, ``low_<q>``, ``<q>_diff``
    for q in latent_change, consistency, and the step counts ``n_high``, ``n_low``."""
    high: dict[str, Any]
    low: dict[str, Any]
    high_rate: float
    low_rate: float
    high_episodes: int
    low_episodes: int
    message: str
    """Empty when computed; otherwise why the table is empty."""


def _select(frame: pd.DataFrame, where: Mapping[str, Any]) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for col, val in where.items():
        if col not in frame.columns:
            raise ValueError(f"cannot select runs on {col!r}: no such column")
        mask &= frame[col] == val
    return frame[mask]


def _rate(episodes: pd.DataFrame) -> float:
    return float(episodes["success"].mean()) if len(episodes) else float("nan")


def default_runs(episodes: pd.DataFrame, baseline_selector: str = "vanilla") -> tuple[dict, dict] | None:
    """(high, low): the best non-baseline configuration and the N = 1 baseline, or None.

    Other configurations at N = 1 are left out of ``high``: one branch executed as drawn is
    the baseline itself (exploring's restore is bit-exact too), so their curves would be a
    flat zero line. Without an N = 1 baseline, the configurations with the highest and
    lowest success rate.
    """
    eps = finished_episodes(episodes)
    keys = present(eps, CONFIG_KEY)
    rates = success_rates(eps, keys).sort_values("rate", ascending=False, kind="stable")
    if len(rates) < 2:
        return None
    is_base, _ = baseline_mask(eps, baseline_selector)
    if is_base.any():
        low = eps.loc[is_base, keys].iloc[0].to_dict()
        others = rates[~rates[keys].apply(lambda r: r.to_dict() == low, axis=1)]
        if "n" in others.columns:
            others = others[others["n"] != 1]
        return (others.iloc[0][keys].to_dict(), low) if len(others) else None
    return rates.iloc[0][keys].to_dict(), rates.iloc[-1][keys].to_dict()


def difference_curves(
    steps: pd.DataFrame,
    episodes: pd.DataFrame,
    high: Mapping[str, Any] | None = None,
    low: Mapping[str, Any] | None = None,
    *,
    time: str = DECISION.t,
    normalise: bool = True,
) -> DifferenceCurves:
    """H − L per-timestep difference of mean Δz and consistency (paper App. G, Fig. 13).

    ``high`` / ``low`` select each run's rows by column values, e.g.
    ``{"selector": "exploring", "n": 8}``; by default :func:`default_runs`.
    """
    require_columns(steps, [time, *QUANTITIES], "steps")
    eps = finished_episodes(episodes)
    if high is None or low is None:
        runs = default_runs(eps)
        if runs is None:
            return DifferenceCurves(
                pd.DataFrame(),
                {},
                {},
                float("nan"),
                float("nan"),
                0,
                0,
                "Appendix G curves not drawn: the results hold a single configuration"
                + ("." if len(eps.drop_duplicates(present(eps, CONFIG_KEY))) < 2
                   else " besides N = 1 runs, which are the N = 1 baseline by construction."),
            )
        high, low = high or runs[0], low or runs[1]
    high, low = dict(high), dict(low)
    ep_key = present(steps, EPISODE_KEY)
    ok = steps.merge(eps[ep_key], on=ep_key, how="inner")
    hs, ls = _select(ok, high), _select(ok, low)
    he, le = _select(eps, high), _select(eps, low)
    if hs.empty or ls.empty:
        missing = "high" if hs.empty else "low"
        return DifferenceCurves(
            pd.DataFrame(),
            high,
            low,
            _rate(he),
            _rate(le),
            len(he),
            len(le),
            f"Appendix G curves not drawn: the {missing} run {high if hs.empty else low} has no steps.",
        )
    both = pd.concat([hs.assign(_run="high"), ls.assign(_run="low")], ignore_index=True)
    for q in QUANTITIES:
        both[q] = zscore_within(both, q, ("policy", "env", "task")) if normalise else both[q].astype(float)
    means = both.groupby(["_run", time])[list(QUANTITIES)].mean()
    counts = both.groupby(["_run", time]).size()
    hi, lo = means.loc["high"], means.loc["low"]
    common = hi.index.intersection(lo.index)
    table = pd.DataFrame(index=common.rename(time))
    for q in QUANTITIES:
        table[f"high_{q}"] = hi.loc[common, q]
        table[f"low_{q}"] = lo.loc[common, q]
        table[f"{q}_diff"] = table[f"high_{q}"] - table[f"low_{q}"]
    table["n_high"] = counts.loc["high"].reindex(common).to_numpy()
    table["n_low"] = counts.loc["low"].reindex(common).to_numpy()
    message = "" if len(table) else "Appendix G curves not drawn: the two runs share no timestep."
    return DifferenceCurves(table.reset_index(), high, low, _rate(he), _rate(le), len(he), len(le), message)

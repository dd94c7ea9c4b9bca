"""Selection results: success rates with intervals, deltas against the N = 1 baseline.

* Rates carry Wilson score intervals (``scipy.stats.binomtest(...).proportion_ci``).
* A comparison of a candidate configuration with a reference (the N = 1 baseline, or
  consensus for the weighted-vs-winner-takes-all ablation) is *paired* when their episodes
  share seeds on the same task: the pairs are matched on ``(task, seed)`` and tested with
  the exact McNemar test (a two-sided binomial test on the discordant pairs), and the delta's
  interval is a percentile bootstrap of the paired differences; rates and delta are then
  over the matched pairs (an episode without a partner, e.g. errored on one side, is left
  out). Sets with no shared seed get Newcombe's hybrid-score interval built from the two
  Wilson intervals, and no p-value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from wam_tts.diagnostics._frames import CONFIG_KEY, finished_episodes, present, require_columns
from wam_tts.records import EPISODE, KEY

RATE_KEY: tuple[str, ...] = (*CONFIG_KEY, KEY.task)
PAIR_KEY: tuple[str, ...] = (KEY.task, KEY.seed)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion; ``(nan, nan)`` for zero trials."""
    if trials == 0:
        return float("nan"), float("nan")
    ci = stats.binomtest(int(successes), int(trials)).proportion_ci(
        confidence_level=confidence, method="wilson"
    )
    return float(ci.low), float(ci.high)


def mcnemar_exact(only_candidate: int, only_reference: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pair counts (1.0 when there are none)."""
    discordant = only_candidate + only_reference
    if discordant == 0:
        return 1.0
    return float(stats.binomtest(only_candidate, discordant, 0.5).pvalue)


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid-score interval of ``k1/n1 - k2/n2`` for independent samples."""
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, confidence)
    l2, u2 = wilson_interval(k2, n2, confidence)
    d = p1 - p2
    return d - float(np.hypot(p1 - l1, u2 - p2)), d + float(np.hypot(u1 - p1, p2 - l2))


@dataclass(frozen=True)
class Comparison:
    """A candidate configuration's success rate against a reference's."""

    rate: float
    """Candidate success rate (over the matched pairs when paired)."""
    reference_rate: float
    delta: float
    """``rate - reference_rate``."""
    delta_low: float
    delta_high: float
    trials: int
    reference_trials: int
    paired: bool
    n_pairs: int
    only_candidate: int
    """Pairs where only the candidate succeeded (McNemar's b)."""
    only_reference: int
    """Pairs where only the reference succeeded (McNemar's c)."""
    p_value: float
    """Exact McNemar p-value when paired; NaN otherwise."""


def compare(
    candidate: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare two sets of (non-errored) episodes.

    Paired when some episodes share ``(task, seed)``: then ``rate``, ``reference_rate`` and
    ``delta`` are over those ``n_pairs`` pairs (all of them when both sets ran the same
    seeds), while ``trials`` and ``reference_trials`` count every episode.
    """
    cand, ref = finished_episodes(candidate), finished_episodes(reference)
    k1, n1, k2, n2 = int(cand["success"].sum()), len(cand), int(ref["success"].sum()), len(ref)
    nan = float("nan")
    rate, ref_rate = (k1 / n1 if n1 else nan), (k2 / n2 if n2 else nan)
    keys = present(cand, PAIR_KEY) if "seed" in cand.columns and "seed" in ref.columns else []
    pairs = pd.DataFrame()
    if keys:
        pairs = (
            cand[[*keys, "success"]]
            .drop_duplicates(keys)
            .merge(ref[[*keys, "success"]].drop_duplicates(keys), on=keys, suffixes=("_c", "_r"))
        )
    if len(pairs):
        c, r = pairs["success_c"].to_numpy(), pairs["success_r"].to_numpy()
        b, cc = int((c & ~r).sum()), int((~c & r).sum())
        diff = c.astype(float) - r.astype(float)
        if np.ptp(diff) == 0:
            low = high = float(diff[0])
        else:
            res = stats.bootstrap(
                (diff,),
                np.mean,
                n_resamples=n_resamples,
                confidence_level=confidence,
                method="percentile",
                rng=np.random.default_rng(seed),
            )
            low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        return Comparison(
            rate=float(c.mean()),
            reference_rate=float(r.mean()),
            delta=float(diff.mean()),
            delta_low=low,
            delta_high=high,
            trials=n1,
            reference_trials=n2,
            paired=True,
            n_pairs=len(pairs),
            only_candidate=b,
            only_reference=cc,
            p_value=mcnemar_exact(b, cc),
        )
    low, high = newcombe_interval(k1, n1, k2, n2, confidence)
    return Comparison(
        rate=rate,
        reference_rate=ref_rate,
        delta=rate - ref_rate,
        delta_low=low,
        delta_high=high,
        trials=n1,
        reference_trials=n2,
        paired=False,
        n_pairs=0,
        only_candidate=0,
        only_reference=0,
        p_value=nan,
    )


def success_rates(
    episodes: pd.DataFrame, by: Sequence[str] = RATE_KEY, confidence: float = 0.95
) -> pd.DataFrame:
    """Success rate with a Wilson interval per ``by`` group (default: selector × N × task)."""
    eps = finished_episodes(episodes)
    keys = present(eps, by)
    if not keys:
        raise ValueError(f"episodes table has none of the grouping columns {list(by)}")
    counts = eps.groupby(keys, sort=True, dropna=False)["success"].agg(successes="sum", trials="count")
    counts = counts.reset_index().astype({"successes": int, "trials": int})
    cis = [
        wilson_interval(k, n, confidence) for k, n in zip(counts["successes"], counts["trials"], strict=True)
    ]
    return counts.assign(
        rate=counts["successes"] / counts["trials"],
        ci_low=[lo for lo, _ in cis],
        ci_high=[hi for _, hi in cis],
    )


def baseline_mask(episodes: pd.DataFrame, baseline_selector: str = "vanilla") -> tuple[pd.Series, str]:
    """Which rows are the N = 1 baseline, and a description of it.

    The baseline is the run that the rows name in ``baseline_run_id`` (the harness stores
    the run_id of ``eval.config.baseline_config`` with every episode), so the summary and
    every diagnostic compare with the same run. Only tables without that column (a user's
    own logs) fall back to ``baseline_selector`` at ``n == 1``, or, if that was not run, the
    N = 1 episodes of the first selector (alphabetically) run at N = 1. All False if none.
    """
    if EPISODE.baseline_run_id in episodes.columns:
        require_columns(episodes, [KEY.run_id, KEY.selector, KEY.n], "episodes")
        mask = episodes[KEY.run_id].isin(episodes[EPISODE.baseline_run_id].dropna().unique())
        if not mask.any():
            return mask, "no N = 1 baseline run (baseline_run_id) in the results"
        runs = episodes.loc[mask, [KEY.selector, KEY.n]].drop_duplicates().sort_values([KEY.selector, KEY.n])
        return mask, ", ".join(f"{sel} at N = {n}" for sel, n in runs.itertuples(index=False))
    require_columns(episodes, [KEY.selector, KEY.n], "episodes")
    ones = episodes[KEY.n] == 1
    if not ones.any():
        return ones, "no N = 1 episodes"
    names = episodes.loc[ones, KEY.selector]
    chosen = baseline_selector if (names == baseline_selector).any() else sorted(names.unique())[0]
    return ones & (episodes[KEY.selector] == chosen), f"{chosen} at N = 1"


def _comparisons(
    episodes: pd.DataFrame, reference: pd.DataFrame, group: Sequence[str], match: Sequence[str], **kw
) -> pd.DataFrame:
    eps = finished_episodes(episodes)
    ref = finished_episodes(reference)
    group, match = present(eps, group), present(eps, match)
    rows = []
    for key, g in eps.groupby(group, sort=True, dropna=False):
        row = dict(zip(group, key, strict=True))
        r = ref
        for col in match:
            r = r[r[col] == row[col]]
        if r.empty:
            continue
        rows.append({**row, **compare(g, r, **kw).__dict__})
    columns = [*group, *Comparison.__dataclass_fields__]
    return pd.DataFrame(rows, columns=columns)


def task_deltas(
    episodes: pd.DataFrame, baseline_selector: str = "vanilla", *, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Per task, every non-baseline configuration against the N = 1 baseline on that task."""
    is_base, _ = baseline_mask(episodes, baseline_selector)
    if not is_base.any():
        return pd.DataFrame(columns=[*RATE_KEY, *Comparison.__dataclass_fields__])
    return _comparisons(
        episodes[~is_base],
        episodes[is_base],
        RATE_KEY,
        ("policy", "env", "task"),
        confidence=confidence,
        seed=seed,
    )


def selector_table(
    episodes: pd.DataFrame, baseline_selector: str = "vanilla", *, confidence: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Per configuration (policy, env, selector, N), pooled over tasks: rate, Wilson CI, tasks,
    mean per-task rate (the paper's average SR) and the comparison with the N = 1 baseline
    (NaN delta for the baseline itself), paired on ``(task, seed)`` where seeds match."""
    rates = success_rates(episodes, CONFIG_KEY, confidence)
    per_task = success_rates(episodes, RATE_KEY, confidence)
    keys = present(rates, CONFIG_KEY)
    task_stats = per_task.groupby(keys, sort=True, dropna=False).agg(
        n_tasks=("rate", "size"), mean_task_rate=("rate", "mean")
    )
    table = rates.merge(task_stats.reset_index(), on=keys, how="left")
    is_base, _ = baseline_mask(episodes, baseline_selector)
    if not is_base.any():
        return table
    base = episodes[is_base]
    deltas = _comparisons(episodes, base, CONFIG_KEY, ("policy", "env"), confidence=confidence, seed=seed)
    deltas = deltas[
        [
            *keys,
            "delta",
            "delta_low",
            "delta_high",
            "paired",
            "n_pairs",
            "only_candidate",
            "only_reference",
            "p_value",
        ]
    ]
    table = table.merge(deltas, on=keys, how="left")
    is_base = table.set_index(keys).index.isin(base.set_index(keys).index.unique())
    table.loc[is_base, ["delta", "delta_low", "delta_high", "p_value"]] = np.nan
    return table


def weighted_vs_wta(
    episodes: pd.DataFrame,
    weighted: str = "weighted",
    winner_takes_all: str = "consensus",
    *,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Weighted blending against winner-takes-all at each N where both ran (App. F, Table 4).

    ``delta`` is weighted minus winner-takes-all, pooled over tasks.
    """
    require_columns(episodes, [KEY.selector, KEY.n], "episodes")
    w = episodes[episodes["selector"] == weighted]
    ref = episodes[episodes["selector"] == winner_takes_all]
    return _comparisons(
        w, ref, ("policy", "env", "n"), ("policy", "env", "n"), confidence=confidence, seed=seed
    )

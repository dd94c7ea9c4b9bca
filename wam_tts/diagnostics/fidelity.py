"""Branch fidelity: do a model's predicted futures follow its own actions?

Inputs come from K decision states of a policy: at each, the N sampled branches'
predicted futures, the states actually reached by executing each branch's first h
actions from the restored simulator state, and any selector's per-branch scores.
All comparisons are in the futures' space, optionally divided by a per-dimension
``scale`` (``diff / scale``), with the mean squared error as the distance (the
selectors' default ``mse``).

Statistics, each with a percentile-bootstrap interval over states:

- ``branch_consistency``: per state, the Pearson correlation between the predicted and
  the reached deviations from their branch means (over branches and dimensions);
  averaged over states. Near 0: the futures do not say what each branch's actions do.
- ``mean_closer``: fraction of (state, branch) where the mean future is closer to the
  reached state than the branch's own prediction (the paper's averaging assumption);
  ``error_reduction``: ``1 - E d(mean, reached) / E d(own, reached)``.
- ``rank_agreement[name]``: per state, the Spearman correlation between a selector's
  scores and exploring's (``-d(own, reached)``), averaged over states.
- ``dim_share``: each dimension's share of the consensus distance (prediction against
  the branch mean) and of exploring's (prediction against the reached state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """A mean over states with a 95 % percentile-bootstrap interval and its state count."""

    mean: float
    low: float
    high: float
    states: int


@dataclass(frozen=True)
class FidelityReport:
    """Everything :func:`branch_fidelity` measures (see the module docstring)."""

    states: int
    branches: int
    branch_consistency: Estimate
    mean_closer: Estimate
    error_reduction: Estimate
    rank_agreement: dict[str, Estimate]
    consensus_dim_share: list[float]
    exploring_dim_share: list[float]
    dim_names: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def branch_fidelity(
    predicted: np.ndarray,
    reached: np.ndarray,
    scores: Mapping[str, np.ndarray] | None = None,
    scale: np.ndarray | None = None,
    dim_names: Sequence[str] = (),
    bootstrap: int = 2000,
    seed: int = 0,
) -> FidelityReport:
    """Branch fidelity of ``predicted [K, N, D]`` futures against ``reached [K, N, D]`` states.

    ``scores`` maps selector names to ``[K, N]`` scores (higher = preferred); ``scale``
    is a positive ``[D]`` per-dimension unit the differences are divided by.
    """
    pred, real = _check(predicted, reached, scale)
    k, n, d = pred.shape
    if dim_names and len(dim_names) != d:
        raise ValueError(f"dim_names has {len(dim_names)} names for {d} dimensions")
    rng = np.random.default_rng(seed)
    dp = pred - pred.mean(axis=1, keepdims=True)
    dr = real - real.mean(axis=1, keepdims=True)
    per_state_r = np.array([_pearson(dp[i].ravel(), dr[i].ravel()) for i in range(k)])

    own = ((pred - real) ** 2).mean(axis=2)  # [K, N] exploring's distance
    mean_future = pred.mean(axis=1, keepdims=True)
    from_mean = ((mean_future - real) ** 2).mean(axis=2)  # [K, N]
    closer = (from_mean < own).mean(axis=1)

    ranks: dict[str, Estimate] = {}
    for name, s in (scores or {}).items():
        s = np.asarray(s, dtype=np.float64)
        if s.shape != (k, n):
            raise ValueError(f"scores[{name!r}] has shape {s.shape}, expected ({k}, {n})")
        rho = np.array([_spearman(s[i], -own[i]) for i in range(k)])
        ranks[name] = _bootstrap_mean(rho, bootstrap, rng)

    return FidelityReport(
        states=k,
        branches=n,
        branch_consistency=_bootstrap_mean(per_state_r, bootstrap, rng),
        mean_closer=_bootstrap_mean(closer, bootstrap, rng),
        error_reduction=_bootstrap_ratio(from_mean.sum(axis=1), own.sum(axis=1), bootstrap, rng),
        rank_agreement=ranks,
        consensus_dim_share=_shares((pred - mean_future) ** 2),
        exploring_dim_share=_shares((pred - real) ** 2),
        dim_names=list(dim_names),
    )


def _check(predicted: np.ndarray, reached: np.ndarray, scale: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    pred = np.asarray(predicted, dtype=np.float64)
    real = np.asarray(reached, dtype=np.float64)
    if pred.ndim != 3 or pred.shape != real.shape:
        raise ValueError(
            f"predicted and reached must both be [K, N, D], got {pred.shape} and {real.shape}"
        )
    if pred.shape[0] < 2 or pred.shape[1] < 2:
        raise ValueError(f"need at least 2 states and 2 branches per state, got K={pred.shape[0]}, N={pred.shape[1]}")
    if not (np.isfinite(pred).all() and np.isfinite(real).all()):
        raise ValueError("predicted or reached contains NaN or Inf")
    if scale is not None:
        scale = np.asarray(scale, dtype=np.float64)
        if scale.shape != (pred.shape[2],) or not (scale > 0).all():
            raise ValueError(f"scale must be a positive [D] = [{pred.shape[2]}] vector, got shape {scale.shape}")
        pred, real = pred / scale, real / scale
    return pred, real


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, y)[0, 1])


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def _bootstrap_mean(values: np.ndarray, reps: int, rng: np.random.Generator) -> Estimate:
    """Mean of the finite per-state ``values`` with a percentile-bootstrap interval."""
    v = values[np.isfinite(values)]
    if len(v) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    means = v[rng.integers(len(v), size=(reps, len(v)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(float(v.mean()), float(low), float(high), len(v))


def _bootstrap_ratio(num: np.ndarray, den: np.ndarray, reps: int, rng: np.random.Generator) -> Estimate:
    """``1 - sum(num) / sum(den)`` over states, bootstrapped over states."""
    idx = rng.integers(len(num), size=(reps, len(num)))
    boots = 1.0 - num[idx].sum(axis=1) / den[idx].sum(axis=1)
    low, high = np.percentile(boots, [2.5, 97.5])
    return Estimate(float(1.0 - num.sum() / den.sum()), float(low), float(high), len(num))


def _shares(squared: np.ndarray) -> list[float]:
    per_dim = squared.reshape(-1, squared.shape[-1]).sum(axis=0)
    total = per_dim.sum()
    return [float(x) for x in (per_dim / total if total > 0 else np.zeros_like(per_dim))]

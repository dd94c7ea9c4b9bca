"""Predicting success from normalised consistency: logistic regression, ROC AUC (Sec. 3.1, App. C.2).

The paper fits a logistic regression on the per-task z-scored episode consistency with
5-fold cross-validation and reports the ROC AUC on consistency-aligned tasks. Selecting the
aligned tasks uses the outcome labels, so that AUC is optimistic by construction; this
module always reports it next to the AUC over all tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from wam_tts.diagnostics._frames import TASK_KEY, finished_episodes, present
from wam_tts.diagnostics.alignment import ALIGNED, aligned_episodes, task_alignment
from wam_tts.diagnostics.consistency import normalise_per_task, one_class_message
from wam_tts.records import EPISODE

TASK_SETS = ("aligned", "all")


@dataclass(frozen=True)
class SuccessPrediction:
    """Cross-validated ROC AUC of success predicted from the normalised consistency."""

    tasks: str
    """``"aligned"`` (consistency-aligned tasks only, as the paper) or ``"all"``."""
    auc: float
    ci_low: float
    ci_high: float
    confidence: float
    n_success: int
    n_failure: int
    n_tasks: int
    n_splits: int
    message: str
    """Empty when computed; otherwise why ``auc`` is NaN."""
    fpr: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    tpr: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    probability: pd.Series = field(repr=False, default_factory=lambda: pd.Series(dtype=float))
    """Out-of-fold predicted success probability, indexed like the input episodes."""


def auc_from_ranks(success_scores: np.ndarray, failure_scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """ROC AUC as the Mann-Whitney ``U / (n_s n_f)`` (ties count 1/2), vectorised over ``axis``."""
    u = stats.mannwhitneyu(success_scores, failure_scores, axis=axis).statistic
    return u / (np.shape(success_scores)[axis] * np.shape(failure_scores)[axis])


def bootstrap_auc(
    success_scores: np.ndarray,
    failure_scores: np.ndarray,
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile ``scipy.stats.bootstrap`` interval of the AUC, resampling each class separately.

    Resampling within each outcome keeps both classes in every resample (a pooled resample
    of a small, unbalanced set can draw a single class and has no AUC).
    """
    res = stats.bootstrap(
        (np.asarray(success_scores, float), np.asarray(failure_scores, float)),
        auc_from_ranks,
        n_resamples=n_resamples,
        confidence_level=confidence,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def predict_success(
    episodes: pd.DataFrame,
    *,
    tasks: str = "aligned",
    column: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
    n_splits: int = 5,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> SuccessPrediction:
    """Logistic regression on the per-task z-score, stratified k-fold, ROC AUC with bootstrap CI.

    ``n_splits`` drops to the smaller class size when a class has fewer episodes (at least
    2 per class are needed). The AUC is that of the pooled out-of-fold probabilities.
    """
    if tasks not in TASK_SETS:
        raise ValueError(f"tasks must be one of {TASK_SETS}, got {tasks!r}")
    if n_splits < 2:
        raise ValueError(f"n_splits must be >= 2, got {n_splits}")
    eps = finished_episodes(episodes)
    eps = eps.assign(_z=normalise_per_task(eps, column, by))
    labels = None
    if tasks == "aligned":
        labels = task_alignment(eps, column, by)["alignment"].value_counts()
        eps = aligned_episodes(eps, column, by)
    eps = eps[eps["_z"].notna()]
    y = eps["success"].to_numpy()
    n_s, n_f = int(y.sum()), int((~y).sum())
    keys = present(eps, by)
    n_tasks = int(eps[keys].drop_duplicates().shape[0]) if keys else int(len(eps) > 0)
    splits = min(n_splits, n_s, n_f)
    nan = float("nan")
    scope = "consistency-aligned tasks" if tasks == "aligned" else "all tasks"
    message = one_class_message(n_s, n_f, f"AUC on {scope} not computed")
    if labels is not None and len(labels) and not labels.get(ALIGNED, 0):
        message = (f"AUC on {scope} not computed: no task is consistency-aligned ("
                   + ", ".join(f"{count} {label}" for label, count in labels.items()) + " task(s)).")
    if not message and splits < 2:
        message = (
            f"AUC on {scope} not computed: {n_s} successful and {n_f} failed episodes; "
            "cross-validation needs at least 2 of each."
        )
    if message:
        return SuccessPrediction(tasks, nan, nan, nan, confidence, n_s, n_f, n_tasks, 0, message)
    x = eps[["_z"]].to_numpy()
    folds = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
    proba = cross_val_predict(LogisticRegression(), x, y, cv=folds, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, proba))
    low, high = bootstrap_auc(proba[y], proba[~y], n_resamples=n_resamples, confidence=confidence, seed=seed)
    fpr, tpr, _ = roc_curve(y, proba)
    return SuccessPrediction(
        tasks=tasks,
        auc=auc,
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n_success=n_s,
        n_failure=n_f,
        n_tasks=n_tasks,
        n_splits=splits,
        message="",
        fpr=fpr,
        tpr=tpr,
        probability=pd.Series(proba, index=eps.index, name="probability"),
    )


def per_task_auc(
    episodes: pd.DataFrame,
    column: str = EPISODE.episode_consistency,
    by: Sequence[str] = TASK_KEY,
) -> pd.DataFrame:
    """ROC AUC of each task's own consistency ranking (App. C.2), NaN with a reason if one-class.

    Within one task the z-score is a monotone map of consistency, and so is a one-feature
    logistic regression with a positive slope: the AUC of either is this rank AUC, computed
    here without cross-validation noise on a task's few episodes.
    """
    eps = finished_episodes(episodes)
    eps = eps.assign(_z=normalise_per_task(eps, column, by))
    keys = present(eps, by)
    if not keys:
        raise ValueError(f"episodes table has none of the task columns {list(by)}")
    rows = []
    for key, g in eps.groupby(keys, sort=True, dropna=False):
        g = g[g["_z"].notna()]
        y = g["success"].to_numpy()
        n_s, n_f = int(y.sum()), int((~y).sum())
        message = one_class_message(n_s, n_f, "AUC not computed")
        if n_s + n_f == 0:
            message = "AUC not computed: fewer than 2 scored episodes, or all with equal consistency."
        auc = float(roc_auc_score(y, g["_z"])) if not message else float("nan")
        row = dict(zip(keys, key, strict=True))
        row.update(n_success=n_s, n_failure=n_f, auc=auc, message=message)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, "n_success", "n_failure", "auc", "message"])

"""Success prediction: AUC of known Gaussians, agreement with sklearn, aligned vs all tasks."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from tests.wam_tts.diagnostics.known import gaussian_episodes, with_reversed_task
from wam_tts.diagnostics import bootstrap_auc, per_task_auc, predict_success
from wam_tts.diagnostics.prediction import auc_from_ranks


def test_auc_of_two_gaussians_matches_theory_with_an_interval_around_it():
    eps = gaussian_episodes(effect=1.0, per_class=1500, tasks=2)
    # within a task the z-scores keep the effect d = 1: AUC = Phi(d / sqrt 2) = 0.760
    expected = stats.norm.cdf(1.0 / np.sqrt(2))
    res = predict_success(eps, tasks="all", n_resamples=300)
    assert res.auc == pytest.approx(expected, abs=0.02)
    assert res.ci_low < expected < res.ci_high
    assert res.ci_high - res.ci_low < 0.06
    assert (res.n_splits, res.n_tasks, res.message) == (5, 2, "")
    assert roc_auc_score(eps.loc[res.probability.index, "success"], res.probability) == pytest.approx(res.auc)


def test_rank_auc_equals_sklearn_with_ties():
    rng = np.random.default_rng(0)
    s, f = rng.integers(0, 5, 40).astype(float), rng.integers(0, 4, 30).astype(float)
    y = np.r_[np.ones(40, bool), np.zeros(30, bool)]
    assert auc_from_ranks(s, f) == pytest.approx(roc_auc_score(y, np.r_[s, f]))


def test_bootstrap_interval_is_reproducible_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    s, f = rng.normal(1, 1, 60), rng.normal(0, 1, 40)
    a = bootstrap_auc(s, f, n_resamples=500, seed=3)
    assert a == bootstrap_auc(s, f, n_resamples=500, seed=3)
    assert a[0] < auc_from_ranks(s, f) < a[1]


def test_aligned_tasks_exclude_the_reversed_one_and_score_higher():
    eps = with_reversed_task()
    aligned = predict_success(eps, tasks="aligned", n_resamples=200)
    everything = predict_success(eps, tasks="all", n_resamples=200)
    assert (aligned.n_tasks, everything.n_tasks) == (2, 3)
    assert aligned.n_success + aligned.n_failure == 240
    assert aligned.auc > 0.8 > everything.auc


def test_per_task_auc_is_each_tasks_rank_auc():
    eps = with_reversed_task()
    table = per_task_auc(eps, by=["task"]).set_index("task")
    for task, g in eps.groupby("task"):
        assert table.loc[task, "auc"] == pytest.approx(roc_auc_score(g.success, g.episode_consistency))
    assert table.loc["task2", "auc"] < 0.3 < 0.7 < table.loc["task0", "auc"]


def test_one_class_and_tiny_data_give_messages_not_numbers():
    eps = gaussian_episodes(effect=1.0, per_class=10)
    one = predict_success(eps[eps.success], tasks="all")
    assert np.isnan(one.auc) and "all 10 episodes succeeded" in one.message
    tiny = pd.concat([eps[eps.success], eps[~eps.success].iloc[:1]])
    res = predict_success(tiny, tasks="all")
    assert np.isnan(res.auc) and "at least 2 of each" in res.message
    assert "AUC not computed" in per_task_auc(eps[eps.success], by=["task"])["message"].iloc[0]


def test_few_failures_reduce_the_number_of_folds():
    eps = gaussian_episodes(effect=1.0, per_class=20)
    few = pd.concat([eps[eps.success], eps[~eps.success].iloc[:3]])
    res = predict_success(few, tasks="all", n_resamples=100)
    assert res.n_splits == 3 and np.isfinite(res.auc)


def test_bad_arguments_are_rejected():
    eps = gaussian_episodes(effect=1.0, per_class=5)
    with pytest.raises(ValueError, match="tasks must be one of"):
        predict_success(eps, tasks="some")



def _out_of_fold_probabilities(x: np.ndarray, y: np.ndarray, splits: int, seed: int) -> np.ndarray:
    """The documented estimate written out: z-score, stratified k-fold, held-out probabilities."""
    z = ((x - x.mean()) / x.std()).reshape(-1, 1)
    proba = np.empty(len(y))
    for train, test in StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed).split(z, y):
        proba[test] = LogisticRegression().fit(z[train], y[train]).predict_proba(z[test])[:, 1]
    return proba


def test_small_sample_auc_is_out_of_fold_not_on_the_training_predictions():
    # 12 overlapping episodes: the in-sample AUC (that of the consistency ranking) is optimistic
    x = np.array([0.9, 0.8, 0.75, 0.4, 0.6, 0.55, 0.7, 0.3, 0.5, 0.65, 0.35, 0.2])
    y = np.array([True] * 6 + [False] * 6)
    eps = pd.DataFrame({"task": "t", "trial": range(12), "success": y, "status": np.where(y, "success", "failure"),
                        "episode_consistency": x})
    res = predict_success(eps, tasks="all", n_resamples=200, seed=0)
    proba = _out_of_fold_probabilities(x, y, 5, 0)
    assert res.n_splits == 5
    assert res.probability.to_numpy() == pytest.approx(proba, abs=1e-12)
    assert res.auc == pytest.approx(roc_auc_score(y, proba), abs=1e-12)
    assert abs(res.auc - roc_auc_score(y, x)) > 0.05, (res.auc, roc_auc_score(y, x))


def test_two_folds_are_allowed_and_one_is_not():
    eps = gaussian_episodes(effect=1.0, per_class=10)
    two = predict_success(eps, tasks="all", n_splits=2, n_resamples=100)
    assert two.n_splits == 2 and np.isfinite(two.auc)
    with pytest.raises(ValueError, match="n_splits must be >= 2, got 1"):
        predict_success(eps, tasks="all", n_splits=1)


def test_a_result_without_an_auc_used_no_folds():
    eps = gaussian_episodes(effect=1.0, per_class=10)
    one = predict_success(eps[eps.success], tasks="all")
    assert one.n_splits == 0 and (one.n_success, one.n_failure) == (10, 0)
    assert np.isnan(one.ci_low) and np.isnan(one.ci_high) and one.tasks == "all"

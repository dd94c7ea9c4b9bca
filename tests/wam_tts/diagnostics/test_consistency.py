"""Episode consistency, per-task z-scores and Cohen's d against known answers and scipy."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.wam_tts.diagnostics.known import gaussian_episodes
from wam_tts.diagnostics import cohens_d, episode_consistency, normalise_per_task, separation


def test_cohens_d_recovers_the_effect_of_two_gaussians():
    eps = gaussian_episodes(effect=0.8, per_class=5000)
    assert separation(eps).cohens_d == pytest.approx(0.8, abs=0.05)


def test_separation_pools_tasks_of_different_scales_after_normalisation():
    eps = gaussian_episodes(effect=1.0, per_class=800, tasks=4, seed=1)
    raw = cohens_d(eps.loc[eps.success, "episode_consistency"], eps.loc[~eps.success, "episode_consistency"])
    sep = separation(eps)
    # z-scoring divides each task by its total spread sqrt(s^2 + (effect s / 2)^2): d = 1 survives,
    # whereas pooling raw values across tasks 10 apart drowns it.
    assert sep.cohens_d == pytest.approx(1.0, abs=0.07)
    assert abs(raw) < 0.3
    assert (sep.n_success, sep.n_failure, sep.n_tasks, sep.message) == (3200, 3200, 4, "")


def test_cohens_d_agrees_with_scipy_t_statistic():
    rng = np.random.default_rng(2)
    a, b = rng.normal(1, 2, 37), rng.normal(0, 1, 23)
    t = stats.ttest_ind(a, b, equal_var=True).statistic
    assert cohens_d(a, b) == pytest.approx(t * np.sqrt(1 / 37 + 1 / 23), rel=1e-12)


def test_cohens_d_is_nan_without_two_groups_or_spread():
    assert np.isnan(cohens_d([1.0, 2.0], []))
    assert np.isnan(cohens_d([1.0], [2.0]))
    assert np.isnan(cohens_d([1.0, 1.0], [1.0, 1.0]))


def test_normalise_per_task_equals_scipy_zscore_within_each_task():
    eps = gaussian_episodes(effect=0.5, per_class=10, tasks=3)
    z = normalise_per_task(eps, by=["task"])
    for _, g in eps.groupby("task"):
        np.testing.assert_allclose(z[g.index], stats.zscore(g["episode_consistency"]))


def test_constant_or_single_episode_tasks_get_no_zscore():
    eps = pd.DataFrame(
        dict(
            task=["a", "a", "b", "c", "c"],
            success=[True, False, True, True, False],
            episode_consistency=[0.5, 0.5, 0.7, 0.1, np.nan],
        )
    )
    assert normalise_per_task(eps, by=["task"]).isna().all()


def test_separation_reports_one_class_data_instead_of_a_number():
    eps = gaussian_episodes(effect=1.0, per_class=10)
    sep = separation(eps[eps.success])
    assert np.isnan(sep.cohens_d)
    assert "all 10 episodes succeeded" in sep.message


def test_errored_episodes_are_left_out():
    eps = gaussian_episodes(effect=1.0, per_class=50)
    errored = eps.iloc[:5].assign(status="error", success=False, episode_consistency=1e6)
    with_errors = pd.concat([eps, errored], ignore_index=True)
    assert separation(with_errors).cohens_d == pytest.approx(separation(eps).cohens_d)


def test_episode_consistency_is_the_mean_of_scored_steps():
    steps = pd.DataFrame(
        dict(run_id="r", task="t", trial=[0, 0, 0, 1, 1], consistency=[0.2, 0.4, np.nan, np.nan, np.nan])
    )
    out = episode_consistency(steps)
    assert out["episode_consistency"].iloc[0] == pytest.approx(0.3)
    assert np.isnan(out["episode_consistency"].iloc[1])
    assert list(out["scored_steps"]) == [2, 0]


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="consistency"):
        episode_consistency(pd.DataFrame(dict(task=["a"])))


def test_steps_without_any_episode_key_are_refused_by_name():
    with pytest.raises(ValueError, match="steps table has none of the episode-key columns"):
        episode_consistency(pd.DataFrame(dict(consistency=[0.5, 0.7])))


def test_cohens_d_of_a_single_success_uses_the_failures_spread_alone():
    # n = 1 has no variance: pooled = sqrt(((n_f - 1) var_f) / (n_s + n_f - 2)) = std of the failures
    assert cohens_d([5.0], [0.0, 2.0, 4.0]) == pytest.approx((5.0 - 2.0) / 2.0)
    assert cohens_d([5.0], [0.0, 4.0]) == pytest.approx((5.0 - 2.0) / np.sqrt(8.0))  # three values suffice
    assert cohens_d([0.0, 4.0], [5.0]) == pytest.approx(-(5.0 - 2.0) / np.sqrt(8.0))


def test_separation_holds_plain_python_floats():
    res = separation(gaussian_episodes(effect=1.0, per_class=20, tasks=2))
    assert all(type(x) is float for x in (res.cohens_d, res.mean_success, res.mean_failure))

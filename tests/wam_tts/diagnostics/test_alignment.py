"""Task alignment, Δz by alignment group and the Δz-consistency correlation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.wam_tts.diagnostics.known import gaussian_episodes, with_reversed_task
from wam_tts.diagnostics import (
    aligned_episodes,
    latent_change_by_alignment,
    latent_consistency_correlation,
    task_alignment,
)
from wam_tts.diagnostics.synthetic import synthetic_rollouts


def test_alignment_labels_follow_the_success_failure_gap():
    table = task_alignment(with_reversed_task(), by=["task"]).set_index("task")
    assert list(table["alignment"]) == ["aligned", "aligned", "misaligned"]
    assert (table["gap"] == table["consistency_success"] - table["consistency_failure"]).all()
    assert table.loc["task2", "gap"] < 0 < table.loc["task0", "gap"]


def test_alignment_flips_when_labels_flip():
    eps = with_reversed_task()
    flipped = eps.assign(success=~eps["success"])
    a = task_alignment(eps, by=["task"]).set_index("task")["alignment"]
    b = task_alignment(flipped, by=["task"]).set_index("task")["alignment"]
    assert list(a) == ["aligned", "aligned", "misaligned"]
    assert list(b) == ["misaligned", "misaligned", "aligned"]


def test_one_outcome_tasks_are_undetermined_and_not_aligned():
    eps = gaussian_episodes(effect=1.0, per_class=10, tasks=2)
    eps = eps[(eps.task == "task0") | eps.success]
    table = task_alignment(eps, by=["task"]).set_index("task")
    assert table.loc["task1", "alignment"] == "undetermined"
    assert set(aligned_episodes(eps, by=["task"])["task"]) == {"task0"}


def test_misaligned_tasks_failures_move_less_in_synthetic_collapse_data():
    episodes, _ = synthetic_rollouts(configs={("vanilla", 1): 0.5}, trials=40)
    groups = latent_change_by_alignment(episodes).set_index("group")
    assert groups.loc["misaligned", "n_tasks"] == 1  # TurnOnFaucet: 90 % of failures collapse
    assert (
        groups.loc["misaligned", "failure_success_ratio"]
        < 0.6
        < groups.loc["aligned", "failure_success_ratio"]
    )


def correlated_steps(r: float, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x, y = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], n).T
    # monotone maps keep Spearman; shifts/scales keep Pearson of the z-scores
    return pd.DataFrame(dict(task="t", latent_change=3.0 + 0.5 * x, consistency=0.5 + 0.1 * y))


def test_a_known_negative_correlation_is_recovered():
    res = latent_consistency_correlation(correlated_steps(-0.6, 4000))
    assert res.pearson_r == pytest.approx(-0.6, abs=0.03)
    assert res.spearman_rho == pytest.approx(6 / np.pi * np.arcsin(-0.3), abs=0.03)
    assert res.pearson_p < 1e-50 and res.spearman_p < 1e-50 and res.n_steps == 4000


def test_correlation_matches_scipy_and_skips_unscored_steps():
    steps = correlated_steps(-0.3, 200, seed=1)
    steps.loc[:9, "consistency"] = np.nan
    res = latent_consistency_correlation(steps)
    kept = steps.dropna()
    assert res.n_steps == 190
    assert res.pearson_r == pytest.approx(stats.pearsonr(kept.latent_change, kept.consistency).statistic)
    assert res.spearman_p == pytest.approx(stats.spearmanr(kept.latent_change, kept.consistency).pvalue)


def test_correlation_of_too_few_or_constant_steps_says_why():
    steps = correlated_steps(-0.5, 2)
    assert "need 3" in latent_consistency_correlation(steps).message
    steps = correlated_steps(-0.5, 10).assign(consistency=1.0)
    res = latent_consistency_correlation(steps)
    assert np.isnan(res.pearson_r) and "constant" in res.message


def test_correlation_with_a_constant_latent_change_or_two_values_says_why():
    still = correlated_steps(-0.5, 10).assign(latent_change=2.0)
    res = latent_consistency_correlation(still)
    assert np.isnan(res.pearson_r) and "Δz or consistency is constant" in res.message and res.n_steps == 10
    two_values = correlated_steps(-0.5, 10).assign(latent_change=[1.0, 2.0] * 5)  # varies: a number
    res = latent_consistency_correlation(two_values)
    x, y = two_values["latent_change"], two_values["consistency"]
    assert res.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic) and res.message == ""


def test_correlations_are_plain_python_floats():
    res = latent_consistency_correlation(correlated_steps(-0.5, 50))
    assert all(type(x) is float for x in (res.pearson_r, res.pearson_p, res.spearman_rho, res.spearman_p))

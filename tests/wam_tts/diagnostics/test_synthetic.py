"""The synthetic rollouts hold the structure their docstring promises, checked row by row
and statistically (success rates, collapse onset, distance and Δz scales)."""

import numpy as np
import pandas as pd
import pytest

from wam_tts.diagnostics.synthetic import DEFAULT_COLLAPSE, DEFAULT_CONFIGS, synthetic_rollouts

DECISIONS, CHUNK = 16, 4


@pytest.fixture(scope="module")
def rollouts():
    return synthetic_rollouts(trials=150, decisions=DECISIONS, chunk=CHUNK, effect=1.0)


def _scale(frame: pd.DataFrame) -> pd.Series:
    """Task ``i`` of ``collapse`` moves at scale ``1 + i``."""
    return frame["task"].map({task: 1.0 + i for i, task in enumerate(DEFAULT_COLLAPSE)})


def test_defaults_are_the_documented_configurations():
    assert DEFAULT_CONFIGS == {("vanilla", 1): 0.45, ("consensus", 8): 0.65, ("weighted", 8): 0.5}


def test_identity_lengths_and_decisions(rollouts):
    episodes, steps = rollouts
    assert len(episodes) == 3 * 3 * 150
    assert (episodes["seed"] == 1000 + episodes["trial"]).all()
    assert (episodes["length"] == CHUNK * episodes["decisions"]).all()
    failed, won = episodes[~episodes.success], episodes[episodes.success]
    assert (failed["decisions"] == DECISIONS).all()
    assert won["decisions"].between(DECISIONS // 2, DECISIONS).all()
    assert set(won["decisions"]) == set(range(DECISIONS // 2, DECISIONS + 1))  # every length occurs
    assert steps.groupby(["run_id", "task", "trial"]).size().sum() == episodes["decisions"].sum()
    assert (steps["t"] == CHUNK * steps["decision"]).all() and (steps["horizon_t"] == steps["t"] + CHUNK).all()


def test_success_rates_follow_the_configs_and_trials_share_their_draws(rollouts):
    episodes, _ = rollouts
    rates = episodes.groupby(["selector", "n"])["success"].mean()
    for key, rate in DEFAULT_CONFIGS.items():
        assert rates[key] == pytest.approx(rate, abs=0.06)
    # the same uniform draw decides every config: a trial won at rate 0.45 is won at 0.65
    wide = episodes.pivot_table(index=["task", "trial"], columns="selector", values="success")
    assert (wide["consensus"] >= wide["vanilla"]).all() and (wide["consensus"] >= wide["weighted"]).all()


def test_the_last_decision_is_unscored_and_consistency_is_exp_of_minus_distance(rollouts):
    episodes, steps = rollouts
    last = steps["decision"] == steps.merge(episodes, on=["run_id", "task", "trial"])["decisions"] - 1
    assert steps.loc[last, "consistency"].isna().all() and steps.loc[~last, "consistency"].notna().all()
    scored = steps[~last]
    assert np.allclose(scored["consistency"], np.exp(-scored["distance"]))
    means = steps.groupby(["run_id", "task", "trial"])["consistency"].mean()
    assert np.allclose(episodes.set_index(["run_id", "task", "trial"])["episode_consistency"], means.loc[
        list(episodes.set_index(["run_id", "task", "trial"]).index)])


def test_collapsed_failures_stall_from_a_quarter_of_the_episode(rollouts):
    episodes, steps = rollouts
    steps = steps.assign(rel=steps["latent_change"] / _scale(steps))
    stalled = steps["rel"] < 0.1  # stalled steps move 2 % as far (well below any lognormal draw)
    onset = steps[stalled].groupby(["run_id", "task", "trial"])["decision"].agg(["min", "max", "size"])
    assert (onset["min"] == DECISIONS // 4).all() and (onset["max"] == DECISIONS - 1).all()
    assert (onset["size"] == DECISIONS - DECISIONS // 4).all()
    outcome = episodes.set_index(["run_id", "task", "trial"])["success"]
    assert not outcome.loc[list(onset.index)].any()  # only failures collapse
    collapsed = onset.reset_index().groupby("task").size().reindex(list(DEFAULT_COLLAPSE), fill_value=0)
    share = collapsed / episodes[~episodes.success].groupby("task").size()
    for task, expected in DEFAULT_COLLAPSE.items():
        assert share[task] == pytest.approx(expected, abs=0.1)


def test_distance_and_latent_change_scales(rollouts):
    episodes, steps = rollouts
    steps = steps.merge(episodes[["run_id", "task", "trial", "success"]], on=["run_id", "task", "trial"])
    scale = _scale(steps)
    moving = steps["latent_change"] / scale >= 0.1
    log_dz = np.log(steps.loc[moving, "latent_change"] / scale[moving])
    assert log_dz.mean() == pytest.approx(0.0, abs=0.02) and log_dz.std() == pytest.approx(0.3, abs=0.02)
    ratio = (steps["distance"] / steps["latent_change"])[moving & steps["distance"].notna()]
    won = steps.loc[ratio.index, "success"]
    assert np.median(ratio[won]) == pytest.approx(0.2, rel=0.05)
    assert np.median(ratio[~won]) == pytest.approx(0.2 * np.e, rel=0.05)
    still = ~moving & steps["distance"].notna()
    assert np.median(steps.loc[still, "distance"] / scale[still]) == pytest.approx(0.01, rel=0.1)
    predicted = np.log(steps["predicted_latent_change"] / steps["latent_change"])
    assert predicted.mean() == pytest.approx(0.0, abs=0.01) and predicted.std() == pytest.approx(0.1, abs=0.01)


def test_values_depend_on_the_outcome_and_the_chosen_value_is_the_chosen_branch(rollouts):
    episodes, steps = rollouts
    steps = steps.merge(episodes[["run_id", "task", "trial", "success"]], on=["run_id", "task", "trial"])
    assert (steps["values"].map(len) == steps["n"]).all() and (steps["scores"].map(len) == steps["n"]).all()
    chosen = [values[c] for values, c in zip(steps["values"], steps["chosen"], strict=True)]
    assert np.allclose(steps["chosen_value"], chosen)
    assert steps.loc[steps.success, "chosen_value"].mean() == pytest.approx(0.7, abs=0.01)
    assert steps.loc[~steps.success, "chosen_value"].mean() == pytest.approx(0.4, abs=0.01)
    no_value = synthetic_rollouts(trials=2, value_head=False)[1]
    assert (no_value["values"].map(len) == 0).all() and no_value["chosen_value"].isna().all()

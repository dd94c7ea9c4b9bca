"""Background-collapse detector on hand-built episodes with known stalls."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from wam_tts.diagnostics import collapse_rates, detect_background_collapse
from wam_tts.diagnostics.synthetic import synthetic_rollouts


def episode(trial: int, success: bool, real: list[float], pred: list[float]) -> tuple[dict, list[dict]]:
    steps = [
        dict(
            run_id="r",
            task="T",
            trial=trial,
            seed=trial,
            decision=d,
            t=8 * d,
            latent_change=a,
            predicted_latent_change=b,
            consistency=0.5,
        )
        for d, (a, b) in enumerate(zip(real, pred, strict=True))
    ]
    return dict(
        run_id="r", task="T", trial=trial, seed=trial, success=success, status="", length=8 * len(real)
    ), steps


def build(*episodes_and_steps):
    eps = pd.DataFrame([e for e, _ in episodes_and_steps])
    steps = pd.DataFrame([s for _, ss in episodes_and_steps for s in ss])
    return eps, steps


MOVING = [1.0, 1.2, 0.8, 1.1, 0.9, 1.0]
SCENARIOS = build(
    episode(0, True, MOVING, MOVING),  # reference: median change 1.0
    episode(1, True, [1.0, 0.05, 0.05, 1.0, 1.0, 1.0], [1.0, 0.05, 0.05, 1.0, 1.0, 1.0]),  # 2-step pause
    episode(2, False, [1.0, 1.0, 0.05, 0.04, 0.03, 0.02], [1.0, 1.0, 0.05, 0.02, 0.01, 0.01]),  # stall
    episode(
        3, False, [1.0, 1.0, 0.05, 0.04, 0.03, 0.02], [1.0, 1.0, 0.9, 1.1, 1.0, 0.9]
    ),  # still predicts motion
)


def test_a_stall_is_flagged_and_a_short_pause_or_a_moving_prediction_is_not():
    eps, steps = SCENARIOS
    res = detect_background_collapse(steps, eps)
    flagged = res.episodes.set_index("trial")
    assert list(flagged["collapsed"]) == [False, False, True, False]
    assert flagged.loc[2, "first_collapsed_t"] == 16
    assert flagged.loc[2, "collapsed_steps"] == 4
    assert np.isnan(flagged.loc[0, "first_collapsed_t"])
    assert res.scales["latent_scale"].iloc[0] == pytest.approx(1.0)
    assert res.scales["scale_from"].iloc[0] == "success"


def test_threshold_and_run_length_are_parameters():
    eps, steps = SCENARIOS
    assert detect_background_collapse(steps, eps, min_run=2).episodes["collapsed"].tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert not detect_background_collapse(steps, eps, threshold=0.01).episodes["collapsed"].any()
    absolute = detect_background_collapse(steps, eps, threshold=0.06, relative=False)
    assert absolute.episodes["collapsed"].tolist() == [False, False, True, False]


def test_scale_is_relative_so_units_do_not_matter():
    eps, steps = SCENARIOS
    scaled = steps.assign(
        latent_change=steps.latent_change * 1e4, predicted_latent_change=steps.predicted_latent_change * 1e-3
    )
    a = detect_background_collapse(steps, eps).steps["collapsed"]
    b = detect_background_collapse(scaled, eps).steps["collapsed"]
    assert a.tolist() == b.tolist() and a.any()


def test_steps_after_a_successful_finish_are_not_collapse():
    static = [1.0, 1.0, 0.01, 0.01, 0.01]
    eps, steps = build(episode(0, True, MOVING, MOVING), episode(1, True, static, static))
    eps.loc[1, "length"] = 16  # the task was done at env step 16: the later static steps are not a stall
    assert not detect_background_collapse(steps, eps).episodes["collapsed"].any()
    eps.loc[1, "length"] = 40
    assert detect_background_collapse(steps, eps).episodes["collapsed"].tolist() == [False, True]


def test_collapse_rates_on_synthetic_rollouts_find_the_collapsing_task():
    episodes, steps = synthetic_rollouts(configs={("vanilla", 1): 0.5}, trials=30)
    rates = collapse_rates(detect_background_collapse(steps, episodes)).set_index("task")
    assert rates["success_flagged"].sum() == 0
    faucet = rates.loc["TurnOnFaucet"]
    assert faucet["failure_flagged"] >= 0.7 * faucet["n_failure"]
    assert rates.loc["Lift", "failure_flagged"] == 0


def test_bad_parameters_are_rejected():
    eps, steps = SCENARIOS
    with pytest.raises(ValueError, match="threshold"):
        detect_background_collapse(steps, eps, threshold=0)
    with pytest.raises(ValueError, match="min_run"):
        detect_background_collapse(steps, eps, min_run=0)
    with pytest.raises(ValueError, match="predicted_latent_change"):
        detect_background_collapse(steps.drop(columns="predicted_latent_change"))


def test_the_callers_tables_are_left_untouched():
    eps, steps = SCENARIOS
    before_steps, before_eps = steps.copy(), eps.copy()
    detect_background_collapse(steps)
    detect_background_collapse(steps, eps)
    pd.testing.assert_frame_equal(steps, before_steps)
    pd.testing.assert_frame_equal(eps, before_eps)


def test_collapse_rates_are_sorted_by_task_whatever_the_input_order():
    eps, steps = synthetic_rollouts(trials=6)
    result = detect_background_collapse(steps, eps)
    reversed_result = dataclasses.replace(result, episodes=result.episodes.iloc[::-1])
    rates = collapse_rates(reversed_result, by=["task"])
    assert rates["task"].tolist() == sorted(eps["task"].unique())
    assert rates[["n_success", "n_failure"]].sum(axis=1).tolist() == eps.groupby("task").size().tolist()

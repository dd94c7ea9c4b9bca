"""Appendix G difference curves."""

import numpy as np
import pandas as pd
import pytest

from wam_tts.diagnostics import difference_curves


def rollouts():
    """Vanilla collapses after t = 16 (Δz 0, consistency 1); consensus keeps moving."""
    eps, steps = [], []
    for sel, n, success in (("vanilla", 1, False), ("consensus", 8, True)):
        for task, scale in (("A", 1.0), ("B", 10.0)):
            for trial in range(3):
                key = dict(
                    run_id=sel, policy="p", env="e", task=task, selector=sel, n=n, trial=trial, seed=trial
                )
                eps.append(dict(key, success=success, status=""))
                for d in range(5):
                    stalled = sel == "vanilla" and d >= 3
                    steps.append(
                        dict(
                            key,
                            decision=d,
                            t=8 * d,
                            latent_change=0.0 if stalled else scale * (1 + 0.1 * trial),
                            consistency=1.0 if stalled else 0.5 + 0.1 * trial,
                        )
                    )
    return pd.DataFrame(eps), pd.DataFrame(steps)


def test_higher_minus_lower_is_positive_in_latent_change_once_the_lower_run_collapses():
    eps, steps = rollouts()
    res = difference_curves(steps, eps)
    assert res.high["selector"] == "consensus" and res.low["selector"] == "vanilla"
    assert (res.high_rate, res.low_rate) == (1.0, 0.0)
    table = res.table.set_index("t")
    assert list(table.index) == [0, 8, 16, 24, 32]
    assert (table.loc[:16, "latent_change_diff"].abs() < 1e-9).all()
    assert (table.loc[24:, "latent_change_diff"] > 0).all()
    assert (table.loc[24:, "consistency_diff"] < 0).all()
    assert (table["n_high"] == 6).all()


def test_raw_values_without_normalisation():
    eps, steps = rollouts()
    res = difference_curves(steps, eps, {"selector": "consensus"}, {"selector": "vanilla"}, normalise=False)
    assert res.table.set_index("t").loc[32, "latent_change_diff"] == pytest.approx((1.1 + 11.0) / 2)


def test_a_single_configuration_gives_a_message():
    eps, steps = rollouts()
    res = difference_curves(steps[steps.selector == "vanilla"], eps[eps.selector == "vanilla"])
    assert res.table.empty and "single configuration" in res.message
    assert (res.high, res.low, res.high_episodes, res.low_episodes) == ({}, {}, 0, 0)
    assert np.isnan(res.high_rate) and np.isnan(res.low_rate)


def test_an_n1_run_of_another_selector_is_never_compared_with_the_baseline():
    eps, steps = rollouts()
    # consensus at N = 1 is the baseline by construction: it must not be the "higher" run,
    # even with the highest success rate
    base_eps, base_steps = eps[eps.selector == "vanilla"], steps[steps.selector == "vanilla"]
    twin_eps = base_eps.assign(selector="consensus", run_id="consensus1", success=True)
    twin_steps = base_steps.assign(selector="consensus", run_id="consensus1")
    res = difference_curves(pd.concat([base_steps, twin_steps]), pd.concat([base_eps, twin_eps]))
    assert res.table.empty and "N = 1 baseline by construction" in res.message
    res = difference_curves(pd.concat([steps, twin_steps]), pd.concat([eps, twin_eps]))
    assert (res.high["selector"], res.high["n"]) == ("consensus", 8)

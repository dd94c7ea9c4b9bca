"""Branch fidelity on synthetic predictions whose answers are known."""

import numpy as np
import pytest

from wam_tts.diagnostics.fidelity import branch_fidelity

RNG = np.random.default_rng(0)
K, N, D = 40, 8, 5


def test_a_model_whose_futures_come_true_has_full_fidelity():
    reached = RNG.normal(size=(K, N, D))
    report = branch_fidelity(reached + 1e-9 * RNG.normal(size=(K, N, D)), reached)
    assert report.branch_consistency.mean == pytest.approx(1.0, abs=1e-6)
    assert report.mean_closer.mean == 0.0  # its own prediction is always the nearest
    assert report.error_reduction.mean < -100  # the mean future is far worse than its own
    assert report.states == K and report.branches == N


def test_futures_blind_to_the_actions_have_no_branch_fidelity_and_the_mean_is_closer():
    shared = RNG.normal(size=(K, 1, D))
    predicted = shared + 0.5 * RNG.normal(size=(K, N, D))
    reached = shared + 0.5 * RNG.normal(size=(K, N, D))
    report = branch_fidelity(predicted, reached)
    c = report.branch_consistency
    assert c.low < 0 < c.high and abs(c.mean) < 0.1
    assert report.mean_closer.mean > 0.6
    assert 0.3 < report.error_reduction.mean < 0.7  # averaging halves the branch noise of the error
    assert c.low <= c.mean <= c.high and c.states == K


def test_rank_agreement_is_the_within_state_spearman_with_exploring():
    reached = RNG.normal(size=(K, N, D))
    predicted = reached + RNG.normal(size=(K, N, D))
    own = ((predicted - reached) ** 2).mean(2)
    report = branch_fidelity(predicted, reached, {"same": -own, "reversed": own, "noise": RNG.normal(size=(K, N))})
    assert report.rank_agreement["same"].mean == pytest.approx(1.0)
    assert report.rank_agreement["reversed"].mean == pytest.approx(-1.0)
    assert abs(report.rank_agreement["noise"].mean) < 0.15


def test_dimension_shares_follow_the_scale():
    predicted = RNG.normal(size=(K, N, D))
    predicted[..., 0] *= 30.0  # one near-constant feature blown up by a tiny std
    reached = predicted + RNG.normal(size=(K, N, D))
    raw = branch_fidelity(predicted, reached, dim_names=list("abcde"))
    assert sum(raw.consensus_dim_share) == pytest.approx(1.0)
    assert raw.consensus_dim_share[0] > 0.95
    scaled = branch_fidelity(predicted, reached, scale=np.array([30.0, 1, 1, 1, 1]))
    assert scaled.consensus_dim_share[0] < 0.4
    assert raw.exploring_dim_share[0] == pytest.approx(1 / 5, abs=0.1)  # exploring's errors are unscaled noise
    assert scaled.exploring_dim_share[0] < 0.01


@pytest.mark.parametrize(
    ("predicted", "reached", "kwargs", "message"),
    [
        (np.zeros((4, 3, 2)), np.zeros((4, 3, 3)), {}, "both be"),
        (np.zeros((1, 3, 2)), np.zeros((1, 3, 2)), {}, "at least 2 states"),
        (np.full((4, 3, 2), np.nan), np.zeros((4, 3, 2)), {}, "NaN"),
        (np.zeros((4, 3, 2)), np.zeros((4, 3, 2)), {"scale": np.array([1.0, 0.0])}, "positive"),
        (np.zeros((4, 3, 2)), np.zeros((4, 3, 2)), {"scores": {"x": np.zeros((4, 2))}}, "scores"),
        (np.zeros((4, 3, 2)), np.zeros((4, 3, 2)), {"dim_names": ["a"]}, "dim_names"),
    ],
)
def test_bad_input_is_named(predicted, reached, kwargs, message):
    with pytest.raises(ValueError, match=message):
        branch_fidelity(predicted, reached, **kwargs)

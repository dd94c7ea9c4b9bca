"""Selector contracts checked against independent computations: the weighted selector's
weights and blend (Eq. 10), and the sampling and scoring times of a decision."""

from __future__ import annotations

import time

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.wam_tts.fakes import FixedBranchesPolicy
from wam_tts import ConsensusSelector, ValueSelector, WeightedSelector, branch_noise


def _consensus_by_hand(futures: torch.Tensor, sigma: float) -> torch.Tensor:
    """Eq. 7-8 written out in float64: exp(-mean squared distance to the mean future / sigma)."""
    f = futures.double().reshape(futures.shape[0], -1)
    return torch.exp(-((f - f.mean(0)) ** 2).mean(1) / sigma)


def _softmax_by_hand(scores: torch.Tensor, tau: float, tau_scale: str) -> torch.Tensor:
    """softmax(s / tau), or of the scores standardised over the decision (population std) for "spread"."""
    if tau_scale == "spread":
        spread = ((scores - scores.mean()) ** 2).mean().sqrt()
        if len(scores) == 1 or spread == 0:
            return torch.full_like(scores, 1 / len(scores))
        scores = (scores - scores.mean()) / spread
    weights = torch.exp((scores - scores.max()) / tau)
    return weights / weights.sum()


@given(st.integers(1, 12), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2**31),
       st.sampled_from([0.05, 0.5, 3.0]), st.sampled_from([0.5, 1.0, 2.0]), st.sampled_from(["spread", "absolute"]))
def test_weighted_selector_blends_by_the_softmax_of_the_consensus_scores(n, h, a, seed, tau, sigma, tau_scale):
    futures = branch_noise((2, 3), n, seed)
    actions = branch_noise((h, a), n, seed + 1)
    policy = FixedBranchesPolicy(actions, futures)
    d = WeightedSelector(policy, n=n, tau=tau, tau_scale=tau_scale, sigma=sigma).act(None)
    scores = _consensus_by_hand(futures, sigma)
    # exact ties (N = 2: both futures equally far from their mean) standardise float32 rounding noise
    assume(tau_scale == "absolute" or n == 1 or float(scores.std()) > 1e-4 * float(scores.mean()))
    weights = _softmax_by_hand(scores, tau, tau_scale)
    torch.testing.assert_close(d.scores.double(), scores, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(d.weights.double(), weights, rtol=1e-3, atol=1e-5)
    torch.testing.assert_close(d.actions.double(), torch.einsum("n,nha->ha", weights, actions.double()),
                               rtol=1e-3, atol=1e-4)
    assert d.weights[d.index] == d.weights.max()


@pytest.mark.parametrize("tau_scale", ["absolute", "spread"])
def test_weighted_weights_follow_the_scores_with_known_values(tau_scale):
    # futures 0, 1, 2, 10: mean 3.25, squared distances 10.5625, 5.0625, 1.5625, 45.5625
    futures = torch.tensor([[0.0], [1.0], [2.0], [10.0]])
    actions = torch.tensor([0.0, 1.0, 2.0, 3.0]).reshape(4, 1, 1)
    d = WeightedSelector(FixedBranchesPolicy(actions, futures), n=4, tau=0.1, tau_scale=tau_scale,
                         sigma=4.0).act(None)
    s = torch.exp(-torch.tensor([10.5625, 5.0625, 1.5625, 45.5625], dtype=torch.float64) / 4.0)
    if tau_scale == "spread":
        s = (s - s.mean()) / s.std(correction=0)
    w = torch.softmax(s / 0.1, 0)
    torch.testing.assert_close(d.weights.double(), w, rtol=1e-5, atol=1e-7)
    assert float(d.actions) == pytest.approx(float((w * torch.arange(4.0).double()).sum()), rel=1e-5)
    assert d.index == 2


class SleepingPolicy(FixedBranchesPolicy):
    """Fixed branches, sampled after sleeping ``delay`` seconds."""

    def __init__(self, *args, delay: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delay = delay

    def sample(self, obs, n, seed):
        time.sleep(self.delay)
        return super().sample(obs, n, seed)


def _sleeping_mse(delay: float):
    def distance(pred, target):
        time.sleep(delay)
        return ((pred - target) ** 2).reshape(pred.shape[0], -1).mean(1)
    return distance


FUTURES = torch.tensor([[0.0], [1.0], [2.0], [10.0]])
ACTIONS = torch.arange(4.0).reshape(4, 1, 1).expand(4, 3, 2).clone()


def test_sample_time_covers_the_policy_call_and_score_time_the_scoring():
    d = ConsensusSelector(SleepingPolicy(ACTIONS, FUTURES, delay=0.06), n=4, distance=_sleeping_mse(0.03)).act(None)
    assert 0.06 <= d.sample_s < 10, d.sample_s
    assert 0.03 <= d.score_s < 10, d.score_s
    fast = ConsensusSelector(SleepingPolicy(ACTIONS, FUTURES, delay=0.06), n=4).act(None)
    assert 0.06 <= fast.sample_s < 10 and 0 <= fast.score_s < fast.sample_s  # scoring does not sleep here


def test_decision_scores_are_a_copy_not_a_view_of_the_policys_values():
    values = torch.tensor([0.1, 0.9, 0.3, 0.5])
    d = ValueSelector(FixedBranchesPolicy(ACTIONS, FUTURES, values), n=4).act(None)
    values.mul_(-1)  # a policy that reuses its buffer for the next call
    assert d.scores.tolist() == pytest.approx([0.1, 0.9, 0.3, 0.5]) and d.index == 1

"""Out of memory while sampling: smaller batches, then fewer branches, recorded on the decision."""

from __future__ import annotations

import pytest
import torch

from tests.wam_tts.fakes import NoisyLinearPolicy
from wam_tts import ConsensusSelector, WeightedSelector
from wam_tts.fallback import sample_within_memory
from wam_tts.selectors import MeanSelector

OBS = torch.zeros(2)


class LimitedMemoryPolicy(NoisyLinearPolicy):
    """Runs out of memory above ``per_pass`` branches in one pass or ``total`` branches in all."""

    def __init__(self, per_pass: int, total: int, splits: bool = True) -> None:
        super().__init__()
        self.per_pass, self.total, self.splits_batches = per_pass, total, splits
        self.asked: list[tuple[int, int | None]] = []

    def sample(self, obs, n, seed):
        self.asked.append((n, self.max_batch))
        batch = n if self.max_batch is None or not self.splits_batches else min(n, self.max_batch)
        if batch > self.per_pass or n > self.total:
            raise torch.OutOfMemoryError("CUDA out of memory (emulated)")
        return super().sample(obs, n, seed)


def test_no_fallback_when_it_fits() -> None:
    policy = LimitedMemoryPolicy(per_pass=8, total=8)
    branches, record = sample_within_memory(policy, OBS, 8, seed=0)
    assert branches.n == 8 and record is None and policy.asked == [(8, None)]


def test_smaller_batches_come_first_and_the_batch_that_worked_is_kept() -> None:
    policy = LimitedMemoryPolicy(per_pass=3, total=16)
    with pytest.warns(RuntimeWarning, match="drew N=16 of 16 in batches of 2"):
        branches, record = sample_within_memory(policy, OBS, 16, seed=1)
    assert policy.asked == [(16, None), (16, 8), (16, 4), (16, 2)]
    assert (record.n, record.max_batch, record.failed) == (16, 2, ((16, None), (16, 8), (16, 4)))
    assert torch.equal(branches.actions, NoisyLinearPolicy().sample(OBS, 16, 1).actions)
    assert policy.max_batch == 2
    _, again = sample_within_memory(policy, OBS, 16, seed=2)
    assert again is None  # the kept batch size fits at once


def test_fewer_branches_when_no_batch_size_fits_and_a_policy_that_cannot_split() -> None:
    policy = LimitedMemoryPolicy(per_pass=16, total=5, splits=False)
    with pytest.warns(RuntimeWarning):
        branches, record = sample_within_memory(policy, OBS, 16, seed=3)
    assert policy.asked == [(16, None), (8, None), (4, None)]
    assert (record.requested_n, record.n) == (16, 4) and branches.n == 4
    assert torch.equal(branches.actions, NoisyLinearPolicy().sample(OBS, 16, 3).actions[:4])


def test_the_selector_records_the_fallback_and_scores_the_branches_it_got() -> None:
    selector = ConsensusSelector(LimitedMemoryPolicy(per_pass=2, total=2, splits=False), n=8)
    selector.reset(seed=0)
    with pytest.warns(RuntimeWarning, match="out of memory"):
        decision = selector.act(OBS)
    assert decision.memory_fallback.n == 2 and decision.scores.shape == (2,) and decision.index in (0, 1)


def test_out_of_memory_even_for_one_branch_is_raised_and_the_batch_limit_restored() -> None:
    policy = LimitedMemoryPolicy(per_pass=0, total=0)
    policy.max_batch = 4
    with pytest.raises(torch.OutOfMemoryError, match="even one branch"):
        sample_within_memory(policy, OBS, 8, seed=0)
    assert policy.max_batch == 4


class StreamingPolicy(NoisyLinearPolicy):
    def on_step(self, obs) -> None:
        """Feeds executed observations back (declares streams_observations by overriding on_step)."""


@pytest.mark.parametrize("selector", [WeightedSelector, MeanSelector])
def test_blending_selectors_refuse_streaming_policies_and_accept_the_others(selector) -> None:
    assert StreamingPolicy.streams_observations and selector.blends_actions
    with pytest.raises(ValueError, match="streams observations"):
        selector(StreamingPolicy(), n=4)
    selector(NoisyLinearPolicy(), n=4)
    ConsensusSelector(StreamingPolicy(), n=4)

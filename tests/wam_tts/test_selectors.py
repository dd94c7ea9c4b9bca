import pytest
import torch

from tests.wam_tts.fakes import FixedBranchesPolicy, IntegratorSim, NoisyLinearPolicy
from wam_tts import (
    BranchError,
    ConsensusSelector,
    ExploringSelector,
    SimulatorUnsupportedError,
    ValueSelector,
    VanillaSelector,
    WeightedSelector,
)

FUTURES = torch.tensor([[0.0], [1.0], [2.0], [10.0]])
ACTIONS = torch.arange(4.0).reshape(4, 1, 1).expand(4, 3, 2).clone()


def policy(**kw):
    return FixedBranchesPolicy(ACTIONS, FUTURES, **kw)


def test_vanilla_executes_the_single_sample():
    p = policy()
    d = VanillaSelector(p).act(None)
    assert d.index == 0 and d.branches.n == 1 and torch.equal(d.actions, ACTIONS[0])
    with pytest.raises(ValueError, match="exactly one branch"):
        VanillaSelector(p, n=4)


def test_consensus_picks_the_branch_nearest_the_mean_and_tells_the_policy():
    p = policy()
    d = ConsensusSelector(p, n=4).act(None)
    assert d.index == 2 and torch.equal(d.actions, ACTIONS[2])
    assert p.selected == [2]
    assert d.scores.shape == (4,)  # timings: test_selector_contracts.py


def test_value_picks_the_highest_value_and_needs_a_value_head():
    p = policy(values=torch.tensor([0.1, 0.9, 0.3, 0.5]))
    assert ValueSelector(p, n=4).act(None).index == 1
    with pytest.raises(ValueError, match="value head"):
        ValueSelector(policy(), n=4)


def test_weighted_with_tiny_tau_is_winner_takes_all():
    d = WeightedSelector(policy(), n=4, tau=1e-6).act(None)
    assert d.index == 2
    assert torch.allclose(d.actions, ACTIONS[2])
    assert d.weights.sum().item() == pytest.approx(1.0)


def test_weighted_with_large_tau_averages_actions():
    d = WeightedSelector(policy(), n=4, tau=1e6).act(None)
    assert torch.allclose(d.actions, ACTIONS.mean(0), atol=1e-4)


def test_exploring_picks_the_branch_whose_future_came_true():
    error = torch.tensor([0.5, 0.3, 0.0, 0.2, 0.9])
    sim = IntegratorSim()
    selector = ExploringSelector(NoisyLinearPolicy(error=error), n=5, simulator=sim)
    d = selector.act(sim.observe())
    assert d.index == 2
    assert sim.observe().tolist() == [0.0, 0.0]  # left in the saved state
    assert sim.restores == 6  # one restore per branch, one at the end


def test_exploring_without_a_simulator_is_a_clear_error():
    with pytest.raises(SimulatorUnsupportedError, match="lacks get_state"):
        ExploringSelector(policy(), n=4, simulator=object())
    with pytest.raises(SimulatorUnsupportedError, match="no environment"):
        ExploringSelector(policy(), n=4).act(None)


def test_nonfinite_branches_are_dropped_with_a_warning():
    futures = FUTURES.clone()
    futures[2] = float("nan")
    p = FixedBranchesPolicy(ACTIONS, futures)
    with pytest.warns(RuntimeWarning, match=r"dropping non-finite branches \[2\]"):
        d = ConsensusSelector(p, n=4).act(None)
    assert torch.isnan(d.scores[2]) and d.index != 2
    with pytest.raises(BranchError, match=r"branches \[2\]"):
        ConsensusSelector(p, n=4, on_nonfinite="raise").act(None)


def test_all_nonfinite_branches_raise():
    p = FixedBranchesPolicy(ACTIONS, torch.full((4, 1), float("inf")))
    with pytest.raises(BranchError, match="NaN or Inf"):
        ConsensusSelector(p, n=4).act(None)


def test_policy_returning_the_wrong_n_is_an_error():
    p = FixedBranchesPolicy(ACTIONS[:2], FUTURES[:2])
    with pytest.raises(BranchError, match="asked the policy for 4 branches, it returned 2"):
        ConsensusSelector(p, n=4).act(None)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_n_must_be_a_positive_integer(bad):
    with pytest.raises(ValueError, match="n must be an integer"):
        ConsensusSelector(policy(), n=bad)


def test_seeds_are_reproducible_per_episode_and_differ_per_call():
    sel = ConsensusSelector(NoisyLinearPolicy(), n=4)
    sel.reset(seed=7)
    first = [sel.act(torch.zeros(2)) for _ in range(2)]
    sel.reset(seed=7)
    again = [sel.act(torch.zeros(2)) for _ in range(2)]
    assert [d.seed for d in first] == [d.seed for d in again]
    assert first[0].seed != first[1].seed
    assert torch.equal(first[1].branches.actions, again[1].branches.actions)


def test_reset_reaches_the_policy():
    p = policy()
    ConsensusSelector(p, n=4).reset()
    assert p.resets == 1


def test_weighted_with_one_branch_executes_it_exactly_like_vanilla():
    """No float round trip through quaternions when one branch carries all the weight."""
    actions = torch.tensor([[[0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 1.0]]])
    p = FixedBranchesPolicy(actions, torch.zeros(1, 2))
    d = WeightedSelector(p, n=1, action_space="xyz, axis-angle, gripper").act(None)
    assert torch.equal(d.actions, VanillaSelector(p).act(None).actions)

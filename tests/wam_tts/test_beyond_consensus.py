"""Selectors beyond the paper: action-space consensus, medoid, value × consensus, gated."""

from __future__ import annotations

import math

import pytest
import torch

from tests.wam_tts.fakes import FixedBranchesPolicy, NoisyLinearPolicy
from wam_tts import Branches, ConsensusSelector, VanillaSelector, make_selector
from wam_tts.selectors.gated import GatedSelector, probe_disagreement

FUTURES = torch.tensor([[0.0], [1.0], [2.0], [10.0]])


def test_action_consensus_uses_the_chunks_not_the_futures():
    actions = torch.tensor([0.0, 4.0, 5.0, 6.0]).reshape(4, 1, 1).expand(4, 2, 3).clone()
    d = make_selector("action_consensus", FixedBranchesPolicy(actions, FUTURES), n=4).act(None)
    assert d.index == 1  # mean chunk 3.75: nearest is 4; future consensus would pick branch 2
    assert ConsensusSelector(FixedBranchesPolicy(actions, FUTURES), n=4).act(None).index == 2


def test_value_consensus_sums_the_two_rankings():
    values = torch.tensor([0.9, 0.2, 0.5, 0.95])  # ranks 2, 0, 1, 3; consensus ranks 1, 2, 3, 0
    d = make_selector("value_consensus", FixedBranchesPolicy(torch.zeros(4, 1, 1), FUTURES, values), n=4).act(None)
    assert d.scores.tolist() == [3.0, 2.0, 4.0, 3.0] and d.index == 2
    with pytest.raises(ValueError, match="value head"):
        make_selector("value_consensus", FixedBranchesPolicy(torch.zeros(4, 1, 1), FUTURES), n=4)


def test_medoid_selector_is_registered_and_robust_to_one_outlier():
    f = torch.tensor([[0.0], [0.1], [0.3], [10.0]])
    assert make_selector("medoid", FixedBranchesPolicy(torch.zeros(4, 1, 1), f), n=4).act(None).index == 1


def _probe(futures, actions=None) -> Branches:
    futures = torch.as_tensor(futures, dtype=torch.float32)
    actions = torch.zeros(len(futures), 1, 1) if actions is None else actions
    return Branches(actions, futures)


def test_probe_disagreement_is_scale_free_and_zero_for_agreeing_branches():
    now = torch.tensor([1.0, 1.0])
    a = probe_disagreement(_probe([[2.0, 1.0], [1.0, 2.0]]), now)
    assert a == pytest.approx(2.0)  # ‖f0 - f1‖² = 2 over a mean squared change of 1
    assert probe_disagreement(_probe([[20.0, 10.0], [10.0, 20.0]]), 10 * now) == pytest.approx(a)
    assert probe_disagreement(_probe([[2.0, 1.0], [2.0, 1.0]]), now) == 0.0


@pytest.mark.parametrize("seed", [0, 7])
def test_a_gate_that_never_fires_is_the_n1_baseline_and_one_that_always_fires_is_the_inner_selector(seed):
    obs = torch.tensor([0.5, -0.2])
    closed = GatedSelector(NoisyLinearPolicy(), n=8, threshold=math.inf)
    opened = GatedSelector(NoisyLinearPolicy(), n=8, threshold=0.0)
    vanilla, consensus = VanillaSelector(NoisyLinearPolicy()), ConsensusSelector(NoisyLinearPolicy(), n=8)
    for s in (closed, opened, vanilla, consensus):
        s.reset(seed=seed)
    for _ in range(3):
        a, b, v, c = closed.act(obs), opened.act(obs), vanilla.act(obs), consensus.act(obs)
        assert torch.equal(a.actions, v.actions) and a.branches.n == 2
        assert torch.equal(b.actions, c.actions) and b.index == c.index and b.branches.n == 8
    assert closed.fired == [False] * 3 and opened.fired == [True] * 3
    assert closed.disagreements == opened.disagreements and all(d > 0 for d in closed.disagreements)


def test_the_gate_passes_options_to_its_inner_selector():
    gated = GatedSelector(NoisyLinearPolicy(), n=4, inner="weighted", inner_options={"tau": 0.3})
    assert gated.inner.name == "weighted" and gated.inner.tau == 0.3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"probe": 8}, "smaller than n"), ({"probe": 1}, "probe must be an integer >= 2"),
     ({"inner": "exploring"}, "needs no simulator"), ({"threshold": -1.0}, "threshold must be >= 0")],
)
def test_bad_gates_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GatedSelector(NoisyLinearPolicy(), n=8, **kwargs)


def test_streaming_policies_cannot_be_probed():
    class Streaming(NoisyLinearPolicy):
        def on_step(self, obs) -> None: ...

    with pytest.raises(ValueError, match="cannot be probed"):
        GatedSelector(Streaming(), n=8)


@pytest.mark.parametrize("probe", [2, 3])
def test_branches_drawn_from_a_record_is_what_the_gate_sampled(probe):
    class Counting(NoisyLinearPolicy):
        drawn = 0

        def sample(self, obs, n, seed):
            Counting.drawn += n
            return super().sample(obs, n, seed)

    policy, obs = Counting(), torch.tensor([0.5, -0.2])
    gated = GatedSelector(policy, n=6, probe=probe, threshold=0.0)
    gated.reset(seed=1)
    options = {"probe": probe}
    for fire in (True, False, True):
        gated.threshold = 0.0 if fire else math.inf
        before = Counting.drawn
        scored = len(gated.act(obs).scores)
        assert GatedSelector.branches_drawn(scored, 6, options) == Counting.drawn - before == probe + 6 * fire
    assert GatedSelector.gates and not ConsensusSelector.gates
    assert ConsensusSelector.branches_drawn(8, 8, {}) == 8

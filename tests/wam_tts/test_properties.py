"""Property tests over random shapes, N in 1..32, and the devices available."""

import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.wam_tts.fakes import FixedBranchesPolicy
from wam_tts import ConsensusSelector, ValueSelector, WeightedSelector, branch_noise, consensus_scores

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@st.composite
def branch_sets(draw):
    n = draw(st.integers(1, 32))
    h, a = draw(st.integers(1, 5)), draw(st.integers(1, 8))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    seed = draw(st.integers(0, 2**31))
    device = draw(st.sampled_from(DEVICES))
    futures = branch_noise(shape, n, seed).to(device)
    actions = branch_noise((h, a), n, seed + 1).to(device)
    return actions, futures, torch.rand(n, generator=torch.Generator().manual_seed(seed)).to(device)


@given(branch_sets(), st.randoms(use_true_random=False))
def test_permuting_branches_does_not_change_the_choice(data, rnd):
    actions, futures, values = data
    n = actions.shape[0]
    perm = list(range(n))
    rnd.shuffle(perm)
    consensus = consensus_scores(futures)
    for make, scores in ((lambda p: ConsensusSelector(p, n=n), consensus), (lambda p: ValueSelector(p, n=n), values)):
        top = torch.topk(scores, min(2, n)).values
        assume(n == 1 or bool(top[0] - top[1] > 1e-6))  # ties break by position, by design
        a = make(FixedBranchesPolicy(actions, futures, values)).act(None)
        b = make(FixedBranchesPolicy(actions[perm], futures[perm], values[perm])).act(None)
        assert torch.equal(a.actions, b.actions)
        assert perm[b.index] == a.index


@given(branch_sets())
def test_scores_are_in_unit_interval_and_choice_is_valid(data):
    actions, futures, values = data
    n = actions.shape[0]
    s = consensus_scores(futures)
    assert s.shape == (n,) and bool(((s > 0) & (s <= 1)).all())
    d = WeightedSelector(FixedBranchesPolicy(actions, futures), n=n, tau=0.5).act(None)
    assert 0 <= d.index < n and d.actions.shape == actions.shape[1:]  # weights: test_selector_contracts.py


@given(st.integers(1, 16), st.integers(0, 2**40))
def test_branch_noise_is_prefix_stable_across_n(n, seed):
    small = branch_noise((3,), n, seed)
    large = branch_noise((3,), n + 8, seed)
    assert torch.equal(small, large[:n])
    assert not torch.equal(large[0], large[-1])

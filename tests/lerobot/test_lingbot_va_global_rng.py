"""``LingBotVAWAM(first_branch_from_global_rng=True)``: branch 0 is the bare policy's own draw."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip(
    "lerobot.policies.lingbot_va", reason="needs LeRobot's LingBot-VA port (Python 3.12 venv: make install-lerobot)"
)

from tests.lerobot.lingbot import obs  # noqa: E402


def global_wam(make_policy, batched: bool = True):
    from adapters.lingbot_va import LingBotVAWAM

    wam = LingBotVAWAM(make_policy(), batched=batched, first_branch_from_global_rng=True)
    wam.reset()
    return wam


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "sequential"])
def test_branch_0_is_the_bare_chunk_and_advances_the_global_rng_as_it_does(make_policy, make_wam, batched):
    bare, wam = make_policy(), global_wam(make_policy, batched)  # building one seeds the global RNG
    torch.manual_seed(5)
    expected = bare.predict_action_chunk(obs(0))
    after_bare = torch.rand(4)

    torch.manual_seed(5)
    branches = wam.sample(obs(0), 3, seed=9)
    assert torch.equal(branches.actions[0], expected[0])
    assert torch.equal(torch.rand(4), after_bare)
    seeded = make_wam(batched=batched).sample(obs(0), 3, seed=9)  # branches 1.. still come from (seed, i)
    assert torch.equal(branches.actions[1:], seeded.actions[1:])
    assert not torch.equal(branches.actions[0], seeded.actions[0])


def test_a_failed_sample_puts_the_global_rng_back(make_policy, monkeypatch):
    import adapters.lingbot_va.adapter as adapter

    wam = global_wam(make_policy)
    torch.manual_seed(5)
    untouched = torch.rand(4)

    def fail(*args, **kwargs):
        raise torch.OutOfMemoryError("fake out of memory after the noise was drawn (test double)")

    monkeypatch.setattr(adapter, "batched_infer", fail)
    torch.manual_seed(5)
    with pytest.raises(torch.OutOfMemoryError):
        wam.sample(obs(0), 2, seed=9)
    assert torch.equal(torch.rand(4), untouched)

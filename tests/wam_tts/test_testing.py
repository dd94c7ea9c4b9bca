"""The contract-test kit catches each violation, by name, and passes a model that keeps the contract."""

from __future__ import annotations

import pytest
import torch

from tests.wam_tts.fakes import NoisyLinearPolicy
from wam_tts import Branches, WorldActionModel, branch_noise
from wam_tts.testing import PROPERTIES, ContractError, check_world_action_model

OBS = torch.tensor([0.5, -1.0, 2.0])
H = 4


class StreamingWAM(WorldActionModel):
    """A stateful WAM shaped like LingBot-VA: sample → on_select → one on_step per action.

    Branch i of chunk c is drawn from ``(seed, i)`` shifted by the chunk number, so the
    episode's state matters; ``flaw`` breaks one promise of the contract.
    """

    future_horizon = 2
    has_value_head = True

    def __init__(self, flaw: str | None = None) -> None:
        self.flaw = flaw
        self.calls = 0
        if flaw == "horizon":
            self.future_horizon = H + 1
        if flaw == "values":
            self.has_value_head = False
        self.reset()

    def reset(self) -> None:
        if self.flaw != "reset" or not hasattr(self, "chunk"):
            self.chunk = 0
        self.pending: Branches | None = None
        self.steps_due = 0

    def sample(self, obs, n: int, seed: int):
        if self.pending is not None or self.steps_due:
            raise RuntimeError("sample called before on_select and the chunk's on_step calls")
        self.calls += 1
        seed = {"seeded": seed + self.calls, "varied_seed": 0}.get(self.flaw, seed)
        rows = {"samples": n - 1, "varied_rows": 1}.get(self.flaw, n)
        noise = branch_noise((H + 3,), rows, seed) + self.chunk
        if self.flaw == "varied_rows":
            noise = noise.expand(n, -1)
        if self.flaw == "prefix":
            noise = noise / n
        x = torch.as_tensor(obs, dtype=torch.float32)
        actions, futures = noise[:, :H, None], x + noise[:, H:]
        branches = Branches(actions, futures, torch.sigmoid(noise[:, 0]))
        if self.flaw == "not_branches":
            return {"actions": actions}
        self.pending = branches
        return branches

    def encode_observation(self, obs):
        x = torch.as_tensor(obs, dtype=torch.float32)
        if self.flaw == "shapes":
            return torch.cat([x, x])
        if self.flaw == "finite":
            return x * float("nan")
        return x

    def on_select(self, branches: Branches, index: int) -> None:
        if self.pending is None:
            raise RuntimeError("on_select without a sample")
        self.pending, self.steps_due = None, branches.actions.shape[1]
        if self.flaw != "lifecycle":
            self.chunk += 1

    def on_step(self, obs) -> None:
        if self.flaw == "lifecycle":
            raise RuntimeError("this model cannot take executed observations")
        self.steps_due -= 1


def test_a_model_that_keeps_the_contract_passes_every_property():
    report = check_world_action_model(StreamingWAM(), OBS, n=6)
    assert report.ok and report.failures == {}
    assert sorted(report.passed) == sorted(PROPERTIES)
    assert report.action_shape == (6, H, 1) and report.future_shape == (3,)
    assert "all 10 properties hold" in str(report)


def test_a_stateless_library_fake_passes_too():
    assert check_world_action_model(NoisyLinearPolicy(dim=3), OBS, n=4, rtol=0, atol=0).ok


@pytest.mark.parametrize(("flaw", "failing"), [
    ("samples", {"samples"}),  # n - 1 rows: nothing else can be checked
    ("not_branches", {"samples"}),
    ("shapes", {"shapes"}),
    ("finite", {"finite"}),
    ("horizon", {"horizon", "lifecycle"}),  # both decisions break it
    ("values", {"values", "lifecycle"}),
    ("seeded", {"seeded", "prefix", "reset"}),  # every draw is new
    ("varied_rows", {"varied"}),  # all N branches alike
    ("varied_seed", {"varied"}),  # the seed is ignored
    ("prefix", {"prefix"}),
    ("lifecycle", {"lifecycle"}),
    ("reset", {"reset"}),  # reset() keeps the chunk counter
])
def test_each_violation_is_caught_and_named(flaw, failing):
    with pytest.raises(ContractError) as info:
        check_world_action_model(StreamingWAM(flaw), OBS, n=6)
    report = info.value.report
    assert set(report.failures) == failing
    for name in failing:
        assert f"  {name}: " in str(info.value) and PROPERTIES[name] in str(info.value)
    if failing != {"samples"}:
        assert set(report.passed) == set(PROPERTIES) - failing


def test_failures_can_be_returned_instead_of_raised():
    report = check_world_action_model(StreamingWAM("prefix"), OBS, n=4, raise_on_failure=False)
    assert not report.ok and "N = 2's branches are not the first 2 of N = 4" in report.failures["prefix"]
    assert isinstance(ContractError(report), AssertionError)


def test_a_raising_sample_is_reported_with_its_error():
    class Crashing(StreamingWAM):
        def sample(self, obs, n, seed):
            raise ValueError("bad camera key")

    report = check_world_action_model(Crashing(), OBS, raise_on_failure=False)
    assert report.failures == {"samples": "sample(obs, 8, seed=0) raised ValueError: bad camera key"}


def test_tolerances_decide_what_counts_as_the_same_draw():
    class Jittery(StreamingWAM):
        def sample(self, obs, n, seed):
            b = super().sample(obs, n, seed)
            return Branches(b.actions + 1e-4 * self.calls, b.futures, b.values)

    assert "seeded" in check_world_action_model(Jittery(), OBS, raise_on_failure=False).failures
    assert check_world_action_model(Jittery(), OBS, atol=1e-2, rtol=0).ok


def test_n_below_two_is_refused():
    with pytest.raises(ValueError, match="n must be >= 2"):
        check_world_action_model(StreamingWAM(), OBS, n=1)

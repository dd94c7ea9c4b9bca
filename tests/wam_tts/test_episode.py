"""The one episode loop: the selector owns the episode, and every loop in the tree is this one."""

from __future__ import annotations

import ast
import pathlib

import pytest
import torch

from tests.wam_tts.fakes import IntegratorSim, NoisyLinearPolicy
from wam_tts import (
    SELECTORS,
    ConsensusSelector,
    EpisodeListener,
    ExploringSelector,
    SimulatorUnsupportedError,
    VanillaSelector,
    run_episode,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


class LineEnv:
    """A 1-D integrator that succeeds once x >= goal; records every action it was given."""

    def __init__(self, goal: float = 1e9) -> None:
        self.goal, self.x, self.actions = goal, 0.0, []

    def reset(self, seed: int):
        self.x, self.actions = 0.0, []
        return torch.tensor([self.x])

    def step(self, action):
        self.actions.append(float(action[0]))
        self.x += 0.25
        return torch.tensor([self.x])

    def success(self) -> bool:
        return self.x >= self.goal


class Streaming(NoisyLinearPolicy):
    """Overrides on_step, so it streams observations (declared for it by the base class)."""

    def __init__(self) -> None:
        super().__init__(dim=1, horizon=4)
        self.seen: list[float] = []
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    def on_step(self, obs) -> None:
        self.seen.append(float(obs[0]))


class Log(EpisodeListener):
    def __init__(self) -> None:
        self.decisions, self.steps, self.first = [], [], None

    def on_reset(self, obs) -> None:
        self.first = float(obs[0])

    def on_decision(self, t, obs, decision) -> None:
        self.decisions.append((t, float(obs[0])))

    def on_step(self, t, obs, env_s) -> None:
        assert env_s >= 0.0
        self.steps.append((t, float(obs[0])))


def test_run_episode_decides_every_execute_steps_and_stops_at_max_steps():
    policy, env, log = Streaming(), LineEnv(), Log()
    result = run_episode(ConsensusSelector(policy, n=3), env, seed=5, max_steps=10, execute=3, listener=log)
    assert (result.success, result.steps, result.decisions) == (False, 10, 4)
    assert [t for t, _ in log.decisions] == [0, 3, 6, 9]
    assert log.steps == [(t, 0.25 * t) for t in range(1, 11)]
    assert log.first == 0.0 and policy.resets == 1
    assert policy.seen == [0.25 * t for t in range(1, 11)]  # every executed observation, in order


def test_the_observation_after_success_is_not_streamed():
    policy, env = Streaming(), LineEnv(goal=1.0)
    result = run_episode(VanillaSelector(policy), env, seed=0, max_steps=50)
    assert (result.success, result.steps) == (True, 4)
    assert policy.seen == [0.25, 0.5, 0.75]


def test_a_policy_that_does_not_stream_gets_no_observations():
    class Quiet(NoisyLinearPolicy):
        streams_observations = False

        def on_step(self, obs) -> None:  # declared not to stream: never called
            raise AssertionError("on_step called")

    assert Streaming.streams_observations and not NoisyLinearPolicy.streams_observations
    run_episode(ConsensusSelector(Quiet(dim=1), n=2), LineEnv(), seed=0, max_steps=8)


def test_the_same_seed_gives_the_same_episode():
    a, b = LineEnv(), LineEnv()
    run_episode(ConsensusSelector(NoisyLinearPolicy(dim=1), n=4), a, seed=3, max_steps=12)
    run_episode(ConsensusSelector(NoisyLinearPolicy(dim=1), n=4), b, seed=3, max_steps=12)
    c = LineEnv()
    run_episode(ConsensusSelector(NoisyLinearPolicy(dim=1), n=4), c, seed=4, max_steps=12)
    assert a.actions == b.actions and a.actions != c.actions


def test_reset_binds_the_env_only_for_selectors_that_need_a_simulator():
    sim = IntegratorSim()
    exploring = ExploringSelector(NoisyLinearPolicy(), n=3)
    exploring.reset(seed=0, env=sim)
    assert exploring.env is sim and exploring.act(sim.observe()).branches.n == 3
    consensus = ConsensusSelector(NoisyLinearPolicy(), n=3)
    consensus.reset(seed=0, env=sim)
    assert consensus.env is None
    with pytest.raises(SimulatorUnsupportedError, match="lacks get_state"):
        ExploringSelector(NoisyLinearPolicy(), n=3).reset(seed=0, env=LineEnv())


def test_capabilities_are_declared():
    declared = {name: (cls.needs_simulator, cls.needs_value_head, cls.fixed_n, cls.blends_actions)
                for name, cls in ((n, SELECTORS.get(n)) for n in SELECTORS)}
    assert declared == {
        "action_consensus": (False, False, None, False),
        "consensus": (False, False, None, False),
        "gated": (False, False, None, False),
        "medoid": (False, False, None, False),
        "exploring": (True, False, None, False),
        "mean": (False, False, None, True),
        "value": (False, True, None, False),
        "value_consensus": (False, True, None, False),
        "vanilla": (False, False, 1, False),
        "weighted": (False, False, None, True),
    }


def test_each_selector_module_registers_the_selector_named_after_it():
    folder = ROOT / "wam_tts" / "selectors"
    stems = {p.stem for p in folder.glob("*.py")} - {"__init__", "base"}
    assert stems == set(SELECTORS.names())
    for name in stems:
        assert SELECTORS.get(name).__module__ == f"wam_tts.selectors.{name}"


def _selector_name_tests(path: pathlib.Path) -> list[str]:
    """Comparisons of anything with a selector's name, and isinstance checks against a selector class."""
    names = set(SELECTORS.names())
    classes = {SELECTORS.get(n).__name__ for n in names}
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            literals = [c.value for c in [node.left, *node.comparators] if isinstance(c, ast.Constant)]
            found += [f"{path.relative_to(ROOT)}:{node.lineno} compares with {v!r}" for v in literals if v in names]
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
            used = {getattr(a, "id", getattr(a, "attr", None)) for a in ast.walk(node.args[1])}
            found += [f"{path.relative_to(ROOT)}:{node.lineno} isinstance {c}" for c in used & classes]
    return found


def test_no_code_outside_a_selectors_own_file_tests_its_name_or_class():
    """Capabilities are read from declared attributes, never from names (issue 10). The
    benchmark's report and section names are labels of what it times, so it is left out."""
    paths = [p for top in ("eval", "adapters", "wam_tts") for p in (ROOT / top).rglob("*.py")
             if "selectors" not in p.parts and "bench" not in p.parts]
    assert [hit for p in paths for hit in _selector_name_tests(p)] == []

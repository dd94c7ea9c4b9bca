"""Scripted experts: success floors, reproducible demos, the npz round trip, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from eval.envs.experts import EXPERTS, Demo, collect_demos, load_demos, main, save_demos
from eval.envs.robosuite_env import RobosuiteEnv
from wam_tts import UnknownNameError


@pytest.fixture(scope="module")
def lift() -> RobosuiteEnv:
    env = RobosuiteEnv("Lift")
    yield env
    env.close()


def test_lift_expert_succeeds(lift: RobosuiteEnv) -> None:
    """Measured 50/50 at noise 0.1; these three seeds must all succeed, well inside max_steps."""
    demos = collect_demos("Lift", 3, seed=100, noise=0.1, env=lift, progress=False)
    assert [d.success for d in demos] == [True, True, True]
    for d in demos:
        assert len(d.actions) < lift.max_steps
        assert d.states.shape == (len(d.actions) + 1, lift.state_dim) and d.states.dtype == np.float32
        assert d.actions.shape == (len(d.actions), 7) and d.actions.dtype == np.float32
        assert np.all(np.abs(d.actions) <= 1.0)
        # the last state shows the cube lifted (success is the env's own check: 4 cm over the table)
        assert d.states[-1, 2] > 0.84


@pytest.mark.parametrize(("task", "seeds"), [("Stack", 2), ("Door", 2), ("PickPlaceCan", 1)])
def test_other_experts_succeed(task: str, seeds: int) -> None:
    demos = collect_demos(task, seeds, seed=200, noise=0.1, progress=False)
    assert all(d.success for d in demos), [len(d.actions) for d in demos]


def test_demos_are_reproducible_and_noise_matters(lift: RobosuiteEnv) -> None:
    a = collect_demos("Lift", 1, seed=5, noise=0.1, env=lift, progress=False)[0]
    b = collect_demos("Lift", 1, seed=5, noise=0.1, env=lift, progress=False)[0]
    np.testing.assert_array_equal(a.actions, b.actions)
    np.testing.assert_array_equal(a.states, b.states)
    quiet = collect_demos("Lift", 1, seed=5, noise=0.0, env=lift, progress=False)[0]
    assert not np.array_equal(quiet.actions[:10], a.actions[:10])
    # episodes with different seeds start from different states and draw different plans
    other = collect_demos("Lift", 1, seed=6, noise=0.1, env=lift, progress=False)[0]
    assert not np.array_equal(other.states[0], a.states[0])


def test_operator_pauses_hold_still_with_the_gripper_kept(lift: RobosuiteEnv) -> None:
    """``pauses=1``: at every phase change the expert holds still for PAUSE_STEPS steps (zero
    motion, no noise, the gripper's last command kept); ``pauses=0`` leaves demos unchanged."""
    from eval.envs.experts import PAUSE_STEPS

    plain = collect_demos("Lift", 1, seed=5, noise=0.1, env=lift, progress=False)[0]
    again = collect_demos("Lift", 1, seed=5, noise=0.1, pauses=0.0, env=lift, progress=False)[0]
    np.testing.assert_array_equal(plain.actions, again.actions)
    paused = collect_demos("Lift", 1, seed=5, noise=0.1, pauses=1.0, env=lift, progress=False)[0]
    assert paused.success and len(paused.actions) > len(plain.actions) + PAUSE_STEPS[0]
    still = np.all(paused.actions[:, :6] == 0.0, axis=1)
    runs, run = [], 0
    for s in still:
        run = run + 1 if s else 0
        if run == 1:
            runs.append(0)
        if s:
            runs[-1] = run
    assert len(runs) >= 2 and all(PAUSE_STEPS[0] <= r <= PAUSE_STEPS[1] for r in runs), runs
    held = paused.actions[still, 6]
    assert set(np.unique(held)) <= {-1.0, 1.0} and {-1.0, 1.0} <= set(np.unique(held))  # open and closed
    assert not still[: len(plain.actions)].all()
    with pytest.raises(ValueError, match="pause probability"):
        EXPERTS.get("Lift")(lift, pauses=1.5)


def test_budget_and_failures_are_kept(lift: RobosuiteEnv) -> None:
    demos = collect_demos("Lift", 1, seed=0, noise=0.1, env=lift, max_steps=5, progress=False)
    assert len(demos[0].actions) == 5 and demos[0].success is False


def test_save_load_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    demos = [
        Demo(states=rng.normal(size=(t + 1, 4)).astype(np.float32),
             actions=rng.normal(size=(t, 7)).astype(np.float32), success=t % 2 == 0, seed=10 + t, task="Lift")
        for t in (3, 1, 6)
    ]
    path = tmp_path / "sub" / "demos.npz"
    save_demos(path, demos)
    loaded = load_demos(path)
    assert len(loaded) == 3
    for got, want in zip(loaded, demos, strict=True):
        np.testing.assert_array_equal(got.states, want.states)
        np.testing.assert_array_equal(got.actions, want.actions)
        assert (got.success, got.seed, got.task) == (want.success, want.seed, want.task)
    with pytest.raises(ValueError, match="at least one"):
        save_demos(tmp_path / "empty.npz", [])


def test_bad_requests_are_named(lift: RobosuiteEnv) -> None:
    with pytest.raises(UnknownNameError, match="Lfit.*Lift"):
        collect_demos("Lfit", 1, progress=False)
    with pytest.raises(ValueError, match="episodes"):
        collect_demos("Lift", 0, progress=False)
    with pytest.raises(ValueError, match="noise"):
        EXPERTS.get("Lift")(lift, noise=-1.0)
    with pytest.raises(ValueError, match="given an env for 'Lift'"):
        collect_demos("Stack", 1, env=lift, progress=False)


def test_cli_prints_success_rate_and_saves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lift.npz"
    main(["--task", "Lift", "--episodes", "1", "--seed", "3", "--out", str(out)])
    summary = json.loads(capsys.readouterr().out.splitlines()[0])
    assert summary["task"] == "Lift" and summary["episodes"] == 1 and summary["success_rate"] == 1.0
    assert load_demos(out)[0].seed == 3

"""The RoboTwin 2.0 backend and plug-in against a FAKE RoboTwin checkout (./fake_robotwin):
RoboTwin's layout, configs and task API over a point-mass robot (no SAPIEN)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from eval.envs import BACKEND_TASKS, ENV_BACKENDS
from eval.envs.robotwin_env import ROBOTWIN_TASKS, RoboTwinEnv, absolute_ee_action
from eval.rollout import Rollout
from wam_tts import (
    Branches,
    ConsensusSelector,
    ExploringSelector,
    SimulatorUnsupportedError,
    WorldActionModel,
)

FAKE_ROOT = Path(__file__).parent / "fake_robotwin"


@pytest.fixture
def fake_robotwin(monkeypatch):
    """The FAKE checkout on sys.path (as the backend puts a real one), its modules forgotten after."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name in [m for m in sys.modules if m.split(".")[0] in ("envs", "description")]:
        del sys.modules[name]


def _log():
    return sys.modules["envs._base_task"].LOG


def _env(**options) -> RoboTwinEnv:
    return RoboTwinEnv("beat_block_hammer", root=str(FAKE_ROOT), **options)


def _valid(seed: int) -> bool:
    """The FAKE checkout's rule: unstable scenes every 7th seed, expert failures at 1 (mod 3)."""
    return seed % 7 != 0 and seed % 3 != 1


def test_episodes_run_on_expert_checked_seeds_from_upstreams_start(fake_robotwin) -> None:
    env = _env(base_seed=2, seed_stride=10)
    start = 10 * (1 + 2)
    expected = [s for s in range(start, start + 40) if _valid(s)][:4]
    obs = env.reset(3)
    setups = _log()["setup"]
    assert setups[-1]["seed"] == expected[3] and setups[-1]["now_ep_num"] == 3 and setups[-1]["is_test"]
    assert _log()["expert"] == [s for s in range(start, expected[3] + 1) if s % 7 != 0]
    env.reset(1)
    assert _log()["setup"][-1]["seed"] == expected[1]
    assert len(_log()["expert"]) == len([s for s in range(start, expected[3] + 1) if s % 7 != 0])  # no rerun
    assert obs["state"].shape == (30,) and obs["state"].dtype == np.float32
    assert obs["head_camera_image"].dtype == np.uint8 and obs["head_camera_image"].shape == (24, 32, 3)
    assert all(cwd == str(FAKE_ROOT.resolve()) for cwd in _log()["cwd"]) and os.getcwd() != str(FAKE_ROOT.resolve())


def test_seed_cache_is_shared_by_later_processes(fake_robotwin, tmp_path) -> None:
    cache = tmp_path / "seeds.json"
    _env(seed_cache=str(cache)).reset(2)
    checked = len(_log()["expert"])
    again = _env(seed_cache=str(cache))
    again.reset(2)
    assert len(_log()["expert"]) == checked
    assert _log()["setup"][-1]["seed"] == _log()["setup"][-2]["seed"]


def test_easy_and_hard_load_their_task_configs_and_step_limit(fake_robotwin) -> None:
    easy = _env()
    easy.reset(0)
    assert _log()["setup"][-1]["kwargs"]["domain_randomization"]["random_background"] is False
    hard = _env(difficulty="hard")
    hard.reset(0)
    kwargs = _log()["setup"][-1]["kwargs"]
    assert kwargs["domain_randomization"]["random_background"] is True and kwargs["task_config"] == "demo_randomized"
    assert kwargs["eval_mode"] and kwargs["left_embodiment_config"]["arm_joints_name"][0][0] == "fl_joint1"
    assert (kwargs["head_camera_h"], kwargs["head_camera_w"]) == (240, 320) and "eval_video_save_dir" not in kwargs
    assert easy.max_steps == 400
    assert RoboTwinEnv("place_shoe", root=str(FAKE_ROOT)).max_steps == 1000  # RoboTwin's default


def test_instruction_comes_from_robotwins_templates_with_the_experts_info(fake_robotwin) -> None:
    unseen = _env().reset(0)["instruction"]
    seen = _env(instruction_type="seen").reset(0)["instruction"]
    assert "hammer" in str(unseen) and str(unseen).startswith(("Use the", "With the"))
    assert str(seen).startswith(("Pick up", "Grab")) and str(_env().reset(0)["instruction"]) == str(unseen)


def test_actions_are_relative_to_the_episodes_initial_pose(fake_robotwin) -> None:
    env = _env()
    obs = env.reset(0)
    initial = env.initial_pose.copy()
    identity = np.array([0, 0, 0, 0, 0, 0, 1.0, 0.5] * 2)  # scipy's identity quaternion (x, y, z, w)
    assert env.timestep == 0
    env.step(identity)
    assert env.timestep == 1
    sent = _log()["actions"][-1]
    assert np.allclose(sent[:3], initial[:3]) and np.allclose(sent[8:11], initial[8:11]) and sent[7] == 0.5
    relative = np.random.default_rng(0).normal(size=16)
    env.step(relative)
    sent = _log()["actions"][-1]
    for arm in (slice(0, 8), slice(8, 16)):
        rot = Rotation.from_quat(initial[arm][3:7]) * Rotation.from_quat(relative[arm][3:7])
        assert np.allclose(sent[arm][:3], initial[arm][:3] + relative[arm][:3])
        assert np.allclose(sent[arm][3:7], rot.as_quat()) and np.isclose(np.linalg.norm(sent[arm][3:7]), 1.0)
    assert env.initial_pose is not None and np.array_equal(env.initial_pose, initial)
    assert not np.array_equal(env.observe()["state"], obs["state"])


def test_success_is_robotwins_eval_success(fake_robotwin) -> None:
    env = _env()
    env.reset(0)
    assert not env.success()
    forward = np.array([0.1, 0, 0, 0, 0, 0, 1.0, 1.0] + [0, 0, 0, 0, 0, 0, 1.0, 1.0])
    env.step(forward)
    assert env.success()


def test_no_state_api_is_said_clearly(fake_robotwin) -> None:
    env = _env()
    assert not env.supports_state and not hasattr(env, "get_state")
    with pytest.raises(SimulatorUnsupportedError, match="RoboTwin 2.0 has no API to save and restore"):
        ExploringSelector(_RelativeWAM(), n=2).reset(seed=0, env=env)


def test_bad_input_is_named(fake_robotwin, monkeypatch) -> None:
    with pytest.raises(ValueError, match="unknown RoboTwin task 'Lift'"):
        RoboTwinEnv("Lift", root=str(FAKE_ROOT))
    with pytest.raises(ValueError, match="difficulty"):
        _env(difficulty="medium")
    monkeypatch.delenv("ROBOTWIN_ROOT", raising=False)
    with pytest.raises(ImportError, match="ROBOTWIN_ROOT.*_install.sh"):
        RoboTwinEnv("beat_block_hammer")
    env = _env()
    with pytest.raises(ValueError, match="episode index"):
        env.reset(1_234_567_890)
    env.reset(0)
    with pytest.raises(ValueError, match=r"shape \(16,\)"):
        env.step(np.zeros(14))


def test_backend_is_registered_with_the_50_tasks() -> None:
    assert ENV_BACKENDS.get("robotwin") is RoboTwinEnv and RoboTwinEnv.seeds_by_trial
    assert BACKEND_TASKS["robotwin"] == ROBOTWIN_TASKS and len(set(ROBOTWIN_TASKS)) == 50


def test_absolute_pose_checks_shapes() -> None:
    with pytest.raises(ValueError, match="16-D"):
        absolute_ee_action(np.zeros(14), np.zeros(16))


class _RelativeWAM(WorldActionModel):
    """A FAKE LingBot-like model: 32 poses relative to the episode's first pose (remembered
    since reset), moving the left arm forward from where it is; future = state."""

    future_horizon = 8

    def __init__(self) -> None:
        self.initial_x: float | None = None
        self.steps_seen = 0

    def reset(self) -> None:
        self.initial_x = None

    def on_step(self, obs) -> None:
        assert obs["state"].shape == (30,)
        self.steps_seen += 1

    def sample(self, obs, n, seed):
        g = torch.Generator().manual_seed(seed)
        left_x = float(obs["state"][14])
        if self.initial_x is None:
            self.initial_x = left_x
        still = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1] * 2, dtype=torch.float32)
        actions = still * torch.ones(n, 32, 1)
        steps = torch.arange(1, 33) * 0.002 * (1 + 0.1 * torch.rand(n, 1, generator=g))
        actions[..., 0] = (left_x - self.initial_x) + steps
        futures = self.encode_observation(obs).expand(n, -1) + 0.01 * torch.randn(n, 30, generator=g)
        return Branches(actions=actions, futures=futures)

    def encode_observation(self, obs):
        return torch.as_tensor(obs["state"])


def test_harness_rollout_on_robotwin_stops_at_success(fake_robotwin) -> None:
    env = _env()
    rollout = Rollout(env, ConsensusSelector(_RelativeWAM(), n=4), max_steps=env.max_steps, execute=16)
    rollout.run(1)
    assert rollout.success and 16 < rollout.t <= 32 and len(rollout.rows) == 2


# -- the plug-in, driven as RoboTwin's script/eval_policy.py drives a policy folder ----------------
def _robotwin_eval_loop(module, usr_args, episodes: int) -> list[bool]:
    """The loop of RoboTwin's eval_policy.py (expert check done by the FAKE env's seeds)."""
    env = RoboTwinEnv("beat_block_hammer", root=str(FAKE_ROOT))
    from envs.beat_block_hammer import beat_block_hammer
    model = module.get_model(usr_args)
    results = []
    for episode in range(episodes):
        env.reset(episode)  # setup_demo + instruction, as the script does
        task_env = env._task_env
        assert isinstance(task_env, beat_block_hammer)
        module.reset_model(model)
        while task_env.take_action_cnt < task_env.step_lim:
            observation = task_env.get_obs()
            module.eval(task_env, model, observation)
            if task_env.eval_success:
                break
        results.append(bool(task_env.eval_success))
    return results


def test_plugin_runs_robotwins_eval_loop_with_a_selector(fake_robotwin, monkeypatch) -> None:
    import eval.robotwin_plugin as plugin
    from eval import policies

    built: list[_RelativeWAM] = []
    monkeypatch.setitem(policies.POLICIES._items, "fake_relative", lambda task: built.append(_RelativeWAM()) or built[-1])
    usr_args = {"task_name": "beat_block_hammer", "wam_policy": "fake_relative", "selector": "consensus",
                "n": 4, "execute": 8, "selector_seed": 3, "sigma": 1.0}
    results = _robotwin_eval_loop(plugin, usr_args, episodes=2)
    assert results == [True, True]
    sent = _log()["actions"]
    first_episode_start = [s for s in _log()["setup"] if s["kwargs"].get("eval_mode")][0]
    assert len(sent) > 8 and np.allclose(np.linalg.norm(sent[0][3:7]), 1.0)
    assert built[0].steps_seen == len(sent) - 2  # every executed action but each episode's successful last
    assert first_episode_start["seed"] >= 100000


def test_plugin_refuses_the_exploring_selector_saying_why() -> None:
    import eval.robotwin_plugin as plugin

    with pytest.raises(SimulatorUnsupportedError, match="RoboTwin 2.0 has no API to save and restore"):
        plugin.get_model({"task_name": "beat_block_hammer", "wam_policy": "fake", "selector": "exploring"})

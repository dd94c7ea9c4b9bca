"""Cosmos-Policy's RoboCasa protocol: checked for real on robosuite's Lift with RoboCasa's mobile
Panda (warm-up, padding, flips, restore, harness numbers), and the kitchen-specific parts
(scenes, seeds, instruction) against a FAKE kitchen that runs the same Lift underneath."""

from __future__ import annotations

import importlib.machinery
import pickle
import sys
import types

import numpy as np
import pytest
import torch

import eval.envs.robocasa_env as robocasa_env
from eval.envs import BACKEND_TASKS, ENV_BACKENDS, make_env
from eval.envs.robocasa_env import (
    ROBOCASA_CAMERAS,
    ROBOCASA_TASK_MAX_STEPS,
    CosmosProtocolEnv,
    RoboCasaEnv,
)
from eval.rollout import Rollout
from wam_tts import Branches, ConsensusSelector, WorldActionModel

pytestmark = pytest.mark.slow

UPSTREAM_PAD = np.array([0.0, 0.0, 0.0, 0.0, -1.0])  # what run_robocasa_eval.py appends


@pytest.fixture(scope="module")
def lift() -> CosmosProtocolEnv:
    env = CosmosProtocolEnv("Lift", cameras=(), max_steps=60)
    yield env
    env.close()


def _raw_lift(env: CosmosProtocolEnv, seed: int):
    """A plain robosuite env built and seeded as the protocol env does, then reset (no warm-up)."""
    import robosuite

    raw = robosuite.make(**env._make_kwargs(seed))
    raw.rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    raw.reset()
    return raw


def test_same_episode_whatever_ran_before(lift) -> None:
    first = lift.reset(7)
    lift.step(np.full(7, 0.5))
    lift.reset(8)
    again = lift.reset(7)
    assert all(np.array_equal(first[k], again[k]) for k in ("state", "proprio"))


def test_padding_equals_upstreams_on_robocasas_action_layout(lift) -> None:
    lift.reset(0)
    action = np.array([0.3, -0.2, 0.1, 0.05, -0.05, 0.02, 1.0])
    assert np.array_equal(lift.full_action(action), np.concatenate([action, UPSTREAM_PAD]))


def test_padding_follows_the_controllers_layout_on_robosuites_default() -> None:
    env = CosmosProtocolEnv("Lift", cameras=(), robocasa_action_layout=False, warmup_steps=0)
    try:
        env.reset(0)
        full = env.full_action(np.array([1, 2, 3, 4, 5, 6, 7.0]))
        split = env.unwrapped.robots[0].composite_controller._action_split_indexes
        assert list(full[slice(*split["right"])]) == [1, 2, 3, 4, 5, 6]
        assert full[slice(*split["right_gripper"])][0] == 7 and full[-1] == -1
        assert not np.array_equal(full, np.concatenate([[1, 2, 3, 4, 5, 6, 7.0], UPSTREAM_PAD]))
    finally:
        env.close()


def test_reset_runs_ten_zero_warmup_steps_then_padded_steps_match_plain_robosuite(lift) -> None:
    obs = lift.reset(4)
    raw = _raw_lift(lift, 4)
    try:
        for _ in range(10):
            expected, *_ = raw.step(np.zeros(12))
        assert lift.unwrapped.timestep == 10
        assert lift.timestep == 0  # the warm-up is not the episode's
        assert np.array_equal(obs["proprio"], np.concatenate([expected[k] for k in robocasa_env.COSMOS_PROPRIO_KEYS]))
        action = np.array([0.5, 0.0, -0.3, 0.0, 0.1, 0.0, 1.0])
        stepped = lift.step(action)
        expected, *_ = raw.step(np.concatenate([action, UPSTREAM_PAD]))
        assert np.array_equal(stepped["proprio"][2:5], expected["robot0_eef_pos"])
        assert lift.timestep == 1
    finally:
        raw.close()


def test_observation_keys_and_dtypes(lift) -> None:
    obs = lift.reset(1)
    assert obs["proprio"].dtype == np.float64 and obs["proprio"].shape == (9,)
    assert obs["state"].dtype == np.float32 and obs["state"].shape == (lift.state_dim,)
    assert str(obs["instruction"]) == ""
    with pytest.raises(ValueError, match=r"shape \(7,\)"):
        lift.step(np.zeros(12))
    with pytest.raises(ValueError, match="episode index"):
        lift.reset(-1)


def test_restore_replays_bit_identically_with_the_mobile_base_moving(lift) -> None:
    lift.reset(2)
    rng = np.random.default_rng(0)
    for action in rng.uniform(-1, 1, (3, 7)):
        lift.step(action)
    saved = lift.get_state()
    chunk = rng.uniform(-1, 1, (12, 7))
    first = [lift.step(a)["state"] for a in chunk]
    lift.set_state(saved)
    again = [lift.step(a)["state"] for a in chunk]
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    lift.set_state(saved)
    assert np.array_equal(lift.execute(chunk)["state"], first[-1])


def test_success_is_the_envs_own_check_after_each_step(lift) -> None:
    lift.reset(3)
    assert not lift.success()
    sim = lift.unwrapped.sim
    cube = lift.unwrapped.cube.joints[0]
    qpos = sim.data.get_joint_qpos(cube).copy()
    qpos[2] += 0.2
    sim.data.set_joint_qpos(cube, qpos)
    sim.forward()
    lift.step(np.zeros(7))
    assert lift.success() == bool(lift.unwrapped._check_success()) is True


class FakeChunkWAM(WorldActionModel):
    """A FAKE Cosmos-like model: 32-action chunks of small moves, future = proprio, h = 32."""

    future_horizon = 32

    def sample(self, obs, n, seed):
        g = torch.Generator().manual_seed(seed)
        actions = 0.1 * torch.randn(n, 32, 7, generator=g)
        actions[..., 6] = -1.0
        return Branches(actions=actions, futures=self.encode_observation(obs).expand(n, -1) + 0.01 * torch.randn(n, 9, generator=g))

    def encode_observation(self, obs):
        return torch.as_tensor(obs["proprio"], dtype=torch.float32)


def test_harness_executes_16_of_32_and_scores_the_prediction_32_steps_later(lift) -> None:
    rollout = Rollout(lift, ConsensusSelector(FakeChunkWAM(), n=3), max_steps=40, execute=robocasa_env.OPEN_LOOP_STEPS)
    rollout.run(0)
    assert [r["t"] for r in rollout.rows] == [0, 16, 32] and rollout.t == 40
    assert [r["horizon_t"] for r in rollout.rows] == [32, 48, 64]
    assert np.isfinite(rollout.rows[0]["distance"]) and np.isnan(rollout.rows[1]["distance"])


def test_camera_images_are_robosuites_own_flipped_upright() -> None:
    env = CosmosProtocolEnv("Lift", cameras=("agentview",), image_size=24, warmup_steps=1)
    try:
        obs = env.reset(0)
        raw = env._raw["agentview_image"]
        assert obs["agentview_image"].shape == (24, 24, 3) and obs["agentview_image"].dtype == np.uint8
        assert np.array_equal(obs["agentview_image"], np.flipud(raw)) and not np.array_equal(raw, np.flipud(raw))
        saved = env.get_state()
        after = env.step(np.full(7, 0.2))["agentview_image"]
        env.set_state(saved)
        assert np.array_equal(env.observe()["agentview_image"], obs["agentview_image"])
        assert np.array_equal(env.step(np.full(7, 0.2))["agentview_image"], after)
    finally:
        env.close()


# -- the kitchen layer, on a FAKE kitchen ---------------------------------------------------------
class FakeKitchen:
    """FAKE RoboCasa kitchen: records robosuite.make's kwargs and runs Lift with the mobile Panda
    underneath (RoboCasa's action layout), adding synthetic upside-down camera images and
    RoboCasa's ``get_ep_meta()["lang"]``."""

    made: list[dict] = []

    def __init__(self, suite, kwargs):
        FakeKitchen.made.append(dict(kwargs))
        self.kwargs = kwargs
        proto = CosmosProtocolEnv("Lift", cameras=())
        self._env = suite.make(**proto._make_kwargs(kwargs["seed"] % 2**31))
        self.fixtures = {"microwave": types.SimpleNamespace(_turned_on=False, name="microwave")}
        self.closed = False

    def __getattr__(self, name):
        return getattr(self._env, name)

    def _images(self, obs):
        base = np.arange(16 * 16 * 3, dtype=np.uint8).reshape(16, 16, 3)
        return {**obs, **{f"{c}_image": base + i for i, c in enumerate(ROBOCASA_CAMERAS)}}

    def reset(self):
        return self._images(self._env.reset())

    def step(self, action):
        obs, *rest = self._env.step(action)
        if action[6] > 0:  # like RoboCasa's fixtures: Python state and model colours change
            self.fixtures["microwave"]._turned_on = True
            self._env.sim.model.site_rgba[0, 3] = 0.25
        return (self._images(obs), *rest)

    def get_ep_meta(self):
        return {"lang": f"fake instruction for layout {self.kwargs['layout_and_style_ids'][0]}"}

    def close(self):
        self.closed = True
        self._env.close()


@pytest.fixture
def fake_kitchen(monkeypatch):
    module = types.ModuleType("robocasa")
    module.__spec__ = importlib.machinery.ModuleSpec("robocasa", None)
    monkeypatch.setitem(sys.modules, "robocasa", module)
    monkeypatch.setattr(robocasa_env, "_robosuite_make", FakeKitchen)
    FakeKitchen.made = []
    return FakeKitchen


def test_kitchen_episodes_follow_upstreams_scenes_and_seeds(fake_kitchen, tmp_path) -> None:
    configs = tmp_path / "controllers.pkl"
    configs.write_bytes(pickle.dumps({"type": "OSC_POSE", "kp": 150}))
    env = RoboCasaEnv("TurnOffMicrowave", controller_configs=str(configs), base_seed=195)
    try:
        obs = env.reset(10)
        first = fake_kitchen.made[-1]
        env.reset(49)
    finally:
        env.close()
    assert first["layout_and_style_ids"] == ((2, 2),) and first["seed"] == 195 * 10 * 256
    assert fake_kitchen.made[-1]["layout_and_style_ids"] == ((7, 10),) and fake_kitchen.made[-1]["seed"] == 195 * 49 * 256
    assert [env.scene(i) for i in (0, 9, 20, 30, 50)] == [(1, 1), (1, 1), (4, 4), (6, 9), (1, 1)] and env.sim_seed(0) == 0
    assert first["obj_instance_split"] == "B" and first["robots"] == "PandaMobile"
    assert first["camera_names"] == list(ROBOCASA_CAMERAS) and first["camera_heights"] == first["camera_widths"] == 224
    assert first["controller_configs"] == {"type": "OSC_POSE", "kp": 150} and first["use_object_obs"]
    assert env.max_steps == 500 and env.action_dim == 7
    assert str(obs["instruction"]) == "fake instruction for layout (2, 2)"
    assert np.array_equal(obs["robot0_eye_in_hand_image"], np.flipud(np.arange(768, dtype=np.uint8).reshape(16, 16, 3) + 2))


def test_kitchen_restore_includes_fixture_state_and_site_colours(fake_kitchen) -> None:
    env = RoboCasaEnv("TurnOnMicrowave", controller_configs=None)
    try:
        env.reset(0)
        saved = env.get_state()
        rgba = np.array(env.unwrapped.sim.model.site_rgba[0])
        env.step(np.array([0, 0, 0, 0, 0, 0, 1.0]))
        assert env.unwrapped.fixtures["microwave"]._turned_on
        env.set_state(saved)
        assert env.unwrapped.fixtures["microwave"]._turned_on is False
        assert np.array_equal(env.unwrapped.sim.model.site_rgba[0], rgba)
    finally:
        env.close()


def test_kitchen_builds_a_new_env_per_episode(fake_kitchen) -> None:
    env = RoboCasaEnv("CoffeePressButton", controller_configs=None)
    try:
        env.reset(0)
        old = env.unwrapped
        env.reset(1)
        assert old.closed and env.unwrapped is not old and len(fake_kitchen.made) == 2
        assert env.max_steps == 300
    finally:
        env.close()


def test_kitchen_errors_name_the_problem(monkeypatch) -> None:
    with pytest.raises(ValueError, match="unknown RoboCasa task 'Lift'"):
        RoboCasaEnv("Lift")
    monkeypatch.setitem(sys.modules, "robocasa", None)
    monkeypatch.setattr(robocasa_env.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="robocasa-cosmos-policy.*download_kitchen_assets"):
        RoboCasaEnv("OpenDrawer")


def test_cosmos_controller_configs_need_cosmos_policy(fake_kitchen, monkeypatch) -> None:
    real = robocasa_env.importlib.util.find_spec
    monkeypatch.setattr(robocasa_env.importlib.util, "find_spec", lambda name: None if name == "cosmos_policy" else real(name))
    with pytest.raises(ImportError, match="robocasa_controller_configs.pkl"):
        RoboCasaEnv("OpenDrawer")


def test_robocasa_backend_is_registered() -> None:
    assert ENV_BACKENDS.get("robocasa") is RoboCasaEnv and RoboCasaEnv.seeds_by_trial
    assert BACKEND_TASKS["robocasa"] == tuple(ROBOCASA_TASK_MAX_STEPS) and len(ROBOCASA_TASK_MAX_STEPS) == 24
    with pytest.raises(ValueError, match="unknown robocasa task"):
        make_env("robocasa", "Lift")

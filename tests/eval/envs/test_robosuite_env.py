"""The robosuite backend: exact save/restore, seeded resets, observations, errors, cameras."""

from __future__ import annotations

import numpy as np
import pytest

from eval.envs import BACKEND_TASKS, ENV_BACKENDS, make_env
from eval.envs.robosuite_env import RobosuiteEnv, RobosuiteState
from wam_tts import Simulator, UnknownNameError, require_simulator


@pytest.fixture(scope="module")
def lift() -> RobosuiteEnv:
    env = RobosuiteEnv("Lift")
    yield env
    env.close()


@pytest.fixture(scope="module")
def door() -> RobosuiteEnv:
    env = RobosuiteEnv("Door")
    yield env
    env.close()


def random_actions(seed: int, k: int) -> np.ndarray:
    """Random arm motions with the gripper closing and opening in bursts."""
    actions = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(k, 7))
    actions[:, 6] = np.where(np.arange(k) % 7 < 3, 1.0, -1.0)
    return actions


def rollout(env: RobosuiteEnv, actions: np.ndarray) -> np.ndarray:
    return np.stack([env.step(a)["state"] for a in actions])


@pytest.mark.parametrize("env_name", ["lift", "door"])
def test_restore_replays_bit_identically(env_name: str, request: pytest.FixtureRequest) -> None:
    env: RobosuiteEnv = request.getfixturevalue(env_name)
    actions = random_actions(0, 30)
    env.reset(1)
    env.execute(actions[:10])  # mid-closing: the gripper's integrated command is neither -1 nor 1
    saved, saved_obs = env.get_state(), env.observe()
    first = rollout(env, actions[10:])
    after_first = env.get_state()

    env.set_state(saved)
    np.testing.assert_array_equal(env.observe()["state"], saved_obs["state"])
    assert env.timestep == 10
    second = rollout(env, actions[10:])
    np.testing.assert_array_equal(second, first)
    again = env.get_state()
    np.testing.assert_array_equal(again.physics, after_first.physics)
    for a, b in zip(again.grippers, after_first.grippers, strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.timestep == after_first.timestep == 30


def test_naive_restore_diverges(lift: RobosuiteEnv) -> None:
    """robosuite's own flattened state + forward() misses the gripper's integrated command."""
    actions = random_actions(2, 30)
    lift.reset(3)
    lift.execute(actions[:10])
    raw = lift.unwrapped
    flat = raw.sim.get_state().flatten()
    reference = rollout(lift, actions[10:])

    raw.sim.set_state_from_flattened(flat)
    raw.sim.forward()
    naive = rollout(lift, actions[10:])
    assert np.abs(naive - reference).max() > 1e-3


def test_restore_is_exact_while_grasping(lift: RobosuiteEnv) -> None:
    """Contacts (cube between the fingers) replay exactly too."""
    from eval.envs.experts import EXPERTS

    expert = EXPERTS.get("Lift")(lift, noise=0.0)
    obs = lift.reset(0)
    expert.reset(obs, np.random.default_rng(0))
    while expert.phase != "lift":
        obs = lift.step(expert.act(obs))
    saved = lift.get_state()
    actions = np.tile([0.0, 0.0, 0.6, 0.0, 0.0, 0.0, 1.0], (10, 1))
    first = rollout(lift, actions)
    lift.set_state(saved)
    np.testing.assert_array_equal(rollout(lift, actions), first)


def test_set_state_rejects_foreign_state(lift: RobosuiteEnv) -> None:
    with pytest.raises(TypeError, match="RobosuiteState"):
        lift.set_state({"qpos": np.zeros(3)})


@pytest.mark.parametrize("env_name", ["lift", "door"])
def test_seeded_reset(env_name: str, request: pytest.FixtureRequest) -> None:
    env: RobosuiteEnv = request.getfixturevalue(env_name)
    first = env.reset(7)["state"]
    env.execute(random_actions(4, 15))  # some history must not leak into the next episode
    env.reset(8)
    again = env.reset(7)["state"]
    np.testing.assert_array_equal(again, first)
    assert not np.array_equal(env.reset(8)["state"], first)
    # same seed, same actions: the same trajectory
    actions = random_actions(5, 10)
    env.reset(7)
    a = rollout(env, actions)
    env.reset(7)
    np.testing.assert_array_equal(rollout(env, actions), a)


def test_state_layout_and_obs(lift: RobosuiteEnv, door: RobosuiteEnv) -> None:
    assert [k for k, _ in lift.state_layout] == [
        "cube_pos", "cube_quat", "gripper_to_cube_pos",
        "robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos",
    ]
    assert (lift.state_dim, door.state_dim) == (19, 23)
    obs = lift.reset(0)
    assert obs["state"].dtype == np.float32 and obs["state"].shape == (19,)
    # the cube's position is the simulator's, at the end of the step
    stepped = lift.step(np.zeros(7))
    raw = lift.unwrapped
    np.testing.assert_allclose(stepped["state"][:3], raw.sim.data.body_xpos[raw.cube_body_id], atol=1e-6)
    assert (lift.max_steps, lift.action_dim, lift.supports_state) == (150, 7, True)


def test_bad_actions_are_named(lift: RobosuiteEnv) -> None:
    lift.reset(0)
    with pytest.raises(ValueError, match=r"shape \(7,\)"):
        lift.step(np.zeros(6))
    with pytest.raises(ValueError, match="NaN"):
        lift.step(np.full(7, np.nan))
    with pytest.raises(ValueError, match=r"\[k >= 1, 7\]"):
        lift.execute(np.zeros(7))


def test_execute_returns_last_obs(lift: RobosuiteEnv) -> None:
    actions = random_actions(6, 5)
    lift.reset(2)
    last = lift.execute(actions)["state"]
    lift.reset(2)
    np.testing.assert_array_equal(rollout(lift, actions)[-1], last)


def test_success_uses_the_envs_check(lift: RobosuiteEnv) -> None:
    lift.reset(0)
    assert lift.success() is False
    raw = lift.unwrapped
    start, _ = raw.sim.model.get_joint_qpos_addr(raw.cube.joints[0])
    raw.sim.data.qpos[start + 2] += 0.2  # lift the cube by hand
    lift.observe()  # recomputes positions
    assert lift.success() is True


def test_is_a_simulator(lift: RobosuiteEnv) -> None:
    assert require_simulator(lift, "test") is lift
    assert isinstance(lift, Simulator)
    assert isinstance(lift.get_state(), RobosuiteState)


def test_unknown_task_and_backend() -> None:
    assert set(BACKEND_TASKS["robosuite"]) >= {"Lift", "Stack", "Door", "PickPlaceCan"}
    assert "robosuite" in ENV_BACKENDS
    with pytest.raises(ValueError, match="unknown robosuite task 'Lfit'.*Lift"):
        make_env("robosuite", "Lfit")
    with pytest.raises(ValueError, match="unknown robosuite task"):
        RobosuiteEnv("Wipe")
    with pytest.raises(UnknownNameError, match="robosuite"):
        make_env("robosuit", "Lift")


def test_camera_images_are_upright_uint8() -> None:
    """The red cube appears where a pinhole projection of its position puts it (rows grow downward)."""
    size = 64
    with make_env("robosuite", "Lift", cameras=["agentview"], image_size=size) as env:
        obs = env.reset(0)
        image = obs["agentview_image"]
        assert image.dtype == np.uint8 and image.shape == (size, size, 3)
        raw = env.unwrapped
        row, col = project(raw, "agentview", raw.sim.data.body_xpos[raw.cube_body_id], size)
        red = image.astype(int)
        redness = red[..., 0] - (red[..., 1] + red[..., 2]) / 2
        assert redness[row, col] > 60  # the cube
        assert redness[size - 1 - row, col] < 30  # where an upside-down image would put it
        with pytest.raises(ValueError, match="unknown camera"):
            RobosuiteEnv("Lift", cameras=["nosuchcam"])


def project(raw, camera: str, point: np.ndarray, size: int) -> tuple[int, int]:
    """Pixel (row, col) of a world point in an upright image (MuJoCo cameras look along -z, y up)."""
    model, data = raw.sim.model._model, raw.sim.data._data
    cam = model.camera(camera).id
    local = data.cam_xmat[cam].reshape(3, 3).T @ (point - data.cam_xpos[cam])
    focal = size / 2 / np.tan(np.radians(model.cam_fovy[cam]) / 2)
    col = size / 2 + focal * local[0] / -local[2]
    row = size / 2 - focal * local[1] / -local[2]
    return int(row), int(col)


def test_sign_flipping_quaternions_are_left_out() -> None:
    """robosuite's object-to-eef quaternion flips sign between steps; the state leaves it out."""
    with RobosuiteEnv("PickPlaceCan") as env:
        keys = [k for k, _ in env.state_layout]
        assert keys == ["Can_to_robot0_eef_pos", "Can_pos", "Can_quat",
                        "robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos"]
        assert env.state_dim == 19 and env.reset(0)["state"].shape == (19,)


def test_lazy_images_render_only_when_read_and_never_a_stale_frame() -> None:
    """With lazy_images a frame is rendered on first read, equals the eager render of the same
    state, and reading it after the simulator moved on is an error naming the fix."""
    actions = random_actions(3, 5)
    with make_env("robosuite", "Lift", cameras=["agentview"], image_size=32) as eager, \
            make_env("robosuite", "Lift", cameras=["agentview"], image_size=32, lazy_images=True) as lazy:
        eager.reset(4)
        obs = lazy.reset(4)
        assert obs.rendered == [] and sorted(obs) == ["agentview_image", "state"]
        for action in actions[:-1]:
            expected = eager.step(action)
            obs = lazy.step(action)
        assert np.array_equal(obs["state"], expected["state"]) and obs.rendered == []
        assert np.array_equal(obs["agentview_image"], expected["agentview_image"])
        assert obs.rendered == ["agentview_image"]
        stale = lazy.step(actions[-1])
        kept = obs["agentview_image"]  # already rendered: still readable
        assert kept is obs["agentview_image"]
        lazy.step(actions[0])
        with pytest.raises(RuntimeError, match="never read and the simulator has moved on"):
            stale["agentview_image"]
        with pytest.raises(KeyError):
            stale["frontview_image"]

"""RoboCasa's start state under robosuite 1.5.1 (which Cosmos-Policy pins): its start-joint noise
comes from the global np.random, so the backend seeds it per episode, or as upstream's eval does."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from eval.cosmos_instructions import missing_by_episode
from eval.envs.robocasa_env import UPSTREAM_ENCODE_SEED, RoboCasaEnv
from tests.eval.envs.test_robocasa import FakeKitchen, fake_kitchen  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow


class Robosuite151Kitchen(FakeKitchen):
    """The FAKE kitchen with robosuite 1.5.1's start noise: the object moved by the global np.random."""

    def reset(self):
        obs = super().reset()
        self._env.sim.data.qpos[-7:-4] += np.random.uniform(-0.02, 0.02, 3)
        self._env.sim.forward()
        return obs


@pytest.fixture
def kitchen_151(fake_kitchen, monkeypatch, tmp_path):  # noqa: F811
    import eval.envs.robocasa_env as robocasa_env

    monkeypatch.setattr(robocasa_env, "_robosuite_make", Robosuite151Kitchen)
    configs = tmp_path / "controllers.pkl"
    configs.write_bytes(pickle.dumps(None))
    return str(configs)


def test_an_episodes_start_state_does_not_depend_on_what_ran_before(kitchen_151) -> None:
    env = RoboCasaEnv("TurnOffMicrowave", controller_configs=kitchen_151)
    try:
        env.reset(0)
        after_another = env.reset(3)["state"]
        np.random.seed(12345)
        np.random.uniform(size=7)
        fresh = env.reset(3)["state"]
        other = env.reset(4)["state"]
    finally:
        env.close()
    assert np.array_equal(after_another, fresh)
    assert not np.array_equal(fresh, other)


def test_upstream_protocol_seeds_the_global_rng_as_upstreams_eval(kitchen_151, monkeypatch) -> None:
    seeds = []
    real_seed = np.random.seed
    monkeypatch.setattr(np.random, "seed", lambda s=None: (seeds.append(s), real_seed(s))[1])
    env = RoboCasaEnv("TurnOffMicrowave", controller_configs=kitchen_151, seed_protocol="upstream")
    try:
        env.reset(0)
        env.reset(1)
        env.reset(2)
    finally:
        env.close()
    assert seeds == [195, UPSTREAM_ENCODE_SEED, UPSTREAM_ENCODE_SEED]
    assert [env.global_seed(e) for e in (0, 5)] == [195, 7]
    with pytest.raises(ValueError, match="seed_protocol must be one of"):
        RoboCasaEnv("TurnOffMicrowave", controller_configs=kitchen_151, seed_protocol="none")


def test_episode_instructions_are_read_without_running_the_episode(kitchen_151) -> None:
    env = RoboCasaEnv("TurnOffMicrowave", controller_configs=kitchen_151)
    cache = {"fake instruction for layout (1, 1)": None}
    missing = missing_by_episode(cache, env.episode_instruction, [0, 10, 20])
    assert missing == {10: "fake instruction for layout (2, 2)", 20: "fake instruction for layout (4, 4)"}
    assert env._env is None and env.warmup_steps == 10

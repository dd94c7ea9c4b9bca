"""A minimal gym env that ``lerobot-eval`` builds like its own (``--env.type=wam_tts_toy``), no download.

LeRobot 0.6.1 ships no simulator-free env, so the tests register this one: two 64x64 cameras
and an 8-d state, rendered from a state the actions move, so what the policy does changes what
it sees next. Every action an env receives is kept in :data:`ACTIONS` (one list per episode),
so tests compare the actions two runs executed. Importing this package registers the env
(``--env.discover_packages_path=tests.lerobot.toy_env`` from the command line).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.envs.configs import EnvConfig
from lerobot.utils.constants import ACTION, OBS_STATE

GYM_ID = "wam_tts_toy/Toy-v0"
SIZE, STATE_DIM, ACTION_DIM = 64, 8, 7
TASK = "pick up the red block and put it in the box"
#: The actions every toy env received, one list per episode (reset), in order.
ACTIONS: list[list[np.ndarray]] = []


class ToyEnv(gym.Env):
    """The state moves by 0.05 x action; both images are smooth patterns of the state."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self) -> None:
        self.observation_space = gym.spaces.Dict({
            "pixels": gym.spaces.Dict({
                name: gym.spaces.Box(0, 255, (SIZE, SIZE, 3), np.uint8) for name in ("image", "image2")
            }),
            "agent_pos": gym.spaces.Box(-np.inf, np.inf, (STATE_DIM,), np.float32),
        })
        self.action_space = gym.spaces.Box(-np.inf, np.inf, (ACTION_DIM,), np.float32)
        self.task = "toy"
        self.task_description = TASK
        self._state = np.zeros(STATE_DIM)
        grid = np.linspace(-1.0, 1.0, SIZE)
        self._y, self._x = np.meshgrid(grid, grid, indexing="ij")

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = self.np_random.uniform(-1.0, 1.0, STATE_DIM)
        ACTIONS.append([])
        return self._obs(), {"is_success": False}

    def step(self, action: np.ndarray):
        action = np.asarray(action, dtype=np.float64)
        ACTIONS[-1].append(action.copy())
        self._state[:ACTION_DIM] += 0.05 * np.tanh(action)
        success = bool(np.linalg.norm(self._state[:2]) < 0.05)
        return self._obs(), float(-np.linalg.norm(self._state[:2])), success, False, {"is_success": success}

    def render(self) -> np.ndarray:
        return self._image(0)

    def _image(self, offset: int) -> np.ndarray:
        s = self._state
        channels = [np.sin(3 * (s[(offset + c) % STATE_DIM] * self._x + s[(offset + c + 1) % STATE_DIM] * self._y) + c)
                    for c in range(3)]
        return (127.5 * (1 + np.stack(channels, axis=-1))).astype(np.uint8)

    def _obs(self) -> dict:
        return {"pixels": {"image": self._image(0), "image2": self._image(3)},
                "agent_pos": self._state.astype(np.float32)}


gym.register(GYM_ID, entry_point=ToyEnv)


@EnvConfig.register_subclass("wam_tts_toy")
@dataclass
class ToyEnvConfig(EnvConfig):
    """``--env.type=wam_tts_toy``: :class:`ToyEnv`, ``episode_length`` steps."""

    task: str | None = "Toy-v0"
    fps: int = 10
    episode_length: int = 14
    features: dict[str, PolicyFeature] = field(default_factory=lambda: {
        ACTION: PolicyFeature(type=FeatureType.ACTION, shape=(ACTION_DIM,)),
        "image": PolicyFeature(type=FeatureType.VISUAL, shape=(SIZE, SIZE, 3)),
        "image2": PolicyFeature(type=FeatureType.VISUAL, shape=(SIZE, SIZE, 3)),
        "agent_pos": PolicyFeature(type=FeatureType.STATE, shape=(STATE_DIM,)),
    })
    features_map: dict[str, str] = field(default_factory=lambda: {
        ACTION: ACTION, "image": "observation.images.image", "image2": "observation.images.image2",
        "agent_pos": OBS_STATE,
    })

    @property
    def gym_id(self) -> str:
        return GYM_ID

    @property
    def gym_kwargs(self) -> dict:
        return {"max_episode_steps": self.episode_length}

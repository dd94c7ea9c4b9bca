"""RoboCasa kitchens under Cosmos-Policy's evaluation protocol, on the robosuite backend's machinery.

The protocol (``cosmos_policy/experiments/robot/robocasa/run_robocasa_eval.py``):

- 24 single-stage tasks with their own step limits (:data:`ROBOCASA_TASK_MAX_STEPS`);
- 50 episodes = 5 kitchen scenes (layout, style) x 10 episodes: episode ``i`` uses scene
  ``(i // 10) % 5`` and simulator seed ``base_seed * i * 256`` (upstream's formula: episode
  0 gets seed 0 whatever the base seed), a NEW env per episode, object split ``"B"``,
  robot ``PandaMobile``, three 224x224 cameras;
- 10 zero-action warm-up steps after reset (not counted, success not checked);
- images flipped upright with ``np.flipud`` (robosuite renders them upside down);
- the policy's 7-D actions (OSC_POSE delta + gripper) padded to the robot's 12-D action
  (mobile base and torso still, base in arm mode: upstream appends ``[0, 0, 0, 0, -1]``);
- 16 of the 32 predicted actions executed per decision (the harness's ``execute: 16``);
  success (``env._check_success()``) checked after every step (the harness does).

:class:`CosmosProtocolEnv` is that protocol on any robosuite env, so it is tested on
robosuite's own tasks (Lift with the same mobile Panda); :class:`RoboCasaEnv` adds the
kitchens. Both extend :class:`~eval.envs.robosuite_env.RobosuiteEnv`'s exact save/restore
with the robot's controller state (a mobile base keeps goals between steps) and the
last observation, so replays from a restored state are bit-identical.

``reset(seed)`` takes the episode index (``seeds_by_trial``), as upstream numbers episodes.
"""

from __future__ import annotations

import copy
import importlib.util
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.envs.base import Obs
from eval.envs.registry import register_env
from eval.envs.robosuite_env import PROPRIO_KEYS, RobosuiteEnv, RobosuiteState, _import_robosuite
from wam_tts import ACTION_SPACES

#: Task → step limit, from upstream's run_robocasa_eval.py (TASK_MAX_STEPS).
#: The arm action of Cosmos-Policy's RoboCasa protocol (the mobile base is held still).
ACTION_SPACES.register("cosmos_robocasa")("xyz, axis-angle, gripper")

ROBOCASA_TASK_MAX_STEPS: dict[str, int] = {
    "PnPCounterToCab": 500, "PnPCabToCounter": 500, "PnPCounterToSink": 700, "PnPSinkToCounter": 500,
    "PnPCounterToMicrowave": 600, "PnPMicrowaveToCounter": 500, "PnPCounterToStove": 500,
    "PnPStoveToCounter": 500, "OpenSingleDoor": 500, "CloseSingleDoor": 500, "OpenDoubleDoor": 1000,
    "CloseDoubleDoor": 700, "OpenDrawer": 500, "CloseDrawer": 500, "TurnOnStove": 500, "TurnOffStove": 500,
    "TurnOnSinkFaucet": 500, "TurnOffSinkFaucet": 500, "TurnSinkSpout": 500, "CoffeeSetupMug": 600,
    "CoffeeServeMug": 600, "CoffeePressButton": 300, "TurnOnMicrowave": 500, "TurnOffMicrowave": 500,
}
#: The five test kitchens (layout id, style id); episode i uses scene (i // 10) % 5.
ROBOCASA_SCENES: tuple[tuple[int, int], ...] = ((1, 1), (2, 2), (4, 4), (6, 9), (7, 10))
EPISODES_PER_SCENE = 10
ROBOCASA_CAMERAS: tuple[str, ...] = ("robot0_agentview_left", "robot0_agentview_right", "robot0_eye_in_hand")
WARMUP_STEPS = 10
#: Actions executed per decision in upstream's protocol (of the 32 predicted).
OPEN_LOOP_STEPS = 16
#: Cosmos-Policy's proprio: gripper_qpos(2), eef_pos(3), eef_quat(4, xyzw).
COSMOS_PROPRIO_KEYS: tuple[str, ...] = ("robot0_gripper_qpos", "robot0_eef_pos", "robot0_eef_quat")
#: RoboCasa's action layout for PandaOmron (set by its Kitchen env): arm, gripper, base, torso, base mode.
ROBOCASA_BODY_PART_ORDERING = ("right", "right_gripper", "base", "torso")
ARM_ACTION_DIM = 7
UPSTREAM_CONTROLLER_PKL = "experiments/robot/robocasa/robocasa_controller_configs.pkl"

#: How the global ``np.random`` is seeded before each episode (robosuite 1.5.1, which
#: Cosmos-Policy pins, draws the robot's start-joint noise from it; 1.5.2 uses the env's
#: own generator): ``per_episode`` from the episode's simulator seed (reproducible whatever
#: ran before), or ``upstream`` as upstream's eval leaves it: ``base_seed`` (195) before the
#: first episode, and 7 before the others (its VAE reseeds the global RNGs with 7 at every
#: encode when DETERMINISTIC is set).
SEED_PROTOCOLS = ("per_episode", "upstream")
UPSTREAM_ENCODE_SEED = 7

ROBOCASA_INSTALL_HINT = (
    "RoboCasa is not on PyPI. Install Cosmos-Policy's fork in the same environment: "
    "`git clone https://github.com/moojink/robocasa-cosmos-policy && pip install -e robocasa-cosmos-policy`, "
    "then `python robocasa-cosmos-policy/robocasa/scripts/download_kitchen_assets.py` (about 5 GB) and "
    "`python robocasa-cosmos-policy/robocasa/scripts/setup_macros.py`. See adapters/cosmos_policy/README.md."
)


@dataclass(frozen=True)
class ProtocolState:
    """:class:`RobosuiteState` plus what lives outside MuJoCo's state: the env's, controllers'
    and observables' data attributes, backend extras (RoboCasa's fixtures) and the last raw
    observation."""

    sim: RobosuiteState
    env: dict[str, Any]
    controllers: tuple[dict[str, Any], ...]
    observables: dict[str, dict[str, Any]]
    extra: dict[str, Any]
    raw_obs: dict[str, np.ndarray]


class CosmosProtocolEnv(RobosuiteEnv):
    """Cosmos-Policy's RoboCasa protocol on a robosuite env (by default robosuite's own task).

    Observations: ``"<camera>_image"`` uint8 upright (robosuite's own renders, flipped),
    ``"proprio"`` float64 ``[gripper_qpos(2), eef_pos(3), eef_quat(4)]`` as Cosmos-Policy
    reads it, ``"state"`` float32 (object observables then ``eef_pos, eef_quat,
    gripper_qpos`` as in the robosuite backend), ``"instruction"`` (a 0-d str array).
    Actions: ``[7]`` arm + gripper, padded to the robot's full action vector.
    """

    name = "cosmos_protocol"
    supports_state = True
    seeds_by_trial = True

    def __init__(
        self,
        task: str,
        *,
        robot: str = "PandaOmron",
        cameras: Sequence[str] = ("agentview", "robot0_eye_in_hand"),
        image_size: int = 224,
        max_steps: int = 500,
        warmup_steps: int = WARMUP_STEPS,
        instruction: str = "",
        robocasa_action_layout: bool = True,
        seed_protocol: str = "per_episode",
        base_seed: int = 195,
    ) -> None:
        if seed_protocol not in SEED_PROTOCOLS:
            raise ValueError(f"seed_protocol must be one of {SEED_PROTOCOLS}, got {seed_protocol!r}")
        if max_steps < 1 or warmup_steps < 0 or image_size < 1:
            raise ValueError(f"need max_steps >= 1, warmup_steps >= 0, image_size >= 1; got {max_steps}, {warmup_steps}, {image_size}")
        self._suite = _import_robosuite()
        import mujoco

        self._mujoco = mujoco
        self._spec = mujoco.mjtState.mjSTATE_INTEGRATION
        self.task = task
        self.robot = robot
        self.cameras = tuple(cameras)
        self.image_size = int(image_size)
        self.max_steps = int(max_steps)
        self.warmup_steps = int(warmup_steps)
        self.instruction = instruction
        self.robocasa_action_layout = robocasa_action_layout
        self.seed_protocol = seed_protocol
        self.base_seed = int(base_seed)
        self.action_dim = ARM_ACTION_DIM
        self._renderer = None  # cameras come from robosuite's own renderer, as upstream
        self._env: Any = None
        self._raw: dict[str, np.ndarray] = {}

    # -- construction hooks ---------------------------------------------------------------
    def _make_kwargs(self, seed: int) -> dict[str, Any]:
        """robosuite.make arguments of the episode with index ``seed``."""
        kwargs: dict[str, Any] = dict(
            env_name=self.task, robots=self.robot, has_renderer=False, ignore_done=True,
            use_camera_obs=bool(self.cameras), has_offscreen_renderer=bool(self.cameras),
            camera_names=list(self.cameras) or None, camera_heights=self.image_size,
            camera_widths=self.image_size, camera_depths=False, seed=seed, hard_reset=False,
        )
        if self.robocasa_action_layout:
            from robosuite.controllers import load_composite_controller_config

            config = load_composite_controller_config(robot=self.robot)
            config.setdefault("composite_controller_specific_configs", {})["body_part_ordering"] = list(
                ROBOCASA_BODY_PART_ORDERING
            )
            kwargs["controller_configs"] = config
        if not self.cameras:
            kwargs.pop("camera_names")
        return kwargs

    def _new_env_each_episode(self) -> bool:
        """Robosuite tasks reuse one env (reseeded); kitchens change scene per episode."""
        return False

    def _episode_instruction(self) -> str:
        return self.instruction

    # -- EnvBackend ---------------------------------------------------------------------------
    def reset(self, seed: int) -> Obs:
        """Episode ``seed``: (re)build or reseed the env, reset, then the zero-action warm-up."""
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"{self.name}: reset takes the episode index (an int >= 0), got {seed!r}")
        kwargs = self._make_kwargs(int(seed))
        np.random.seed(self.global_seed(int(seed)))
        rebuild = self._new_env_each_episode()
        if self._env is None or rebuild:
            self.close()
            self._env = _robosuite_make(self._suite, kwargs)
            self._bind()
        if not rebuild:  # as RobosuiteEnv: restart robosuite's generator, so history never matters
            self._env.seed = kwargs["seed"]
            self._env.rng.bit_generator.state = np.random.default_rng(kwargs["seed"]).bit_generator.state
        self._raw = dict(self._env.reset())
        self._bind_episode()
        zero = np.zeros(self._env.action_dim)
        for _ in range(self.warmup_steps):
            self._raw = dict(self._env.step(zero.copy())[0])
        return self.observe()

    def global_seed(self, episode: int) -> int:
        """The seed of the global ``np.random`` before episode ``episode`` (see :data:`SEED_PROTOCOLS`)."""
        if self.seed_protocol == "upstream":
            return self.base_seed if episode == 0 else UPSTREAM_ENCODE_SEED
        return int(self._make_kwargs(episode)["seed"]) % 2**32

    def step(self, action: np.ndarray) -> Obs:
        self._require_env()
        self._raw = dict(self._env.step(self.full_action(self.check_action(action)))[0])
        return self.observe()

    def observe(self) -> Obs:
        self._require_env()
        raw = self._raw
        obs: Obs = {
            "state": np.concatenate([np.ravel(raw[key]) for key, _ in self.state_layout]).astype(np.float32),
            "proprio": np.concatenate([np.ravel(raw[key]) for key in COSMOS_PROPRIO_KEYS]).astype(np.float64),
            "instruction": np.array(self._episode_text),
        }
        for camera in self.cameras:
            obs[f"{camera}_image"] = np.ascontiguousarray(np.flipud(raw[f"{camera}_image"]))
        return obs

    def success(self) -> bool:
        self._require_env()
        return bool(self._env._check_success())

    @property
    def timestep(self) -> int:
        """Actions executed since the last reset (the zero-action warm-up not counted)."""
        self._require_env()
        return int(self._env.timestep) - self.warmup_steps

    def full_action(self, action: np.ndarray) -> np.ndarray:
        """The robot's full action for a 7-D arm + gripper action: base and torso still,
        base in arm mode. Built with the composite controller's own layout, so it equals
        upstream's ``[action, 0, 0, 0, 0, -1]`` on RoboCasa's PandaOmron layout."""
        robot = self._env.robots[0]
        if self._env.action_dim == ARM_ACTION_DIM:
            return np.array(action, dtype=np.float64)
        arm = robot.arms[0]
        parts = {arm: action[:6], f"{arm}_gripper": action[6:]}
        full = robot.composite_controller.create_action_vector(parts)
        if full.shape != (self._env.action_dim,):
            raise RuntimeError(f"{self.robot}: built a {full.shape} action for a {self._env.action_dim}-D action space")
        return full

    # -- Simulator ----------------------------------------------------------------------------
    def get_state(self) -> ProtocolState:
        self._require_env()
        return ProtocolState(
            sim=super().get_state(),
            env=_plain_attributes(self._env),
            controllers=tuple(_plain_attributes(c) for c in self._controllers()),
            observables={name: _plain_attributes(o) for name, o in self._env._observables.items()},
            extra=self._extra_state(),
            raw_obs=copy.deepcopy(self._raw),
        )

    def set_state(self, state: ProtocolState) -> None:
        if not isinstance(state, ProtocolState):
            raise TypeError(f"set_state expects a ProtocolState from get_state(), got {type(state).__name__}")
        self._require_env()
        super().set_state(state.sim)
        _restore_attributes(self._env, state.env)
        for controller, saved in zip(self._controllers(), state.controllers, strict=True):
            _restore_attributes(controller, saved)
        for name, saved in state.observables.items():
            _restore_attributes(self._env._observables[name], saved)
        self._restore_extra(state.extra)
        self._raw = copy.deepcopy(state.raw_obs)

    def _extra_state(self) -> dict[str, Any]:
        """Backend-specific state outside MuJoCo's (none for robosuite's own tasks)."""
        return {}

    def _restore_extra(self, extra: dict[str, Any]) -> None:
        """Put back what :meth:`_extra_state` saved."""

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None

    # -- internals ------------------------------------------------------------------------------
    def _bind(self) -> None:
        """Handles on a freshly made env (what RobosuiteEnv's save/restore uses)."""
        self._grippers = [g for robot in self._env.robots for g in robot.gripper.values()]

    def _bind_episode(self) -> None:
        """After each reset: the state layout (objects may change) and the instruction."""
        self.state_layout = self._raw_state_layout()
        self.state_dim = sum(size for _, size in self.state_layout)
        self._episode_text = self._episode_instruction()

    def _raw_state_layout(self) -> list[tuple[str, int]]:
        """The robosuite backend's state order, read from the last observation: robosuite's
        ``force_update`` would shift its observables' sampling phase, unlike upstream."""
        object_keys = [
            name for name, observable in self._env._observables.items()
            if observable.modality == "object" and observable.is_enabled() and observable.is_active()
        ]
        return [(key, int(np.size(self._raw[key]))) for key in [*object_keys, *PROPRIO_KEYS]]

    def _controllers(self) -> list[Any]:
        # Soft resets rebuild the controllers: look them up every time.
        return [c for robot in self._env.robots for c in robot.composite_controller.part_controllers.values()]

    def _require_env(self) -> None:
        if self._env is None:
            raise RuntimeError(f"{self.name}/{self.task}: call reset(episode) first")


@register_env("robocasa", tasks=tuple(ROBOCASA_TASK_MAX_STEPS))
class RoboCasaEnv(CosmosProtocolEnv):
    """One of the 24 RoboCasa tasks, evaluated exactly as Cosmos-Policy's RoboCasa script does.

    Needs Cosmos-Policy's RoboCasa fork and its kitchen assets (see
    :data:`ROBOCASA_INSTALL_HINT`); ``controller_configs="cosmos"`` loads upstream's
    ``robocasa_controller_configs.pkl`` from the installed ``cosmos_policy`` package, a
    path loads another pickle, and None uses RoboCasa's default controller.
    """

    name = "robocasa"

    def __init__(
        self,
        task: str,
        *,
        base_seed: int = 195,
        scenes: Sequence[Sequence[int]] = ROBOCASA_SCENES,
        obj_instance_split: str = "B",
        robot: str = "PandaMobile",
        image_size: int = 224,
        max_steps: int | None = None,
        controller_configs: str | None = "cosmos",
        randomize_cameras: bool = False,
        seed_protocol: str = "per_episode",
    ) -> None:
        if task not in ROBOCASA_TASK_MAX_STEPS:
            raise ValueError(f"unknown RoboCasa task {task!r}; valid tasks: {', '.join(ROBOCASA_TASK_MAX_STEPS)}")
        if importlib.util.find_spec("robocasa") is None:
            raise ImportError(f"the robocasa backend needs RoboCasa. {ROBOCASA_INSTALL_HINT}")
        import robocasa  # noqa: F401  (registers the kitchen envs with robosuite)

        super().__init__(task, robot=robot, cameras=ROBOCASA_CAMERAS, image_size=image_size,
                         max_steps=max_steps or ROBOCASA_TASK_MAX_STEPS[task], robocasa_action_layout=False,
                         seed_protocol=seed_protocol, base_seed=base_seed)
        self.scenes = tuple((int(layout), int(style)) for layout, style in scenes)
        self.obj_instance_split = obj_instance_split
        self.randomize_cameras = randomize_cameras
        self.controller_configs = _controller_configs(controller_configs)

    def scene(self, episode: int) -> tuple[int, int]:
        """Kitchen (layout, style) of episode ``episode``."""
        return self.scenes[(episode // EPISODES_PER_SCENE) % len(self.scenes)]

    def sim_seed(self, episode: int) -> int:
        """Upstream's simulator seed of episode ``episode`` (``seed * episode_idx * 256``)."""
        return self.base_seed * episode * 256

    def _make_kwargs(self, seed: int) -> dict[str, Any]:
        return dict(
            env_name=self.task, robots=self.robot, controller_configs=copy.deepcopy(self.controller_configs),
            camera_names=list(ROBOCASA_CAMERAS), camera_widths=self.image_size, camera_heights=self.image_size,
            has_renderer=False, has_offscreen_renderer=True, ignore_done=True, use_object_obs=True,
            use_camera_obs=True, camera_depths=False, seed=self.sim_seed(seed),
            obj_instance_split=self.obj_instance_split, generative_textures=None,
            randomize_cameras=self.randomize_cameras, layout_and_style_ids=(self.scene(seed),),
            translucent_robot=False,
        )

    def _new_env_each_episode(self) -> bool:
        return True

    def episode_instruction(self, episode: int) -> str:
        """The instruction of episode ``episode`` (RoboCasa draws it with the scene: one kitchen build)."""
        warmup, self.warmup_steps = self.warmup_steps, 0
        try:
            self.reset(episode)
            return self._episode_instruction()
        finally:
            self.warmup_steps = warmup
            self.close()

    def _episode_instruction(self) -> str:
        return str(self._env.get_ep_meta()["lang"])

    def _extra_state(self) -> dict[str, Any]:
        """Kitchen fixtures keep state in Python (a microwave's or coffee machine's
        ``_turned_on``) and recolour model sites (the coffee stream), outside MuJoCo's state."""
        return {
            "fixtures": {name: _plain_attributes(f) for name, f in self._env.fixtures.items()},
            "site_rgba": np.array(self._env.sim.model.site_rgba),
        }

    def _restore_extra(self, extra: dict[str, Any]) -> None:
        for name, saved in extra["fixtures"].items():
            _restore_attributes(self._env.fixtures[name], saved)
        self._env.sim.model.site_rgba[:] = extra["site_rgba"]


def _robosuite_make(suite: Any, kwargs: Mapping[str, Any]) -> Any:
    """``robosuite.make(**kwargs)`` (one place, so tests can stand in a fake kitchen)."""
    return suite.make(**kwargs)


def _controller_configs(choice: str | None) -> Any:
    if choice is None:
        return None
    if choice == "cosmos":
        spec = importlib.util.find_spec("cosmos_policy")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(
                "controller_configs='cosmos' reads Cosmos-Policy's robocasa_controller_configs.pkl from the "
                "installed cosmos_policy package, which is missing; install it (adapters/cosmos_policy/README.md), "
                "pass the pickle's path, or None for RoboCasa's default controller (not upstream's protocol)"
            )
        path = Path(spec.submodule_search_locations[0]) / UPSTREAM_CONTROLLER_PKL
    else:
        path = Path(choice)
    if not path.is_file():
        raise FileNotFoundError(f"controller config pickle not found: {path}")
    with path.open("rb") as f:
        return pickle.load(f)


_PLAIN = (np.ndarray, np.generic, int, float, bool, str, type(None))


def _is_plain(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(v) for v in value.values())
    return False


def _plain_attributes(obj: Any) -> dict[str, Any]:
    """Copies of an object's data attributes (arrays, numbers, and containers of them)."""
    return {k: copy.deepcopy(v) for k, v in vars(obj).items() if _is_plain(v)}


def _restore_attributes(obj: Any, saved: Mapping[str, Any]) -> None:
    for key, value in saved.items():
        setattr(obj, key, copy.deepcopy(value))

"""robosuite tasks with a Panda arm, exact save/restore and optional offscreen cameras.

Observation ``obs["state"]`` (float32) is, in this fixed order:

1. the task's object state: robosuite's ``object``-modality observables in the env's
   own registration order (listed per task by :attr:`RobosuiteEnv.state_layout`,
   e.g. Lift: ``cube_pos(3), cube_quat(4), gripper_to_cube_pos(3)``), less the
   sign-flipping object-to-eef quaternions (:data:`EXCLUDED_SUFFIXES`);
2. proprio: ``robot0_eef_pos(3), robot0_eef_quat(4, xyzw), robot0_gripper_qpos(2)``.

Observations are computed from the simulator state at the *end* of each control step
(robosuite's own observables sample near the start of a step, and with its lite physics
positions lag one substep behind). Cameras, when asked for,
are rendered by our own :class:`mujoco.Renderer` (MSAA and reflections off, upright
uint8) as ``"<camera>_image"``.

The action is robosuite's default Panda composite controller: OSC_POSE delta, 7-D in
[-1, 1] (``dx, dy, dz, rx, ry, rz, gripper``; gripper +1 closes), 20 Hz. Out-of-range
actions are clipped by robosuite's controller. Episodes are never ended by robosuite
(``ignore_done``); the harness stops at :attr:`max_steps`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eval.envs.rendering import choose_gl_backend

choose_gl_backend()  # EGL on a GPU machine, OSMesa on a CPU; the user's setting wins; before mujoco loads

import numpy as np  # noqa: E402

from eval.envs.base import EnvBackend, Obs  # noqa: E402
from eval.envs.registry import register_env  # noqa: E402
from wam_tts import ACTION_SPACES  # noqa: E402

#: Task → the harness's step budget (about 2-3x what the scripted expert needs).
#: The OSC_POSE action: a position delta, an axis-angle rotation delta and the gripper.
ACTION_SPACES.register("robosuite_osc")("xyz, axis-angle, gripper")

TASK_MAX_STEPS: dict[str, int] = {
    "Lift": 150,
    "Stack": 250,
    "Door": 200,
    "PickPlaceCan": 300,
    "NutAssemblySquare": 300,
}

PROPRIO_KEYS: tuple[str, ...] = ("robot0_eef_pos", "robot0_eef_quat", "robot0_gripper_qpos")

#: Object observables left out of ``obs["state"]``: robosuite computes the object-to-eef
#: quaternion through a matrix, so its sign flips between steps (PickPlace*, NutAssembly*);
#: the object's and the eef's own quaternions, both kept, carry the same information.
EXCLUDED_SUFFIXES: tuple[str, ...] = ("_to_robot0_eef_quat",)


#: Attribute types of a robosuite controller that make up its state between steps.
CONTROLLER_STATE_TYPES = (np.ndarray, np.generic, bool, int, float)


@dataclass(frozen=True)
class RobosuiteState:
    """Everything the next steps depend on: MuJoCo's integration state, the grippers'
    integrated commands, the controllers' cached state and the env's step counters.
    Valid in the episode it was taken in (a reset may move fixed objects, such as the
    door, in the model itself).

    The controllers matter: with robosuite's lite physics an OSC controller caches the
    reference pose, Jacobians and mass matrix, and its ``new_update`` flag decides whether
    the next ``set_goal`` recomputes them; restoring MuJoCo alone left them as the last
    explored branch had them, and an explored episode drifted from an unexplored one by
    about 1e-7 per chunk."""

    physics: np.ndarray
    grippers: tuple[np.ndarray, ...]
    controllers: tuple[dict[str, Any], ...]
    timestep: int
    cur_time: float


def _controller_state_of(controllers: list[Any]) -> tuple[dict[str, Any], ...]:
    """:func:`_controller_state` of each controller, copied together (arrays shared across
    controllers stay shared)."""
    return copy.deepcopy(tuple({key: value for key, value in vars(c).items() if isinstance(value, CONTROLLER_STATE_TYPES)}
                               for c in controllers))


def _import_robosuite() -> Any:
    from eval.logs import quiet_robosuite

    quiet_robosuite()
    try:
        import robosuite
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError(
            "the robosuite backend needs robosuite: pip install 'robosuite==1.5.2' 'mujoco>=3.3,<3.10'"
        ) from err
    return robosuite


@register_env("robosuite", tasks=tuple(TASK_MAX_STEPS))
class RobosuiteEnv(EnvBackend):
    """A robosuite task (see :data:`TASK_MAX_STEPS`) as an :class:`EnvBackend` and a
    :class:`wam_tts.Simulator`.

    The env is built once; :meth:`reset` reseeds robosuite's generator in place and does
    a soft reset (about 1 ms, against about 0.1 s to rebuild the env: see
    ``python -m eval.bench.envs``); the same seed gives the same episode whatever ran before.
    ``max_steps`` overrides the task's budget; ``cameras`` adds ``"<camera>_image"``
    (``image_size`` square) to every observation. With ``lazy_images`` an image is
    rendered only when read (:class:`LazyObservation`), so a loop that looks at frames
    only at decision points and at the steps predictions refer to pays for those alone.
    """

    name = "robosuite"
    supports_state = True
    lazy_images = False
    _generation = 0  # bumped whenever the simulator state changes (subclasses inherit the count)

    def __init__(
        self,
        task: str,
        *,
        cameras: Sequence[str] = (),
        image_size: int = 84,
        max_steps: int | None = None,
        lazy_images: bool = False,
    ) -> None:
        if task not in TASK_MAX_STEPS:
            raise ValueError(
                f"unknown robosuite task {task!r}; valid tasks: {', '.join(sorted(TASK_MAX_STEPS))}"
            )
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        suite = _import_robosuite()
        import mujoco

        self._mujoco = mujoco
        self.task = task
        self.max_steps = max_steps or TASK_MAX_STEPS[task]
        self.cameras = tuple(cameras)
        self.image_size = int(image_size)
        self.lazy_images = bool(lazy_images)
        self._env = suite.make(
            task,
            robots="Panda",
            has_renderer=False,
            has_offscreen_renderer=False,
            use_camera_obs=False,
            ignore_done=True,
            horizon=self.max_steps,
            hard_reset=False,
            seed=0,
        )
        self.action_dim = int(self._env.action_dim)
        self._spec = mujoco.mjtState.mjSTATE_INTEGRATION
        self._grippers = [g for robot_ in self._env.robots for g in robot_.gripper.values()]
        self._renderer = self._make_renderer() if self.cameras else None
        self.state_layout = self._state_layout()
        self.state_dim = sum(size for _, size in self.state_layout)

    # -- Simulator --------------------------------------------------------------------
    def reset(self, seed: int) -> Obs:
        """Seeded reset: robosuite's generator restarts from ``seed``, then a soft reset."""
        env = self._env
        env.seed = seed
        env.rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
        env.reset()
        self._generation += 1
        return self.observe()

    def step(self, action: np.ndarray) -> Obs:
        self._env.step(self.check_action(action))
        self._generation += 1
        return self.observe()

    def success(self) -> bool:
        return bool(self._env._check_success())

    def observe(self) -> Obs:
        # With robosuite's lite physics, positions after a step lag qpos by one substep;
        # mj_forward (17 us, leaves the integration state alone) brings them up to date.
        self._mujoco.mj_forward(self._env.sim.model._model, self._env.sim.data._data)
        values = self._env._get_observations(force_update=True)
        state = np.concatenate([np.ravel(values[key]) for key, _ in self.state_layout])
        obs: Obs = {"state": state.astype(np.float32)}
        if self.lazy_images:
            return LazyObservation(self, obs)
        for camera in self.cameras:
            obs[f"{camera}_image"] = self._render(camera)
        return obs

    def get_state(self) -> RobosuiteState:
        env = self._env
        model, data = env.sim.model._model, env.sim.data._data
        physics = np.empty(self._mujoco.mj_stateSize(model, self._spec))
        self._mujoco.mj_getState(model, data, physics, self._spec)
        return RobosuiteState(
            physics=physics,
            grippers=tuple(np.array(g.current_action) for g in self._grippers),
            controllers=_controller_state_of(self._robot_controllers),
            timestep=env.timestep,
            cur_time=env.cur_time,
        )

    def set_state(self, state: RobosuiteState) -> None:
        if not isinstance(state, RobosuiteState):
            raise TypeError(f"set_state expects a RobosuiteState from get_state(), got {type(state).__name__}")
        env = self._env
        model, data = env.sim.model._model, env.sim.data._data
        self._mujoco.mj_setState(model, data, state.physics, self._spec)
        self._mujoco.mj_forward(model, data)
        # mj_forward leaves the integration state (qacc_warmstart included) alone in MuJoCo
        # 3.9; setting it again makes that hold whatever the version.
        self._mujoco.mj_setState(model, data, state.physics, self._spec)
        for gripper, action in zip(self._grippers, state.grippers, strict=True):
            gripper.current_action = np.array(action)
        for controller, saved in zip(self._robot_controllers, copy.deepcopy(state.controllers), strict=True):
            vars(controller).update(saved)
        env.timestep = state.timestep
        env.cur_time = state.cur_time
        self._generation += 1

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._env.close()

    # -- internals --------------------------------------------------------------------
    @property
    def _robot_controllers(self) -> list[Any]:
        """The robots' controllers (robosuite builds new ones at every reset)."""
        return [c for robot in self._env.robots
                for c in (robot.composite_controller, *robot.composite_controller.part_controllers.values())]

    @property
    def timestep(self) -> int:
        """Control steps since the last reset."""
        return int(self._env.timestep)

    @property
    def unwrapped(self) -> Any:
        """The robosuite env (for scripted experts that read object poses)."""
        return self._env

    def _state_layout(self) -> list[tuple[str, int]]:
        values = self._env._get_observations(force_update=True)
        object_keys = [
            name
            for name, observable in self._env._observables.items()
            if observable.modality == "object" and observable.is_enabled() and observable.is_active()
            and not name.endswith(EXCLUDED_SUFFIXES)
        ]
        return [(key, int(np.size(values[key]))) for key in [*object_keys, *PROPRIO_KEYS]]

    def _make_renderer(self) -> Any:
        model = self._env.sim.model._model
        known = {model.camera(i).name for i in range(model.ncam)}
        unknown = [c for c in self.cameras if c not in known]
        if unknown:
            raise ValueError(f"unknown camera(s) {unknown} for {self.task}; available: {sorted(known)}")
        model.vis.quality.offsamples = 0  # no MSAA: about 3x faster on CPU
        return self._mujoco.Renderer(model, height=self.image_size, width=self.image_size)

    @property
    def generation(self) -> int:
        """Counts changes of the simulator state (reset, step, set_state)."""
        return self._generation

    def _render(self, camera: str) -> np.ndarray:
        renderer = self._renderer
        renderer.update_scene(self._env.sim.data._data, camera=camera)
        renderer.scene.flags[self._mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
        return np.ascontiguousarray(renderer.render(), dtype=np.uint8)  # mujoco.Renderer flips upright


class LazyObservation(Mapping[str, np.ndarray]):
    """An observation whose ``"<camera>_image"`` entries render on first read.

    A frame can only be rendered while the simulator is still in the state the
    observation was taken in; reading it after a step (or reset, or restore) is an error
    that names the fix, never a silently wrong frame. Rendered frames are kept.
    """

    def __init__(self, env: RobosuiteEnv, values: dict[str, np.ndarray]) -> None:
        self._env, self._values, self._generation = env, values, env.generation
        self._images = {f"{camera}_image": camera for camera in env.cameras}

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self._values:
            return self._values[key]
        if key not in self._images:
            raise KeyError(key)
        if self._env.generation != self._generation:
            raise RuntimeError(
                f"{key} of this observation was never read and the simulator has moved on since: read the "
                "frames an observation is needed for before stepping (or build the env with lazy_images=False)"
            )
        self._values[key] = image = self._env._render(self._images[key])
        return image

    def __iter__(self) -> Iterator[str]:
        return iter(["state", *self._images])

    def __len__(self) -> int:
        return 1 + len(self._images)

    @property
    def rendered(self) -> list[str]:
        """The image keys rendered so far."""
        return [key for key in self._images if key in self._values]

"""A toy benchmark whose true future is known exactly, for harness tests.

``ToyEnv`` (backend ``toy``): a point ``x`` in the plane moves by the action,
``x_{t+1} = x_t + a_t``, towards a goal ``g``; ``obs["state"] = [x, g]`` (float32);
success when ``|x - g| < tol``. ``toy`` has exact save/restore, ``toy_nostate`` has
none. Fault injection for tests: ``fail_seed_mod`` makes episodes whose seed is
divisible by it raise at ``fail_step`` (or kill their process with ``die``);
``flaky_dir`` makes each such seed fail only once (a marker file per seed);
``step_delay`` slows steps down for interruption tests; ``image`` adds an 8x8
``cam_image``; ``count_dir`` appends a line to ``<count_dir>/<seed>`` at every reset, so
a test can count how often each episode ran, across processes.

``ToyPolicy`` (policy ``toy``): every branch repeats ``gain * (g - x)`` for ``chunk``
steps plus per-branch noise (``wam_tts.branch_noise``); its future is ``x`` plus the
sum of its first ``horizon`` actions (the truth when those actions all run), plus
``bias`` times branch noise; its value is ``-|future - g|``; with ``images`` it also
returns the predicted frames as ``extras["future_image"]``. ``delay`` makes each
``sample`` sleep (a hanging policy); with ``block_alarm`` that sleep cannot be
interrupted by SIGALRM either (like a simulator stuck in C code).

The factory's ``checkpoint`` option names a file per task (``{task}`` replaced) that
must exist, like a real policy's checkpoint; its ``validate`` hook reports missing ones.

Importing this module registers both (idempotently), so it can be named in a run's
``plugins``.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import torch

from eval.envs import BACKEND_TASKS, ENV_BACKENDS
from eval.envs.base import EnvBackend, Obs
from eval.policies import POLICIES
from wam_tts import Branches, WorldActionModel, branch_noise

TASKS = {"reach": (0.6, 0.4), "reach_far": (1.5, -1.0)}


class ToyEnv(EnvBackend):
    """The point-mass task without save/restore (see the module docstring)."""

    name = "toy_nostate"

    def __init__(self, task: str, *, max_steps: int = 40, tol: float = 0.05, fail_seed_mod: int = 0,
                 fail_step: int = 3, die: bool = False, flaky_dir: str | None = None,
                 step_delay: float = 0.0, image: bool = False, count_dir: str | None = None) -> None:
        if task not in TASKS:
            raise ValueError(f"unknown toy task {task!r}; valid tasks: {', '.join(TASKS)}")
        self.task, self.max_steps, self.action_dim = task, max_steps, 2
        self.goal = np.array(TASKS[task])
        self.tol, self.fail_seed_mod, self.fail_step, self.die = tol, fail_seed_mod, fail_step, die
        self.flaky_dir, self.step_delay, self.image = flaky_dir, step_delay, image
        self.count_dir = count_dir
        self.x = np.zeros(2)
        self.t = 0
        self.seed = 0
        self.history: list[np.ndarray] = []

    def reset(self, seed: int) -> Obs:
        self.seed = seed
        if self.count_dir is not None:
            Path(self.count_dir).mkdir(parents=True, exist_ok=True)
            with open(Path(self.count_dir) / str(seed), "a") as handle:
                handle.write(f"{os.getpid()}\n")
        self.x = np.random.default_rng(seed).uniform(-1.0, 1.0, size=2)
        self.t = 0
        self.history = [self.x.copy()]
        return self.observe()

    def step(self, action: np.ndarray) -> Obs:
        if self.step_delay:
            time.sleep(self.step_delay)
        if self._should_fail():
            if self.die:
                os.kill(os.getpid(), signal.SIGKILL)
            raise RuntimeError(f"toy env failure injected at step {self.t} (seed {self.seed})")
        self.x = self.x + self.check_action(action)
        self.t += 1
        self.history.append(self.x.copy())
        return self.observe()

    def success(self) -> bool:
        return bool(np.linalg.norm(self.x - self.goal) < self.tol)

    def observe(self) -> Obs:
        obs = {"state": np.concatenate([self.x, self.goal]).astype(np.float32)}
        if self.image:
            obs["cam_image"] = draw(self.x.astype(np.float32))
        return obs

    def _should_fail(self) -> bool:
        if not self.fail_seed_mod or self.seed % self.fail_seed_mod or self.t != self.fail_step:
            return False
        if self.flaky_dir is None:
            return True
        marker = Path(self.flaky_dir) / f"{self.seed}"
        if marker.exists():
            return False
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("failed once")
        return True


def draw(x: np.ndarray) -> np.ndarray:
    """An 8x8 image with one white pixel where the point is."""
    img = np.zeros((8, 8, 3), dtype=np.uint8)
    i, j = np.clip(((np.asarray(x, dtype=np.float64) + 2) * 2).astype(int), 0, 7)
    img[i, j] = 255
    return img


class ToyStateEnv(ToyEnv):
    """The point-mass task with exact save/restore (backend ``toy``)."""

    name = "toy"
    supports_state = True

    def get_state(self) -> tuple:
        return self.x.copy(), self.t, len(self.history)

    def set_state(self, state: tuple) -> None:
        x, self.t, length = state
        self.x = x.copy()
        del self.history[length:]


class ToyPolicy(WorldActionModel):
    """Goal-seeking chunks whose futures are the sum of their actions (see module docstring)."""

    def __init__(self, horizon: int = 3, chunk: int = 4, gain: float = 0.25, noise: float = 0.05,
                 bias: float = 0.0, value: bool = True, delay: float = 0.0, images: bool = False,
                 block_alarm: bool = False) -> None:
        self.future_horizon, self.chunk, self.gain, self.noise = horizon, chunk, gain, noise
        self.bias, self.has_value_head, self.delay, self.images = bias, value, delay, images
        self.block_alarm = block_alarm

    def sample(self, obs: Obs, n: int, seed: int) -> Branches:
        if self.delay:
            if self.block_alarm:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(self.delay)
        state = torch.as_tensor(obs["state"], dtype=torch.float64)
        x, g = state[:2], state[2:]
        noise = branch_noise((self.chunk + 1, 2), n, seed, dtype=torch.float64)
        actions = self.gain * (g - x) + self.noise * noise[:, : self.chunk]
        futures = x + actions[:, : self.future_horizon].sum(dim=1) + self.bias * noise[:, -1]
        values = -torch.linalg.vector_norm(futures - g, dim=1) if self.has_value_head else None
        extras = {}
        if self.images:  # "decoded" predicted frames, drawn like the env's camera
            frames = np.stack([draw(f.numpy().astype(np.float32)) for f in futures])
            extras["future_image"] = torch.as_tensor(frames, dtype=torch.float32)
        return Branches(actions=actions, futures=futures, values=values, extras=extras)

    def encode_observation(self, obs: Obs) -> torch.Tensor:
        return torch.as_tensor(obs["state"][:2], dtype=torch.float64)


def _register() -> None:
    for backend, cls in (("toy", ToyStateEnv), ("toy_nostate", ToyEnv)):
        if backend not in ENV_BACKENDS:
            ENV_BACKENDS.register(backend)(cls)
            BACKEND_TASKS[backend] = tuple(TASKS)
    if "toy" not in POLICIES:
        POLICIES.register("toy")(make_toy_policy)


def missing_checkpoints(task: str, checkpoint: str | None = None, **options) -> list[str]:
    """The ``validate`` hook of the toy factory: its per-task checkpoint file must exist."""
    if checkpoint is None or Path(checkpoint.format(task=task)).is_file():
        return []
    return [f"no toy checkpoint for task {task!r} at {checkpoint.format(task=task)}"]


def make_toy_policy(task: str, checkpoint: str | None = None, **options) -> ToyPolicy:
    """The toy policy; a missing ``checkpoint`` file fails as a real policy's would."""
    problems = missing_checkpoints(task, checkpoint)
    if problems:
        raise FileNotFoundError(problems[0])
    return ToyPolicy(**options)


make_toy_policy.validate = missing_checkpoints


_register()

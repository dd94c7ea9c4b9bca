"""The exploring selector's save/restore cost against executing its branches.

Per decision the selector takes one snapshot (``get_state``), restores it before every
branch and once at the end (``set_state``, N + 1 times) and executes ``h`` actions per
branch. A timing proxy around the env splits the selector's real work into the two.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from wam_tts import ExploringSelector, WorldActionModel, execute_chunk


class TimedSimulator:
    """Forwards to ``env``; adds the seconds spent in save/restore and in execution."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self.save_restore_s = 0.0
        self.execute_s = 0.0
        self.branches = 0

    def get_state(self) -> Any:
        start = time.perf_counter()
        state = self.env.get_state()
        self.save_restore_s += time.perf_counter() - start
        return state

    def set_state(self, state: Any) -> None:
        start = time.perf_counter()
        self.env.set_state(state)
        self.save_restore_s += time.perf_counter() - start

    def execute(self, actions: np.ndarray) -> Any:
        start = time.perf_counter()
        obs = self.env.execute(actions)
        self.execute_s += time.perf_counter() - start
        self.branches += 1
        return obs

    def observe(self) -> Any:
        return self.env.observe()


@dataclass(frozen=True)
class ExploringCost:
    n: int
    horizon: int
    decisions: int
    save_restore_s: float
    """Per branch: (one get_state + N + 1 set_state) / N."""
    execute_s: float
    """Per branch: executing its ``horizon`` actions."""

    @property
    def ratio(self) -> float:
        return self.save_restore_s / self.execute_s


def measure_exploring(env: Any, policy: WorldActionModel, n: int, decisions: int, seed: int = 0) -> ExploringCost:
    """Run ``decisions`` exploring decisions along one episode of ``env`` and split their cost."""
    sim = TimedSimulator(env)
    selector = ExploringSelector(policy, n=n)
    selector.reset(seed=seed, env=sim)
    obs, t = env.reset(seed), 0
    for _ in range(decisions):
        obs, t, _ = execute_chunk(selector, env, selector.act(obs), t, max_steps=10**9)
    return ExploringCost(n, policy.future_horizon, decisions, sim.save_restore_s / sim.branches,
                         sim.execute_s / sim.branches)

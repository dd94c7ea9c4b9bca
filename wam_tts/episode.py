"""The one episode loop: decide, execute the chunk, keep the selector (and its policy) in step.

Every caller runs episodes through :func:`run_episode` (or, when something else owns the
loop, as RoboTwin's evaluator does, through :func:`execute_chunk` once per decision)::

    result = run_episode(ConsensusSelector(policy, n=8), env, seed=0, max_steps=200)

A listener sees the episode as it happens (the harness records decisions and scores
predictions there); every hook is optional.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from wam_tts.policy import Observation
from wam_tts.selectors import Decision, Selector


class Environment(Protocol):
    """What the loop needs of an environment (the harness's env backends implement it)."""

    def reset(self, seed: int) -> Observation: ...

    def step(self, action: Any) -> Observation: ...

    def success(self) -> bool: ...


class EpisodeListener:
    """Hooks called by the loop; subclass and override what you need."""

    def on_reset(self, obs: Observation) -> None:
        """The initial observation (step 0)."""

    def on_decision(self, t: int, obs: Observation, decision: Decision) -> None:
        """A decision taken at step ``t`` on ``obs``, before its chunk runs."""

    def on_step(self, t: int, obs: Observation, env_s: float) -> None:
        """The observation after the ``t``-th executed action; ``env_s``: seconds in step + success."""


@dataclass
class EpisodeResult:
    """How an episode ended."""

    success: bool
    steps: int
    decisions: int


def execute_chunk(selector: Selector, env: Environment, decision: Decision, t: int, max_steps: int,
                  execute: int | None = None, listener: EpisodeListener | None = None
                  ) -> tuple[Observation | None, int, bool]:
    """Run ``decision``'s chunk (its first ``execute`` actions) from step ``t``; stop at success
    or ``max_steps``.

    Each observation goes to :meth:`Selector.observe` when the policy streams them, except
    the one after the action that completes the task (the episode is over; RoboTwin would
    render it for nothing).

    Returns the last observation, the new step count and whether the task succeeded.
    """
    chunk = decision.actions.detach().cpu().double().numpy()  # any float dtype, bfloat16 too
    if execute is not None:
        chunk = chunk[:execute]
    obs, success = None, False
    for action in chunk:
        start = time.perf_counter()
        obs = env.step(action)
        success = bool(env.success())
        env_s = time.perf_counter() - start
        if selector.wants_observations and not success:
            selector.observe(obs)
        t += 1
        if listener is not None:
            listener.on_step(t, obs, env_s)
        if success or t >= max_steps:
            break
    return obs, t, success


def run_episode(selector: Selector, env: Environment, seed: int, max_steps: int, *, execute: int | None = None,
                env_seed: int | None = None, listener: EpisodeListener | None = None) -> EpisodeResult:
    """One episode: reset the selector (``seed``, binding ``env``) and the env (``env_seed``,
    default ``seed``), then decide and execute until success or ``max_steps`` env steps."""
    listener = listener or EpisodeListener()
    selector.reset(seed=seed, env=env)
    obs = env.reset(seed if env_seed is None else env_seed)
    listener.on_reset(obs)
    t, decisions, success = 0, 0, False
    while t < max_steps and not success:
        decision = selector.act(obs)
        decisions += 1
        listener.on_decision(t, obs, decision)
        obs, t, success = execute_chunk(selector, env, decision, t, max_steps, execute, listener)
    return EpisodeResult(success, t, decisions)

"""Running a reference policy (N = 1) for whole episodes, for value labels and evaluation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from adapters.reference.wam import ReferenceWAM
from wam_tts import Decision, EpisodeListener, VanillaSelector
from wam_tts import run_episode as run_selector_episode


class Env(Protocol):
    """The part of ``eval.envs.base.EnvBackend`` a rollout needs."""

    max_steps: int

    def reset(self, seed: int) -> dict[str, np.ndarray]: ...

    def step(self, action: np.ndarray) -> dict[str, np.ndarray]: ...

    def success(self) -> bool: ...


@dataclass
class Episode:
    """One episode: outcome, length in env steps, wall time and (optionally) its decisions."""

    seed: int
    success: bool
    length: int
    wall_s: float
    decision_steps: list[int] = field(default_factory=list)
    states: list[np.ndarray] = field(default_factory=list)
    actions: list[torch.Tensor] = field(default_factory=list)
    futures: list[torch.Tensor] = field(default_factory=list)


class _Recorder(EpisodeListener):
    """Keeps each decision's step, conditioning (the state, or ``[s_t, z_t]``), chunk and
    predicted future in ``episode``."""

    def __init__(self, episode: Episode, policy: ReferenceWAM) -> None:
        self.episode, self.policy = episode, policy

    def on_decision(self, t: int, obs: dict[str, np.ndarray], decision: Decision) -> None:
        self.episode.decision_steps.append(t)
        self.episode.states.append(self.policy.conditioning(obs)[0].numpy().copy())
        self.episode.actions.append(decision.actions.clone())
        self.episode.futures.append(decision.future.clone())


def run_episode(policy: ReferenceWAM, env: Env, seed: int, execute: int | None = None,
                record: bool = False) -> Episode:
    """Act with one branch per decision until success or ``env.max_steps``.

    Each decision's chunk is executed for ``execute`` steps (default: the policy's
    future horizon), checking success after every step, as the RoboCasa protocol does.
    Decision seeds come from :class:`wam_tts.VanillaSelector` seeded with ``seed``.
    """
    episode = Episode(seed, False, 0, 0.0)
    start = time.perf_counter()
    result = run_selector_episode(VanillaSelector(policy), env, seed, env.max_steps,
                                  execute=execute or policy.future_horizon,
                                  listener=_Recorder(episode, policy) if record else None)
    episode.success, episode.length, episode.wall_s = result.success, result.steps, time.perf_counter() - start
    return episode


def describe(episodes: list[Episode]) -> dict[str, Any]:
    """Success count, mean length and mean seconds of ``episodes``."""
    return {
        "episodes": len(episodes),
        "successes": sum(e.success for e in episodes),
        "mean_length": float(np.mean([e.length for e in episodes])),
        "mean_wall_s": float(np.mean([e.wall_s for e in episodes])),
    }

"""One episode: decide, execute k actions, score each prediction when its step comes.

A branch predicts the observation ``h = policy.future_horizon`` executed actions after
the decision at step ``t``. That prediction waits in :class:`PendingFutures` until the
env reaches ``t + h``, even if new chunks are planned in between (Cosmos-Policy plans
every 16 steps and predicts 32 ahead), and is then compared with the real observation.
If the episode ends first, its distance and consistency stay NaN.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor

from wam_tts import BranchError, Decision, Selector
from wam_tts.episode import EpisodeListener, run_episode
from wam_tts.scores import consistency, latent_change

NAN = float("nan")


class FrameSink(Protocol):
    """Receives real observations and the predictions scored against them (videos)."""

    def observe(self, t: int, obs: Any) -> None: ...

    def predicted(self, t: int, decision: Decision) -> None: ...


@dataclass
class _Waiting:
    row: dict[str, Any]
    future: Tensor
    latent_then: Tensor
    decision: Decision


class PendingFutures:
    """Predictions keyed by the env step they refer to."""

    def __init__(self) -> None:
        self._due: dict[int, list[_Waiting]] = defaultdict(list)

    def add(self, due: int, waiting: _Waiting) -> None:
        self._due[due].append(waiting)

    def pop(self, t: int) -> list[_Waiting]:
        return self._due.pop(t, [])

    def __len__(self) -> int:
        return sum(len(v) for v in self._due.values())


@dataclass
class Rollout(EpisodeListener):
    """Runs one episode of ``selector`` on ``env`` and keeps one row per decision.

    ``rows`` and ``t`` stay readable after an exception, so a crashed trial still
    records the decisions it made. ``beat``, when given, is called with a short label at
    every event (reset, decision, step): the harness's per-decision timeout re-arms there.
    """

    env: Any
    selector: Selector
    max_steps: int
    execute: int | None = None
    sink: FrameSink | None = None
    beat: Callable[[str], None] | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    t: int = 0
    success: bool = False
    _encoded: tuple[int, Tensor, Tensor] | None = field(default=None, repr=False)
    _pending: PendingFutures = field(default_factory=PendingFutures, repr=False)

    def run(self, seed: int, env_seed: int | None = None) -> None:
        """Reset selector (``seed``) and env (``env_seed``, default ``seed``); step until
        success or ``max_steps``."""
        self.t, self.success, self.rows, self._encoded = 0, False, [], None
        self._pending = PendingFutures()
        result = run_episode(self.selector, self.env, seed, self.max_steps, execute=self.execute,
                             env_seed=env_seed, listener=self)
        self.success = result.success

    def on_reset(self, obs: Any) -> None:
        self._beat("the reset")
        self._see(obs)

    def on_decision(self, t: int, obs: Any, decision: Decision) -> None:
        self._beat(f"decision {len(self.rows)} (step {t})")
        encoded, latent = self._encode(obs)
        row = self._decision_row(decision, encoded)
        self.rows.append(row)
        self._pending.add(self.t + self.selector.policy.future_horizon, _Waiting(row, decision.future, latent, decision))
        self._score_due(obs)  # a horizon of 0 refers to the current observation

    def on_step(self, t: int, obs: Any, env_s: float) -> None:
        self._beat(f"step {t}")
        self.rows[-1]["env_s"] += env_s
        self.t = t
        self._see(obs)

    def _beat(self, stage: str) -> None:
        if self.beat is not None:
            self.beat(stage)

    def _encode(self, obs: Any) -> tuple[Tensor, Tensor]:
        """The observation at step ``t`` in the futures' space and as a latent, encoded once:
        a decision and the predictions due at the same step share it."""
        if self._encoded is None or self._encoded[0] != self.t:
            policy = self.selector.policy
            encoded = policy.encode_observation(obs)
            latent = encoded if _latent_is_encoding(policy) else policy.latent(obs)
            self._encoded = (self.t, encoded, latent)
        return self._encoded[1], self._encoded[2]

    def _see(self, obs: Any) -> None:
        """A new observation: pass it to the sink and score the predictions due now."""
        if self.sink is not None:
            self.sink.observe(self.t, obs)
        self._score_due(obs)

    def _score_due(self, obs: Any) -> None:
        due = self._pending.pop(self.t)
        if not due:
            return
        encoded, latent = self._encode(obs)
        for waiting in due:
            d = float(self.selector.distance(waiting.future.unsqueeze(0), encoded)[0])
            waiting.row["distance"] = d
            waiting.row["consistency"] = float(consistency(torch.tensor(d), self.selector.sigma))
            waiting.row["latent_change"] = float(latent_change(latent, waiting.latent_then))
            if self.sink is not None:
                self.sink.predicted(self.t, waiting.decision)

    def _decision_row(self, decision: Decision, encoded: Tensor) -> dict[str, Any]:
        if decision.future.shape != encoded.shape:
            raise BranchError(
                f"the policy returned futures of shape {tuple(decision.future.shape)} per branch but "
                f"encode_observation gives {tuple(encoded.shape)}: futures must be in the space real "
                "observations are encoded into"
            )
        values = decision.branches.values
        chosen_value = decision.value
        return {
            "decision": len(self.rows),
            "t": self.t,
            "horizon_t": self.t + self.selector.policy.future_horizon,
            "chosen": int(decision.index),
            "scores": [float(s) for s in decision.scores.detach().cpu()],
            "values": [] if values is None else [float(v) for v in values.detach().cpu()],
            "chosen_value": NAN if chosen_value is None else float(chosen_value),
            "distance": NAN,
            "consistency": NAN,
            "latent_change": NAN,
            "predicted_latent_change": float(latent_change(decision.future, encoded)),
            "sample_s": float(decision.sample_s),
            "score_s": float(decision.score_s),
            "env_s": 0.0,
        }


def _latent_is_encoding(policy: Any) -> bool:
    """Whether ``policy.latent`` is the default (the encoding), so it need not run twice."""
    from wam_tts import WorldActionModel

    return type(policy).latent is WorldActionModel.latent


def episode_summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Episode-level means of the per-decision consistency, value and latent change (NaN-aware)."""

    def mean(key: str) -> float:
        vals = [r[key] for r in rows if not math.isnan(r[key])]
        return float(np.mean(vals)) if vals else NAN

    return {
        "episode_consistency": mean("consistency"),
        "mean_value": mean("chosen_value"),
        "mean_latent_change": mean("latent_change"),
    }

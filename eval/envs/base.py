"""The contract every environment backend (robosuite, RoboCasa, RoboTwin) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

import numpy as np

Obs = Mapping[str, np.ndarray]
"""``"state"``: float32 ``[S]`` (object state + proprio); optional ``"<cam>_image"``: uint8 ``[H, W, 3]`` upright
(a dict, or a mapping that renders its images when read)."""


class EnvBackend(ABC):
    """One task of one simulator, driven step by step by the harness.

    The harness, not the simulator, ends episodes: ``max_steps`` is the per-task budget
    and the backend never stops on its own. Backends with exact save/restore also define
    ``get_state()`` / ``set_state(state)`` and set ``supports_state = True``; the others
    leave both undefined, so :func:`wam_tts.require_simulator` names what is missing.
    """

    name: str
    task: str
    max_steps: int
    action_dim: int
    supports_state: bool = False
    """Whether ``get_state()`` / ``set_state(state)`` restore the simulator exactly (the
    exploring selector needs it)."""
    seeds_by_trial: bool = False
    """Whether ``reset(seed)`` takes the trial index (0, 1, ...) instead of a derived seed,
    for simulators that number their own episodes (RoboCasa's scenes, RoboTwin's
    expert-checked seeds)."""
    state_unsupported_reason: str | None = None
    """Why a backend without save/restore cannot offer it; named in the exploring
    selector's error."""

    @abstractmethod
    def reset(self, seed: int) -> Obs:
        """Start a new episode; the same seed gives the same initial state."""

    @abstractmethod
    def step(self, action: np.ndarray) -> Obs:
        """Apply one ``[A]`` action for one control step and return the new observation."""

    @abstractmethod
    def success(self) -> bool:
        """The task's own success check on the current state."""

    @abstractmethod
    def observe(self) -> Obs:
        """The current observation, without stepping."""

    @property
    def timestep(self) -> int:
        """Actions executed since the last :meth:`reset` (what ``max_steps`` budgets)."""
        raise NotImplementedError(f"the {self.name} backend does not count its steps (define timestep)")

    def execute(self, actions: np.ndarray) -> Obs:
        """Apply an action chunk ``[k, A]`` step by step and return the last observation."""
        actions = np.asarray(actions)
        if actions.ndim != 2 or actions.shape[0] == 0 or actions.shape[1] != self.action_dim:
            raise ValueError(
                f"{self.name}/{self.task}: execute expects actions of shape [k >= 1, {self.action_dim}], "
                f"got {actions.shape}"
            )
        for action in actions:
            obs = self.step(action)
        return obs

    def check_action(self, action: np.ndarray) -> np.ndarray:
        """``action`` as float64 ``[A]``, or a clear error for a wrong shape or a non-finite value."""
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (self.action_dim,):
            raise ValueError(
                f"{self.name}/{self.task}: an action has shape ({self.action_dim},), got {action.shape}"
            )
        if not np.all(np.isfinite(action)):
            raise ValueError(f"{self.name}/{self.task}: action contains NaN or inf: {action}")
        return action

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the simulator and any renderer."""

    def __enter__(self) -> EnvBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

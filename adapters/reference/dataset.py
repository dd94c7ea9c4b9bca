"""Training samples (state, action chunk, future state) cut from demonstrations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import Tensor


class Trajectory(Protocol):
    """What a demonstration provides (``eval.envs.experts.Demo`` has these fields)."""

    states: np.ndarray  # [T + 1, S]
    actions: np.ndarray  # [T, A]


@dataclass(frozen=True)
class ChunkData:
    """``M`` samples: the conditioning ``c_t`` (the state ``s_t``, or ``[s_t, z_t]`` with an
    image latent), the chunk ``a_{t:t+H}`` and the future: the state ``s_{t+h}``, or the
    latent ``z_{t+h}``, which continues the last ``F`` features of ``c_t``."""

    states: Tensor  # [M, C]
    chunks: Tensor  # [M, H, A]
    futures: Tensor  # [M, F], F <= C

    def __post_init__(self) -> None:
        m = self.states.shape[0]
        if (self.chunks.shape[0] != m or self.futures.ndim != 2 or self.futures.shape[0] != m
                or self.futures.shape[1] > self.states.shape[1]):
            raise ValueError(
                f"inconsistent sample shapes: states {tuple(self.states.shape)}, chunks "
                f"{tuple(self.chunks.shape)}, futures {tuple(self.futures.shape)}"
            )

    def __len__(self) -> int:
        return self.states.shape[0]

    def take(self, index: Tensor) -> ChunkData:
        return ChunkData(self.states[index], self.chunks[index], self.futures[index])

    @property
    def deltas(self) -> Tensor:
        """``s_{t+h} - s_t`` (or ``z_{t+h} - z_t``) per sample."""
        return self.futures - self.states[:, self.states.shape[1] - self.futures.shape[1] :]

    @classmethod
    def from_trajectories(cls, trajectories: Iterable[Trajectory], horizon: int, future_horizon: int,
                          future_dim: int | None = None) -> ChunkData:
        """One sample per time step of every trajectory.

        Chunks running past the end repeat the last action, and futures past the end
        are the final state (the usual padding of action-chunking policies). With
        ``future_dim``, futures are the last ``future_dim`` features of the states.
        """
        states, chunks, futures = [], [], []
        for k, traj in enumerate(trajectories):
            s = np.asarray(traj.states, dtype=np.float32)
            a = np.asarray(traj.actions, dtype=np.float32)
            if s.ndim != 2 or a.ndim != 2 or len(s) != len(a) + 1 or len(a) == 0:
                raise ValueError(
                    f"trajectory {k}: need states [T + 1, S] and actions [T, A] with T >= 1, got "
                    f"states {s.shape} and actions {a.shape}"
                )
            if not (np.isfinite(s).all() and np.isfinite(a).all()):
                raise ValueError(f"trajectory {k} contains NaN or Inf")
            t_len = len(a)
            steps = np.arange(t_len)
            chunk_index = np.minimum(steps[:, None] + np.arange(horizon)[None, :], t_len - 1)
            states.append(s[:-1])
            chunks.append(a[chunk_index])
            futures.append(s[np.minimum(steps + future_horizon, t_len), s.shape[1] - (future_dim or s.shape[1]) :])
        if not states:
            raise ValueError("no trajectories to train on")
        return cls(*(torch.from_numpy(np.concatenate(x)) for x in (states, chunks, futures)))

"""The contract a world action model adapter implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from torch import Tensor

from wam_tts.branches import Branches

Observation = Any
"""Whatever the environment hands the policy (a dict of arrays, for our backends)."""


class WorldActionModel(ABC):
    """A policy that predicts action chunks *and* the future they cause.

    Adapters implement :meth:`sample` and :meth:`encode_observation`; the rest has
    sensible defaults. ``sample`` must draw all N branches in one batched call where
    the model allows it, and derive branch ``i``'s noise from ``(seed, i)`` alone
    (see :func:`wam_tts.seeding.branch_noise`) so that N = 8 and N = 16 share their
    first 8 branches and every run is reproducible.
    """

    #: Number of executed actions after which the predicted future applies (h).
    future_horizon: int = 1
    #: Whether ``sample`` fills ``Branches.values``.
    has_value_head: bool = False
    #: Whether :meth:`on_step` uses the executed observations (a KV cache fed with real
    #: frames, as LingBot-VA's): loops then fetch and pass every observation. A subclass that
    #: overrides ``on_step`` and does not set it gets True.
    streams_observations: bool = False
    #: Whether ``sample`` honours :attr:`max_batch` (draws N branches in passes of at most
    #: that many, with the same results); the out-of-memory fallback lowers it.
    splits_batches: bool = False
    #: The most branches one batched pass draws; None: all N at once.
    max_batch: int | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = any("streams_observations" in k.__dict__ for k in cls.__mro__ if k is not WorldActionModel)
        if "on_step" in cls.__dict__ and not declared:
            cls.streams_observations = True

    @abstractmethod
    def sample(self, obs: Observation, n: int, seed: int) -> Branches:
        """Draw ``n`` branches for ``obs`` in one call; branch i is seeded by (seed, i)."""

    @abstractmethod
    def encode_observation(self, obs: Observation) -> Tensor:
        """Map a real observation into the space of ``Branches.futures`` (no N axis)."""

    def latent(self, obs: Observation) -> Tensor:
        """The latent z used for the latent change Δz; the futures' space by default."""
        return self.encode_observation(obs)

    def reset(self) -> None:
        """Forget episode state; called at every episode start."""

    def on_select(self, branches: Branches, index: int) -> None:
        """Told which branch was executed (stateful models collapse caches here)."""

    def on_step(self, obs: Observation) -> None:
        """Told the observation after each executed action of the chosen chunk, in order.

        Streaming models feed these real frames back (LingBot-VA's KV cache); the
        default ignores them.
        """

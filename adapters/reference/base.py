"""What every reference model provides: a training loss and a batched prediction."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from adapters.reference.config import ModelConfig
from adapters.reference.dataset import ChunkData
from adapters.reference.normalizer import Normalizer, Standardizer


@dataclass(frozen=True)
class Prediction:
    """B predicted branches, in the units the policy protocol hands out."""

    actions: Tensor  # [B, H, A], raw action units clipped to the robot's [-1, 1]
    futures: Tensor  # [B, F], normalised state (or image latent) at t + h
    values: Tensor | None  # [B] in [0, 1], or None without a trained value head


class ReferenceModel(nn.Module, ABC):
    """A small generative world action model over robot states (or image latents).

    Subclasses define ``noise_dim`` (width of one branch's noise), :meth:`loss` and
    :meth:`predict`. Prediction is a deterministic function of the noise, so seeding
    the noise seeds the branch. Models take the raw conditioning ``c_t``: the state
    ``s_t``, or ``[s_t, z_t]`` with an image latent (``config.latent_dim > 0``); the
    future continues the last ``config.future_dim`` features of ``c_t``.
    """

    family: str = ""

    def __init__(self, config: ModelConfig, normalizer: Normalizer) -> None:
        super().__init__()
        self.config = config
        self.normalizer = normalizer
        # persistent, so a checkpoint records whether the value head was trained
        self.register_buffer("value_trained", torch.tensor(False))

    @property
    @abstractmethod
    def noise_dim(self) -> int:
        """Width of the standard normal noise that determines one branch."""

    @property
    def has_value_head(self) -> bool:
        return bool(self.value_trained)

    @abstractmethod
    def loss(self, batch: ChunkData, generator: torch.Generator | None = None) -> Tensor:
        """Scalar training loss on a batch of raw (unnormalised) samples."""

    @abstractmethod
    def predict(self, states: Tensor, noise: Tensor) -> Prediction:
        """Branches for raw ``states [B, S]``, one per row of ``noise [B, noise_dim]``."""

    def network_input(self, states: Tensor) -> Tensor:
        """What the networks see of raw conditioning ``states [B, C]``: the normalised state
        ``s_t``. A visual model's frame latent ``z_t`` is where its predicted change starts
        from, not a network input (with a few demos, 256 pixel-latent inputs overfit the scenes)."""
        return self.normalizer.state.normalize(states)[:, : self.config.state_dim]

    @property
    def future_normalizer(self) -> Standardizer:
        """The conditioning's standardiser restricted to the features futures live in."""
        state, f = self.normalizer.state, self.config.future_dim
        return Standardizer(state.mean[-f:], state.std[-f:])

    def observed_future(self, states: Tensor) -> Tensor:
        """The raw part of the conditioning ``states [B, C]`` that futures continue."""
        return states[:, states.shape[1] - self.config.future_dim :]

    def future_state_features(self, states: Tensor, delta_n: Tensor) -> Tensor:
        """Normalised future from raw conditioning ``states`` and a normalised change."""
        raw = self.observed_future(states) + self.normalizer.delta.denormalize(delta_n)
        return self.future_normalizer.normalize(raw)

    def check_inputs(self, states: Tensor, noise: Tensor) -> None:
        s = self.config.cond_dim
        if states.ndim != 2 or states.shape[1] != s:
            raise ValueError(f"{self.family} model expects states of shape [B, {s}], got {tuple(states.shape)}")
        if noise.shape != (states.shape[0], self.noise_dim):
            raise ValueError(
                f"{self.family} model expects noise of shape [{states.shape[0]}, {self.noise_dim}], "
                f"got {tuple(noise.shape)}"
            )

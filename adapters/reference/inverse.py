"""Inverse dynamics: generate the future state, then infer the chunk that reaches it."""

from __future__ import annotations

import torch
from torch import Tensor

from adapters.reference.base import Prediction, ReferenceModel
from adapters.reference.config import ModelConfig
from adapters.reference.dataset import ChunkData
from adapters.reference.flow import euler_sample, flow_matching_loss
from adapters.reference.networks import MLP, VelocityNet
from adapters.reference.normalizer import Normalizer


class InverseDynamicsModel(ReferenceModel):
    """A flow-matching model of ``s_{t+h} - s_t`` given ``s_t``, and an inverse-dynamics MLP
    ``(s_t, s_{t+h}) -> a_{t:t+H}`` (as LingBot-VA infers actions from imagined video; a
    visual model generates ``z_{t+h} - z_t`` given ``s_t`` and infers the chunk from that change).

    The inverse-dynamics network is trained on real futures and applied to generated
    ones; branches differ only through their generated futures.
    """

    family = "inverse"

    def __init__(self, config: ModelConfig, normalizer: Normalizer) -> None:
        super().__init__(config, normalizer)
        c = config
        self.flow = VelocityNet(c.future_dim, c.state_dim, c.width, c.depth)
        self.inverse_dynamics = MLP(c.state_dim + c.future_dim, c.horizon * c.action_dim, c.width, c.depth)

    @property
    def noise_dim(self) -> int:
        return self.config.future_dim

    def loss(self, batch: ChunkData, generator: torch.Generator | None = None) -> Tensor:
        norm = self.normalizer
        cond = self.network_input(batch.states)
        delta_n = norm.delta.normalize(batch.deltas)
        flow = flow_matching_loss(self.flow, delta_n, cond, generator)
        seen = self.inverse_input(self.future_normalizer.normalize(batch.futures), delta_n)
        if self.config.inverse_noise:
            noise = torch.randn(seen.shape, generator=generator, dtype=seen.dtype, device=seen.device)
            seen = seen + self.config.inverse_noise * noise
        actions_n = self.inverse_dynamics(torch.cat([cond, seen], dim=1))
        inverse = (actions_n - norm.action.normalize(batch.chunks).flatten(1)).square().mean()
        return flow + inverse

    def predict(self, states: Tensor, noise: Tensor) -> Prediction:
        self.check_inputs(states, noise)
        c, norm = self.config, self.normalizer
        cond = self.network_input(states)
        delta_n = euler_sample(self.flow, noise, cond, c.flow_steps)
        futures = self.future_state_features(states, delta_n)
        actions_n = self.inverse_dynamics(torch.cat([cond, self.inverse_input(futures, delta_n)], dim=1))
        actions = norm.action.denormalize(actions_n.reshape(-1, c.horizon, c.action_dim)).clamp(-1.0, 1.0)
        return Prediction(actions, futures, None)

    def inverse_input(self, futures: Tensor, delta_n: Tensor) -> Tensor:
        """What the chunk is inferred from besides ``s_t``: the future state, or for a visual
        model the predicted change of the frame's latent (the networks never see ``z_t``, so
        the change, not the future frame alone, says how the scene moves)."""
        return delta_n if self.config.latent_dim else futures

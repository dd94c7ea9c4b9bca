"""Joint prediction: one flow-matching model over (action chunk, future state), plus a value head."""

from __future__ import annotations

import torch
from torch import Tensor

from adapters.reference.base import Prediction, ReferenceModel
from adapters.reference.config import ModelConfig
from adapters.reference.dataset import ChunkData
from adapters.reference.flow import euler_sample, flow_matching_loss
from adapters.reference.networks import MLP, VelocityNet
from adapters.reference.normalizer import Normalizer


class JointFlowModel(ReferenceModel):
    """Generates ``[a_{t:t+H}, s_{t+h} - s_t]`` (normalised) together, conditioned on ``s_t``
    (a visual model: ``[a_{t:t+H}, z_{t+h} - z_t]``, still conditioned on ``s_t``).

    Like Cosmos-Policy, actions and the future come from one sample, and a value head
    scores the generated branch: ``V(s_t, a, ŝ_{t+h}) ∈ [0, 1]``, trained afterwards on
    the model's own rollouts (:mod:`adapters.reference.value`).
    """

    family = "joint"

    def __init__(self, config: ModelConfig, normalizer: Normalizer) -> None:
        super().__init__(config, normalizer)
        c = config
        self.chunk_dim = c.horizon * c.action_dim
        self.flow = VelocityNet(self.chunk_dim + c.future_dim, c.state_dim, c.width, c.depth)
        self.value_head = MLP(c.state_dim + c.future_dim + self.chunk_dim, 1, c.value_width, c.value_depth)

    @property
    def noise_dim(self) -> int:
        return self.chunk_dim + self.config.future_dim

    def loss(self, batch: ChunkData, generator: torch.Generator | None = None) -> Tensor:
        norm = self.normalizer
        x1 = torch.cat([norm.action.normalize(batch.chunks).flatten(1), norm.delta.normalize(batch.deltas)], dim=1)
        return flow_matching_loss(self.flow, x1, self.network_input(batch.states), generator, self.loss_weights)

    @property
    def loss_weights(self) -> Tensor | None:
        """A visual model weighs the chunk and the latent future equally (half the loss each),
        so the 256 latent numbers do not drown the 56 action numbers; a state model: plain mean."""
        c = self.config
        if not c.latent_dim:
            return None
        return torch.cat([torch.full((self.chunk_dim,), 0.5 / self.chunk_dim),
                          torch.full((c.future_dim,), 0.5 / c.future_dim)])

    def predict(self, states: Tensor, noise: Tensor) -> Prediction:
        self.check_inputs(states, noise)
        c, norm = self.config, self.normalizer
        x = euler_sample(self.flow, noise, self.network_input(states), c.flow_steps)
        actions_n = x[:, : self.chunk_dim].reshape(-1, c.horizon, c.action_dim)
        futures = self.future_state_features(states, x[:, self.chunk_dim :])
        actions = norm.action.denormalize(actions_n).clamp(-1.0, 1.0)
        values = self.value(states, actions, futures) if self.has_value_head else None
        return Prediction(actions, futures, values)

    def value_logits(self, states: Tensor, actions: Tensor, futures: Tensor) -> Tensor:
        """``[B]`` logits of the value of raw ``states``, raw ``actions`` and normalised ``futures``."""
        norm = self.normalizer
        features = [self.network_input(states), norm.action.normalize(actions).flatten(1), futures]
        return self.value_head(torch.cat(features, dim=1)).squeeze(1)

    def value(self, states: Tensor, actions: Tensor, futures: Tensor) -> Tensor:
        """``[B]`` predicted discounted return in [0, 1]."""
        return torch.sigmoid(self.value_logits(states, actions, futures))

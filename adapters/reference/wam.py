"""The reference models wrapped in the :class:`wam_tts.WorldActionModel` protocol."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor

from adapters.reference.autoencoder import ImageAutoencoder
from adapters.reference.base import ReferenceModel
from adapters.reference.inverse import InverseDynamicsModel
from adapters.reference.joint import JointFlowModel
from wam_tts import Branches, Observation, WorldActionModel, branch_noise


class ReferenceWAM(WorldActionModel):
    """A reference model acting on ``obs["state"]`` (and, for a visual model, a camera frame).

    ``sample`` draws all N branches in one batched pass; branch ``i``'s noise comes from
    :func:`wam_tts.branch_noise` and depends only on ``(seed, i)``. Futures, and the
    latent used for Δz, are the normalised state (``encode_observation``); a visual model
    (an ``encoder`` given) reads ``z_t``, the autoencoder latent of ``obs[f"{camera}_image"]``,
    and its futures are the normalised latent of the frame at t + h, predicted as a change
    from ``z_t`` by networks conditioned on the state. With ``decode_images`` its branches
    carry their decoded future frames as ``extras["future_image"]`` (for videos).
    """

    model_type: type[ReferenceModel] = ReferenceModel

    def __init__(self, model: ReferenceModel, encoder: ImageAutoencoder | None = None, camera: str = "agentview",
                 decode_images: bool = False) -> None:
        if not isinstance(model, self.model_type):
            raise TypeError(f"{type(self).__name__} wraps a {self.model_type.__name__}, got {type(model).__name__}")
        latent = model.config.latent_dim
        if (encoder is None) != (latent == 0) or (encoder is not None and encoder.config.latent_dim != latent):
            raise ValueError(f"a model with latent_dim {latent} needs "
                             f"{'an image encoder of that width' if latent else 'no image encoder'}")
        self.model = model.eval()
        self.encoder = None if encoder is None else encoder.eval()
        self.camera = camera
        self.decode_images = decode_images
        self.future_horizon = model.config.future_horizon
        self.has_value_head = model.has_value_head
        self._encoded: tuple[np.ndarray, Tensor] | None = None

    @property
    def family(self) -> str:
        return self.model.family

    @property
    def image_key(self) -> str | None:
        """The observation key a visual model reads its frame from (None: state only)."""
        return None if self.encoder is None else f"{self.camera}_image"

    def env_options(self) -> dict[str, object]:
        """What a robosuite env needs to feed this model: its camera for a visual model,
        rendered only when read; nothing for a state model."""
        if self.encoder is None:
            return {}
        return {"cameras": [self.camera], "image_size": self.encoder.config.image_size, "lazy_images": True}

    def sample(self, obs: Observation, n: int, seed: int) -> Branches:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        cond = self.conditioning(obs)
        noise = branch_noise((self.model.noise_dim,), n, seed)
        with torch.no_grad():
            pred = self.model.predict(cond.expand(n, -1), noise)
        extras = {"future_image": self.decode(pred.futures)} if self.decode_images and self.encoder else {}
        return Branches(actions=pred.actions, futures=pred.futures, values=pred.values, extras=extras)

    def encode_observation(self, obs: Observation) -> Tensor:
        model = self.model
        with torch.no_grad():
            return model.future_normalizer.normalize(model.observed_future(self.conditioning(obs)))[0]

    def decode(self, futures: Tensor) -> Tensor:
        """Normalised latent futures ``[B, Z]`` as frames ``[B, H, W, 3]`` in [0, 1]."""
        if self.encoder is None:
            raise ValueError(f"this {self.family} model predicts states, not images: there is nothing to decode")
        with torch.no_grad():
            return self.encoder.decode(self.model.future_normalizer.denormalize(futures))

    def conditioning(self, obs: Observation) -> Tensor:
        """The raw ``[1, C]`` conditioning: ``obs["state"]``, then the frame's latent if visual."""
        state = self.state_tensor(obs)
        if self.encoder is None:
            return state
        return torch.cat([state, self.frame_latent(obs)], dim=1)

    def frame_latent(self, obs: Observation) -> Tensor:
        """``[1, Z]`` autoencoder latent of the camera frame (the last frame's is reused)."""
        key = self.image_key
        if key not in obs:
            raise ValueError(f"this visual {self.family} model reads obs[{key!r}] and the observation has "
                             f"{sorted(obs)}: run it with env=robosuite_visual (or env.options.cameras=[{self.camera}])")
        frame = obs[key]
        if self._encoded is None or self._encoded[0] is not frame:
            with torch.no_grad():
                self._encoded = (frame, self.encoder.encode(np.asarray(frame)[None]))
        return self._encoded[1]

    def state_tensor(self, obs: Observation) -> Tensor:
        """``obs["state"]`` as a float32 ``[1, S]`` tensor, validated."""
        if not isinstance(obs, Mapping) or "state" not in obs:
            keys = sorted(obs) if isinstance(obs, Mapping) else type(obs).__name__
            raise ValueError(f"the reference models act on obs['state']; got an observation without it ({keys})")
        state = np.asarray(obs["state"], dtype=np.float32)
        s = self.model.config.state_dim
        if state.shape != (s,):
            raise ValueError(
                f"obs['state'] has shape {state.shape} but this {self.family} model was trained on "
                f"states of shape ({s},): is it the same task?"
            )
        if not np.isfinite(state).all():
            raise ValueError("obs['state'] contains NaN or Inf")
        return torch.from_numpy(state)[None]


class JointPredictionWAM(ReferenceWAM):
    """Joint prediction (Cosmos-Policy-like): actions, future and value from one sample."""

    model_type = JointFlowModel


class InverseDynamicsWAM(ReferenceWAM):
    """Inverse dynamics (LingBot-VA-like): a generated future, then the actions that reach it."""

    model_type = InverseDynamicsModel

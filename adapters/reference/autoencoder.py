"""A small convolutional image autoencoder: camera frames to a latent grid and back.

The visual reference WAMs predict futures in its latent space, as Cosmos-Policy and
LingBot-VA predict video latents: a 64×64 RGB frame becomes a ``4 × 8 × 8`` grid
(256 numbers), and :meth:`ImageAutoencoder.decode` maps a predicted latent back to
pixels for videos.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm


@dataclass(frozen=True)
class AutoencoderConfig:
    """Sizes: square ``image_size`` frames, three stride-2 stages of ``width`` channels
    (the latent grid is ``image_size / 8`` on a side) and ``latent_channels`` per cell."""

    image_size: int = 64
    width: int = 32
    latent_channels: int = 4

    def __post_init__(self) -> None:
        if self.image_size % 8 or self.image_size < 8:
            raise ValueError(f"image_size must be a positive multiple of 8, got {self.image_size}")
        if self.width < 1 or self.latent_channels < 1:
            raise ValueError(f"width and latent_channels must be >= 1, got {self.width}, {self.latent_channels}")

    @property
    def grid(self) -> int:
        return self.image_size // 8

    @property
    def latent_dim(self) -> int:
        return self.latent_channels * self.grid * self.grid


def _stage(c_in: int, c_out: int, up: bool) -> nn.Module:
    conv = (nn.ConvTranspose2d if up else nn.Conv2d)(c_in, c_out, 4, stride=2, padding=1)
    return nn.Sequential(conv, nn.GroupNorm(4, c_out), nn.SiLU())


class ImageAutoencoder(nn.Module):
    """``encode``: uint8 frames ``[B, H, W, 3]`` → latents ``[B, Z]``; ``decode``: back to
    float frames in [0, 1]. Deterministic (no sampling), so a frame has one latent."""

    def __init__(self, config: AutoencoderConfig = AutoencoderConfig()) -> None:
        super().__init__()
        self.config = config
        w, c = config.width, config.latent_channels
        self.encoder = nn.Sequential(_stage(3, w, False), _stage(w, w, False), _stage(w, w, False), nn.Conv2d(w, c, 1))
        self.decoder = nn.Sequential(nn.Conv2d(c, w, 1), nn.SiLU(), _stage(w, w, True), _stage(w, w, True),
                                     nn.ConvTranspose2d(w, 3, 4, stride=2, padding=1), nn.Sigmoid())

    def to_input(self, frames: np.ndarray | Tensor) -> Tensor:
        """uint8 ``[B, H, W, 3]`` frames as float ``[B, 3, H, W]`` in [0, 1], validated."""
        frames = torch.as_tensor(np.asarray(frames))
        size = self.config.image_size
        if frames.ndim != 4 or tuple(frames.shape[1:]) != (size, size, 3) or frames.dtype != torch.uint8:
            raise ValueError(f"the autoencoder takes uint8 frames of shape [B, {size}, {size}, 3], got "
                             f"{frames.dtype} {tuple(frames.shape)}")
        return frames.permute(0, 3, 1, 2).float() / 255.0

    def encode(self, frames: np.ndarray | Tensor) -> Tensor:
        return self.encoder(self.to_input(frames)).flatten(1)

    def decode(self, latents: Tensor) -> Tensor:
        c, g = self.config.latent_channels, self.config.grid
        return self.decoder(latents.reshape(-1, c, g, g)).permute(0, 2, 3, 1)

    def to_payload(self) -> dict:
        """Plain data for a ``weights_only`` checkpoint."""
        return {"config": asdict(self.config), "state_dict": {k: v.detach().clone() for k, v in self.state_dict().items()}}

    @classmethod
    def from_payload(cls, payload: dict) -> ImageAutoencoder:
        model = cls(AutoencoderConfig(**payload["config"]))
        model.load_state_dict(payload["state_dict"])
        return model.eval()


def train_autoencoder(frames: np.ndarray, steps: int, batch_size: int = 64, lr: float = 2e-3, seed: int = 0,
                      config: AutoencoderConfig = AutoencoderConfig(), progress: bool = False
                      ) -> tuple[ImageAutoencoder, list[float]]:
    """Fit an autoencoder to uint8 ``frames [M, H, W, 3]`` by pixel MSE (AdamW, cosine decay)."""
    if len(frames) < 2 or steps < 1:
        raise ValueError(f"need at least 2 frames and 1 step, got {len(frames)} frames and {steps} steps")
    torch.manual_seed(seed)
    model = ImageAutoencoder(config)
    images = model.to_input(frames)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 0.5 * (1 + math.cos(math.pi * k / steps)))
    losses = []
    model.train()
    for _ in tqdm(range(steps), desc="train autoencoder", disable=not progress, mininterval=2.0):
        batch = images[torch.randint(len(images), (batch_size,), generator=generator)]
        loss = (model.decoder(model.encoder(batch)) - batch).square().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    return model.eval(), losses

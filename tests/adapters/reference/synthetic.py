"""Synthetic trajectories and tiny reference models for fast tests (no simulator)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from adapters.reference.autoencoder import AutoencoderConfig, ImageAutoencoder
from adapters.reference.dataset import ChunkData
from adapters.reference.training import build_model

STATE_DIM, ACTION_DIM, HORIZON = 6, 3, 4
TINY = {"width": 32, "depth": 1, "flow_steps": 4, "value_width": 16, "value_depth": 1, "future_horizon": 2}


@dataclass
class Trajectory:
    states: np.ndarray
    actions: np.ndarray


def point_mass_trajectories(count: int = 8, length: int = 20, seed: int = 0) -> list[Trajectory]:
    """A point that moves by 0.1 × its action; actions head for the origin, plus noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        states = np.zeros((length + 1, STATE_DIM), np.float32)
        states[0] = rng.normal(size=STATE_DIM)
        actions = np.zeros((length, ACTION_DIM), np.float32)
        for t in range(length):
            actions[t] = np.clip(-states[t, :ACTION_DIM] + 0.3 * rng.normal(size=ACTION_DIM), -1, 1)
            states[t + 1] = states[t]
            states[t + 1, :ACTION_DIM] += 0.1 * actions[t]
        out.append(Trajectory(states, actions))
    return out


def tiny_data() -> ChunkData:
    return ChunkData.from_trajectories(point_mass_trajectories(), HORIZON, TINY["future_horizon"])


def tiny_model(family: str, seed: int = 0):
    return build_model(family, tiny_data(), seed=seed, **TINY)


#: A visual model's image size and its autoencoder (untrained): latents of 2 × 2 × 2 = 8 numbers.
IMAGE_SIZE = 16
TINY_AUTOENCODER = AutoencoderConfig(image_size=IMAGE_SIZE, width=8, latent_channels=2)


def frame(seed: int) -> np.ndarray:
    """A random uint8 camera frame of the tiny visual models' size."""
    return np.random.default_rng(seed).integers(0, 256, (IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)


def tiny_visual_model(family: str, seed: int = 0) -> tuple:
    """An untrained tiny visual model and its encoder: conditioning ``[s_t, z_t]``, futures ``z_{t+h}``."""
    torch.manual_seed(seed)
    encoder = ImageAutoencoder(TINY_AUTOENCODER).eval()
    z = TINY_AUTOENCODER.latent_dim
    trajectories = [Trajectory(np.concatenate([t.states, np.random.default_rng(k).normal(size=(len(t.states), z))],
                                              axis=1).astype(np.float32), t.actions)
                    for k, t in enumerate(point_mass_trajectories())]
    data = ChunkData.from_trajectories(trajectories, HORIZON, TINY["future_horizon"], future_dim=z)
    return build_model(family, data, seed=seed, latent_dim=z, state_groups=[STATE_DIM, z], **TINY), encoder

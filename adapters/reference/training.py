"""Fitting a reference model to demonstration chunks."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from tqdm.auto import tqdm

from adapters.reference.base import ReferenceModel
from adapters.reference.config import ModelConfig
from adapters.reference.dataset import ChunkData
from adapters.reference.families import FAMILIES
from adapters.reference.normalizer import Normalizer


def build_model(family: str, data: ChunkData, seed: int = 0, std_floor: float = 1e-2,
                state_groups: Sequence[int] | None = None, **sizes: float) -> ReferenceModel:
    """A freshly initialised ``family`` model whose normaliser is fitted on ``data``.

    ``sizes`` are :class:`ModelConfig` fields (``horizon`` is read from the data; with
    ``latent_dim`` the data's states are ``[s_t, z_t]`` and its futures ``z_{t+h}``);
    ``state_groups`` (observable sizes) pools state scales per observable.
    """
    chunks = data.chunks
    latent_dim = sizes.pop("latent_dim", 0)
    config = ModelConfig(state_dim=data.states.shape[1] - latent_dim, action_dim=chunks.shape[2],
                         horizon=chunks.shape[1], latent_dim=latent_dim, **sizes)
    normalizer = Normalizer.fit(data.states, chunks.reshape(-1, chunks.shape[2]), data.deltas, std_floor, state_groups)
    torch.manual_seed(seed)
    return FAMILIES.get(family).model(config, normalizer)


def train_model(
    model: ReferenceModel,
    data: ChunkData,
    steps: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """AdamW with a cosine schedule on ``model.loss``; returns the loss of every step.

    Minibatches and flow noise come from one generator seeded by ``seed``, so a run is
    reproducible on the same machine and thread count.
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps} and {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 0.5 * (1 + math.cos(math.pi * k / steps)))
    model.train()
    losses = []
    for _ in tqdm(range(steps), desc=f"train {model.family}", disable=not progress, mininterval=2.0):
        index = torch.randint(len(data), (batch_size,), generator=generator)
        loss = model.loss(data.take(index), generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    model.eval()
    return losses

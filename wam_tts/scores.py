"""Distances, consistency, consensus scores and latent change, batched over branches."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from wam_tts.geometry import Geometry
from wam_tts.registry import Registry

Distance = Callable[[Tensor, Tensor], Tensor]
"""``d(pred [N, ...], target [N, ...] or [...]) -> [N]``, one distance per branch."""

DISTANCES: Registry[Distance] = Registry("distance")


def _flat_pair(pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    # float16/bfloat16 futures are compared in float32: their squares overflow at 256
    # and cosine's epsilon underflows to zero
    dtype = torch.promote_types(pred.dtype, torch.float32)
    pred = pred.to(dtype)
    target = target.to(device=pred.device, dtype=dtype)
    if target.shape == pred.shape[1:]:
        target = target.unsqueeze(0)
    if target.shape[1:] != pred.shape[1:]:
        raise ValueError(
            f"cannot compare predicted futures {tuple(pred.shape[1:])} with target "
            f"{tuple(target.shape[1:])}: encode the observation into the futures' space"
        )
    n = pred.shape[0]
    return pred.reshape(n, -1), target.reshape(target.shape[0], -1).expand(n, -1)


@DISTANCES.register("mse")
def mse(pred: Tensor, target: Tensor) -> Tensor:
    """Mean squared error over all feature dimensions."""
    p, t = _flat_pair(pred, target)
    return torch.linalg.vector_norm(p - t, dim=1).square() / p.shape[1]


@DISTANCES.register("l1")
def l1(pred: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error over all feature dimensions."""
    p, t = _flat_pair(pred, target)
    return torch.linalg.vector_norm(p - t, ord=1, dim=1) / p.shape[1]


@DISTANCES.register("cosine")
def cosine(pred: Tensor, target: Tensor) -> Tensor:
    """``1 - cos(pred, target)`` over the flattened features, in [0, 2]."""
    p, t = _flat_pair(pred, target)
    return 1.0 - torch.nn.functional.cosine_similarity(p, t, dim=1, eps=1e-12)


def consistency(distance: Tensor, sigma: float = 1.0) -> Tensor:
    """Eq. 3: ``c = exp(-d / σ)``."""
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    return torch.exp(-distance / sigma)


def distance_to_mean(futures: Tensor, distance: str | Distance = "mse") -> Tensor:
    """``[N]`` distance of each future to the mean future.

    Computed directly (``f_i − f̄``): on a CPU this is as fast as the inner products of
    :class:`wam_tts.geometry.Geometry` and has none of their cancellation.
    """
    d = DISTANCES.get(distance) if isinstance(distance, str) else distance
    return d(futures, futures.mean(dim=0))


def pairwise_distances(futures: Tensor, distance: str | Distance = "mse") -> Tensor:
    """``[N, N]`` distance between every pair of futures (mse from one Gram matrix)."""
    d = DISTANCES.get(distance) if isinstance(distance, str) else distance
    if d is mse:
        return Geometry.of(futures).mse_pairwise()
    return torch.stack([d(futures, futures[i]) for i in range(futures.shape[0])])


def consensus_scores(futures: Tensor, distance: str | Distance = "mse", sigma: float = 1.0) -> Tensor:
    """Eq. 7-8: ``s_i = exp(-d(ô_i, mean_j ô_j) / σ)`` for every branch at once."""
    return consistency(distance_to_mean(futures, distance), sigma)


def medoid_scores(futures: Tensor, distance: str | Distance = "mse", sigma: float = 1.0) -> Tensor:
    """``s_i = exp(-median_{j≠i} d(ô_i, ô_j) / σ)``: agreement with the other futures one by
    one rather than with their mean, so a minority of outlying futures (fewer than half)
    neither drags the reference nor decides the ranking."""
    pairs = pairwise_distances(futures, distance).clone()
    n = pairs.shape[0]
    if n == 1:
        return consistency(pairs.new_zeros(1), sigma)
    pairs.fill_diagonal_(float("nan"))
    return consistency(pairs.nanmedian(dim=1).values, sigma)


def latent_change(z_next: Tensor, z_prev: Tensor) -> Tensor:
    """Eq. 4: ``Δz = ‖z_next − z_prev‖₂`` over the feature dims (batched on a leading N)."""
    diff = (z_next - z_prev.to(z_next)).reshape(*z_next.shape[: z_next.ndim - z_prev.ndim], -1)
    return torch.linalg.vector_norm(diff, dim=-1)

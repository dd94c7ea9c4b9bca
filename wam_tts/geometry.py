"""Distances among the N branches' futures, all from one Gram matrix (one read of the futures).

Used for what needs every pair (the medoid's pairwise distances); the distance to the
mean is computed directly (:func:`wam_tts.scores.distance_to_mean`), which costs the same
on a CPU and does not cancel.

For flattened futures ``F`` (``[N, D]``) the Gram matrix ``G = F Fᵀ`` holds every inner
product, so the squared distance of each future to the mean, to every other future, and
the cosines all follow from ``N × N`` numbers::

    ‖f_i − f̄‖² = G_ii − 2·mean_j G_ij + mean_jk G_jk
    ‖f_i − f_j‖² = G_ii + G_jj − 2 G_ij

Float32 Gram entries lose ``eps · ‖f‖² / ‖f_i − f̄‖²`` of relative precision to
cancellation, which matters when the futures are large and nearly equal; small inputs
(``N · D ≤ SMALL``, e.g. state futures) are therefore accumulated in float64, where that
costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

#: Up to this many numbers, the Gram matrix is computed in float64.
SMALL = 1 << 16


@dataclass(frozen=True)
class Geometry:
    """The Gram matrix of N flattened tensors and what follows from it."""

    gram: Tensor
    """``[N, N]`` inner products (float32 or float64)."""
    dim: int
    """Numbers per branch (D)."""

    @classmethod
    def of(cls, x: Tensor) -> Geometry:
        """The geometry of ``x`` (``[N, ...]``), any float dtype (half precisions in float32)."""
        n = x.shape[0]
        flat = x.reshape(n, -1)
        wide = torch.float64 if flat.numel() <= SMALL else torch.promote_types(flat.dtype, torch.float32)
        flat = flat.to(wide)
        return cls(flat @ flat.T, flat.shape[1])

    @property
    def finite(self) -> bool:
        """Whether every number of the input was finite (a NaN or Inf reaches the diagonal);
        an overflow of the squares reads as non-finite too."""
        return bool(torch.isfinite(self.gram.diagonal()).all())

    def sq_to_mean(self) -> Tensor:
        """``[N]`` squared Euclidean distance of each tensor to the mean of all N."""
        g = self.gram
        return (g.diagonal() - 2 * g.mean(dim=1) + g.mean()).clamp_min(0)

    def sq_pairwise(self) -> Tensor:
        """``[N, N]`` squared Euclidean distances between every pair."""
        d = self.gram.diagonal()
        return (d[:, None] + d[None, :] - 2 * self.gram).clamp_min(0)

    def cosine_to_mean(self) -> Tensor:
        """``[N]`` cosine between each tensor and the mean of all N."""
        g = self.gram
        dot = g.mean(dim=1)
        norms = g.diagonal().clamp_min(0).sqrt() * g.mean().clamp_min(0).sqrt()
        return dot / norms.clamp_min(1e-12)

    def mse_to_mean(self) -> Tensor:
        """``[N]`` mean squared error to the mean tensor (the ``mse`` distance)."""
        return self.sq_to_mean() / self.dim

    def mse_pairwise(self) -> Tensor:
        """``[N, N]`` mean squared error between every pair."""
        return self.sq_pairwise() / self.dim

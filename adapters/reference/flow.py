"""Conditional flow matching (rectified flow): training loss and Euler sampler.

The path from noise ``x0 ~ N(0, I)`` to data ``x1`` is the straight line
``x_t = (1 - t) x0 + t x1``; the network learns its velocity ``x1 - x0``. Sampling
integrates the learned velocity from ``t = 0`` to ``1`` in a few Euler steps, so the
sample is a deterministic function of the initial noise: branch ``i``'s noise alone
decides branch ``i``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from adapters.reference.networks import VelocityNet


def flow_matching_loss(net: VelocityNet, x1: Tensor, cond: Tensor, generator: torch.Generator | None = None,
                       weights: Tensor | None = None) -> Tensor:
    """Mean squared error between ``net(x_t, t, cond)`` and the straight-line velocity;
    ``weights [D]`` (summing to 1) weigh the dimensions instead of a plain mean."""
    x0 = torch.randn(x1.shape, generator=generator, dtype=x1.dtype, device=x1.device)
    t = torch.rand(x1.shape[0], generator=generator, dtype=x1.dtype, device=x1.device)
    xt = (1 - t[:, None]) * x0 + t[:, None] * x1
    error = (net(xt, t, cond) - (x1 - x0)).square()
    return error.mean() if weights is None else (error @ weights).mean()


def euler_sample(net: VelocityNet, x0: Tensor, cond: Tensor, steps: int) -> Tensor:
    """Integrate the velocity field from noise ``x0 [B, D]`` over ``steps`` Euler steps."""
    if steps < 1:
        raise ValueError(f"flow sampling needs at least one integration step, got {steps}")
    x = x0
    dt = 1.0 / steps
    for k in range(steps):
        t = torch.full((x.shape[0],), k * dt, dtype=x.dtype, device=x.device)
        x = x + dt * net(x, t, cond)
    return x

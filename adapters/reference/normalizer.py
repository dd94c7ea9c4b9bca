"""Per-dimension mean/std normalisation of states, actions and state changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class Standardizer:
    """``(x - mean) / std`` per feature, with ``std`` floored so constant features stay finite."""

    mean: Tensor
    std: Tensor

    @classmethod
    def fit(cls, data: Tensor, std_floor: float, groups: Sequence[int] | None = None) -> Standardizer:
        """Fit on ``data [M, D]`` (rows are samples).

        With ``groups`` (sizes of consecutive blocks of features summing to D, e.g. one
        block per observable), every feature of a block shares the block's scale
        (:func:`pooled_std`) before the floor applies.
        """
        if data.ndim != 2 or data.shape[0] < 2:
            raise ValueError(f"need data of shape [M >= 2, D] to fit a normaliser, got {tuple(data.shape)}")
        if not torch.isfinite(data).all():
            raise ValueError("cannot fit a normaliser on data containing NaN or Inf")
        data = data.double()
        std = data.std(0)
        if groups is not None:
            std = pooled_std(std, groups)
        return cls(data.mean(0).float(), std.clamp_min(std_floor).float())

    def normalize(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std

    def denormalize(self, x: Tensor) -> Tensor:
        return x * self.std + self.mean

    def state_dict(self) -> dict[str, Tensor]:
        return {"mean": self.mean.clone(), "std": self.std.clone()}

    @classmethod
    def from_state_dict(cls, state: dict[str, Tensor]) -> Standardizer:
        return cls(state["mean"].float(), state["std"].float())


def pooled_std(std: Tensor, groups: Sequence[int]) -> Tensor:
    """Each block of ``groups`` (consecutive sizes) gets the RMS of its features' stds.

    The components of one observable (a position, a quaternion, the two finger joints)
    are one physical quantity in one unit. Scaling each component by its own spread
    lets a near-constant component (a resting cube's tilt, std 0.002) turn millimetre
    noise into whole units of distance; one shared scale per observable keeps its
    distance isotropic (Euclidean in the observable's own unit, divided by its spread).
    """
    sizes = [int(g) for g in groups]
    if any(g < 1 for g in sizes) or sum(sizes) != std.shape[-1]:
        raise ValueError(f"groups {sizes} must be positive sizes summing to the {std.shape[-1]} features")
    blocks = torch.split(std, sizes, dim=-1)
    return torch.cat([b.square().mean(-1, keepdim=True).sqrt().expand_as(b) for b in blocks], dim=-1)


def _last_groups(groups: Sequence[int] | None, width: int) -> list[int] | None:
    """The trailing blocks of ``groups`` that cover the last ``width`` features."""
    if groups is None:
        return None
    tail: list[int] = []
    for size in reversed([int(g) for g in groups]):
        if sum(tail) >= width:
            break
        tail.insert(0, size)
    if sum(tail) != width:
        raise ValueError(f"groups {list(groups)} do not split off the last {width} features")
    return tail


@dataclass
class Normalizer:
    """The three standardisers a reference model needs.

    ``state`` maps ``obs["state"]`` to the space futures are compared in; ``action``
    normalises action chunks; ``delta`` normalises the change ``s_{t+h} - s_t`` that the
    generative models predict (changes are far smaller than the spread of states).
    """

    state: Standardizer
    action: Standardizer
    delta: Standardizer

    @classmethod
    def fit(cls, states: Tensor, actions: Tensor, deltas: Tensor, std_floor: float = 1e-2,
            state_groups: Sequence[int] | None = None) -> Normalizer:
        """Fit on ``states [M, C]``, ``actions [M, A]`` and ``deltas [M, F]`` (the change of the
        last F features of the states); ``state_groups`` (observable sizes) pools the scales
        of states and deltas per observable."""
        return cls(
            Standardizer.fit(states, std_floor, state_groups),
            Standardizer.fit(actions, std_floor),
            Standardizer.fit(deltas, std_floor, _last_groups(state_groups, deltas.shape[1])),
        )

    def state_dict(self) -> dict[str, dict[str, Tensor]]:
        return {"state": self.state.state_dict(), "action": self.action.state_dict(),
                "delta": self.delta.state_dict()}

    @classmethod
    def from_state_dict(cls, state: dict[str, dict[str, Tensor]]) -> Normalizer:
        return cls(*(Standardizer.from_state_dict(state[k]) for k in ("state", "action", "delta")))

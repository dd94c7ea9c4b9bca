"""Action-space layouts, and weighted averaging that respects rotations (SO(3))."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from wam_tts.registry import Registry

#: Component name → width. Rotations are averaged on SO(3); everything else linearly.
COMPONENT_WIDTHS = {"xyz": 3, "axis-angle": 3, "quat": 4, "gripper": 1, "scalar": 1}
ROTATIONS = ("axis-angle", "quat")

#: Named layouts. The core names only "euclidean"; each benchmark's layout is registered
#: next to its env backend (e.g. ``robosuite_osc`` in :mod:`eval.envs.robosuite_env`).
ACTION_SPACES: Registry[str] = Registry("action space")
ACTION_SPACES.register("euclidean")("")


@dataclass(frozen=True)
class ActionSpace:
    """An action layout such as ``"xyz, axis-angle, gripper"``.

    ``quat`` components may be wxyz or xyzw: their mean depends only on inner products.
    An empty layout means every dimension is Euclidean.
    """

    components: tuple[tuple[str, slice], ...]

    @classmethod
    def parse(cls, description: str) -> ActionSpace:
        """Parse a comma-separated layout, or look up a registered name."""
        if description in ACTION_SPACES:
            description = ACTION_SPACES.get(description)
        parts = [p.strip() for p in description.split(",") if p.strip()]
        components, start = [], 0
        for part in parts:
            if part not in COMPONENT_WIDTHS:
                raise ValueError(
                    f"unknown action component {part!r} in {description!r}; valid components: "
                    f"{', '.join(COMPONENT_WIDTHS)}; registered spaces: {', '.join(ACTION_SPACES)}"
                )
            width = COMPONENT_WIDTHS[part]
            components.append((part, slice(start, start + width)))
            start += width
        return cls(tuple(components))

    @property
    def dim(self) -> int | None:
        """Total action width, or None for the all-Euclidean layout."""
        return self.components[-1][1].stop if self.components else None

    def average(self, actions: Tensor, weights: Tensor) -> Tensor:
        """Weighted mean of ``actions [N, H, A]`` with ``weights [N]`` summing to 1.

        Translations and grippers are averaged linearly; rotations by the weighted
        quaternion mean (the principal eigenvector of ``Σ w q qᵀ``), which is the
        correct average on SO(3) rather than a component-wise one.
        """
        if self.dim is not None and actions.shape[-1] != self.dim:
            raise ValueError(
                f"action space has {self.dim} dimensions but actions have {actions.shape[-1]}"
            )
        w = weights.to(actions)
        anchor = int(torch.argmax(w))
        if float(w[anchor]) == 1.0:  # one branch carries all the weight: its actions, exactly
            return actions[anchor].clone()
        out = torch.einsum("n,nha->ha", w, actions)
        for name, sl in self.components:
            if name in ROTATIONS:
                out[:, sl] = _rotation_mean(name, actions[..., sl], w, anchor).to(out)
        return out


def _rotation_mean(name: str, r: Tensor, w: Tensor, anchor: int) -> Tensor:
    """Mean of the ``quat`` or ``axis-angle`` components ``r [N, H, k]`` (float16 and
    bfloat16 computed in float32: the eigensolver takes nothing narrower)."""
    dtype = torch.promote_types(r.dtype, torch.float32)
    r, w = r.to(dtype), w.to(dtype)
    q = r if name == "quat" else axis_angle_to_quat(r)
    if not bool(torch.isfinite(q).all()):
        raise ValueError(
            f"cannot average the branches' {name} rotations: a rotation is too large to convert "
            f"in {dtype} (largest |component| {float(r.abs().max()):.3g})"
        )
    mean = quaternion_mean(q, w, anchor)
    return mean if name == "quat" else quat_to_axis_angle(mean)


def quaternion_mean(q: Tensor, w: Tensor, anchor: int = 0) -> Tensor:
    """Weighted mean of unit quaternions ``q [N, H, 4]`` → ``[H, 4]``, sign-aligned to branch ``anchor``."""
    q = torch.nn.functional.normalize(q, dim=-1)
    m = torch.einsum("n,nhi,nhj->hij", w, q, q)
    mean = torch.linalg.eigh(m).eigenvectors[..., -1]
    sign = torch.sign((mean * q[anchor]).sum(-1, keepdim=True))
    return mean * torch.where(sign == 0, torch.ones_like(sign), sign)


def axis_angle_to_quat(r: Tensor) -> Tensor:
    """Rotation vectors ``[..., 3]`` → unit quaternions ``[..., 4]`` (wxyz)."""
    angle = torch.linalg.vector_norm(r, dim=-1, keepdim=True)
    half = angle / 2
    small = angle < 1e-8
    scale = torch.where(small, 0.5 - angle.square() / 48, torch.sin(half) / torch.where(small, 1, angle))
    return torch.cat([torch.cos(half), r * scale], dim=-1)


def quat_to_axis_angle(q: Tensor) -> Tensor:
    """Unit quaternions ``[..., 4]`` (wxyz) → rotation vectors ``[..., 3]`` with angle in [0, π]."""
    q = torch.nn.functional.normalize(q, dim=-1)
    q = q * torch.where(q[..., :1] < 0, -1.0, 1.0)
    v = q[..., 1:]
    sin_half = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
    angle = 2 * torch.atan2(sin_half, q[..., :1])
    small = sin_half < 1e-8
    scale = torch.where(small, 2.0, angle / torch.where(small, 1, sin_half))
    return v * scale

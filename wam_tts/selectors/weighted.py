"""Weighted (Eq. 10, App. F): execute the softmax-weighted average of the branches' actions."""

from __future__ import annotations

import torch
from torch import Tensor

from wam_tts.action_space import ActionSpace
from wam_tts.branches import Branches
from wam_tts.policy import WorldActionModel
from wam_tts.selectors.base import check_options, register_selector
from wam_tts.selectors.consensus import ConsensusSelector

#: How τ is read: in units of the decision's own score spread, or as the paper's raw τ.
TAU_SCALES = ("spread", "absolute")
#: A score spread below this fraction of the scores' size is rounding noise, not a ranking.
TIE = 1e-5


def blend(branches: Branches, weights: Tensor, keep: Tensor, action_space: ActionSpace) -> tuple[Tensor, int, Tensor]:
    """Average the kept branches' actions with ``weights`` (over ``keep``); NaN-free ``[N]`` weights."""
    if len(keep) == branches.n:
        return action_space.average(branches.actions, weights), int(torch.argmax(weights)), weights
    full = torch.zeros(branches.n, dtype=weights.dtype, device=weights.device)
    full[keep] = weights
    return action_space.average(branches.actions[keep], weights), int(torch.argmax(full)), full


def softmax_weights(scores: Tensor, tau: float, scale: str) -> Tensor:
    """``softmax(s / τ)``, with ``s`` first standardised over the decision when ``scale="spread"``.

    With σ = 1 consensus scores of one decision sit within a few hundredths of each other,
    so a raw τ of 1 gives nearly uniform weights; read relative to the spread (the
    scores' standard deviation), τ means the same at every decision and for every model.
    Scores equal up to rounding (a spread below ``TIE`` of their size; N = 2 consensus
    scores are equal in exact arithmetic) and N = 1 give uniform weights.
    """
    if scale == "absolute":
        return torch.softmax(scores / tau, dim=0)
    spread = scores.std(correction=0) if len(scores) > 1 else scores.new_zeros(())
    if not bool(spread > TIE * scores.abs().max()):  # equal up to rounding: standardising would blow noise up
        return torch.full_like(scores, 1.0 / len(scores))
    return torch.softmax((scores - scores.mean()) / (spread * tau), dim=0)


@register_selector
class WeightedSelector(ConsensusSelector):
    """Eq. 10 (App. F): execute the softmax(s/τ)-weighted average of the branches' actions.

    ``tau`` is in units of the decision's consensus-score standard deviation
    (``tau_scale="spread"``, the default) or the paper's raw temperature
    (``tau_scale="absolute"``). ``action_space`` (a layout such as
    ``"xyz, axis-angle, gripper"`` or a registered name) makes rotations average on
    SO(3); the default averages every dimension linearly, as the paper does.
    """

    name = "weighted"
    blends_actions = True
    same_as_baseline_at_n1 = True
    option_rules = {
        "tau": (lambda v: v > 0, "tau must be > 0"),
        "tau_scale": (lambda v: v in TAU_SCALES, f"tau_scale must be one of {TAU_SCALES}"),
        "action_space": (lambda v: ActionSpace.parse(v) is not None, "action_space must be a layout"),
    }

    def __init__(self, policy: WorldActionModel, n: int | None = None, *, tau: float = 1.0,
                 tau_scale: str = "spread", action_space: str = "euclidean", **common) -> None:
        check_options(self.option_rules, tau=tau, tau_scale=tau_scale)
        super().__init__(policy, n, **common)
        self.tau = tau
        self.tau_scale = tau_scale
        self.action_space = ActionSpace.parse(action_space)

    def choose(self, branches: Branches, scores: Tensor, keep: Tensor) -> tuple[Tensor, int, Tensor | None]:
        weights = softmax_weights(scores[keep] if len(keep) < branches.n else scores, self.tau, self.tau_scale)
        return blend(branches, weights, keep, self.action_space)

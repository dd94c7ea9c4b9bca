"""The plain mean of the N chunks: App. F's control for the weighted selector."""

from __future__ import annotations

import torch
from torch import Tensor

from wam_tts.action_space import ActionSpace
from wam_tts.branches import Branches
from wam_tts.policy import Observation, WorldActionModel
from wam_tts.selectors.base import Selector, register_selector
from wam_tts.selectors.weighted import blend


@register_selector
class MeanSelector(Selector):
    """Execute the unweighted average of the branches' actions (rotations on SO(3) per ``action_space``).

    Weighted selection is a blend too, so weighted vs winner-takes-all is confounded
    with plain averaging (which denoises the action); this baseline separates them.
    """

    name = "mean"
    blends_actions = True
    same_as_baseline_at_n1 = True
    option_rules = {
        "action_space": (lambda v: ActionSpace.parse(v) is not None, "action_space must be a layout"),
    }

    def __init__(self, policy: WorldActionModel, n: int | None = None, *, action_space: str = "euclidean",
                 **common) -> None:
        super().__init__(policy, n, **common)
        self.action_space = ActionSpace.parse(action_space)

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        return torch.zeros(branches.n, device=branches.device)

    def choose(self, branches: Branches, scores: Tensor, keep: Tensor) -> tuple[Tensor, int, Tensor | None]:
        weights = torch.full((len(keep),), 1.0 / len(keep), dtype=scores.dtype, device=scores.device)
        return blend(branches, weights, keep, self.action_space)

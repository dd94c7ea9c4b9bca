"""The N = 1 baseline."""

from __future__ import annotations

import torch
from torch import Tensor

from wam_tts.branches import Branches
from wam_tts.policy import Observation
from wam_tts.selectors.base import Selector, register_selector


@register_selector
class VanillaSelector(Selector):
    """The N = 1 baseline: one sample, executed as is."""

    name = "vanilla"
    fixed_n = 1

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        return torch.zeros(branches.n, device=branches.device)

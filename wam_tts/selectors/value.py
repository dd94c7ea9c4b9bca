"""Best-of-N by the policy's own value head."""

from __future__ import annotations

from torch import Tensor

from wam_tts.branches import BranchError, Branches
from wam_tts.policy import Observation
from wam_tts.selectors.base import Selector, register_selector


@register_selector
class ValueSelector(Selector):
    """Best-of-N by the policy's predicted value."""

    name = "value"
    needs_value_head = True
    same_as_baseline_at_n1 = True

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        if branches.values is None:
            raise BranchError("the value selector got branches without values")
        return branches.values

"""Consensus (Eq. 7-9): agreement of each predicted future with the mean of all of them."""

from __future__ import annotations

from torch import Tensor

from wam_tts.branches import Branches
from wam_tts.policy import Observation
from wam_tts.scores import consensus_scores
from wam_tts.selectors.base import Selector, register_selector


@register_selector
class ConsensusSelector(Selector):
    """Eq. 7-9: the branch whose future agrees most with the mean of all futures."""

    name = "consensus"
    same_as_baseline_at_n1 = True

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        return consensus_scores(branches.futures, self.distance, self.sigma)

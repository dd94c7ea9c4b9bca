"""Consensus in action space: the chunk nearest the mean chunk."""

from __future__ import annotations

from torch import Tensor

from wam_tts.branches import Branches
from wam_tts.policy import Observation
from wam_tts.scores import consensus_scores
from wam_tts.selectors.base import register_selector
from wam_tts.selectors.consensus import ConsensusSelector


@register_selector
class ActionConsensusSelector(ConsensusSelector):
    """The branch whose action chunk agrees most with the mean chunk (futures unused).

    For models whose predicted futures do not follow their own actions (low branch
    fidelity, see :mod:`wam_tts.diagnostics.fidelity`), agreement among the actions is
    the signal that is left.
    """

    name = "action_consensus"

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        return consensus_scores(branches.actions, self.distance, self.sigma)

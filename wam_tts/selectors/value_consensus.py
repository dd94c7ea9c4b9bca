"""Value × consensus: a branch must be both valuable and agreed on."""

from __future__ import annotations

import torch
from torch import Tensor

from wam_tts.branches import BranchError, Branches
from wam_tts.policy import Observation
from wam_tts.scores import consensus_scores
from wam_tts.selectors.base import register_selector
from wam_tts.selectors.consensus import ConsensusSelector


@register_selector
class ValueConsensusSelector(ConsensusSelector):
    """Score ``rank(v_i) + rank(s_i)``: the value head's and the consensus ranking, summed.

    Ranks (ties averaged) make the two signals commensurate whatever the value head's
    scale; ties of the sum go to the lower index, as everywhere.
    """

    name = "value_consensus"
    needs_value_head = True

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        if branches.values is None:
            raise BranchError("the value_consensus selector got branches without values")
        consensus = consensus_scores(branches.futures, self.distance, self.sigma)
        return _ranks(branches.values.to(consensus)) + _ranks(consensus)


def _ranks(x: Tensor) -> Tensor:
    """Average ranks (0 = lowest) of a 1-D tensor."""
    order = x.argsort()
    ranks = x.new_empty(x.shape)
    ranks[order] = torch.arange(len(x), dtype=x.dtype, device=x.device)
    for value in x.unique():  # N is small: average the ranks of ties
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks


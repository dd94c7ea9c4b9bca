"""Medoid consensus: agreement with every other future, robust to one outlying future."""

from __future__ import annotations

from torch import Tensor

from wam_tts.branches import Branches
from wam_tts.policy import Observation
from wam_tts.scores import medoid_scores
from wam_tts.selectors.base import register_selector
from wam_tts.selectors.consensus import ConsensusSelector


@register_selector
class MedoidSelector(ConsensusSelector):
    """The branch whose median distance to the other futures is smallest (a robust medoid).

    The mean future that plain consensus compares with moves towards an outlier, and so
    does a sum of squared distances; the median pairwise distance ignores any minority of
    outlying futures.
    """

    name = "medoid"

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        return medoid_scores(branches.futures, self.distance, self.sigma)

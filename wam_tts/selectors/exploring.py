"""Exploring (Eq. 5-6): execute every branch from the saved simulator state."""

from __future__ import annotations

import torch
from torch import Tensor

from wam_tts.branches import BranchError, Branches
from wam_tts.policy import Observation, WorldActionModel
from wam_tts.scores import consistency
from wam_tts.selectors.base import Selector, register_selector
from wam_tts.simulator import Simulator, require_simulator


@register_selector
class ExploringSelector(Selector):
    """Eq. 5-6: execute every branch from the saved state; keep the one whose future came true.

    An upper bound that needs a simulator with exact save/restore: the episode's env,
    given to :meth:`reset` (or once as ``simulator=``). The simulator is left in the
    saved state, so the caller then executes the winner as usual.
    """

    name = "exploring"
    needs_simulator = True

    def __init__(self, policy: WorldActionModel, n: int | None = None, *, simulator: Simulator | None = None,
                 **common) -> None:
        super().__init__(policy, n, **common)
        if simulator is not None:
            self.env = require_simulator(simulator, "the exploring selector")

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        sim = require_simulator(self.env, "the exploring selector")
        horizon = self.policy.future_horizon
        if horizon > branches.actions.shape[1]:
            raise BranchError(
                f"future_horizon {horizon} exceeds the chunk length {branches.actions.shape[1]}"
            )
        saved = sim.get_state()
        reached = []
        try:
            chunks = branches.actions[:, :horizon].detach().cpu()
            if chunks.dtype == torch.bfloat16:  # numpy has no bfloat16
                chunks = chunks.float()
            for chunk in chunks.numpy():
                sim.set_state(saved)
                reached.append(self.policy.encode_observation(sim.execute(chunk)))
        finally:
            sim.set_state(saved)
        real = torch.stack(reached).to(branches.device)  # the distance picks the dtype (float16 overflows)
        return consistency(self.distance(branches.futures, real), self.sigma)

"""Gated selection: spend N branches only where a small probe of branches disagrees."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from wam_tts.branches import Branches
from wam_tts.policy import Observation, WorldActionModel
from wam_tts.selectors.base import (
    SELECTORS,
    Decision,
    Selector,
    check_options,
    make_selector,
    register_selector,
)

GATE_SPACES = ("future", "action")


def probe_disagreement(probe: Branches, now: Tensor | None, space: str = "future") -> float:
    """Scale-free disagreement of a probe's branches: their mean pairwise squared distance over
    the mean squared size of what they predict (the change from ``now`` for futures, the
    actions themselves in action space). 0 when the branches agree; about 2 for independent
    draws of equal spread."""
    x = probe.futures if space == "future" else probe.actions
    flat = x.reshape(x.shape[0], -1).double()
    spread = torch.pdist(flat).square().mean()
    base = flat if space == "action" or now is None else flat - now.reshape(1, -1).to(flat)
    size = base.square().sum(dim=1).mean()
    return float(spread / size) if float(size) > 0 else (0.0 if float(spread) == 0 else math.inf)


@register_selector
class GatedSelector(Selector):
    """Draw ``probe`` branches; when their disagreement exceeds ``threshold``, draw all N and
    let the ``inner`` selector (built with ``inner_options``) choose, else execute the probe's
    first branch.

    Branch i depends only on (seed, i), so the probe's branches are the first rows of the
    full draw, and a decision that does not fire executes exactly the N = 1 baseline's
    branch. Calibrate ``threshold`` on seeds apart from the evaluation's (the disagreements
    seen with ``threshold=inf`` are in :attr:`disagreements`). Branches drawn per decision:
    ``probe`` plus N when the gate fires. Policies that stream observations keep state
    between ``sample`` and ``on_select`` and cannot be probed, so they are refused.
    """

    name = "gated"
    gates = True
    #: Branches in the probe unless ``probe`` says otherwise.
    PROBE = 2
    option_rules = {
        "inner": (lambda v: v in SELECTORS and not SELECTORS.get(v).needs_simulator and v != "gated",
                  "inner must be a registered selector that needs no simulator (and is not gated)"),
        "probe": (lambda v: isinstance(v, int) and v >= 2, "probe must be an integer >= 2"),
        "threshold": (lambda v: v >= 0, "threshold must be >= 0"),
        "gate_space": (lambda v: v in GATE_SPACES, f"gate_space must be one of {GATE_SPACES}"),
    }

    def __init__(self, policy: WorldActionModel, n: int | None = None, *, inner: str = "consensus",
                 inner_options: dict | None = None, probe: int = PROBE, threshold: float = 0.0,
                 gate_space: str = "future", **common) -> None:
        super().__init__(policy, n, **common)
        check_options(self.option_rules, inner=inner, probe=probe, threshold=threshold, gate_space=gate_space)
        if probe >= self.n:
            raise ValueError(f"the probe ({probe} branches) must be smaller than n ({self.n})")
        if policy.streams_observations:
            raise ValueError(f"the gated selector samples twice per decision; {type(policy).__name__} streams "
                             "observations and keeps state between sample and on_select, so it cannot be probed")
        self.inner = make_selector(inner, policy, n=self.n, **common, **dict(inner_options or {}))
        self.probe, self.threshold, self.gate_space = probe, threshold, gate_space
        self.disagreements: list[float] = []
        self.fired: list[bool] = []

    @classmethod
    def branches_drawn(cls, scored: int, n: int, options: Mapping[str, Any]) -> int:
        """The probe, plus all N again where the gate fired (a fired decision scores N
        branches, an unfired one the probe's)."""
        return options.get("probe", cls.PROBE) + (n if scored == n else 0)

    def reset(self, seed: int | None = None, env: object = None) -> None:
        super().reset(seed, env)
        self.disagreements, self.fired = [], []

    def decide(self, obs: Observation, seed: int) -> Decision:
        start = time.perf_counter()
        probe = self.draw(obs, self.probe, seed)
        probe_s = time.perf_counter() - start
        now = self.policy.encode_observation(obs) if self.gate_space == "future" else None
        disagreement = probe_disagreement(probe, now, self.gate_space)
        fire = disagreement > self.threshold
        self.disagreements.append(disagreement)
        self.fired.append(fire)
        if not fire:
            return self.select(probe, obs, seed, probe_s)
        decision = self.inner.decide(obs, seed)
        return dataclasses.replace(decision, sample_s=decision.sample_s + probe_s)

    def score(self, branches: Branches, obs: Observation) -> Tensor:
        """An unfired probe: every branch equal, so the first finite one is executed."""
        return torch.zeros(branches.n, device=branches.device)

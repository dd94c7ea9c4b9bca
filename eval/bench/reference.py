"""The reference WAMs: one N-branch query against N one-branch queries, and the
selectors' scoring time on the branches the model really returns, all interleaved.

The shipped checkpoint is used when present; otherwise a model of the shipped
recipe's size with untrained weights stands in (sampling time depends on the
architecture only), and the tables say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from eval.bench.selection import BENCHED_SELECTORS, PresampledPolicy
from eval.bench.timing import interleaved_medians
from wam_tts import SELECTORS, WorldActionModel, make_selector

BENCH_FAMILIES = ("joint", "inverse")


@dataclass(frozen=True)
class LoadedPolicy:
    family: str
    task: str
    policy: WorldActionModel
    source: str
    """``"checkpoint <file>"`` or ``"untrained, recipe-sized (no checkpoint)"``."""


def load_bench_policy(family: str, task: str, state_dim: int, action_dim: int) -> LoadedPolicy:
    """The shipped ``family`` policy for ``task``, or an untrained one of the same size."""
    from adapters.reference import checkpoint_path, load_reference_policy

    try:
        policy = load_reference_policy(family, task)
        return LoadedPolicy(family, task, policy, f"checkpoint {checkpoint_path(family, task).name}")
    except FileNotFoundError:
        return LoadedPolicy(family, task, untrained_policy(family, task, state_dim, action_dim),
                            "untrained, recipe-sized (no checkpoint)")


def untrained_policy(family: str, task: str, state_dim: int, action_dim: int) -> WorldActionModel:
    """A randomly initialised ``family`` model with the shipped recipe's sizes (value head on)."""
    from adapters.reference import FAMILIES as REFERENCE_FAMILIES
    from adapters.reference.config import ModelConfig
    from adapters.reference.normalizer import Normalizer, Standardizer
    from adapters.reference.recipes import recipe_for

    recipe = recipe_for(family, task)
    config = ModelConfig(state_dim=state_dim, action_dim=action_dim, horizon=recipe.horizon,
                         future_horizon=recipe.horizon, width=recipe.width, depth=recipe.depth,
                         flow_steps=recipe.flow_steps)

    def unit(dim: int) -> Standardizer:
        return Standardizer(torch.zeros(dim), torch.ones(dim))

    torch.manual_seed(0)
    family_spec = REFERENCE_FAMILIES.get(family)
    model = family_spec.model(config, Normalizer(unit(state_dim), unit(action_dim), unit(state_dim)))
    if hasattr(model, "value_head"):
        model.value_trained.fill_(True)  # the shipped joint models have a trained value head
    return family_spec.wam(model)


@dataclass(frozen=True)
class QueryTiming:
    """Medians (seconds) for one family and N."""

    family: str
    n: int
    batched_s: float
    sequential_s: float
    scoring_s: dict[str, float]
    """Selector name → ``selector.act`` time on pre-drawn branches of this model."""

    @property
    def speedup(self) -> float:
        return self.sequential_s / self.batched_s


def measure_queries(loaded: LoadedPolicy, obs: dict[str, np.ndarray], ns: tuple[int, ...],
                    repeats: int) -> list[QueryTiming]:
    """Batched, sequential and per-selector scoring times, interleaved per N; every
    selector's ``act`` is timed right after an (untimed) query of the model."""
    policy = loaded.policy
    rows = []
    for n in ns:
        branches = policy.sample(obs, n, 0)
        presampled = PresampledPolicy(branches, future_horizon=policy.future_horizon)
        selectors = {name: make_selector(name, presampled, n=n) for name in BENCHED_SELECTORS
                     if policy.has_value_head or not SELECTORS.get(name).needs_value_head}

        def sequential(n: int = n) -> None:
            for i in range(n):
                policy.sample(obs, 1, i)

        def query(n: int = n) -> None:
            policy.sample(obs, n, 0)

        fns = {"batched": query, "sequential": sequential,
               **{name: (lambda s=s: s.act(obs)) for name, s in selectors.items()}}
        # each selector is timed right after a query, as in a real decision (cold caches)
        medians = interleaved_medians(fns, repeats=repeats, before={name: query for name in selectors})
        rows.append(QueryTiming(loaded.family, n, medians["batched"], medians["sequential"],
                                {name: medians[name] for name in selectors}))
    return rows


@dataclass(frozen=True)
class OpCost:
    name: str
    calls: float
    """Calls per ``act``."""
    self_us: float
    """Self CPU microseconds per ``act`` (profiler overhead included)."""


@dataclass(frozen=True)
class ActProfile:
    """torch.profiler's view of one consensus ``act`` on a model's real branches."""

    n: int
    top_level_ops: float
    """torch ops called from Python per ``act``."""
    torch_us: float
    """Self CPU microseconds per ``act`` inside torch ops (profiler overhead included)."""
    costliest: list[OpCost]


def profile_consensus(loaded: LoadedPolicy, obs: dict[str, np.ndarray], n: int = 8, calls: int = 200,
                      top: int = 6) -> ActProfile:
    """Profile consensus ``act`` on ``n`` branches of this model: where its time goes."""
    from torch.profiler import ProfilerActivity, profile

    selector = make_selector("consensus", PresampledPolicy(loaded.policy.sample(obs, n, 0)), n=n)
    for _ in range(20):
        selector.act(obs)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(calls):
            selector.act(obs)
    top_level = sum(1 for e in prof.events() if e.name.startswith("aten::") and e.cpu_parent is None)
    events = [e for e in prof.key_averages() if e.key.startswith("aten::")]
    costs = sorted((OpCost(e.key, e.count / calls, e.self_cpu_time_total / calls) for e in events),
                   key=lambda c: c.self_us, reverse=True)
    return ActProfile(n, top_level / calls, sum(c.self_us for c in costs), costs[:top])

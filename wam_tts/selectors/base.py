"""The selector contract: sample N branches, score them, choose, and keep the policy in step.

A selector owns the episode of the policy it wraps::

    selector = ConsensusSelector(policy, n=8)
    selector.reset(seed=episode_seed, env=env)   # env: only selectors that need a simulator use it
    decision = selector.act(obs)                 # decision.actions: the [H, A] chunk to execute
    for action in decision.actions.numpy():
        obs = env.step(action)
        selector.observe(obs)                    # streaming policies (LingBot-VA) see what happened

What a selector needs is declared, never inferred from its name or class:
:attr:`Selector.needs_simulator`, :attr:`Selector.needs_value_head`, :attr:`Selector.fixed_n`,
:attr:`Selector.blends_actions`, :attr:`Selector.same_as_baseline_at_n1` and
:attr:`Selector.gates` (with :meth:`Selector.branches_drawn`); the harness and reports read
only these.

Branches whose actions, futures or value contain NaN/Inf are dropped with a warning
and scored NaN; the choice is made among the rest (``on_nonfinite="raise"`` turns this
into an error). If every branch is non-finite, :class:`~wam_tts.branches.BranchError`
is raised.
"""

from __future__ import annotations

import inspect
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import torch
from torch import Tensor

from wam_tts.branches import BranchError, Branches
from wam_tts.fallback import MemoryFallback, sample_within_memory
from wam_tts.policy import Observation, WorldActionModel
from wam_tts.registry import Registry
from wam_tts.scores import DISTANCES, Distance
from wam_tts.seeding import derive_seed
from wam_tts.simulator import require_simulator

SELECTORS: Registry[type[Selector]] = Registry("selector")

#: Options every selector takes; a harness sets them from its own keys (n, seed, consistency).
COMMON_OPTIONS = ("n", "seed", "distance", "sigma", "on_nonfinite")

S = TypeVar("S", bound="type[Selector]")

#: option -> (predicate, what it must be): checked by constructors and, before anything
#: is built, by harnesses (:func:`option_problems`).
OptionRules = dict[str, tuple[Callable[[Any], bool], str]]


def register_selector(cls: S) -> S:
    """Class decorator: register ``cls`` in :data:`SELECTORS` under ``cls.name``."""
    return SELECTORS.register(cls.name)(cls)


@dataclass(frozen=True)
class Decision:
    """What a selector chose, and why."""

    actions: Tensor
    """``[H, A]`` chunk to execute (a blend of branches for blending selectors)."""
    index: int
    """Chosen branch (the largest weight for blending selectors), policy numbering."""
    scores: Tensor
    """``[N]`` score of every branch; NaN for dropped non-finite branches."""
    branches: Branches
    weights: Tensor | None
    """``[N]`` blending weights (blending selectors only)."""
    seed: int
    """The seed this call's branches were drawn with."""
    sample_s: float
    score_s: float
    memory_fallback: MemoryFallback | None = None
    """How the branches were drawn after running out of memory (None: as asked)."""

    @property
    def future(self) -> Tensor:
        """The chosen branch's predicted future."""
        return self.branches.futures[self.index]

    @property
    def value(self) -> float | None:
        """The chosen branch's predicted value, if the policy has a value head."""
        values = self.branches.values
        return None if values is None else float(values[self.index])


class Selector(ABC):
    """Base class: the episode lifecycle, sampling, non-finite handling and timing."""

    #: Registered name (``make_selector(name, ...)``, ``selector=<name>`` in the harness).
    name: ClassVar[str]
    #: Executes branches from a restored simulator state: ``reset`` must be given an ``env``.
    needs_simulator: ClassVar[bool] = False
    #: Reads ``Branches.values``: the policy must have a value head.
    needs_value_head: ClassVar[bool] = False
    #: The only N this selector draws (the N = 1 baseline); None for any N.
    fixed_n: ClassVar[int | None] = None
    #: Executes a blend of the branches' actions, not one branch as drawn.
    blends_actions: ClassVar[bool] = False
    #: At N = 1 it is the vanilla baseline by construction (one branch, executed as drawn),
    #: so a sweep skips that cell instead of repeating the baseline.
    same_as_baseline_at_n1: ClassVar[bool] = False
    #: Draws the full N only at some decisions (:meth:`branches_drawn` says where it did).
    gates: ClassVar[bool] = False
    #: Checks of this class's own options (subclasses add theirs).
    option_rules: ClassVar[OptionRules] = {
        "sigma": (lambda v: v > 0, "sigma must be > 0"),
        "on_nonfinite": (lambda v: v in ("drop", "raise"), "on_nonfinite must be 'drop' or 'raise'"),
    }

    def __init__(
        self,
        policy: WorldActionModel,
        n: int | None = None,
        *,
        seed: int = 0,
        distance: str | Distance = "mse",
        sigma: float = 1.0,
        on_nonfinite: str = "drop",
    ) -> None:
        n = (self.fixed_n or 8) if n is None else n
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        if self.fixed_n is not None and n != self.fixed_n:
            count = "one branch" if self.fixed_n == 1 else f"{self.fixed_n} branches"
            raise ValueError(f"the {self.name} selector draws exactly {count} (n = {self.fixed_n}), got n = {n}")
        if self.needs_value_head and not policy.has_value_head:
            raise ValueError(
                f"the {self.name} selector needs a policy with a value head; {type(policy).__name__} "
                "has none (has_value_head is False). Use consensus instead."
            )
        if self.blends_actions and policy.streams_observations:
            raise ValueError(
                f"the {self.name} selector executes a blend of the branches' actions, but "
                f"{type(policy).__name__} streams observations: it is told which branch ran and feeds that "
                "branch's actions and the observed frames back into its state, and a blend is no branch it "
                "drew. Use a selector that executes one branch (consensus, value, vanilla)."
            )
        check_options(Selector.option_rules, sigma=sigma, on_nonfinite=on_nonfinite)
        self.policy = policy
        self.n = n
        self.seed = seed
        self.distance = DISTANCES.get(distance) if isinstance(distance, str) else distance
        self.sigma = sigma
        self.on_nonfinite = on_nonfinite
        self.env: Any = None
        self.last_memory_fallback: MemoryFallback | None = None
        self._calls = 0

    @classmethod
    def option_names(cls) -> set[str]:
        """Every keyword this selector's constructor takes (its own and :data:`COMMON_OPTIONS`)."""
        names: set[str] = set()
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            params = inspect.signature(init).parameters.values()
            names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            if not any(p.kind == p.VAR_KEYWORD for p in params):
                break
        return names - {"self", "policy"}

    def reset(self, seed: int | None = None, env: Any = None) -> None:
        """Start an episode: restart the per-call seed sequence, bind ``env``, reset the policy.

        ``env`` is the episode's environment; a selector that :attr:`needs_simulator` checks
        that it can save and restore its state, the others ignore it.
        """
        if seed is not None:
            self.seed = seed
        if env is not None and self.needs_simulator:
            self.env = require_simulator(env, f"the {self.name} selector")
        self._calls = 0
        self.policy.reset()

    @property
    def wants_observations(self) -> bool:
        """Whether :meth:`observe` does anything (the policy streams executed observations)."""
        return self.policy.streams_observations

    def observe(self, obs: Observation) -> None:
        """The observation after one executed action of the chosen chunk, in order."""
        self.policy.on_step(obs)

    def act(self, obs: Observation) -> Decision:
        """Sample N branches in one call, score them, choose, and tell the policy."""
        return self.decide(obs, self.next_seed())

    def next_seed(self) -> int:
        """The seed of this episode's next decision: ``derive_seed(seed, call index)``."""
        seed = derive_seed(self.seed, self._calls)
        self._calls += 1
        return seed

    def decide(self, obs: Observation, seed: int) -> Decision:
        """One decision on branches drawn with ``seed`` (:meth:`act` without the seed sequence)."""
        start = time.perf_counter()
        branches = self.draw(obs, self.n, seed)
        return self.select(branches, obs, seed, time.perf_counter() - start)

    def draw(self, obs: Observation, n: int, seed: int) -> Branches:
        """``n`` branches from the policy (fewer after running out of memory, see
        :mod:`wam_tts.fallback`), checked to be ``Branches``; the fallback's record is kept
        for the decision made on them."""
        branches, self.last_memory_fallback = sample_within_memory(self.policy, obs, n, seed)
        if not isinstance(branches, Branches):
            raise BranchError(f"policy.sample must return Branches, got {type(branches).__name__}")
        asked = n if self.last_memory_fallback is None else self.last_memory_fallback.n
        if branches.n != asked:
            raise BranchError(f"asked the policy for {asked} branches, it returned {branches.n}")
        return branches

    def select(self, branches: Branches, obs: Observation, seed: int, sample_s: float) -> Decision:
        """Score ``branches``, choose, and tell the policy which one was executed."""
        sampled = time.perf_counter()
        keep = self._finite_branches(branches)
        if len(keep) == branches.n:  # the common case: no copies, no scatter
            scores = self.score(branches, obs).to(device=branches.device, dtype=torch.get_default_dtype(),
                                                  copy=True)
        else:
            scores = torch.full((branches.n,), float("nan"), device=branches.device)
            scores[keep] = self.score(branches.subset(keep), obs).to(scores)
        keep = self._scored_branches(scores, keep)
        actions, index, weights = self.choose(branches, scores, keep)
        scored = time.perf_counter()
        self.policy.on_select(branches, index)
        return Decision(actions, index, scores, branches, weights, seed, sample_s, scored - sampled,
                        self.last_memory_fallback)

    @classmethod
    def branches_drawn(cls, scored: int, n: int, options: Mapping[str, Any]) -> int:
        """Branches a recorded decision drew, from how many it scored (``len(scores)``), the
        run's ``n`` and this selector's ``options``: every branch it scored."""
        return scored

    @abstractmethod
    def score(self, branches: Branches, obs: Observation) -> Tensor:
        """``[N]`` scores of finite branches; higher is better."""

    def choose(self, branches: Branches, scores: Tensor, keep: Tensor) -> tuple[Tensor, int, Tensor | None]:
        """Winner takes all: the highest score, ties to the lowest index."""
        if len(keep) == branches.n:
            index = int(torch.argmax(scores))
        else:
            index = int(keep[torch.argmax(scores[keep])])
        return branches.actions[index], index, None

    def _scored_branches(self, scores: Tensor, keep: Tensor) -> Tensor:
        """``keep`` less the branches whose score is NaN (a distance that overflowed)."""
        unscored = torch.isnan(scores)
        if not bool(unscored[keep].any()):
            return keep
        bad = keep[unscored[keep]].tolist()
        keep = keep[~unscored[keep]]
        message = (f"{type(self).__name__} scored branches {bad} of {len(scores)} NaN although their numbers "
                   "are finite: the distance between their futures overflowed (magnitudes too large)")
        if self.on_nonfinite == "raise" or len(keep) == 0:
            raise BranchError(message)
        warnings.warn(f"dropping them: {message}", RuntimeWarning, stacklevel=3)
        return keep

    def _finite_branches(self, branches: Branches) -> Tensor:
        if _all_finite(branches):
            return torch.arange(branches.n, device=branches.device)
        mask = branches.finite_mask()
        keep = torch.nonzero(mask).flatten()
        if len(keep) == branches.n:
            return keep
        bad = torch.nonzero(~mask).flatten().tolist()
        if self.on_nonfinite == "raise" or len(keep) == 0:
            raise BranchError(
                f"branches {bad} of {branches.n} contain NaN or Inf in actions, futures or values"
            )
        warnings.warn(f"dropping non-finite branches {bad} of {branches.n}", RuntimeWarning, stacklevel=3)
        return keep


def _all_finite(branches: Branches) -> bool:
    """True if every number in actions, futures and values is finite, by one reduction.

    A finite total proves it; a non-finite one (a NaN or Inf, or a sum that overflows)
    sends the caller to the per-branch check.
    """
    total = branches.actions.sum() + branches.futures.sum()
    if branches.values is not None:
        total = total + branches.values.sum()
    return bool(torch.isfinite(total))


def check_options(rules: OptionRules, **values: Any) -> None:
    """Raise ValueError for the first of ``values`` that breaks its rule."""
    for key, value in values.items():
        ok, must = rules[key]
        if not ok(value):
            raise ValueError(f"{must}, got {value!r}")


def option_problems(name: str, options: dict[str, Any]) -> list[str]:
    """Every problem with ``options`` for selector ``name`` (unknown keys, broken rules),
    found without building anything."""
    cls = SELECTORS.get(name)
    accepted = cls.option_names()
    own = sorted(accepted - set(COMMON_OPTIONS))
    problems = [f"selector {name!r} has no option {key!r}; its own options: {', '.join(own) or 'none'}"
                for key in sorted(options) if key not in accepted]
    rules: OptionRules = {}
    for klass in reversed(cls.__mro__):
        rules.update(klass.__dict__.get("option_rules", {}))
    for key, value in sorted(options.items()):
        if key in rules and key in accepted:
            ok, must = rules[key]
            try:
                good = ok(value)
            except (TypeError, ValueError) as err:
                problems.append(f"selector.{key}: {err}")
                continue
            if not good:
                problems.append(f"{must}, got {value!r}")
    return problems


def make_selector(name: str, policy: WorldActionModel, **options: Any) -> Selector:
    """Build a registered selector by name, e.g. ``make_selector("consensus", policy, n=8)``."""
    return SELECTORS.get(name)(policy, **options)

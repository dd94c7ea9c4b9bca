"""A contract test for any :class:`~wam_tts.WorldActionModel`: call it in your own tests.

    from wam_tts.testing import check_world_action_model
    report = check_world_action_model(my_wam, obs, n=8)   # raises ContractError on a violation

Every probe starts from ``policy.reset()``, so stateful policies are checked from the
start of an episode. The properties (:data:`PROPERTIES`) are checked independently and
all failures are reported together, each under its name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from wam_tts.branches import Branches
from wam_tts.policy import Observation, WorldActionModel

#: Property name → what it promises.
PROPERTIES: dict[str, str] = {
    "samples": "sample(obs, n, seed) returns Branches with n rows",
    "shapes": "actions are [N, H, A]; each branch's future has encode_observation(obs)'s shape; values are [N]",
    "finite": "actions, futures, values, encode_observation(obs) and latent(obs) hold only finite numbers",
    "horizon": "1 <= future_horizon <= H, the chunk length",
    "values": "values are present exactly when has_value_head is True",
    "seeded": "the same seed gives the same branches",
    "varied": "the N branches differ from each other, and another seed gives other branches",
    "prefix": "the first n // 2 branches of N = n equal the branches of N = n // 2 with the same seed",
    "lifecycle": "on_select(branches, i), then one on_step(obs) per action of the chunk, then sample again works",
    "reset": "after reset() the same seed gives the episode's first branches again",
}


class ContractError(AssertionError):
    """A world action model breaks its contract; ``report`` holds every property's outcome."""

    def __init__(self, report: ContractReport) -> None:
        self.report = report
        super().__init__(str(report))


@dataclass
class ContractReport:
    """What :func:`check_world_action_model` found, property by property."""

    policy: str
    n: int
    failures: dict[str, str] = field(default_factory=dict)
    """Property name → what went wrong."""
    passed: list[str] = field(default_factory=list)
    action_shape: tuple[int, ...] | None = None
    future_shape: tuple[int, ...] | None = None
    """One branch's future (the encode space)."""

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        head = f"{self.policy} (n={self.n}): "
        if self.ok:
            return head + f"all {len(self.passed)} properties hold"
        lines = [f"  {name}: {why}  [{PROPERTIES[name]}]" for name, why in self.failures.items()]
        return head + f"{len(self.failures)} of {len(PROPERTIES)} properties fail\n" + "\n".join(lines)


def check_world_action_model(
    policy: WorldActionModel,
    obs: Observation,
    *,
    n: int = 8,
    seed: int = 0,
    step_obs: Callable[[int], Observation] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    raise_on_failure: bool = True,
) -> ContractReport:
    """Check ``policy`` against the contract of :class:`~wam_tts.WorldActionModel` at ``obs``.

    Args:
        policy: the world action model under test.
        obs: an observation it accepts (the first of an episode).
        n: branches per draw (>= 2; the prefix check also draws ``n // 2``).
        seed: the seed of the first draw (``seed + 1`` is the "other" seed).
        step_obs: ``k -> observation after the k-th executed action`` for the lifecycle
            check (``obs`` itself for every step when None).
        rtol, atol: tolerances for "equal" draws (``torch.testing.assert_close``'s
            defaults for the dtype when both are None, else 0 for the one left out;
            ``atol=0`` demands bit-exact draws).
        raise_on_failure: raise :class:`ContractError` when a property fails.

    Returns:
        The :class:`ContractReport` (also attached to the raised error).
    """
    if n < 2:
        raise ValueError(f"n must be >= 2 to check branch variety and N-prefix sharing, got {n}")
    report = ContractReport(type(policy).__name__, n)
    _Checker(policy, obs, n, seed, step_obs or (lambda _k: obs), rtol, atol, report).run()
    if raise_on_failure and not report.ok:
        raise ContractError(report)
    return report


class _Probe(Exception):
    """A call into the policy raised; the property it serves fails with this message."""


class _Checker:
    def __init__(self, policy: WorldActionModel, obs: Observation, n: int, seed: int,
                 step_obs: Callable[[int], Observation], rtol: float | None, atol: float | None,
                 report: ContractReport) -> None:
        self.policy, self.obs, self.n, self.seed, self.step_obs = policy, obs, n, seed, step_obs
        given = rtol is not None or atol is not None
        self.tolerance = {"rtol": rtol or 0.0, "atol": atol or 0.0} if given else {}
        self.report = report

    def run(self) -> None:
        try:
            first = self.draw(self.n, self.seed)
        except _Probe as err:
            self.fail("samples", str(err))
            return
        if first.n != self.n:
            self.fail("samples", f"asked for {self.n} branches, got {first.n}")
            return
        self.passed("samples")
        self.property("shapes", lambda: self.shapes(first))
        self.property("finite", lambda: self.finite(first))
        self.property("horizon", lambda: self.horizon(first))
        self.property("values", lambda: self.values(first))
        self.property("varied", lambda: self.varied(first))
        self.property("prefix", lambda: self.prefix(first))
        self.property("seeded", lambda: self.seeded(first))
        self.property("lifecycle", self.lifecycle)
        self.property("reset", lambda: self.replays(first))

    # -- the properties: each returns None when it holds, else what went wrong ---------------
    def shapes(self, b: Branches) -> str | None:
        encoded = self.call("encode_observation(obs)", lambda: self.policy.encode_observation(self.obs))
        self.report.action_shape, self.report.future_shape = tuple(b.actions.shape), tuple(encoded.shape)
        if tuple(b.futures.shape[1:]) != tuple(encoded.shape):
            return (f"futures are {tuple(b.futures.shape)}, so one branch's future is {tuple(b.futures.shape[1:])}, "
                    f"but encode_observation(obs) is {tuple(encoded.shape)}")
        return None

    def finite(self, b: Branches) -> str | None:
        encoded = self.call("encode_observation(obs)", lambda: self.policy.encode_observation(self.obs))
        latent = self.call("latent(obs)", lambda: self.policy.latent(self.obs))
        tensors = {"actions": b.actions, "futures": b.futures, "values": b.values,
                   "encode_observation(obs)": encoded, "latent(obs)": latent}
        bad = [name for name, t in tensors.items()
               if t is not None and not bool(torch.isfinite(torch.as_tensor(t)).all())]
        return f"non-finite numbers in {', '.join(bad)}" if bad else None

    def horizon(self, b: Branches) -> str | None:
        h, chunk = self.policy.future_horizon, b.actions.shape[1]
        return None if 1 <= h <= chunk else f"future_horizon is {h} but the chunk has H = {chunk} actions"

    def values(self, b: Branches) -> str | None:
        declared = bool(self.policy.has_value_head)
        if declared == (b.values is not None):
            return None
        return "has_value_head is True but values is None" if declared else "values given but has_value_head is False"

    def varied(self, b: Branches) -> str | None:
        rows = torch.cat([b.actions.reshape(b.n, -1), b.futures.reshape(b.n, -1).to(b.actions)], dim=1)
        if bool((rows == rows[:1]).all()):
            return f"all {b.n} branches are identical (is the noise drawn per branch from (seed, i)?)"
        other = self.draw(self.n, self.seed + 1)
        if self.close(other, b):
            return f"seeds {self.seed} and {self.seed + 1} give the same branches"
        return None

    def prefix(self, b: Branches) -> str | None:
        k = self.n // 2
        small = self.draw(k, self.seed)
        differ = self.difference(small, b.subset(list(range(k))))
        return f"N = {k}'s branches are not the first {k} of N = {self.n}: {differ}" if differ else None

    def seeded(self, b: Branches) -> str | None:
        differ = self.difference(self.draw(self.n, self.seed), b)
        return f"seed {self.seed} drawn twice: {differ}" if differ else None

    def lifecycle(self) -> str | None:
        b = self.draw(self.n, self.seed)
        index = self.n - 1
        self.call(f"on_select(branches, {index})", lambda: self.policy.on_select(b, index))
        for k in range(b.actions.shape[1]):
            step = self.step_obs(k + 1)
            self.call(f"on_step(obs) after action {k + 1}", lambda step=step: self.policy.on_step(step))
        after = self.call("sample after on_select and on_step",
                          lambda: self.policy.sample(self.step_obs(b.actions.shape[1]), self.n, self.seed + 2))
        if not isinstance(after, Branches) or after.n != self.n:
            return f"the second decision returned {_describe(after)}, not Branches with {self.n} rows"
        problems = [p for p in (self.horizon(after), self.values(after)) if p]
        if not bool(after.finite_mask().all()):
            problems.append("the second decision has non-finite branches")
        return "; ".join(f"second decision: {p}" for p in problems) or None

    def replays(self, b: Branches) -> str | None:
        differ = self.difference(self.draw(self.n, self.seed), b)
        return f"after a whole decision and reset(), seed {self.seed} gives other branches: {differ}" if differ else None

    # -- helpers --------------------------------------------------------------------------------
    def property(self, name: str, check: Callable[[], str | None]) -> None:
        try:
            problem = check()
        except _Probe as err:
            problem = str(err)
        if problem:
            self.fail(name, problem)
        else:
            self.passed(name)

    def fail(self, name: str, why: str) -> None:
        self.report.failures[name] = why

    def passed(self, name: str) -> None:
        self.report.passed.append(name)

    def draw(self, n: int, seed: int) -> Branches:
        """``n`` branches at the start of an episode."""
        self.call("reset()", self.policy.reset)
        out = self.call(f"sample(obs, {n}, seed={seed})", lambda: self.policy.sample(self.obs, n, seed))
        if not isinstance(out, Branches):
            raise _Probe(f"sample(obs, {n}, seed={seed}) returned {_describe(out)}, not Branches")
        return out

    @staticmethod
    def call(what: str, fn: Callable[[], object]):
        try:
            return fn()
        except Exception as err:  # noqa: BLE001 - any error is the property's failure, named
            raise _Probe(f"{what} raised {type(err).__name__}: {err}") from err

    def difference(self, a: Branches, b: Branches) -> str | None:
        """None when ``a`` and ``b`` hold the same branches (to the tolerance), else where they differ."""
        if a.n != b.n:
            return f"{a.n} branches against {b.n}"
        if (a.values is None) != (b.values is None):
            return "values present in one draw only"
        pairs = {"actions": (a.actions, b.actions), "futures": (a.futures, b.futures)}
        if a.values is not None:
            pairs["values"] = (a.values, b.values)
        for name, (x, y) in pairs.items():
            if x.shape != y.shape:
                return f"{name} have shapes {tuple(x.shape)} and {tuple(y.shape)}"
            try:
                torch.testing.assert_close(x, y.to(x), equal_nan=True, **self.tolerance)
            except AssertionError:
                return f"{name} differ by up to {_max_gap(x, y):.3g}"
        return None

    def close(self, a: Branches, b: Branches) -> bool:
        return self.difference(a, b) is None


def _max_gap(x: Tensor, y: Tensor) -> float:
    gap = (x.double() - y.to(x.device).double()).abs()
    return float(gap.nan_to_num(0.0).max()) if gap.numel() else 0.0


def _describe(value: object) -> str:
    return f"Branches with {value.n} rows" if isinstance(value, Branches) else type(value).__name__


__all__ = ["PROPERTIES", "ContractError", "ContractReport", "check_world_action_model"]

"""Out of GPU memory while sampling: retry in smaller batches, then with fewer branches.

:func:`sample_within_memory` asks the policy for N branches; on ``torch.OutOfMemoryError``
it retries, in order:

1. the same N in smaller batched passes (policies that declare ``splits_batches``: their
   ``max_batch`` is halved down to 1; the branches are the same, only slower), and the
   batch size that worked is kept for later calls;
2. fewer branches, halving N down to 1 (branch ``i`` depends only on ``(seed, i)``, so
   these are the first branches of the N asked for).

It relies on ``sample`` being transactional (a failed call leaves the policy as it was),
which stateful adapters guarantee. What it did is returned as a :class:`MemoryFallback`
(selectors put it on their :class:`~wam_tts.selectors.Decision`) and warned.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from wam_tts.branches import Branches
from wam_tts.policy import Observation, WorldActionModel


@dataclass(frozen=True)
class MemoryFallback:
    """How a decision's branches were drawn after running out of memory."""

    requested_n: int
    """The N the selector asked for."""
    n: int
    """The N actually drawn."""
    max_batch: int | None
    """The policy's batch limit that worked (None: one pass)."""
    failed: tuple[tuple[int, int | None], ...]
    """Every ``(n, max_batch)`` tried that ran out of memory, in order."""

    def describe(self) -> str:
        tried = ", ".join(f"N={n} batch={b or n}" for n, b in self.failed)
        return f"out of memory at {tried}; drew N={self.n} of {self.requested_n} in batches of {self.max_batch or self.n}"


def sample_within_memory(policy: WorldActionModel, obs: Observation, n: int, seed: int
                         ) -> tuple[Branches, MemoryFallback | None]:
    """``policy.sample(obs, n, seed)``, falling back as the module says on out-of-memory."""
    original = policy.max_batch
    failed: list[tuple[int, int | None]] = []
    for m, batch in _attempts(policy, n):
        policy.max_batch = batch
        try:
            branches = policy.sample(obs, m, seed)
        except torch.OutOfMemoryError:
            failed.append((m, batch))
            _release_cached_memory()
            continue
        if not failed:
            return branches, None
        record = MemoryFallback(n, m, batch, tuple(failed))
        warnings.warn(f"{type(policy).__name__}: {record.describe()}", RuntimeWarning, stacklevel=3)
        return branches, record
    policy.max_batch = original
    tried = ", ".join(f"N={m} batch={b or m}" for m, b in failed)
    raise torch.OutOfMemoryError(
        f"{type(policy).__name__} ran out of memory drawing even one branch (tried {tried}); "
        "free GPU memory or use a smaller model configuration"
    )


def _attempts(policy: WorldActionModel, n: int) -> Iterator[tuple[int, int | None]]:
    """``(n, max_batch)`` to try: as configured, smaller batches, then fewer branches."""
    batch = policy.max_batch
    yield n, batch
    if policy.splits_batches:
        size = n if batch is None else min(batch, n)
        while size > 1:
            size //= 2
            batch = size
            yield n, batch
    m = n
    while m > 1:
        m //= 2
        yield m, None if batch is None else min(batch, m)


def _release_cached_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()

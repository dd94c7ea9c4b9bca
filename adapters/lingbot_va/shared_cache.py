"""One layer's ``k`` (or ``v``) for N branches: the shared history once, each branch's new slots apart.

Before a chunk every branch has the same cache (the chosen branch's history); during the
chunk each branch writes only the slots of its own new tokens. :class:`SharedHistoryPool`
stands in for the ``[rows * N, slots, heads, head_dim]`` tensor that upstream's attention
indexes, and answers exactly what that tensor would hold:

- ``pool[:, slots] = key`` (upstream's ``update_cache``) stores ``key`` in per-branch
  storage, slot by slot;
- ``pool[:, valid]`` (upstream's read of the live slots) gathers the shared history,
  repeated over the branches, with every branch's own slots put in.

So memory grows with N only for the new chunk's tokens. Row layout is that of
:func:`adapters.lingbot_va.cache.relay_for_branches`: ``[cond_0 .. cond_{N-1}, uncond_0 ..]``.
"""

from __future__ import annotations

import torch
from torch import Tensor


class SharedHistoryPool:
    """The shared ``[rows, slots, heads, dim]`` history and ``[rows * N, own, heads, dim]`` new slots."""

    def __init__(self, shared: Tensor, n: int, capacity: int) -> None:
        self.shared, self.n, self.rows = shared, n, shared.shape[0]
        self.own = shared.new_empty((self.rows * n, max(capacity, 1), *shared.shape[2:]))
        self.slot_to_own = torch.full((shared.shape[1],), -1, dtype=torch.long, device=shared.device)
        self.used = 0

    @property
    def shape(self) -> torch.Size:
        return torch.Size((self.rows * self.n, *self.shared.shape[1:]))

    @property
    def nbytes(self) -> int:
        return self.shared.nbytes + self.own.nbytes

    def __setitem__(self, index: tuple[slice, Tensor], value: Tensor) -> None:
        slots = _slots(index)
        own = self.slot_to_own[slots]
        new = own < 0
        count = int(new.sum())
        if count:
            self._reserve(self.used + count)
            own[new] = torch.arange(self.used, self.used + count, device=own.device)
            self.slot_to_own[slots[new]] = own[new]
            self.used += count
        self.own[:, own] = value

    def __getitem__(self, index: tuple[slice, Tensor]) -> Tensor:
        slots = _slots(index)
        out = self.shared[:, slots].repeat_interleave(self.n, dim=0)
        own = self.slot_to_own[slots]
        mine = own >= 0
        if bool(mine.any()):
            out[:, mine] = self.own[:, own[mine]]
        return out

    def branch(self, index: int) -> Tensor:
        """``[rows, slots, heads, dim]``: branch ``index``'s full cache, written into the shared history."""
        written = torch.nonzero(self.slot_to_own >= 0).flatten()
        rows = torch.arange(self.rows, device=self.shared.device) * self.n + index
        merged = self.shared
        merged[:, written] = self.own[rows][:, self.slot_to_own[written]]
        return merged

    def _reserve(self, size: int) -> None:
        if size > self.own.shape[1]:
            grown = self.own.new_empty((self.own.shape[0], max(size, 2 * self.own.shape[1]), *self.own.shape[2:]))
            grown[:, : self.used] = self.own[:, : self.used]
            self.own = grown


def assemble(groups: list[tuple[SharedHistoryPool, int]], n: int) -> SharedHistoryPool:
    """One N-branch pool from pools of consecutive branch groups drawn from the same history."""
    first = groups[0][0]
    for pool, _ in groups[1:]:
        if pool.shared is not first.shared or not torch.equal(pool.slot_to_own, first.slot_to_own):
            raise ValueError("branch groups were not drawn from the same history in lockstep")
    out = SharedHistoryPool(first.shared, n, first.used)
    out.slot_to_own, out.used = first.slot_to_own.clone(), first.used
    start = 0
    for pool, size in groups:
        for r in range(first.rows):
            out.own[r * n + start : r * n + start + size, : first.used] = pool.own[r * size : (r + 1) * size, : first.used]
        start += size
    if start != n:
        raise ValueError(f"groups hold {start} branches, expected {n}")
    return out


def _slots(index: tuple[slice, Tensor]) -> Tensor:
    rows, slots = index
    if rows != slice(None):
        raise IndexError("a shared-history pool is indexed as pool[:, slots]")
    return slots

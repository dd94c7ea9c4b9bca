"""Re-laying LingBot-VA's streaming KV cache between one branch and N branches.

Every self-attention layer of the LeRobot port keeps ``attn_caches["pos"]``: ``k`` and
``v`` of shape ``[rows, slots, heads, head_dim]`` (rows = 2 with classifier-free guidance,
``[cond, uncond]``; 1 without) and slot bookkeeping ``id``, ``mask``, ``is_pred`` of
shape ``[slots]`` shared by all rows. Because the bookkeeping is shared, N branches can
live in one cache of ``rows * N`` rows as long as they advance in lockstep, which one
batched pass guarantees. The layout for N branches is branch-major within each guidance
half: ``[cond_0 .. cond_{N-1}, uncond_0 .. uncond_{N-1}]`` -- what upstream's
``_repeat_input_for_cfg`` produces when its ``.repeat(2, ...)`` is applied to N rows.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from adapters.lingbot_va.shared_cache import SharedHistoryPool, assemble

CACHE_NAME = "pos"
LayerCache = dict[str, Tensor]


def layer_caches(transformer: Any) -> list[LayerCache]:
    """The ``attn_caches["pos"]`` dict of every self-attention layer (live objects)."""
    caches = [block.attn1.attn_caches.get(CACHE_NAME) for block in transformer.blocks]
    if any(c is None for c in caches):
        raise RuntimeError(
            "LingBot-VA's KV cache is not initialised: the first chunk of an episode creates it "
            "(call sample() on the episode's first observation after reset())"
        )
    return caches


def cache_rows(transformer: Any) -> int:
    """Number of batch rows the KV cache currently holds."""
    return layer_caches(transformer)[0]["k"].shape[0]


def relay_for_branches(transformer: Any, n: int, rows_per_branch: int, new_tokens: int = 0) -> None:
    """Widen a one-branch cache (``rows_per_branch`` rows) to N branches, in place.

    Row ``r`` of the one-branch cache becomes rows ``r*N .. r*N + N - 1``. The history is
    kept once (:class:`~adapters.lingbot_va.shared_cache.SharedHistoryPool`); only the
    slots the branches write next are per branch (room for ``new_tokens``, grown if needed).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    for cache in layer_caches(transformer):
        _check_rows(cache, rows_per_branch)
        cache["k"] = SharedHistoryPool(cache["k"], n, new_tokens)
        cache["v"] = SharedHistoryPool(cache["v"], n, new_tokens)


def collapse_to_branch(transformer: Any, n: int, index: int, rows_per_branch: int) -> None:
    """Keep only branch ``index`` of an N-branch cache (its ``rows_per_branch`` rows), in place."""
    if not 0 <= index < n:
        raise IndexError(f"branch index {index} is out of range for {n} branches")
    keep = torch.arange(rows_per_branch) * n + index
    for cache in layer_caches(transformer):
        _check_rows(cache, rows_per_branch * n)
        for key in ("k", "v"):
            value = cache[key]
            if isinstance(value, SharedHistoryPool):
                cache[key] = value.branch(index)
            else:
                cache[key] = value[keep.to(value.device)].contiguous()


def snapshot(transformer: Any) -> list[LayerCache]:
    """A deep copy of every layer's cache (tensors cloned)."""
    return [{key: value.clone() for key, value in cache.items()} for cache in layer_caches(transformer)]


def restore(transformer: Any, saved: list[LayerCache]) -> None:
    """Put back a :func:`snapshot` (copied again, so the snapshot can be reused)."""
    for block, cache in zip(transformer.blocks, saved, strict=True):
        block.attn1.attn_caches[CACHE_NAME] = {key: value.clone() for key, value in cache.items()}


def stack_branches(transformer: Any, branches: list[list[LayerCache]], rows_per_branch: int) -> None:
    """Install N one-branch caches as one N-branch cache (same layout as :func:`relay_for_branches`).

    The branches must share their slot bookkeeping, as N runs from one state do.
    """
    for layer, block in enumerate(transformer.blocks):
        per_branch = [b[layer] for b in branches]
        first = per_branch[0]
        for other in per_branch[1:]:
            for key in ("id", "mask", "is_pred"):
                if not torch.equal(other[key], first[key]):
                    raise ValueError(f"branch caches disagree on their slot bookkeeping ({key!r})")
        stacked = dict(first)
        for key in ("k", "v"):
            rows = [b[key][r : r + 1] for r in range(rows_per_branch) for b in per_branch]
            stacked[key] = torch.cat(rows, dim=0)
        block.attn1.attn_caches[CACHE_NAME] = stacked


def shared_base(transformer: Any) -> list[LayerCache]:
    """The current cache's ``k``/``v`` (the tensors themselves) and copies of its bookkeeping.

    Drawing from a cache re-laid by :func:`relay_for_branches` never writes into the
    original ``k``/``v`` (branches write their own slots) but updates the bookkeeping in place, so
    a base taken here can be installed again (:func:`install`) for the next group of branches.
    """
    return [
        {key: value if key in ("k", "v") else value.clone() for key, value in c.items()}
        for c in layer_caches(transformer)
    ]


def install(transformer: Any, base: list[LayerCache]) -> None:
    """Make ``base`` the live cache: ``k``/``v`` shared with it, bookkeeping copied."""
    for block, saved in zip(transformer.blocks, base, strict=True):
        block.attn1.attn_caches[CACHE_NAME] = {
            key: value if key in ("k", "v") else value.clone() for key, value in saved.items()
        }


class BranchAssembler:
    """Collects groups of branches drawn one after another from the same history into one
    N-branch cache, in the layout of :func:`relay_for_branches` for N branches, so that
    grouped passes and one pass over all N leave the same cache."""

    def __init__(self, n: int, rows_per_branch: int) -> None:
        self.n, self.rows = n, rows_per_branch
        self.filled = 0
        self._groups: list[list[LayerCache]] = []
        self._sizes: list[int] = []

    def add(self, transformer: Any, size: int) -> None:
        """Take the live cache's ``size`` branches as the next ones (branches ``filled ..``)."""
        if self.filled + size > self.n:
            raise ValueError(f"{self.filled} + {size} branches exceed the {self.n} being assembled")
        live = layer_caches(transformer)
        for cache in live:
            _check_rows(cache, self.rows * size)
        if self._groups:
            for mine, first in zip(live, self._groups[0], strict=True):
                for key in ("id", "mask", "is_pred"):
                    if not torch.equal(mine[key], first[key]):
                        raise ValueError(f"branch groups disagree on their slot bookkeeping ({key!r})")
        self._groups.append([dict(c) for c in live])
        self._sizes.append(size)
        self.filled += size

    def install(self, transformer: Any) -> None:
        """Make the assembled N-branch cache the live one."""
        if self.filled != self.n:
            raise RuntimeError(f"assembled {self.filled} of {self.n} branches")
        for layer, block in enumerate(transformer.blocks):
            caches = [group[layer] for group in self._groups]
            merged = dict(caches[0])
            for key in ("k", "v"):
                merged[key] = assemble([(c[key], size) for c, size in zip(caches, self._sizes, strict=True)], self.n)
            block.attn1.attn_caches[CACHE_NAME] = merged


def cache_bytes(transformer: Any) -> int:
    """Bytes held by the ``k``/``v`` tensors of every layer."""
    return sum(c["k"].nbytes + c["v"].nbytes for c in layer_caches(transformer))


def _check_rows(cache: LayerCache, expected: int) -> None:
    rows = cache["k"].shape[0]
    if rows != expected:
        raise RuntimeError(f"LingBot-VA's KV cache has {rows} rows, expected {expected}")

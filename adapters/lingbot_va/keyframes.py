"""The policy's own encoding of a chunk's keyframes, computed once for the diagnostics and the feedback.

Before the next chunk, LingBot-VA encodes the keyframes observed while the chosen chunk
ran (``policy._obs_buffer``) in one call of its running streaming VAE, whose causal cache
carries every earlier frame of the episode, and feeds the latent frames into its KV cache
(``_compute_kv_cache``). A predicted future is the last of those latent frames, so an
observation is comparable with it only in that encoding.

:func:`encode_keyframes` computes it ahead of the feedback on copies of the VAEs' causal
caches (the policy's own are left as they were), and :func:`reusing` hands the result to
the feedback, so the frames are encoded once and the feedback sees exactly the latent the
diagnostics used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from torch import Tensor

from adapters.lingbot_va.transaction import STREAMING_VAES


@dataclass(frozen=True)
class EncodedKeyframes:
    """What ``policy._encode_frames(frames)`` returned, and the VAE caches before and after it."""

    frames: tuple[Any, ...]  # the buffered keyframe dicts, compared by identity
    latent: Tensor  # [1, 48, F, h, w]
    caches_before: dict[str, tuple[Any, ...]]  # each streaming VAE's cache entries, compared by identity
    caches_after: dict[str, list[Any]]

    def matches(self, policy: Any, frames: list[Any]) -> bool:
        """Whether ``policy._encode_frames(frames)`` would encode the same frames from the same VAE state."""
        running = _caches(policy)
        return _same(frames, self.frames) and running.keys() == self.caches_before.keys() and all(
            _same(running[key], entries) for key, entries in self.caches_before.items()
        )


def _same(a: Any, b: Any) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


def _caches(policy: Any) -> dict[str, list[Any]]:
    frozen = policy._frozen
    return {key: frozen[key].feat_cache for key in STREAMING_VAES if key in frozen}


def encode_keyframes(policy: Any) -> EncodedKeyframes:
    """Encode ``policy._obs_buffer`` as the next feedback will, leaving the policy's VAE caches untouched.

    The encoder only reassigns entries of a causal cache (it never writes into a cached
    tensor), so a copy of each cache list is a copy of the VAE's state.
    """
    frames, running = tuple(policy._obs_buffer), _caches(policy)
    frozen = policy._frozen
    try:
        for key, cache in running.items():
            frozen[key].feat_cache = list(cache)
        latent = policy._encode_frames(list(frames))
        after = {key: frozen[key].feat_cache for key in running}
    finally:
        for key, cache in running.items():
            frozen[key].feat_cache = cache
    return EncodedKeyframes(frames, latent, {key: tuple(cache) for key, cache in running.items()}, after)


@contextmanager
def reusing(policy: Any, encoded: EncodedKeyframes | None) -> Iterator[None]:
    """Within the block, the policy's first ``_encode_frames`` of ``encoded``'s frames from the same VAE
    state returns ``encoded.latent`` and leaves the VAE caches as that encoding did, without encoding again."""
    if encoded is None:
        yield
        return
    own = policy.__dict__.get("_encode_frames")  # an instance-level wrapper, if any, is put back
    encode_frames = policy._encode_frames
    pending = True

    def encode_once(raw_frames: list) -> Tensor:
        nonlocal pending
        if not (pending and encoded.matches(policy, raw_frames)):
            return encode_frames(raw_frames)
        pending = False
        for key, cache in encoded.caches_after.items():
            policy._frozen[key].feat_cache = list(cache)
        return encoded.latent

    policy._encode_frames = encode_once
    try:
        yield
    finally:
        if own is None:
            del policy._encode_frames
        else:
            policy._encode_frames = own

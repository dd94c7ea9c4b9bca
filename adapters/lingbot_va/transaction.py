"""Everything one LingBot-VA ``sample()`` may change, saved before it and put back if it fails.

A chunk changes the policy's streaming state (observation buffer, executed actions,
frame counter, first-chunk flag, prompt embeddings), the causal caches of its streaming
VAEs, and every layer's KV cache; the adapter keeps its own chunk bookkeeping. If
``sample()`` raises (out of memory at a large N, say), :func:`restore` puts all of it
back, so a retry draws exactly what the failed call would have drawn.

Cost: before a chunk feeds observations back (every chunk but an episode's first), the
one-branch KV cache is cloned, because the feedback writes into it in place. Once the
feedback is in, a new checkpoint replaces that clone: drawing the branches never writes
the history's ``k``/``v`` (:mod:`adapters.lingbot_va.shared_cache`), so they are only
referenced, with copies of the slot bookkeeping, and a retry skips the feedback already
done. While branches are drawn, no second copy of the history exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.lingbot_va.cache import CACHE_NAME

#: The policy's per-episode attributes that ``sample()`` reassigns.
POLICY_STATE = (
    "_obs_buffer", "_executed_actions", "_frame_st_id", "_first_chunk", "_init_latent", "_cache_initialised",
    "_prompt", "_prompt_embeds", "_negative_prompt_embeds", "last_predicted_frames", "last_predicted_latents",
)
#: The adapter's own chunk bookkeeping.
ADAPTER_STATE = ("_drawn", "_chunk_len", "_executed", "_fed_back")
STREAMING_VAES = ("streaming_vae", "streaming_vae_half")
_ABSENT = object()


@dataclass(frozen=True)
class Checkpoint:
    """The state :func:`restore` puts back."""

    policy: dict[str, Any]
    adapter: dict[str, Any]
    vae_caches: dict[str, list[Any]]
    kv: list[Any]


def take(wam: Any) -> Checkpoint:
    """Save what the next ``wam.sample()`` may change."""
    policy = wam.policy
    saved = {name: getattr(policy, name, _ABSENT) for name in POLICY_STATE}
    if isinstance(saved["_obs_buffer"], list):
        saved["_obs_buffer"] = list(saved["_obs_buffer"])
    feeds_back = not policy._first_chunk and not wam._fed_back
    kv = []
    for block in policy.transformer.blocks:
        layer = block.attn1.attn_caches.get(CACHE_NAME, _ABSENT)
        if isinstance(layer, dict):  # k/v copied only if the feedback will write into them
            layer = {key: value.clone() if feeds_back or key not in ("k", "v") else value
                     for key, value in layer.items()}
        kv.append(layer)
    frozen = policy._frozen
    vaes = {key: list(frozen[key].feat_cache) for key in STREAMING_VAES if key in frozen}
    return Checkpoint(saved, {name: getattr(wam, name) for name in ADAPTER_STATE}, vaes, kv)


def restore(wam: Any, checkpoint: Checkpoint) -> None:
    """Put back what :func:`take` saved (the KV cache, VAE caches and every attribute)."""
    policy = wam.policy
    for name, value in checkpoint.policy.items():
        if value is _ABSENT:
            if hasattr(policy, name):
                delattr(policy, name)
        else:
            setattr(policy, name, list(value) if name == "_obs_buffer" else value)
    for name, value in checkpoint.adapter.items():
        setattr(wam, name, value)
    for key, feat_cache in checkpoint.vae_caches.items():
        policy._frozen[key].feat_cache = list(feat_cache)
    for block, layer in zip(policy.transformer.blocks, checkpoint.kv, strict=True):
        caches = block.attn1.attn_caches
        if layer is _ABSENT:
            caches.pop(CACHE_NAME, None)
        else:
            caches[CACHE_NAME] = layer

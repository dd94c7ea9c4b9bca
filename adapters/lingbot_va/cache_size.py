"""KV-cache bytes of N LingBot-VA branches: measured on the tiny policy, computed for the released model.

    python -m adapters.lingbot_va.cache_size            # N = 1 .. 32 (``make bench`` runs it)

The cache of every self-attention layer is allocated at its full window when an episode's
first chunk starts (``create_empty_cache``): ``k`` and ``v`` of
``[rows, (attn_window // 2) * (latent + action tokens per chunk), heads, head_dim]``, two
rows per branch under classifier-free guidance (one without). Two layouts for N branches:

- ``per_branch`` (before): every branch holds the whole window, N times the one-branch cache;
- ``shared_history`` (the adapter's): the window once, plus each branch's new chunk
  (:mod:`adapters.lingbot_va.shared_cache`).

:func:`kv_cache_bytes` is that arithmetic; on the tiny policy it is checked against the
live cache after a chunk, and for the released RoboTwin model it is computed from its
configuration (no weights).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

#: The released RoboTwin model: upstream's inference config (Robbyant/lingbot-va,
#: wan_va/configs/va_robotwin_cfg.py at 6388939) on LeRobot 0.6.1's architecture defaults
#: (LingBotVAConfig: 30 layers, 24 heads of 128, bfloat16).
RELEASED_ROBOTWIN: dict[str, Any] = dict(
    num_layers=30, num_attention_heads=24, attention_head_dim=128, patch_size=(1, 2, 2), dtype="bfloat16",
    height=256, width=320, camera_layout="robotwin_tshape", frame_chunk_size=4, action_per_frame=16,
    attn_window=72, guidance_scale=5.0, action_guidance_scale=1.0, num_inference_steps=3,
    action_num_inference_steps=10, action_dim=30,
    obs_cam_keys=["observation.images.cam_high", "observation.images.cam_left_wrist",
                  "observation.images.cam_right_wrist"],
    used_action_channel_ids=[*range(0, 7), 28, *range(7, 14), 29],
)
_DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}


def latent_hw(cfg: Mapping[str, Any]) -> tuple[int, int]:
    """The latent frame's height and width (LeRobot's ``_latent_hw``)."""
    if cfg.get("camera_layout", "width_concat") == "robotwin_tshape":
        return (cfg["height"] // 16) * 3 // 2, cfg["width"] // 16
    return cfg["height"] // 16, (cfg["width"] // 16) * len(cfg["obs_cam_keys"])


def tokens_per_chunk(cfg: Mapping[str, Any]) -> int:
    """Latent plus action tokens one chunk writes into the cache."""
    h, w = latent_hw(cfg)
    p = cfg.get("patch_size", (1, 2, 2))
    return cfg["frame_chunk_size"] * h * w // (p[0] * p[1] * p[2]) + cfg["frame_chunk_size"] * cfg["action_per_frame"]


def rows_per_branch(cfg: Mapping[str, Any]) -> int:
    return 2 if cfg.get("guidance_scale", 5.0) > 1 or cfg.get("action_guidance_scale", 1.0) > 1 else 1


LAYOUTS = ("per_branch", "shared_history")


def kv_cache_bytes(cfg: Mapping[str, Any], n: int, layout: str = "shared_history") -> int:
    """Bytes of ``k`` and ``v`` in every layer while N branches are held (see :data:`LAYOUTS`)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    window = (cfg["attn_window"] // 2) * tokens_per_chunk(cfg)
    slots = n * window if layout == "per_branch" else window + n * tokens_per_chunk(cfg)
    per_slot = 2 * cfg["num_attention_heads"] * cfg["attention_head_dim"] * _DTYPE_BYTES[cfg["dtype"]]
    return cfg["num_layers"] * rows_per_branch(cfg) * slots * per_slot


def measured_tiny_bytes(ns: list[int]) -> dict[int, int]:
    """The tiny policy's live cache bytes after a two-chunk episode's second sample, per N (needs LeRobot)."""
    import tempfile

    import torch

    from adapters.lingbot_va import LingBotVAWAM
    from adapters.lingbot_va.cache import cache_bytes
    from adapters.lingbot_va.tiny import tiny_observation, tiny_policy, write_frozen_modules

    torch.set_num_threads(1)
    out = {}
    with tempfile.TemporaryDirectory() as frozen:
        write_frozen_modules(frozen)
        wam = LingBotVAWAM(tiny_policy(frozen))
        for n in ns:
            wam.reset()
            wam.on_select(wam.sample(tiny_observation(0), n, seed=0), 0)
            for k in range(wam.future_horizon):
                wam.on_step(tiny_observation(k + 1))
            wam.sample(tiny_observation(99), n, seed=1)
            out[n] = cache_bytes(wam.policy.transformer)
            wam._drawn = None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    parser.add_argument("--no-tiny", action="store_true", help="skip the tiny measurement (no LeRobot needed)")
    args = parser.parse_args(argv)
    from adapters.lingbot_va.tiny import TINY_CONFIG

    tiny_cfg = {**TINY_CONFIG, "obs_cam_keys": ["observation.images.image", "observation.images.image2"]}
    measured = {} if args.no_tiny else measured_tiny_bytes(args.n)
    print("LingBot-VA KV cache (k and v of every layer) after sampling N branches; the released model's "
          "is arithmetic from its config, the tiny one's measured on this CPU")
    print(f"{'':>3} | {'tiny, bytes':^31} | {'released RoboTwin, GB':^27}")
    print(f"{'N':>3} | {'measured':>14} {'computed':>16} | {'before':>12} {'shared history':>14}")
    for n in args.n:
        tiny = f"{measured[n]:>14,}" if n in measured else f"{'-':>14}"
        print(f"{n:>3} | {tiny} {kv_cache_bytes(tiny_cfg, n):>16,} | "
              f"{kv_cache_bytes(RELEASED_ROBOTWIN, n, 'per_branch') / 1e9:>12.1f} "
              f"{kv_cache_bytes(RELEASED_ROBOTWIN, n) / 1e9:>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

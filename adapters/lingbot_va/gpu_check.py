"""``make gpu-check``: what real use on a GPU needs, checked without downloading anything.

    python -m adapters.lingbot_va.gpu_check                 # N = 1 2 4 8 16
    python -m adapters.lingbot_va.gpu_check --n 1 4 --layers 30

1. The released LingBot-VA RoboTwin architecture (:data:`~adapters.lingbot_va.cache_size.
   RELEASED_ROBOTWIN`: 30 layers, 24 heads of 128, 256x320 T-shape, bfloat16) with random
   weights; its frozen VAE and text encoder are small random stand-ins of the right shapes
   (they only encode the observations). Per N: a two-chunk episode batched and with N real
   ``_infer`` calls, ``max |diff|`` between them, peak memory, the KV cache.
2. The out-of-memory fallback: a consensus decision at ``--fallback-n`` (128: more than one
   pass holds on one GPU), and what it drew.
3. Cosmos-Policy's device placement, with the FAKE upstream of the tests: the model moved
   to its GPU and ``get_action`` running with that GPU current.

Everything is printed as one table. Without CUDA it stops at once, saying so.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from adapters.lingbot_va.cache_size import RELEASED_ROBOTWIN

REPO = Path(__file__).resolve().parents[2]
FAKE_COSMOS = REPO / "tests" / "adapters" / "cosmos_policy" / "fake_upstream"
GB = 1e9
Row = dict[str, str]


def released_policy(frozen: str | Path, device: str, seed: int = 0, **overrides: Any) -> Any:
    """A random-initialised ``LingBotVAPolicy`` of the released RoboTwin config (plus ``overrides``)."""
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.lingbot_va import LingBotVAConfig, LingBotVAPolicy

    values = {**RELEASED_ROBOTWIN, **overrides}
    features = {key: PolicyFeature(FeatureType.VISUAL, (3, values["height"], values["width"]))
                for key in values["obs_cam_keys"]}
    features["observation.state"] = PolicyFeature(FeatureType.STATE, (14,))
    torch.manual_seed(seed)
    config = LingBotVAConfig(**values, device=device, attn_mode="torch", wan_pretrained_path=str(frozen),
                             input_features=features)
    with torch.device(device):
        return LingBotVAPolicy(config).eval()


def observation(config: Any, seed: int) -> dict[str, Any]:
    """Random images at the policy's cameras and size, and an instruction."""
    gen = torch.Generator().manual_seed(seed)
    obs: dict[str, Any] = {key: torch.rand(1, 3, config.height, config.width, generator=gen)
                           for key in config.obs_cam_keys}
    obs["task"] = "pick up the red block and put it in the box"
    return obs


def compare_rows(wam: Any, ns: list[int]) -> list[Row]:
    """Batched against sequential per N: seconds of the next chunk, max |diff|, peak and cache GB."""
    from adapters.lingbot_va.bench import episode

    config = wam.policy.config
    rows = []
    for n in ns:
        runs: dict[str, Any] = {}
        for mode in ("batched", "sequential"):
            wam.batched = mode == "batched"
            try:
                runs[mode] = episode(wam, n, lambda k: observation(config, k), seed=n)
            except torch.OutOfMemoryError:
                runs[mode] = None  # sequential holds N whole caches: it runs out first
            finally:
                wam.batched = True
                wam._drawn = None
                _empty_cache()
        b, s = runs["batched"], runs["sequential"]
        if b is not None and s is not None:
            diff = max((x - y).abs().max().item()
                       for p, q in zip(b["branches"], s["branches"], strict=True)
                       for x, y in ((p.actions, q.actions), (p.futures, q.futures)))
            result = f"max |diff| {diff:.3g}"
        else:
            result = "out of memory: " + " and ".join(m for m, r in runs.items() if r is None)
        rows.append({"check": f"N={n} batched vs sequential", "result": result,
                     "seconds": " / ".join(f"{r['next_s']:.3f}" if r else "OOM" for r in (b, s)),
                     "peak GB": " / ".join(f"{r['peak_bytes'] / GB:.2f}" if r else "OOM" for r in (b, s)),
                     "KV GB": f"{b['kv_bytes'] / GB:.2f}" if b else "-"})
    return rows


def fallback_row(wam: Any, n: int) -> Row:
    """One consensus decision at N on a fresh episode; what the out-of-memory fallback did."""
    from wam_tts import ConsensusSelector

    selector = ConsensusSelector(wam, n=n)
    selector.reset(seed=0)
    wam.max_batch = None
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            decision = selector.act(observation(wam.policy.config, 0))
        except torch.OutOfMemoryError as err:
            return {"check": f"OOM fallback at N={n}", "result": f"failed: {err}", "seconds": "-",
                    "peak GB": "-", "KV GB": "-"}
    record = decision.memory_fallback
    result = "no fallback needed" if record is None else record.describe()
    _empty_cache()
    return {"check": f"OOM fallback at N={n}", "result": result, "seconds": f"{time.perf_counter() - start:.3f}",
            "peak GB": "-", "KV GB": "-"}


def cosmos_placement_row(device: int) -> Row:
    """CosmosPolicyWAM on GPU ``device`` with the FAKE upstream: where the model went, which GPU sampled."""
    sys.path.insert(0, str(FAKE_COSMOS))
    saved_argv = sys.argv
    try:
        from adapters.cosmos_policy import CosmosPolicyWAM
        from adapters.cosmos_policy.upstream import load_cosmos_utils

        utils = load_cosmos_utils()
        current: list[int] = []
        real = utils.get_action

        def get_action(*args: Any, **kwargs: Any) -> Any:
            current.append(torch.cuda.current_device())
            return real(*args, **kwargs)

        utils.get_action = get_action
        policy = CosmosPolicyWAM(devices=(device,))
        obs = {key: torch.randint(0, 256, (224, 224, 3), dtype=torch.uint8).numpy()
               for key in policy.camera_keys.values()}
        obs |= {"proprio": torch.zeros(9).numpy(), "instruction": "open the microwave door"}
        policy.sample(obs, 4, seed=0)
        moved = utils.loaded_models[-1].devices
        ok = moved == [f"cuda:{device}"] and set(current) == {device}
        result = f"{'ok' if ok else 'WRONG'}: model moved to {moved}, get_action ran on cuda:{sorted(set(current))}"
    finally:
        sys.argv = saved_argv
        sys.path.remove(str(FAKE_COSMOS))
    return {"check": f"Cosmos-Policy devices=({device},)", "result": result, "seconds": "-", "peak GB": "-",
            "KV GB": "-"}


def print_table(rows: list[Row], title: str) -> None:
    columns = ("check", "result", "seconds", "peak GB", "KV GB")
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    print(title)
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-+-".join("-" * widths[c] for c in columns))
    for row in rows:
        print(" | ".join(row[c].ljust(widths[c]) for c in columns))
    print("(seconds: next chunk, batched / sequential; peak GB: max_memory_allocated, batched / sequential)")


def run(device: str, ns: list[int], make_policy: Callable[[str], Any], cosmos_device: int | None,
        fallback_n: int | None = None) -> list[Row]:
    """Every check of the module docstring, as table rows."""
    from adapters.lingbot_va import LingBotVAWAM

    with tempfile.TemporaryDirectory() as frozen:
        from adapters.lingbot_va.tiny import write_frozen_modules

        policy = make_policy(frozen)
        write_frozen_modules(frozen, text_dim=policy.config.text_dim)
        wam = LingBotVAWAM(policy)
        rows = compare_rows(wam, ns)
        rows.append(fallback_row(wam, fallback_n or max(ns)))
    if cosmos_device is not None:
        rows.append(cosmos_placement_row(cosmos_device))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adapters.lingbot_va.gpu_check", description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--fallback-n", type=int, default=128,
                        help="N of the fallback check: large enough to run out of memory in one pass")
    parser.add_argument("--layers", type=int, default=RELEASED_ROBOTWIN["num_layers"],
                        help="transformer layers (fewer for a quicker look; the released model has 30)")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("gpu-check needs a CUDA GPU and none is visible (torch.cuda.is_available() is False): "
              "run it on a GPU machine (`make gpu-check`); its CPU-checkable parts run in tests/lerobot.",
              file=sys.stderr)
        return 2
    from adapters.lingbot_va import require_lerobot

    require_lerobot()
    device = f"cuda:{torch.cuda.current_device()}"
    rows = run(device, args.n, lambda frozen: released_policy(frozen, device, num_layers=args.layers),
               torch.cuda.current_device(), args.fallback_n)
    print_table(rows, f"gpu-check on {torch.cuda.get_device_name()} ({args.layers} layers, random weights, "
                      f"{RELEASED_ROBOTWIN['num_inference_steps']} video / "
                      f"{RELEASED_ROBOTWIN['action_num_inference_steps']} action steps)")
    return 0 if all(not r["result"].startswith(("failed", "WRONG")) for r in rows) else 1


def _empty_cache() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


if __name__ == "__main__":
    raise SystemExit(main())

"""Rendering only where needed: a visual WAM's episodes with lazy frames against a frame every step.

    python -m eval.bench.rendering [--task Lift] [--episodes 10] [--selector vanilla] [--n 1]

Runs the same seeded episodes of the shipped visual joint reference WAM through the harness's
rollout twice, interleaved: with ``lazy_images`` (a frame is rendered when read: at decision
points and at the steps predictions refer to; exploring once per branch) and with the camera
rendered after every step. Prints frames rendered and seconds per episode for both, their
ratio, and checks that both runs took the same actions (same successes and lengths).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from adapters.reference import load_reference_policy
from eval.bench.machine import describe_machine
from eval.envs import make_env
from eval.rollout import Rollout
from wam_tts import make_selector


def run_episodes(task: str, lazy: bool, seeds: range, selector: str, n: int) -> dict[str, float]:
    """Frames rendered and seconds per episode, and the outcomes, with or without lazy frames."""
    policy = load_reference_policy("joint", task, visual=True)
    options = {**policy.env_options(), "lazy_images": lazy}
    with make_env("robosuite", task, **options) as env:
        rendered = 0
        render = env._render

        def counting(camera: str) -> np.ndarray:
            nonlocal rendered
            rendered += 1
            return render(camera)

        env._render = counting
        outcomes, seconds = [], []
        for seed in seeds:
            rollout = Rollout(env, make_selector(selector, policy, n=n), env.max_steps)
            start = time.perf_counter()
            rollout.run(seed)
            seconds.append(time.perf_counter() - start)
            outcomes.append((rollout.success, rollout.t))
    return {"frames": rendered / len(seeds), "seconds": float(np.mean(seconds)), "outcomes": outcomes,
            "steps": float(np.mean([t for _, t in outcomes]))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="Lift")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--selector", default="vanilla")
    parser.add_argument("--n", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seeds = range(50_000, 50_000 + args.episodes)
    lazy, eager = {}, {}
    for seed in seeds:  # interleaved, so load changes hit both alike
        for mode, out in ((True, lazy), (False, eager)):
            result = run_episodes(args.task, mode, range(seed, seed + 1), args.selector, args.n)
            for key in ("frames", "seconds", "steps"):
                out.setdefault(key, []).append(result[key])
            out.setdefault("outcomes", []).extend(result["outcomes"])
    if lazy["outcomes"] != eager["outcomes"]:
        raise SystemExit(f"lazy and eager runs diverged: {lazy['outcomes']} vs {eager['outcomes']}")
    print(describe_machine())
    print(f"\n{args.selector} N={args.n}, visual joint WAM on {args.task}, {args.episodes} episodes "
          f"(mean {np.mean(lazy['steps']):.1f} steps; same outcomes both ways)\n")
    print("| frames | rendered / episode | s / episode |")
    print("|---|---|---|")
    for name, out in (("when read (lazy_images)", lazy), ("every step", eager)):
        print(f"| {name} | {np.mean(out['frames']):.1f} | {np.mean(out['seconds']):.3f} |")
    print(f"\nevery step / when read: {np.mean(eager['frames']) / np.mean(lazy['frames']):.1f}x the frames, "
          f"{np.mean(eager['seconds']) / np.mean(lazy['seconds']):.2f}x the time")


if __name__ == "__main__":
    main()

"""Vanilla (N = 1) success rate of reference checkpoints over seeded trials.

A minimal loop for the model card, until the harness (``eval.run``) measures the same:

    python -m eval.reference_training.evaluate --family joint --task Lift --trials 50
    python -m eval.reference_training.evaluate --checkpoint /tmp/m.pt --trials 20

Trial ``i`` starts from env seed ``EVAL_SEED + i`` (disjoint from demo and value seeds).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from adapters.reference import checkpoint_path, load_checkpoint, load_policy
from adapters.reference.families import FAMILIES
from adapters.reference.recipes import EVAL_SEED
from adapters.reference.rollout import Episode, run_episode
from eval.envs import make_env
from wam_tts.diagnostics import wilson_interval


def evaluate(path: Path, trials: int, first_seed: int = EVAL_SEED, progress: bool = True) -> dict[str, Any]:
    """Run ``trials`` vanilla episodes of the checkpoint at ``path`` on its own task."""
    torch.set_num_threads(1)
    task = load_checkpoint(path)[1]["task"]
    policy = load_policy(path)
    episodes: list[Episode] = []
    with make_env("robosuite", task, **policy.env_options()) as env:
        for seed in tqdm(range(first_seed, first_seed + trials), desc=f"{policy.family} {task}", disable=not progress):
            episodes.append(run_episode(policy, env, seed))
    successes = sum(e.success for e in episodes)
    low, high = wilson_interval(successes, trials)
    return {
        "family": policy.family, "task": task, "trials": trials, "first_seed": first_seed,
        "successes": successes, "success_rate": successes / trials, "wilson95": [low, high],
        "mean_steps": float(np.mean([e.length for e in episodes])),
        "mean_steps_success": float(np.mean([e.length for e in episodes if e.success])) if successes else None,
        "mean_seconds": float(np.mean([e.wall_s for e in episodes])),
        "max_steps": env.max_steps,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", choices=FAMILIES.names())
    parser.add_argument("--task")
    parser.add_argument("--rung", type=lambda v: int(v) if v.isdigit() else v,
                        help="ladder rung, or 'original' (default: the shipped default)")
    parser.add_argument("--checkpoint", type=Path, help="instead of --family/--task")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=EVAL_SEED)
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    if args.checkpoint is None and not (args.family and args.task):
        parser.error("give --checkpoint, or --family and --task")
    path = args.checkpoint or checkpoint_path(args.family, args.task, args.rung)
    result = evaluate(path, args.trials, args.first_seed)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

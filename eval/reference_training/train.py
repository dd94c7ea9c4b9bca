"""Train a reference WAM from scratch: scripted demos → model → (joint) value head → checkpoint.

    python -m eval.reference_training.train --family joint --task Lift
    python -m eval.reference_training.train --family inverse --task Stack --demos 30 --out /tmp/m.pt
    python -m eval.reference_training.train --family joint --task Lift --rung 2   # checkpoints/joint_Lift_v2.pt

Without options every setting is the shipped checkpoint's recipe
(:mod:`adapters.reference.recipes`), so the command reproduces it (bit-exactly on the
same machine and torch build; torch runs single-threaded here).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from adapters.reference import ORIGINAL, checkpoint_path, save_checkpoint
from adapters.reference.dataset import ChunkData
from adapters.reference.families import FAMILIES
from adapters.reference.joint import JointFlowModel
from adapters.reference.recipes import DEMO_SEED, VALUE_SEED, Recipe, ladder_recipe, recipe_for
from adapters.reference.rollout import describe, run_episode
from adapters.reference.training import build_model, train_model
from adapters.reference.value import ValueData, train_value_head
from adapters.reference.wam import JointPredictionWAM
from eval.envs import make_env
from eval.envs.experts import collect_demos, load_demos, save_demos
from eval.reference_training.branch_data import branch_samples, concat


def demonstrations(task: str, recipe: Recipe, cache: Path | None) -> list[Any]:
    """Scripted-expert demos for ``task`` (read from / written to ``cache`` if given)."""
    pauses = f"_pauses{recipe.demo_pauses}" if recipe.demo_pauses else ""
    name = f"{task}_{recipe.demos}demos_seed{DEMO_SEED}_noise{recipe.demo_noise}{pauses}.npz"
    if cache is not None and (cache / name).is_file():
        return load_demos(cache / name)
    demos = collect_demos(task, episodes=recipe.demos, seed=DEMO_SEED, noise=recipe.demo_noise,
                          pauses=recipe.demo_pauses)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        save_demos(cache / name, demos)
    return demos


def train_value(policy: JointPredictionWAM, task: str, recipe: Recipe, progress: bool) -> dict[str, Any]:
    """Roll the trained model out (N = 1) and fit its value head on the discounted returns."""
    model = policy.model
    seeds = range(VALUE_SEED, VALUE_SEED + recipe.value_episodes)
    with make_env("robosuite", task, **policy.env_options()) as env:
        episodes = [run_episode(policy, env, s, record=True) for s in tqdm(seeds, desc="value rollouts", disable=not progress)]
    data = ValueData.from_episodes(episodes, recipe.gamma)
    losses = train_value_head(model, data, recipe.value_steps, recipe.batch_size, recipe.lr, recipe.seed, progress)
    with torch.no_grad():
        values = model.value(data.states, data.actions, data.futures)
    succeeded = data.returns > 0
    gap = float(values[succeeded].mean() - values[~succeeded].mean()) if 0 < succeeded.sum() < len(data) else None
    return {
        "value_rollouts": describe(episodes),
        "value_rollout_seeds": [seeds.start, seeds.stop - 1],
        "value_samples": len(data),
        "value_loss_final": float(np.mean(losses[-100:])),
        "value_gap_success_minus_failure": gap,
    }


def train(family: str, task: str, recipe: Recipe, out: Path, cache: Path | None = None,
          progress: bool = True) -> dict[str, Any]:
    """Run the whole recipe and write the checkpoint; returns its ``meta``."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    demos = demonstrations(task, recipe, cache)
    good = [d for d in demos if d.success]
    if not good:
        raise RuntimeError(f"the scripted expert solved none of the {len(demos)} {task} demos")
    data = ChunkData.from_trajectories(good, recipe.horizon, recipe.horizon)
    with make_env("robosuite", task) as env:
        groups = [size for _, size in env.state_layout]
        branches = branch_samples(env, good, [d.seed for d in good], recipe.branch_variety, recipe.branch_count,
                                  recipe.horizon, recipe.horizon, recipe.branch_states, recipe.seed)
    demo_samples = len(data)
    data = concat(data, branches)
    model = build_model(family, data, seed=recipe.seed, future_horizon=recipe.horizon,
                        state_groups=groups if recipe.state_scale == "pooled" else None,
                        width=recipe.width, depth=recipe.depth, flow_steps=recipe.flow_steps,
                        inverse_noise=recipe.inverse_noise)
    collected = time.perf_counter()
    losses = train_model(model, data, recipe.steps, recipe.batch_size, recipe.lr, recipe.seed, progress)
    trained = time.perf_counter()
    meta: dict[str, Any] = {
        "recipe": dataclasses.asdict(recipe),
        "demos_collected": len(demos),
        "demos_successful": len(good),
        "demo_seeds": sorted(int(d.seed) for d in demos),
        "train_samples": len(data),
        "demo_samples": demo_samples,
        "branch_samples": len(data) - demo_samples,
        "parameters": sum(p.numel() for p in model.parameters()),
        "loss_first": float(np.mean(losses[:100])),
        "loss_final": float(np.mean(losses[-100:])),
        "demo_seconds": round(collected - start, 1),
        "train_seconds": round(trained - collected, 1),
        "torch": str(torch.__version__),
    }
    if isinstance(model, JointFlowModel) and recipe.value_episodes > 0:
        meta.update(train_value(JointPredictionWAM(model), task, recipe, progress))
        meta["value_seconds"] = round(time.perf_counter() - trained, 1)
    meta["total_seconds"] = round(time.perf_counter() - start, 1)
    save_checkpoint(out, model, task, meta)
    return meta


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = training_parser(__doc__)
    parser.add_argument("--rung", type=int, help="train rung R of the branch-fidelity ladder (recipes.LADDER_VARIETY)")
    return parser.parse_args(argv)


def training_parser(doc: str) -> argparse.ArgumentParser:
    """The options every training command shares: family, task, output, demo cache and
    one override per :class:`Recipe` field."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--family", required=True, choices=FAMILIES.names())
    parser.add_argument("--task", required=True, help="robosuite task, e.g. Lift")
    parser.add_argument("--out", type=Path, help="checkpoint path (default: the shipped one)")
    parser.add_argument("--demo-cache", type=Path, help="folder to reuse collected demos from")
    for f in dataclasses.fields(Recipe):
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=type(f.default), help=f"recipe override ({f.name})")
    return parser


def with_overrides(base: Recipe, args: argparse.Namespace) -> Recipe:
    """``base`` with every recipe field given on the command line replaced."""
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(Recipe) if getattr(args, f.name) is not None}
    return dataclasses.replace(base, **overrides)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    base = recipe_for(args.family, args.task) if args.rung is None else ladder_recipe(args.family, args.task, args.rung)
    recipe = with_overrides(base, args)
    out = args.out or checkpoint_path(args.family, args.task, ORIGINAL if args.rung is None else args.rung)
    meta = train(args.family, args.task, recipe, out, args.demo_cache)
    print(json.dumps({"checkpoint": str(out), **meta}, indent=1))


if __name__ == "__main__":
    main()

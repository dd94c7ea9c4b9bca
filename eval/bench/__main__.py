"""``python -m eval.bench``: every benchmark side by side, written to docs/benchmarks.md.

    python -m eval.bench                      # the full run (a few minutes on 2 cores)
    python -m eval.bench --quick --out /tmp/bench.md   # a smoke run, small N and repeats
    python -m eval.bench --lingbot            # also the tiny LingBot-VA bench (.venv-lerobot)

Sections: selection overhead (reference-WAM futures, Cosmos/LingBot-sized latents),
batched against sequential sampling, exploring's save/restore cost, the harness's
overhead per control step and peak memory against N; on a GPU, the selection overhead
there too. Prints each table and the targets, then writes the markdown file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from eval.bench.exploring import measure_exploring
from eval.bench.harness import measure_harness
from eval.bench.lingbot import LingBotUnavailable, run_lingbot_bench
from eval.bench.machine import describe_machine, load_average
from eval.bench.reference import BENCH_FAMILIES, load_bench_policy, measure_queries, profile_consensus
from eval.bench.report import BenchResults, render, targets
from eval.bench.selection import measure_score_floor, measure_scoring, peak_scoring_bytes
from wam_tts import ConsensusSelector

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Plan:
    """Sizes of one run."""

    ns: tuple[int, ...]
    repeats: int
    exploring_n: int
    exploring_decisions: int
    harness_trials: int
    harness_max_steps: int | None
    lingbot_ns: tuple[int, ...]
    lingbot_repeats: int


FULL = Plan(ns=(1, 2, 4, 8, 16, 32), repeats=100, exploring_n=8, exploring_decisions=10,
            harness_trials=4, harness_max_steps=None, lingbot_ns=(1, 4, 8), lingbot_repeats=5)
QUICK = Plan(ns=(1, 8, 16), repeats=3, exploring_n=4, exploring_decisions=2,
             harness_trials=1, harness_max_steps=24, lingbot_ns=(1, 2), lingbot_repeats=1)


def run(plan: Plan, task: str, lingbot: bool, command: str) -> BenchResults:
    """Measure every section; sections that need the same objects share them."""
    from eval.envs.robosuite_env import RobosuiteEnv

    started = time.perf_counter()
    results = BenchResults(command=command, machine=describe_machine(), load_start=load_average(), task=task)
    sections = ["reference queries", "latents", "exploring", "harness", "memory", "gpu", "lingbot"]
    bar = tqdm(sections, desc="bench", unit="section", file=sys.stderr)
    env = RobosuiteEnv(task)
    try:
        obs = env.reset(0)
        policies = {f: load_bench_policy(f, task, env.state_dim, env.action_dim) for f in BENCH_FAMILIES}
        results.sources = {f: p.source for f, p in policies.items()}
        for section in bar:
            bar.set_postfix_str(section)
            if section == "reference queries":
                for loaded in policies.values():
                    results.queries += measure_queries(loaded, obs, plan.ns, plan.repeats)
                results.profile = profile_consensus(policies["joint"], obs, calls=plan.repeats * 5)
            elif section == "latents":
                results.latents = measure_scoring(plan.ns, repeats=plan.repeats)
                results.floor = measure_score_floor(tuple(n for n in plan.ns if n >= 8), repeats=plan.repeats)
            elif section == "exploring":
                results.exploring = measure_exploring(env, policies["joint"].policy, plan.exploring_n,
                                                      plan.exploring_decisions)
            elif section == "harness":
                selector = ConsensusSelector(policies["joint"].policy, n=8)
                results.harness = measure_harness(env, selector, plan.harness_max_steps or env.max_steps,
                                                  plan.harness_trials)
            elif section == "memory":
                results.memory = [measure_memory(f, task, obs["state"].tolist(), env.action_dim, plan.ns)
                                  for f in BENCH_FAMILIES]
            elif section == "gpu" and torch.cuda.is_available():
                results.gpu = torch.cuda.get_device_name(0)
                results.gpu_latents = measure_scoring(plan.ns, device="cuda", repeats=plan.repeats)
                results.gpu_peaks = peak_scoring_bytes(plan.ns)
            elif section == "lingbot" and lingbot:
                try:
                    results.lingbot = run_lingbot_bench(plan.lingbot_ns, plan.lingbot_repeats)
                except LingBotUnavailable as err:
                    results.lingbot_skipped = str(err)
    finally:
        env.close()
    results.load_end = load_average()
    results.duration_s = time.perf_counter() - started
    return results


def measure_memory(family: str, task: str, state: list[float], action_dim: int, ns: tuple[int, ...]) -> dict:
    """Peak memory against N, in a fresh process (see :mod:`eval.bench.memory`)."""
    command = [sys.executable, "-m", "eval.bench.memory", "--family", family, "--task", task,
               "--action-dim", str(action_dim), "--ns", *map(str, ns), "--state", *map(repr, state)]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"the memory benchmark failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: few N, few repeats")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"markdown file (default {DEFAULT_OUT})")
    parser.add_argument("--task", default="Lift", help="robosuite task and reference checkpoint")
    parser.add_argument("--lingbot", action="store_true", help="also run the tiny LingBot-VA bench")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    command = "python -m eval.bench" + "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    results = run(QUICK if args.quick else FULL, args.task, args.lingbot, command)
    text = render(results)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    missed = [t.name for t in targets(results) if t.met is False]
    print(f"wrote {args.out}; targets missed: {len(missed)}" + "".join(f"\n  - {m}" for m in missed))


if __name__ == "__main__":
    main()

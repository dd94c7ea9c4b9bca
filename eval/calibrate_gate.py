"""``python -m eval.calibrate_gate``: the gated selector's threshold for a target firing rate.

    python -m eval.calibrate_gate --tasks Lift Door Stack --episodes 10 --fire-rates 0.15 0.3

Runs the N = 1 policy (a gate that never fires acts exactly like it) for ``episodes``
episodes per task on calibration seeds, which never coincide with the harness's trial
seeds, records the probe's disagreement at every decision, and prints, per task, the
threshold above which each target fraction of decisions would fire, and with several
tasks the pooled threshold for one run over all of them. Writes the same as JSON with
``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from eval.envs import make_env
from eval.policies import make_policy
from wam_tts import derive_seed, run_episode
from wam_tts.selectors.gated import GATE_SPACES, GatedSelector

#: Seeds of calibration episodes: a namespace of their own (trial seeds hash (seed, task, trial)).
CALIBRATION = "gate-calibration"


def calibration_seed(seed: int, task: str, episode: int) -> int:
    return derive_seed(seed, CALIBRATION, task, episode) % (2**31)


def disagreements(policy_name: str, backend: str, task: str, episodes: int, probe: int, gate_space: str,
                  seed: int = 0, progress: bool = True) -> list[float]:
    """The probe disagreement at every decision of ``episodes`` N = 1 episodes of ``task``."""
    policy = make_policy(policy_name, task)
    gate = GatedSelector(policy, n=probe + 1, probe=probe, threshold=math.inf, gate_space=gate_space)
    seen: list[float] = []
    with make_env(backend, task) as env:
        for episode in tqdm(range(episodes), desc=f"calibrating {task}", disable=not progress):
            run_episode(gate, env, calibration_seed(seed, task, episode), env.max_steps)
            seen += gate.disagreements
    return seen


def thresholds(seen: list[float], fire_rates: list[float]) -> dict[str, float]:
    """The disagreement quantile above which each fraction of decisions fires."""
    return {f"{rate:g}": float(np.quantile(seen, 1.0 - rate)) for rate in fire_rates}


def _report(label: str, seen: list[float], fire_rates: list[float]) -> dict:
    found = {"decisions": len(seen), "thresholds": thresholds(seen, fire_rates)}
    rates = ", ".join(f"fire {r}: threshold {t:.4g}" for r, t in found["thresholds"].items())
    print(f"{label}: {len(seen)} decisions; {rates}")
    return found


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", default="reference_joint")
    parser.add_argument("--env", default="robosuite")
    parser.add_argument("--tasks", nargs="+", default=["Lift"])
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--probe", type=int, default=2)
    parser.add_argument("--gate-space", choices=GATE_SPACES, default="future")
    parser.add_argument("--fire-rates", type=float, nargs="+", default=[0.15, 0.3, 0.5])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if any(not 0 < r < 1 for r in args.fire_rates):
        parser.error(f"--fire-rates must lie in (0, 1), got {args.fire_rates}")
    torch.set_num_threads(1)
    result = {"policy": args.policy, "env": args.env, "probe": args.probe, "gate_space": args.gate_space,
              "episodes": args.episodes, "seed": args.seed, "tasks": {}}
    pooled: list[float] = []
    for task in args.tasks:
        seen = disagreements(args.policy, args.env, task, args.episodes, args.probe, args.gate_space, args.seed)
        pooled += seen
        result["tasks"][task] = _report(task, seen, args.fire_rates)
    if len(args.tasks) > 1:  # one threshold for a run over all the tasks
        result["pooled"] = _report("all tasks", pooled, args.fire_rates)
    if args.out is not None:
        args.out.write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()

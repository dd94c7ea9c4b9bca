"""``python -m eval.collapse_check``: the background-collapse detector against stalls seen in the simulator.

    python -m eval.collapse_check --policy reference_visual_joint --tasks Lift Door --trials 60 \
        --out docs/visual/collapse

Rolls the policy out (N = 1, env seeds ``COLLAPSE_SEED + i``) recording each decision as the harness
does (real and predicted latent change included) and the end effector's path from the simulator. An
episode is labelled **stalled** when it failed and, over its last ``--window`` steps, the end effector
stayed within ``--radius`` metres of where it was and the fingers within ``--radius`` of their opening:
the robot stopped while the task is unfinished. :func:`wam_tts.diagnostics.detect_background_collapse`
flags episodes from the latents alone; the check reports its precision and recall against the stall
labels, and its false alarms on successes, for a grid of thresholds (the default is 0.1, ``min_run`` 3),
and writes ``collapse.json``, ``collapse.md``, ``collapse.png`` and the decisions (``steps.parquet``)
under ``--out``. ``--videos K`` also
writes GIFs (real frame | decoded predicted frame) of up to K successful, failed-moving and stalled
episodes. Needs a visual policy (or any policy whose env options give the state layout).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from eval.envs import make_env
from eval.policies import make_policy
from eval.reporting.document import markdown_table
from eval.rollout import Rollout
from eval.video import VideoSink
from wam_tts import VanillaSelector
from wam_tts.diagnostics import detect_background_collapse

COLLAPSE_SEED = 40_000
THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
MIN_RUNS = (2, 3)


@dataclass
class TracedRollout(Rollout):
    """A harness rollout that also keeps the end effector's position and finger opening per step."""

    eef: slice = field(default_factory=lambda: slice(0))
    fingers: slice = field(default_factory=lambda: slice(0))
    path: list[np.ndarray] = field(default_factory=list)

    def on_reset(self, obs: Any) -> None:
        self.path = [self._pose(obs)]
        super().on_reset(obs)

    def on_step(self, t: int, obs: Any, env_s: float) -> None:
        self.path.append(self._pose(obs))
        super().on_step(t, obs, env_s)

    def _pose(self, obs: Any) -> np.ndarray:
        state = np.asarray(obs["state"], dtype=np.float64)
        return np.concatenate([state[self.eef], state[self.fingers]])


def layout_slices(layout: Sequence[tuple[str, int]]) -> dict[str, slice]:
    """``obs["state"]`` offsets of each observable of a robosuite state layout."""
    out, start = {}, 0
    for key, size in layout:
        out[key] = slice(start, start + size)
        start += size
    return out


def is_stalled(path: np.ndarray, success: bool, window: int, radius: float) -> bool:
    """Failed, and the last ``window`` steps of ``path [T+1, 3 + 2]`` (eef xyz, fingers) stay
    within ``radius`` of the window's first pose."""
    if success or len(path) <= window:
        return False
    tail = path[-window - 1 :]
    eef, fingers = tail[:, :3], tail[:, 3:]
    return bool(np.linalg.norm(eef - eef[0], axis=1).max() < radius
                and np.abs(fingers - fingers[0]).max() < radius)


def run_task(policy_name: str, task: str, trials: int, window: int, radius: float, options: dict[str, Any],
             progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decision rows and episode rows (with ``stalled``) of ``trials`` vanilla episodes on ``task``."""
    policy = make_policy(policy_name, task, **options)
    env_options = policy.env_options() if hasattr(policy, "env_options") else {}
    steps, episodes = [], []
    with make_env("robosuite", task, **env_options) as env:
        offsets = layout_slices(env.state_layout)
        rollout = TracedRollout(env, VanillaSelector(policy), env.max_steps, eef=offsets["robot0_eef_pos"],
                                fingers=offsets["robot0_gripper_qpos"])
        for trial in tqdm(range(trials), desc=f"collapse check {task}", disable=not progress):
            seed = COLLAPSE_SEED + trial
            rollout.run(seed)
            key = {"task": task, "trial": trial, "seed": seed}
            steps.extend({**key, **row} for row in rollout.rows)
            path = np.stack(rollout.path)
            episodes.append({**key, "success": rollout.success, "length": rollout.t,
                             "stalled": is_stalled(path, rollout.success, window, radius),
                             "final_motion_m": float(np.linalg.norm(path[-window - 1:, :3] - path[-1, :3], axis=1).max())})
    return pd.DataFrame(steps), pd.DataFrame(episodes)


def score_detector(steps: pd.DataFrame, episodes: pd.DataFrame) -> pd.DataFrame:
    """Per task and overall, for each (threshold, min_run): flags against the stall labels."""
    rows = []
    for threshold in THRESHOLDS:
        for min_run in MIN_RUNS:
            flagged = detect_background_collapse(steps, episodes, threshold=threshold, min_run=min_run).episodes
            merged = episodes.merge(flagged[["task", "trial", "collapsed"]], on=["task", "trial"])
            for task, g in [*merged.groupby("task"), ("all", merged)]:
                hit = int((g.collapsed & g.stalled).sum())
                rows.append({"task": task, "threshold": threshold, "min_run": min_run,
                             "episodes": len(g), "stalled": int(g.stalled.sum()), "flagged": int(g.collapsed.sum()),
                             "precision": hit / g.collapsed.sum() if g.collapsed.any() else float("nan"),
                             "recall": hit / g.stalled.sum() if g.stalled.any() else float("nan"),
                             "success_flagged": int((g.collapsed & g.success).sum()),
                             "failure_moving_flagged": int((g.collapsed & ~g.success & ~g.stalled).sum())})
    return pd.DataFrame(rows)


def write_videos(policy_name: str, episodes: pd.DataFrame, per_kind: int, out: Path,
                 options: dict[str, Any]) -> list[str]:
    """GIFs of up to ``per_kind`` successful, failed (moving) and stalled episodes per task, replayed by seed."""
    kinds = {"success": episodes.success, "failure": ~episodes.success & ~episodes.stalled, "stalled": episodes.stalled}
    written = []
    for kind, mask in kinds.items():
        for _, ep in episodes[mask].groupby("task").head(per_kind).iterrows():
            policy = make_policy(policy_name, ep.task, **{**options, "decode_images": True})
            with make_env("robosuite", ep.task, **policy.env_options()) as env:
                path = out / f"{ep.task}_{kind}_trial{ep.trial}.gif"
                sink = VideoSink(path)
                Rollout(env, VanillaSelector(policy), env.max_steps, sink=sink).run(int(ep.seed))
                sink.close()
                written.append(path.name)
    return written


def plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for (task, min_run), g in table.groupby(["task", "min_run"]):
        ax.plot(g.recall, g.precision, marker="o", label=f"{task}, min_run {min_run}")
        default = g[g.threshold == 0.1]
        ax.scatter(default.recall, default.precision, s=90, facecolors="none", edgecolors="k")
    ax.set_xlabel("recall of stalled episodes")
    ax.set_ylabel("precision of collapse flags")
    ax.set_title("background-collapse detector vs simulator stalls\n(circled: default threshold 0.1)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--policy", default="reference_visual_joint")
    parser.add_argument("--tasks", nargs="+", default=["Lift"])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--window", type=int, default=40, help="steps at the end of a failure that must be still")
    parser.add_argument("--radius", type=float, default=0.02, help="metres the eef (and fingers) may move in them")
    parser.add_argument("--videos", type=int, default=0, help="GIFs per kind (success, failure, stalled)")
    parser.add_argument("--options", type=json.loads, default={}, help="policy options as JSON")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    parts = [run_task(args.policy, task, args.trials, args.window, args.radius, args.options) for task in args.tasks]
    steps = pd.concat([p[0] for p in parts], ignore_index=True)
    episodes = pd.concat([p[1] for p in parts], ignore_index=True)
    table = score_detector(steps, episodes)
    args.out.mkdir(parents=True, exist_ok=True)
    videos = write_videos(args.policy, episodes, args.videos, args.out, args.options) if args.videos else []
    steps.drop(columns=["scores", "values"]).to_parquet(args.out / "steps.parquet")
    summary = {"policy": args.policy, "trials": args.trials, "window": args.window, "radius": args.radius,
               "seeds_from": COLLAPSE_SEED, "episodes": episodes.to_dict("records"),
               "detector": table.to_dict("records"), "videos": videos}
    (args.out / "collapse.json").write_text(json.dumps(summary, indent=1, default=float))
    (args.out / "collapse.md").write_text(markdown_table(table) + "\n")
    plot(table, args.out / "collapse.png")
    print(table[table.task == "all"].to_string(index=False))


if __name__ == "__main__":
    main()

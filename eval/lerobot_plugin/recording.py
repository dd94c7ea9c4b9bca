"""Decision records of a ``lerobot-eval`` run, written to the wam-tts results store.

LeRobot drives the episode and never tells the policy how it ended, so the recorder keeps
each episode's decision rows (:class:`eval.rollout.Rollout`, the harness's own bookkeeping:
scores, chosen branch, timings, consistency at t + h) and commits them once ``lerobot-eval``
has written ``<output_dir>/eval_info.json``: its per-task success lists, in the order the
episodes ran, give each episode its task and outcome. :func:`finalize_all` runs at exit
(registered on the first episode) and can be called earlier (tests do). If ``eval_info.json``
is missing (``lerobot-eval`` failed) or does not count the same episodes, every episode is
committed with status ``error`` saying so, and its decisions are kept.

Layout: ``<output_dir>/wam_tts/<run_id>/`` is a run directory of :mod:`eval.results`, so
``python -m eval.report <output_dir>/wam_tts`` reads it (with the main venv).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.results import RunStore, TrialRecord
from eval.rollout import Rollout, episode_summary
from wam_tts import Decision, Selector
from wam_tts.records import DecisionRecord, EpisodeKey, EpisodeRecord

#: What :func:`eval.config.baseline_config` puts in place of a run's selector (and n = 1).
BASELINE_SELECTOR = {"name": "vanilla"}
EVAL_INFO = "eval_info.json"


def fingerprint(config: dict[str, Any]) -> str:
    """Stable digest of a run's config (as :func:`eval.config.fingerprint` digests its result key)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def run_id(config: dict[str, Any]) -> str:
    """``<selector>-n<N>-<fingerprint prefix>``, the harness's run naming."""
    return f"{config['selector']['name']}-n{config['n']}-{fingerprint(config)[:8]}"


def baseline_of(config: dict[str, Any]) -> dict[str, Any]:
    """The config of the run's N = 1 baseline: its selector replaced by vanilla, one branch."""
    return {**config, "selector": dict(BASELINE_SELECTOR), "n": 1}


@dataclass
class _Episode:
    """One episode as LeRobot ran it: the selector's seed, its rows, its actions and wall time."""

    seed: int
    rollout: Rollout
    actions: int = 0
    started: float = field(default_factory=time.perf_counter)
    wall_s: float = 0.0


class LeRobotRunRecorder:
    """Keeps the decisions of every episode of one ``lerobot-eval`` run and commits them at the end."""

    def __init__(self, output_dir: Path, config: dict[str, Any]) -> None:
        self.output_dir = Path(output_dir)
        self.config = config
        self.episodes: list[_Episode] = []
        self.finalized = False
        _LIVE.append(self)

    # --- the episode as it runs ----------------------------------------------------

    def start_episode(self, selector: Selector, seed: int, obs: Any) -> None:
        """A new episode whose first observation is ``obs`` (before its first decision)."""
        self._close_last()
        rollout = Rollout(env=None, selector=selector, max_steps=0)
        rollout.on_reset(obs)
        self.episodes.append(_Episode(seed, rollout))

    def step(self, t: int, obs: Any, env_s: float) -> None:
        """The observation after the ``t``-th executed action (after the selector observed it)."""
        self._current.on_step(t, obs, env_s)

    def decision(self, t: int, obs: Any, decision: Decision) -> None:
        self._current.on_decision(t, obs, decision)

    def acted(self) -> None:
        """One action handed to LeRobot (which executes it: the episode's length counts them)."""
        self.episodes[-1].actions += 1

    @property
    def _current(self) -> Rollout:
        if not self.episodes:
            raise RuntimeError("no episode started: call start_episode first")
        return self.episodes[-1].rollout

    def _close_last(self) -> None:
        if self.episodes and not self.episodes[-1].wall_s:
            self.episodes[-1].wall_s = time.perf_counter() - self.episodes[-1].started

    # --- the end of the run --------------------------------------------------------

    def finalize(self) -> Path | None:
        """Commit every episode (outcomes from ``eval_info.json``); the run directory, or None if none ran."""
        if self.finalized or not self.episodes:
            return None
        self._close_last()
        outcomes, problem = _outcomes(self.output_dir / EVAL_INFO, len(self.episodes))
        envs = sorted({env for env, _, _ in outcomes}) if outcomes else ["unknown"]
        config = {**self.config, "env": envs}
        baseline = baseline_of(config)
        store = RunStore(self.output_dir / "wam_tts" / run_id(config))
        store.open({"run_id": run_id(config), "fingerprint": fingerprint(config), "result_key": config,
                    "config": config, "source": "lerobot-eval"})
        for index, episode in enumerate(self.episodes):
            env, task, success = outcomes[index] if outcomes else ("unknown", "unknown", False)
            trial = sum(1 for e, t, _ in outcomes[:index] if (e, t) == (env, task)) if outcomes else index
            store.commit(self._record(config, baseline, env, task, trial, episode, success, problem))
        self.finalized = True
        return store.root

    def _record(self, config: dict[str, Any], baseline: dict[str, Any], env: str, task: str, trial: int,
                episode: _Episode, success: bool, problem: str) -> TrialRecord:
        rollout = episode.rollout
        key = asdict(EpisodeKey(run_id=run_id(config), policy=config["policy"]["name"], env=env, task=task,
                                selector=config["selector"]["name"], n=int(config["n"]), trial=trial,
                                seed=episode.seed))
        row = EpisodeRecord(
            **key, success=success and not problem,
            status="error" if problem else ("success" if success else "failure"), error=problem,
            length=episode.actions, decisions=len(rollout.rows), **episode_summary(rollout.rows),
            wall_s=episode.wall_s, attempts=1, config=json.dumps(config, sort_keys=True),
            baseline_config=json.dumps(baseline, sort_keys=True), baseline_run_id=run_id(baseline),
        )
        return TrialRecord(asdict(row), [asdict(DecisionRecord(**key, **r)) for r in rollout.rows])


def _outcomes(path: Path, expected: int) -> tuple[list[tuple[str, str, bool]], str]:
    """``[(env, task, success)]`` per episode in run order from LeRobot's ``eval_info.json``, and
    the problem that keeps them from being used ("" if none)."""
    if not path.exists():
        return [], (f"lerobot-eval wrote no {path} (it failed or was interrupted), so the episodes' outcomes "
                    "are unknown; the decisions are kept")
    info = json.loads(path.read_text())
    outcomes = [(str(t["task_group"]), f"{t['task_group']}_{t['task_id']}", bool(s))
                for t in info.get("per_task", []) for s in t["metrics"]["successes"]]
    if len(outcomes) != expected:
        return [], (f"{path} counts {len(outcomes)} episodes but the policy ran {expected} (tasks evaluated in "
                    "parallel, or episodes cut short?): outcomes cannot be matched to episodes")
    return outcomes, ""


_LIVE: list[LeRobotRunRecorder] = []


def finalize_all() -> list[Path]:
    """Commit every live recorder's run (called at exit, after ``lerobot-eval`` wrote its results)."""
    return [run for run in (r.finalize() for r in _LIVE) if run is not None]


atexit.register(finalize_all)

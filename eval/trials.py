"""Running trials: seeds, shards, retries, errors as data, and optional process isolation.

A trial is one episode of one task. Its seed depends only on ``(seed, task, trial)``,
so shards, resumed runs and runs with other selectors or N see the same episodes.
Backends whose episodes are numbered by their benchmark's protocol (RoboCasa scenes,
RoboTwin's expert-checked seeds) set ``seeds_by_trial = True`` and get the trial index
as their reset seed; the selector still gets the hashed seed.
A trial whose env or policy raises becomes a record with status ``"error"`` and the
traceback; with ``isolate`` the trial runs in a child process, so a simulator that
kills its process costs that trial only. A trial past its time limit
(:mod:`eval.timeouts`) is an error record too, whose text starts with the reason; an
isolated worker that cannot be interrupted is killed and replaced.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from eval.build import ConfigError, TaskRuntime, build_task, load_plugins
from eval.config import baseline_config, config_json, run_id, to_dict
from eval.results import TrialRecord, trial_stem
from eval.rollout import Rollout, episode_summary
from eval.timeouts import (
    ATTEMPT_START,
    KILL_GRACE_S,
    LAST_EVENT,
    WORKER_PID,
    TrialTimeout,
    Watchdog,
    describe,
    die_with_parent,
)
from wam_tts import derive_seed
from wam_tts.records import DecisionRecord, EpisodeKey, EpisodeRecord


def trial_seed(seed: int, task: str, trial: int) -> int:
    """The env and sampling seed of trial ``trial`` of ``task`` (31 bits, any simulator takes it)."""
    return derive_seed(seed, task, trial) % (2**31)


def plan_trials(tasks: list[str], trials: int, index: int = 0, count: int = 1) -> list[tuple[str, int]]:
    """The (task, trial) pairs of shard ``index`` of ``count``: every count-th pair."""
    pairs = [(task, trial) for task in tasks for trial in range(trials)]
    return pairs[index::count]


@dataclass(frozen=True)
class RunIdentity:
    """The columns shared by every row of a run, and the stored configs."""

    run_id: str
    policy: str
    env: str
    selector: str
    n: int
    config: str
    baseline_config: str
    #: The run_id of the N = 1 baseline run (empty for rows that are never stored).
    baseline_run_id: str = ""

    @classmethod
    def of(cls, cfg: DictConfig | dict) -> RunIdentity:
        data = to_dict(cfg)
        baseline = baseline_config(data)
        return cls(
            run_id=run_id(data),
            policy=data["policy"]["name"],
            env=data["env"]["backend"],
            selector=data["selector"]["name"],
            n=int(data["n"]),
            config=config_json(data),
            baseline_config=config_json(baseline),
            baseline_run_id=run_id(baseline),
        )

    def key(self, task: str, trial: int, seed: int) -> EpisodeKey:
        """The episode key of trial ``trial`` of ``task`` in this run."""
        return EpisodeKey(run_id=self.run_id, policy=self.policy, env=self.env, task=task,
                          selector=self.selector, n=self.n, trial=trial, seed=seed)


def episode_record(ident: RunIdentity, task: str, trial: int, seed: int, rollout: Rollout | None,
                   error: str, wall_s: float, attempts: int) -> TrialRecord:
    """The stored record of a finished (or failed) trial, its rows checked against the schema."""
    rows = [] if rollout is None else rollout.rows
    key = asdict(ident.key(task, trial, seed))
    success = rollout is not None and rollout.success and not error
    episode = EpisodeRecord(
        **key,
        success=success,
        status="error" if error else ("success" if success else "failure"),
        error=error,
        length=0 if rollout is None else rollout.t,
        decisions=len(rows),
        **episode_summary(rows),
        wall_s=wall_s,
        attempts=attempts,
        config=ident.config,
        baseline_config=ident.baseline_config,
        baseline_run_id=ident.baseline_run_id,
    )
    return TrialRecord(asdict(episode), [asdict(DecisionRecord(**key, **row)) for row in rows])


class InProcessRunner:
    """Runs trials in this process, building each task's env, policy and selector once."""

    def __init__(self, cfg: DictConfig, video_dir: Path | None = None, heartbeat: Any = None) -> None:
        self.cfg = cfg
        self.ident = RunIdentity.of(cfg)
        self.video_dir = video_dir
        self.heartbeat = heartbeat
        self.runtime: TaskRuntime | None = None

    def prepare(self, task: str) -> None:
        """Build ``task``'s objects now (config errors surface before any trial)."""
        if self.runtime is None or self.runtime.task != task:
            self.close()
            self.runtime = build_task(self.cfg, task)

    def run(self, task: str, trial: int) -> TrialRecord:
        """One trial with up to ``retries`` extra attempts after an error."""
        seed = trial_seed(self.cfg.seed, task, trial)
        start = time.perf_counter()
        attempts = 0
        while True:
            attempts += 1
            rollout, error = None, ""
            try:
                self.prepare(task)
                with Watchdog(self.cfg.trial_timeout_s, self.cfg.decision_timeout_s, self.heartbeat) as dog:
                    rollout = Rollout(self.runtime.env, self.runtime.selector, self.runtime.max_steps,
                                      self.cfg.execute, self._sink(task, trial), beat=dog.beat)
                    rollout.run(seed, env_seed=trial if self.runtime.env.seeds_by_trial else None)
                self._finish_sink(rollout)
            except ConfigError:
                raise  # the config is wrong for this task: no trial of it can run
            except TrialTimeout as err:
                error = f"timeout: {err}\n{traceback.format_exc()}"
                self.close()
            except Exception:  # noqa: BLE001 - a failing trial is data, not the end of the run
                error = traceback.format_exc()
                self.close()  # the env may be in any state: rebuild it for the next attempt
            if not error or attempts > self.cfg.retries:
                break
        return episode_record(self.ident, task, trial, seed, rollout, error,
                              time.perf_counter() - start, attempts)

    def _sink(self, task: str, trial: int) -> Any:
        if not self.cfg.video or self.video_dir is None:
            return None
        from eval.video import VideoSink

        return VideoSink(self.video_dir / f"{trial_stem(task, trial)}.gif")

    @staticmethod
    def _finish_sink(rollout: Rollout) -> None:
        if rollout.sink is not None:
            rollout.sink.close()

    def close(self) -> None:
        if self.runtime is not None:
            runtime, self.runtime = self.runtime, None
            runtime.close()


_CHILD: InProcessRunner | None = None
_HEARTBEAT: Any = None


def _child_init(parent_pid: int, heartbeat: Any) -> None:
    """Worker start: die with the parent, publish the pid and the heartbeat slots."""
    global _HEARTBEAT
    die_with_parent(parent_pid)
    _HEARTBEAT = heartbeat
    heartbeat[WORKER_PID] = os.getpid()


def _child_call(cfg_data: dict, video_dir: str | None, method: str, task: str, trial: int | None) -> Any:
    """Entry point in the child process: keep one runner alive between calls."""
    global _CHILD
    if _CHILD is None:
        cfg = OmegaConf.create(cfg_data)
        torch.set_num_threads(cfg.threads)
        load_plugins(list(cfg.plugins))
        _CHILD = InProcessRunner(cfg, None if video_dir is None else Path(video_dir), _HEARTBEAT)
    if method == "prepare":
        return _CHILD.prepare(task)
    return _CHILD.run(task, trial)


class WorkerTimeout(Exception):
    """An isolated worker ran past a limit without interrupting itself, and was killed."""


class IsolatedRunner:
    """Runs each trial in a long-lived child process, replaced when it dies or hangs.

    The child dies with this process; it reports each event of its trial through a
    shared heartbeat, and is killed when it overruns a limit by :data:`KILL_GRACE_S`.
    """

    def __init__(self, cfg: DictConfig, video_dir: Path | None = None) -> None:
        self.cfg = cfg
        self.cfg_data = to_dict(cfg)
        self.ident = RunIdentity.of(cfg)
        self.video_dir = None if video_dir is None else str(video_dir)
        self.pool: ProcessPoolExecutor | None = None
        self.context = multiprocessing.get_context("spawn")
        self.heartbeat: Any = None

    def _call(self, method: str, task: str, trial: int | None = None) -> Any:
        if self.pool is None:
            self.heartbeat = self.context.Array("d", 3, lock=False)
            self.pool = ProcessPoolExecutor(1, mp_context=self.context, initializer=_child_init,
                                            initargs=(os.getpid(), self.heartbeat))
        submitted = time.monotonic()
        future = self.pool.submit(_child_call, self.cfg_data, self.video_dir, method, task, trial)
        watched = method == "run" and (self.cfg.trial_timeout_s is not None or self.cfg.decision_timeout_s is not None)
        while True:
            try:
                return future.result(timeout=0.2 if watched else None)
            except FutureTimeout:
                reason = self._overdue(submitted)
                if reason is not None:
                    self._kill()
                    raise WorkerTimeout(reason) from None

    def _overdue(self, submitted: float) -> str | None:
        """Why the running attempt is past a limit plus the grace (None while it is not)."""
        beat = self.heartbeat
        if beat[ATTEMPT_START] < submitted:  # the child is still building the task
            return None
        now = time.monotonic()
        trial_s, decision_s = self.cfg.trial_timeout_s, self.cfg.decision_timeout_s
        reason = describe(None if trial_s is None else trial_s + KILL_GRACE_S,
                          None if decision_s is None else decision_s + KILL_GRACE_S,
                          now - beat[ATTEMPT_START], now - beat[LAST_EVENT], "its last event")
        return None if reason is None else f"{reason}; the worker did not stop itself and was killed"

    def _kill(self) -> None:
        pid = int(self.heartbeat[WORKER_PID])
        if pid > 0:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.close()

    def prepare(self, task: str) -> None:
        self._call("prepare", task)

    def run(self, task: str, trial: int) -> TrialRecord:
        seed = trial_seed(self.cfg.seed, task, trial)
        start = time.perf_counter()
        error = ""
        for attempt in range(1, self.cfg.retries + 2):
            try:
                record = self._call("run", task, trial)  # errors inside are records already
                record.episode["attempts"] += attempt - 1
                return record
            except BrokenProcessPool:
                error = f"the trial's process died (attempt {attempt}):\n{traceback.format_exc()}"
                self.close()
            except WorkerTimeout as err:
                error = f"timeout: {err} (attempt {attempt})"
        return episode_record(self.ident, task, trial, seed, None, error,
                              time.perf_counter() - start, attempt)

    def close(self) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            pool.shutdown(wait=True, cancel_futures=True)


def make_runner(cfg: DictConfig, video_dir: Path | None = None) -> InProcessRunner | IsolatedRunner:
    """The runner ``cfg.isolate`` asks for."""
    return (IsolatedRunner if cfg.isolate else InProcessRunner)(cfg, video_dir)

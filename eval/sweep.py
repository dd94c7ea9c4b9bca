"""Hydra callbacks of eval.run: every config checked before anything is written or run.

* ``on_run_start`` (a single run): the config is checked (:func:`eval.build.check_config`),
  the results directory must be writable and must not hold another config's run, all
  before Hydra creates the run directory; a problem is one paragraph and exit status 2.
* ``on_multirun_start``: the sweep is expanded into its jobs and every job's composed
  config is checked the same way, so an invalid job is found before the first trial,
  not hours into the sweep.
* ``on_multirun_end``: the table over the whole sweep, printed even when some jobs
  failed, with those jobs named (:mod:`eval.jobs`); exit status 1 if a job failed or a
  trial errored (``allow_errors=true`` relaxes the latter).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hydra import compose
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from eval.build import ConfigError, check_config
from eval.config import fingerprint, result_key, run_id
from eval.jobs import clear_jobs, read_jobs, skip_reason
from eval.results import RUN_FILE, RunMismatchError, check_run_file
from eval.summary import summary_text


def _refuse(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def writable_problem(path: Path) -> str | None:
    """Why results cannot be written at ``path`` (None if they can)."""
    existing = Path(path).absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        why = "is read-only for this user" if existing.is_dir() else "is not a directory"
        return (f"the results directory {path} cannot be written ({existing} {why}); "
                "choose another with name=... or hydra.run.dir=... (hydra.sweep.dir=... for a multirun)")
    return None


def job_problems(cfg: DictConfig, run_dir: Path | None) -> list[str]:
    """Every problem of one job's config that can be found without running it."""
    try:
        check_config(cfg)
    except ConfigError as err:
        return [str(err)]
    if run_dir is None:
        return []
    problem = writable_problem(run_dir)
    if problem:
        return [problem]
    try:
        check_run_file(run_dir / RUN_FILE, {"run_id": run_id(cfg), "fingerprint": fingerprint(cfg),
                                            "result_key": result_key(cfg)})
    except RunMismatchError as err:
        return [str(err)]
    return []


def varying(jobs: list[list[str]]) -> list[list[str]]:
    """Each job's overrides less those every job shares (what tells the jobs apart)."""
    shared = set.intersection(*(set(job) for job in jobs)) if jobs else set()
    return [[o for o in job if o not in shared] or job for job in jobs]


def sweep_jobs(config: DictConfig) -> list[list[str]] | None:
    """The override lists of a basic sweep's jobs (None for a sweeper this cannot expand)."""
    if not str(config.hydra.sweeper.get("_target_", "")).endswith("BasicSweeper"):
        return None
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    arguments = [f"{k}={v}" for k, v in (config.hydra.sweeper.get("params") or {}).items()]
    arguments += list(config.hydra.overrides.task)
    overrides = OverridesParser.create().parse_overrides(arguments)
    return [job for batch in BasicSweeper.split_arguments(overrides, None) for job in batch]


class EvalCallbacks(Callback):
    """Checks before any run starts, and the sweep's final table (see the module docstring)."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        problems = job_problems(config, Path(config.hydra.run.dir))
        if problems:
            _refuse("\n".join(problems))

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        problem = writable_problem(Path(config.hydra.sweep.dir))
        if problem:
            _refuse(problem)
        clear_jobs(Path(config.hydra.sweep.dir))
        jobs = sweep_jobs(config)
        if jobs is None:
            print("note: this sweeper's jobs are checked as each one starts", file=sys.stderr)
            return
        invalid = []
        for overrides, label in zip(jobs, varying(jobs), strict=True):
            cfg = compose(config_name="config", overrides=overrides)
            if skip_reason(cfg) is None:
                invalid += [f"job [{' '.join(label)}]: {p}" for p in job_problems(cfg, None)]
        if invalid:
            _refuse(f"{len(invalid)} of the sweep's {len(jobs)} jobs cannot run; nothing was started:\n"
                    + "\n".join(invalid))

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        path = Path(config.hydra.sweep.dir)
        try:
            print(f"\nSweep results ({path}):\n{summary_text(path)}")
        except FileNotFoundError as err:
            print(f"no sweep results to summarize: {err}")
        jobs = read_jobs(path)
        for job, label in zip(jobs, varying([j["overrides"] for j in jobs]), strict=True):
            job["overrides"] = label
        failed = [j for j in jobs if j["status"] == "failed"]
        errored = [j for j in jobs if j["status"] == "errors"]
        skipped = [j for j in jobs if j["status"] == "skipped"]
        for title, group in (("skipped (identical to another run by construction)", skipped),
                             ("FAILED", failed), ("with errored trials", errored)):
            if group:
                print(f"\n{len(group)} job(s) {title}:")
                print("\n".join(f"  #{j['job']} [{' '.join(j['overrides'])}]: {j['message']}" for j in group))
        if errored:
            print("rerun errored trials with the same command plus rerun_errors=true")
        if failed or (errored and not config.get("allow_errors", False)):
            sys.exit(1)

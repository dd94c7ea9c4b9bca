"""``python -m eval.run``: evaluate a selector over a world action model on a benchmark.

    python -m eval.run                                   # the main job: vanilla N=1 and consensus N=8
    python -m eval.run selector=value n=4 trials=50 env.tasks=[Lift,Stack]
    python -m eval.run selector=weighted selector.tau=0.5 consistency.sigma=0.1
    python -m eval.run -m selector=vanilla,consensus n=1,8 hydra/launcher=parallel

Every finished trial is committed to ``runs/<name>/<run_id>/`` at once (``run_id``:
selector, N and a digest of everything that changes a trial, so identical configs
share a directory however they were written); running the same command again skips
finished trials (and reruns corrupt ones), and processes started together on one
run split its trials. The run ends with a results table and, when the N = 1 baseline
run is beside it, the paired comparison; a multirun ends with the table over the
whole sweep. The exit status is 0 only if no trial errored (``allow_errors=true``
relaxes that), 2 for a config that cannot run, 130 after Ctrl-C.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import hydra
import pandas as pd
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from eval.build import ConfigError, check_config
from eval.claims import TrialClaims
from eval.comparison import baseline_dir, baseline_run, format_comparison
from eval.config import baseline_config, fingerprint, register_configs, result_key, run_id, to_dict
from eval.help import help_text
from eval.jobs import record_job, skip_reason
from eval.logs import run_log
from eval.results import RunMismatchError, RunStore, load_run, trial_stem
from eval.summary import format_table, summarize
from eval.trials import make_runner, plan_trials

log = logging.getLogger("eval.run")

register_configs()
OmegaConf.register_new_resolver("eval_help", help_text, replace=True)  # `--help`: every key described

#: ``conf/`` at the repository root (absolute, so any working directory works).
CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "conf")


class Interrupted(Exception):
    """Ctrl-C during a run; says how far it got."""


@dataclass
class RunOutcome:
    """What one invocation of a run did."""

    root: Path
    run_id: str
    planned: int
    saved: int
    errors: int
    elsewhere: int
    """Trials of this invocation's plan held by another live process."""
    rate: float | None


def run_job(cfg: DictConfig, run_dir: Path, multirun: bool = False) -> float | None:
    """Run (or resume) the trials of ``cfg`` into ``run_dir``; return the success rate."""
    outcome = execute(cfg, Path(run_dir), multirun)
    return None if outcome is None else outcome.rate


def execute(cfg: DictConfig, run_dir: Path, multirun: bool = False) -> RunOutcome | None:
    """Run (or resume) ``cfg``'s trials into ``run_dir``; None when a sweep skips the cell."""
    torch.set_num_threads(cfg.threads)
    reason = skip_reason(cfg) if multirun else None
    if reason is not None:
        log.warning("skipped: %s", reason)
        if run_dir.is_dir() and not any(run_dir.iterdir()):
            run_dir.rmdir()  # the empty directory Hydra made for this job
        return None
    check_config(cfg)
    store = RunStore(run_dir)
    store.open({"run_id": run_id(cfg), "fingerprint": fingerprint(cfg), "result_key": result_key(cfg),
                "config": to_dict(cfg)})
    with run_log(store.root):
        return _run_trials(cfg, store, multirun)


def _run_trials(cfg: DictConfig, store: RunStore, multirun: bool) -> RunOutcome:
    store.remove_stale_temporaries()
    scan = store.scan()
    if scan.corrupt:
        store.quarantine(scan.corrupt)
        log.warning("%d corrupt trial file(s) moved to %s; those trials run again: %s",
                    len(scan.corrupt), store.root / "corrupt", ", ".join(p.name for p in scan.corrupt))
    done = {key for key, status in scan.finished.items() if not (cfg.rerun_errors and status == "error")}
    plan = plan_trials(list(cfg.env.tasks), cfg.trials, cfg.shard.index, cfg.shard.count)
    todo = [pair for pair in plan if pair not in done]
    claims = TrialClaims(store.root)
    elsewhere: list[str] = []
    runner = make_runner(cfg, store.root / "videos")
    saved = len(plan) - len(todo)
    try:
        if todo:
            runner.prepare(todo[0][0])  # config errors that need built objects, before any trial
        bar = tqdm(total=len(plan), initial=saved, desc=run_id(cfg), unit="trial",
                   disable=not cfg.progress, dynamic_ncols=True)
        counts = {"success": 0, "failure": 0, "error": 0}
        with bar:
            for task, trial in todo:
                stem = trial_stem(task, trial)
                claim = claims.claim(stem)
                if claim is None:
                    elsewhere.append(f"{stem} ({claims.holder(stem) or 'another process'})")
                    continue
                try:
                    if (task, trial) not in scan.finished and (store.episodes_dir / f"{stem}.parquet").exists():
                        saved += 1  # committed by another process since the scan
                        continue
                    record = runner.run(task, trial)
                    store.commit(record)
                finally:
                    claim.release()
                saved += 1
                counts[record.episode["status"]] += 1
                bar.set_postfix(counts, refresh=False)
                bar.update()
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted: {saved}/{len(plan)} trials saved in {store.root}; "
                          "rerun the same command to resume") from None
    finally:
        runner.close()
    return _report(cfg, store, len(plan), saved, elsewhere, multirun)


def _report(cfg: DictConfig, store: RunStore, planned: int, saved: int, elsewhere: list[str],
            multirun: bool) -> RunOutcome:
    """Print the run's table (with its baseline's rows and the paired comparison when present)."""
    episodes, steps = load_run(store.root)
    mine = episodes[episodes["task"].isin(list(cfg.env.tasks)) & (episodes["run_id"] == run_id(cfg))]
    found = baseline_run(store.root, cfg)
    shown, baseline = mine, None
    if found is not None:
        baseline = found[0][found[0]["task"].isin(list(cfg.env.tasks))]
        shown = pd.concat([baseline, mine], ignore_index=True)
        steps = pd.concat([found[1], steps], ignore_index=True)
    print(f"\nResults ({store.root}):\n{format_table(summarize(shown, steps))}")
    if baseline is not None and not mine.empty and not baseline.empty:
        print("\n" + format_comparison(mine, baseline))
    elif not multirun and (mine["selector"].ne("vanilla").any() or mine["n"].ne(1).any()):
        print(f"\n(no N = 1 baseline at {baseline_dir(store.root, cfg)}: run it with baseline=true, "
              "or sweep selector=vanilla n=1 beside this run, for the Δ vs N=1 column)")
    errors = int((mine["status"] == "error").sum())
    if errors:
        print(f"\n{errors} trial(s) of {run_id(cfg)} errored (see the 'error' column of {store.root / 'episodes'}); "
              "they count as finished: rerun them with the same command plus rerun_errors=true")
    if elsewhere:
        print(f"\n{len(elsewhere)} trial(s) are being run by another process: {', '.join(elsewhere[:5])}"
              f"{' ...' if len(elsewhere) > 5 else ''}; rerun to see them once they finish")
    finished = mine[mine["status"] != "error"]
    rate = float(finished["success"].mean()) if len(finished) else None
    return RunOutcome(store.root, run_id(cfg), planned, saved, errors, len(elsewhere), rate)


def _run_with_baseline(cfg: DictConfig, run_dir: Path) -> list[RunOutcome]:
    """The main job's shape: the N = 1 baseline first (its own directory), then ``cfg``."""
    outcomes = []
    if cfg.baseline and fingerprint(cfg) != fingerprint(baseline_config(cfg)):
        base = OmegaConf.create(baseline_config(cfg))
        print(f"N = 1 baseline first ({run_id(base)}), on the same seeds:")
        outcomes.append(execute(base, baseline_dir(run_dir, cfg)))
    outcomes.append(execute(cfg, run_dir))
    return outcomes


def _fail(message: str, code: int) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    hydra_cfg = HydraConfig.get()
    run_dir = Path(hydra_cfg.runtime.output_dir)
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return _multirun_job(cfg, run_dir, hydra_cfg)
    try:
        outcomes = _run_with_baseline(cfg, run_dir)
    except (ConfigError, RunMismatchError) as err:
        _fail(str(err), 2)
    except Interrupted as err:
        _fail(str(err), 130)
    except PermissionError as err:
        _fail(f"cannot write results: {err}. Choose a writable directory with name=... or hydra.run.dir=...", 2)
    errors = sum(o.errors for o in outcomes)
    if errors and not cfg.allow_errors:
        print(f"exit status 1: {errors} trial(s) errored (allow_errors=true exits 0 anyway)", file=sys.stderr)
        sys.exit(1)
    return outcomes[-1].rate


def _multirun_job(cfg: DictConfig, run_dir: Path, hydra_cfg: DictConfig) -> float | None:
    """One job of a sweep: a failure is recorded for the sweep's table, not raised."""
    sweep_dir = Path(hydra_cfg.sweep.dir)
    overrides = list(hydra_cfg.overrides.task)
    try:
        outcome = execute(cfg, run_dir, multirun=True)
    except Interrupted as err:
        _fail(str(err), 130)
    except Exception as err:  # noqa: BLE001 - one failed job must not stop the sweep
        log.error("job %s failed: %s", " ".join(overrides), err)
        record_job(sweep_dir, hydra_cfg.job.num, overrides, "failed", f"{type(err).__name__}: {err}")
        return None
    if outcome is None:
        record_job(sweep_dir, hydra_cfg.job.num, overrides, "skipped", skip_reason(cfg) or "")
        return None
    status = "errors" if outcome.errors else "ok"
    record_job(sweep_dir, hydra_cfg.job.num, overrides, status,
               f"{outcome.errors} trial(s) errored" if outcome.errors else "", errors=outcome.errors)
    return outcome.rate


if __name__ == "__main__":
    main()

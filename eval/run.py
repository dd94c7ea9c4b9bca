"""``python -m eval.run``: evaluate a selector over a world action model on a benchmark.

    python -m eval.run                                   # the main job (conf/config.yaml)
    python -m eval.run selector=value n=4 trials=50 env.tasks=[Lift,Stack]
    python -m eval.run selector=weighted selector.tau=0.5 consistency.sigma=0.1
    python -m eval.run -m selector=vanilla,consensus n=1,8 hydra/launcher=parallel

Every finished trial is committed to ``runs/<name>/<overrides>/`` at once; running the
same command again skips finished trials (and reruns corrupt ones). The run ends with
a results table; a multirun ends with the table over the whole sweep.
"""

from __future__ import annotations

import logging
from pathlib import Path

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig
from tqdm import tqdm

from eval.build import check_config
from eval.config import fingerprint, register_configs, result_key, run_id, to_dict
from eval.results import RunStore, load_run
from eval.summary import format_table, summarize
from eval.trials import make_runner, plan_trials
from wam_tts import SELECTORS

log = logging.getLogger("eval.run")

register_configs()

#: ``conf/`` at the repository root (absolute, so any working directory works).
CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "conf")


def run_job(cfg: DictConfig, run_dir: Path, multirun: bool = False) -> float | None:
    """Run (or resume) the trials of ``cfg`` into ``run_dir``; return the success rate."""
    torch.set_num_threads(cfg.threads)
    fixed_n = SELECTORS.get(cfg.selector.name).fixed_n if cfg.selector.name in SELECTORS else None
    if multirun and fixed_n is not None and cfg.n != fixed_n:
        log.warning("skipped: the %s selector draws %d branch(es), so n=%d is the n=%d run",
                    cfg.selector.name, fixed_n, cfg.n, fixed_n)
        return None
    check_config(cfg)
    store = RunStore(run_dir)
    store.open({"run_id": run_id(cfg), "fingerprint": fingerprint(cfg), "result_key": result_key(cfg),
                "config": to_dict(cfg)})
    store.remove_stale_temporaries()
    scan = store.scan()
    if scan.corrupt:
        store.quarantine(scan.corrupt)
        log.warning("%d corrupt trial file(s) moved to %s; those trials run again: %s",
                    len(scan.corrupt), store.root / "corrupt", ", ".join(p.name for p in scan.corrupt))
    done = {key for key, status in scan.finished.items() if not (cfg.rerun_errors and status == "error")}
    plan = plan_trials(list(cfg.env.tasks), cfg.trials, cfg.shard.index, cfg.shard.count)
    todo = [pair for pair in plan if pair not in done]
    runner = make_runner(cfg, store.root / "videos")
    try:
        if todo:
            runner.prepare(todo[0][0])  # config errors that need built objects, before any trial
        bar = tqdm(total=len(plan), initial=len(plan) - len(todo), desc=run_id(cfg), unit="trial",
                   disable=not cfg.progress, dynamic_ncols=True)
        counts = {"success": 0, "failure": 0, "error": 0}
        with bar:
            for task, trial in todo:
                record = runner.run(task, trial)
                store.commit(record)
                counts[record.episode["status"]] += 1
                bar.set_postfix(counts, refresh=False)
                bar.update()
    finally:
        runner.close()
    episodes, steps = load_run(store.root)
    mine = episodes[episodes["task"].isin(list(cfg.env.tasks))]
    print(f"\nResults ({store.root}):\n{format_table(summarize(mine, steps))}")
    finished = mine[mine["status"] != "error"]
    return float(finished["success"].mean()) if len(finished) else None


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float | None:
    hydra_cfg = HydraConfig.get()
    return run_job(cfg, Path(hydra_cfg.runtime.output_dir), multirun=hydra_cfg.mode == RunMode.MULTIRUN)


if __name__ == "__main__":
    main()

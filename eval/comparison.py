"""A run against its N = 1 baseline on the same seeds: both rows, the paired delta, McNemar.

The baseline of a run (:func:`eval.config.baseline_config`: vanilla, one branch, all
else equal) lives beside it, in ``<parent>/<baseline run_id>``, where the main job and
a sweep put it. Trials are paired on ``(task, seed)`` (trial i of a task has the same
seed under every selector and N), so the delta's interval and the exact McNemar test
are those of :func:`wam_tts.diagnostics.compare`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from eval.config import baseline_config, fingerprint, run_id
from eval.results import RUN_FILE, load_run
from wam_tts.diagnostics import compare, wilson_interval


def baseline_dir(run_dir: Path, cfg) -> Path:
    """Where ``cfg``'s N = 1 baseline run is (or goes): a sibling named by its run_id."""
    return Path(run_dir).parent / run_id(baseline_config(cfg))


def baseline_run(run_dir: Path, cfg) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The baseline run's ``(episodes, steps)``, if that run exists and is ``cfg``'s baseline."""
    path = baseline_dir(run_dir, cfg)
    meta_path = path / RUN_FILE
    if Path(run_dir).resolve() == path.resolve() or not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("fingerprint") != fingerprint(baseline_config(cfg)):
        return None
    return load_run(path)


def _pct(x: float) -> str:
    return "  -  " if math.isnan(x) else f"{100 * x:5.1f}"


def _label(episodes: pd.DataFrame) -> str:
    return f"{episodes['selector'].iloc[0]} N={int(episodes['n'].iloc[0])}"


def format_comparison(candidate: pd.DataFrame, baseline: pd.DataFrame) -> str:
    """Both runs' success rates and the paired delta over the tasks they share."""
    tasks = sorted(set(candidate["task"]) & set(baseline["task"]))
    lines = [f"Paired comparison on the same seeds ({_label(candidate)} vs {_label(baseline)}):",
             f"  {'task':<24} {'run':<16} {'trials':>6} {'success %':>9} {'95% CI':>15}"]
    for task in [*tasks, *(["(all tasks)"] if len(tasks) > 1 else [])]:
        chosen = tasks if task == "(all tasks)" else [task]
        cand, base = candidate[candidate["task"].isin(chosen)], baseline[baseline["task"].isin(chosen)]
        for eps in (base, cand):
            done = eps[eps["status"] != "error"]
            k = int(done["success"].sum())
            low, high = wilson_interval(k, len(done))
            rate = k / len(done) if len(done) else math.nan
            lines.append(f"  {task:<24} {_label(eps):<16} {len(done):>6} {_pct(rate):>9} "
                         f"{'[' + _pct(low) + ', ' + _pct(high) + ']':>15}")
        c = compare(cand, base)
        if c.paired:
            lines.append(f"  {'':<24} Δ = {100 * c.delta:+.1f} pp [95% CI {100 * c.delta_low:+.1f}, "
                         f"{100 * c.delta_high:+.1f}] over {c.n_pairs} paired trials; McNemar p = {c.p_value:.3g} "
                         f"({c.only_candidate} won, {c.only_reference} lost)")
        else:
            lines.append(f"  {'':<24} no trials on shared seeds: no paired delta")
    return "\n".join(lines)

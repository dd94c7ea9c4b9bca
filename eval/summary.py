"""Results tables: success rate with a 95 % Wilson interval per task × selector × N.

Errors (trials whose env or policy raised) are counted apart and left out of the
success rate. Each run's N = 1 baseline (the run named by its ``baseline_run_id``
column: the vanilla run with one branch and otherwise the same config) gives the delta
in percentage points when it is in the same results directory.

    python -m eval.summary runs/<name>          # a run or a whole sweep
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pandas as pd

from eval.results import load_run
from wam_tts.diagnostics import wilson_interval
from wam_tts.records import EPISODE

SELECTOR_ORDER = ["vanilla", "value", "exploring", "consensus", "weighted", "mean", "medoid", "action_consensus",
                  "value_consensus", "gated"]
#: The task label of rows pooled over a run's tasks.
ALL_TASKS = "(all tasks)"


def summarize(episodes: pd.DataFrame, steps: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per run × task (plus pooled "all tasks" rows when a run has several)."""
    if episodes.empty:
        return pd.DataFrame()
    baselines = _baseline_runs(episodes)
    rows = []
    for (run, task), group in episodes.groupby(["run_id", "task"], sort=False):
        rows.append(_row(run, task, group, steps))
    if episodes["task"].nunique() > 1:
        for run, group in episodes.groupby("run_id", sort=False):
            if group["task"].nunique() > 1:
                rows.append(_row(run, ALL_TASKS, group, steps))
    table = pd.DataFrame(rows)
    rate = {(r["run_id"], r["task"]): r["success_rate"] for r in rows}
    table["baseline_rate"] = [
        rate.get((baselines.get(run, ""), task), math.nan)
        for run, task in zip(table["run_id"], table["task"], strict=True)
    ]
    table["delta_pp"] = 100 * (table["success_rate"] - table["baseline_rate"])
    table["is_baseline"] = [baselines.get(run) == run for run in table["run_id"]]
    order = {name: i for i, name in enumerate(SELECTOR_ORDER)}
    table["_sel"] = table["selector"].map(lambda s: order.get(s, len(order)))
    table["_all"] = table["task"] == ALL_TASKS
    table = table.sort_values(["policy", "env", "_all", "task", "_sel", "n"]).drop(columns=["_sel", "_all"])
    return table.reset_index(drop=True)


def _baseline_runs(episodes: pd.DataFrame) -> dict[str, str]:
    """run_id → the run_id of its N = 1 baseline, for baselines present in ``episodes``."""
    first = episodes.drop_duplicates(EPISODE.run_id)
    present = set(first[EPISODE.run_id])
    pairs = zip(first[EPISODE.run_id], first[EPISODE.baseline_run_id], strict=True)
    return {run: base for run, base in pairs if base in present}


def _row(run: str, task: str, group: pd.DataFrame, steps: pd.DataFrame | None) -> dict[str, Any]:
    errors = int((group["status"] == "error").sum())
    done = group[group["status"] != "error"]
    successes = int(done["success"].sum())
    low, high = wilson_interval(successes, len(done))
    first = group.iloc[0]
    row = {
        "run_id": run, "policy": first["policy"], "env": first["env"], "task": task,
        "selector": first["selector"], "n": int(first["n"]), "trials": len(group), "errors": errors,
        "successes": successes, "success_rate": successes / len(done) if len(done) else math.nan,
        "ci_low": low, "ci_high": high,
        "consistency": float(done["episode_consistency"].mean()),
        "mean_length": float(done["length"].mean()),
    }
    if steps is not None and not steps.empty:
        mine = steps[steps["run_id"] == run]
        if task != ALL_TASKS:
            mine = mine[mine["task"] == task]
        row["select_ms"] = 1000 * float((mine["sample_s"] + mine["score_s"]).mean())
    return row


def format_table(table: pd.DataFrame) -> str:
    """The table as aligned text: success % [95 % CI], errors, delta vs N = 1."""
    if table.empty:
        return "(no finished trials)"

    def pct(x: float) -> str:
        return "  -  " if math.isnan(x) else f"{100 * x:5.1f}"

    lines = []
    wp, we, wt, ws = (max(width, *(len(str(v)) for v in table[col])) for col, width in
                      (("policy", 16), ("env", 10), ("task", 14), ("selector", 10)))
    header = (f"{'policy':<{wp}} {'env':<{we}} {'task':<{wt}} {'selector':<{ws}} {'N':>3} {'trials':>6} {'errors':>6}"
              f" {'success %':>9} {'95% CI':>15} {'Δ vs N=1':>9} {'consist.':>8} {'ms/dec':>7}")
    lines += [header, "-" * len(header)]
    for r in table.to_dict("records"):
        delta = "" if math.isnan(r["delta_pp"]) or r["is_baseline"] else f"{r['delta_pp']:+.1f}"
        ms = r.get("select_ms", math.nan)
        lines.append(
            f"{r['policy']:<{wp}} {r['env']:<{we}} {r['task']:<{wt}} {r['selector']:<{ws}} {r['n']:>3} {r['trials']:>6} "
            f"{r['errors']:>6} {pct(r['success_rate']):>9} {'[' + pct(r['ci_low']) + ', ' + pct(r['ci_high']) + ']':>15} "
            f"{delta:>9} {r['consistency']:>8.3f} {'' if math.isnan(ms) else f'{ms:.1f}':>7}"
        )
    return "\n".join(lines)


def format_grid(table: pd.DataFrame) -> str:
    """Success % [95 % CI] as a selector × N grid per task (the shape of the paper's tables)."""
    if table.empty:
        return "(no finished trials)"
    blocks = []
    ns = sorted(table["n"].unique())
    for (policy, env, task), group in table.groupby(["policy", "env", "task"], sort=False):
        lines = [f"{policy} / {env} / {task}", f"{'selector':<10}" + "".join(f"{'N=' + str(n):>22}" for n in ns)]
        for selector, rows in group.groupby("selector", sort=False):
            cells = []
            for n in ns:
                row = rows[rows["n"] == n]
                if row.empty:
                    cells.append(f"{'':>22}")
                    continue
                r = row.iloc[0]
                errors = f" e{r['errors']}" if r["errors"] else ""
                cells.append(f"{100 * r['success_rate']:5.1f} [{100 * r['ci_low']:4.1f},{100 * r['ci_high']:5.1f}]{errors:>4}")
            lines.append(f"{selector:<10}" + "".join(f"{c:>22}" for c in cells))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def summary_text(path: str | Path) -> str:
    """The table and the selector × N grids of every run at or below ``path``."""
    episodes, steps = load_run(path)
    table = summarize(episodes, steps)
    return f"{format_table(table)}\n\n{format_grid(table)}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Success-rate table of a run or a sweep.")
    parser.add_argument("path", help="a run directory or a sweep directory above several runs")
    parser.add_argument("--csv", help="also write the table as CSV to this file")
    parser.add_argument("--grid", action="store_true", help="also print a selector × N grid per task")
    args = parser.parse_args(argv)
    episodes, steps = load_run(args.path)
    table = summarize(episodes, steps)
    print(format_table(table))
    if args.grid:
        print("\n" + format_grid(table))
    if args.csv:
        table.to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()

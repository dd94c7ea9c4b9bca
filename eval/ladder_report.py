"""When does consensus help? Selection gains against branch fidelity, rung by rung.

    python -m eval.ladder_report --rung 0 runs/ladder_v0 docs/fidelity/v0 \\
        --rung 1 runs/ladder_v1 docs/fidelity/v1 --out docs/ladder_sweep

Each ``--rung R SWEEP FIDELITY`` names a sweep directory of ``python -m eval.run -m``
(vanilla at N = 1 and the other selectors, same tasks and trials) and the folder of
``python -m eval.fidelity`` results (``FIDELITY/<task>/fidelity.json`` or one
``FIDELITY/fidelity.json`` with every task). Writes ``tables.md``, ``ladder.json`` and
``consensus_vs_fidelity.png`` to ``--out``. Deltas are paired on (task, seed) against
vanilla N = 1 (bootstrap interval, exact McNemar p; :func:`wam_tts.diagnostics.compare`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from adapters.reference import DEFAULT_RUNGS  # noqa: E402
from eval.results import load_run  # noqa: E402
from wam_tts.diagnostics import baseline_mask, compare, wilson_interval  # noqa: E402

SELECTORS = ("consensus", "weighted", "mean", "value", "exploring")


def load_fidelity(folder: Path) -> dict[str, dict[str, Any]]:
    """Task → the ``model_space`` fidelity summary found under ``folder``."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("fidelity.json")):
        for task in json.loads(path.read_text())["tasks"]:
            out[task["task"]] = task["model_space"]
    if not out:
        raise FileNotFoundError(f"no fidelity.json under {folder}")
    return out


def rung_of(config: str, task: str) -> int | str | None:
    """The reference rung a run's config loads for ``task``: ``policy.options.rung``, else
    the task's default rung (:data:`adapters.reference.DEFAULT_RUNGS`); None for other policies."""
    policy = json.loads(config)["policy"]
    rung = policy["options"].get("rung")
    name = policy.get("name", "")
    if rung is None and name.startswith("reference_"):
        rung = DEFAULT_RUNGS.get((name.removeprefix("reference_"), task))
    return rung


def of_rung(episodes: pd.DataFrame, rung: int) -> pd.DataFrame:
    """The episodes run at reference rung ``rung`` (a sweep over ``policy.options.rung=0,1,...``
    in one directory; a run naming no rung ran the task's default); all of them when no
    episode has a rung."""
    rungs = pd.Series([rung_of(c, t) for c, t in zip(episodes["config"], episodes["task"], strict=True)],
                      index=episodes.index, dtype=object)
    return episodes if rungs.isna().all() else episodes[rungs == rung]


def rung_rows(rung: int, episodes: pd.DataFrame, fidelity: dict[str, dict[str, Any]], n: int,
              selectors: tuple[str, ...] = SELECTORS) -> dict[str, Any]:
    """Vanilla success, fidelity and each selector's paired delta and signal (its scores'
    Spearman with exploring's ranking, mean over tasks; None where the check did not rank
    it) for one rung."""
    done = episodes[episodes["status"] != "error"]
    vanilla = done[baseline_mask(done)[0]]
    if vanilla.empty:
        raise ValueError(f"rung {rung}: no vanilla N = 1 episodes")
    tasks = sorted(vanilla["task"].unique())
    k, t = int(vanilla["success"].sum()), len(vanilla)
    row: dict[str, Any] = {
        "rung": rung,
        "tasks": tasks,
        "branch_consistency": float(np.mean([fidelity[x]["branch_consistency"]["mean"] for x in tasks])),
        "branch_consistency_per_task": {x: fidelity[x]["branch_consistency"] for x in tasks},
        "rank_consensus": float(np.mean([fidelity[x]["rank_agreement"]["consensus"]["mean"] for x in tasks])),
        "mean_closer": float(np.mean([fidelity[x]["mean_closer"]["mean"] for x in tasks])),
        "vanilla": {"successes": k, "trials": t, "rate": k / t, "wilson95": wilson_interval(k, t),
                    "per_task": {x: float(vanilla[vanilla["task"] == x]["success"].mean()) for x in tasks}},
        "selectors": {},
    }
    for name in selectors:
        cand = done[(done["selector"] == name) & (done["n"] == n)]
        if cand.empty:
            continue
        ref = vanilla[vanilla["task"].isin(cand["task"].unique())]
        ranked = [fidelity[x]["rank_agreement"][name]["mean"] for x in tasks if name in fidelity[x]["rank_agreement"]]
        row["selectors"][name] = {
            "signal": float(np.mean(ranked)) if len(ranked) == len(tasks) else None,
            "all": asdict(compare(cand, ref)),
            "per_task": {x: asdict(compare(cand[cand["task"] == x], ref[ref["task"] == x]))
                         for x in sorted(cand["task"].unique())},
        }
    return row


def _fmt(c: dict[str, Any]) -> str:
    return (f"{c['delta']:+.3f} [{c['delta_low']:+.3f}, {c['delta_high']:+.3f}] | "
            f"{c['p_value']:.3g} | {c['n_pairs']}")


def markdown(rows: list[dict[str, Any]], n: int) -> str:
    """The report's tables."""
    lines = ["| rung | branch consistency (mean of tasks) | Spearman(consensus, exploring) | mean closer | "
             "vanilla success | 95 % CI |", "|---|---|---|---|---|---|"]
    for r in rows:
        v = r["vanilla"]
        lines.append(f"| v{r['rung']} | {r['branch_consistency']:.3f} | {r['rank_consensus']:+.3f} | "
                     f"{r['mean_closer']:.2f} | {v['successes']}/{v['trials']} = {v['rate']:.3f} | "
                     f"[{v['wilson95'][0]:.3f}, {v['wilson95'][1]:.3f}] |")
    for r in rows:
        lines += ["", f"### Rung v{r['rung']}: deltas against vanilla N = 1 (N = {n})", "",
                  "| selector | tasks | signal: Spearman(score, exploring) | success | Δ [95 % paired CI] | McNemar p "
                  "| pairs |", "|---|---|---|---|---|---|---|"]
        for name, s in r["selectors"].items():
            a = s["all"]
            signal = "" if s["signal"] is None else f"{s['signal']:+.3f}"
            lines.append(f"| {name} | all | {signal} | {a['rate']:.3f} | {_fmt(a)} |")
            for task, c in s["per_task"].items():
                lines.append(f"| {name} | {task} | | {c['rate']:.3f} | {_fmt(c)} |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict[str, Any]], path: Path, highlight: str = "consensus") -> None:
    """Left: every selector's gain (pooled over tasks) against the rung's mean branch
    consistency, ``highlight`` drawn bold. Right: ``highlight``'s gain per (task, rung)
    against that task's fidelity."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    styles = {"consensus": ("o", "C0"), "weighted": ("s", "C1"), "mean": ("^", "C2"), "exploring": ("D", "C3"),
              "value": ("v", "C4")}
    for j, name in enumerate(styles):
        pts = [(r["branch_consistency"], r["selectors"][name]["all"], r["rung"]) for r in rows if name in r["selectors"]]
        if not pts:
            continue
        x = np.array([p[0] for p in pts]) + (j - 2) * 0.006
        y = np.array([p[1]["delta"] for p in pts])
        err = np.array([[p[1]["delta"] - p[1]["delta_low"], p[1]["delta_high"] - p[1]["delta"]] for p in pts]).T
        marker, color = styles[name]
        main = name == highlight
        ax.errorbar(x, y, yerr=err, fmt=marker + ("-" if main else ":"), color=color, capsize=3,
                    lw=2 if main else 1, alpha=1 if main else 0.6, label=name)
        if main:
            for xi, yi, p in zip(x, y, pts, strict=True):
                ax.annotate(f"v{p[2]}", (xi, yi), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("branch consistency r (fidelity check, mean over tasks)")
    ax.set_ylabel("success gain over vanilla N = 1 (paired 95 % CI)")
    ax.set_title("all tasks pooled", fontsize=10)
    ax.legend(fontsize=8)
    tasks = sorted({t for r in rows for t in r["tasks"]})
    for k, task in enumerate(tasks):
        pts = [(r["branch_consistency_per_task"][task]["mean"], r["selectors"][highlight]["per_task"][task], r["rung"])
               for r in rows if task in r["selectors"].get(highlight, {}).get("per_task", {})]
        if not pts:
            continue
        x = np.array([p[0] for p in pts])
        y = np.array([p[1]["delta"] for p in pts])
        err = np.array([[p[1]["delta"] - p[1]["delta_low"], p[1]["delta_high"] - p[1]["delta"]] for p in pts]).T
        ax2.errorbar(x, y, yerr=err, fmt="o-", color=f"C{k + 5}", capsize=3, label=task)
        for xi, yi, p in zip(x, y, pts, strict=True):
            ax2.annotate(f"v{p[2]}", (xi, yi), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax2.axhline(0, color="k", lw=0.6)
    ax2.set_xlabel("branch consistency r of the task")
    ax2.set_title(f"{highlight}, per task", fontsize=10)
    ax2.legend(fontsize=8)
    fig.suptitle(f"When {highlight} helps: gain vs branch fidelity (this CPU)", fontsize=11)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rung", nargs=3, action="append", metavar=("R", "SWEEP", "FIDELITY"), required=True)
    parser.add_argument("--n", type=int, default=8, help="the N of the selectors compared")
    parser.add_argument("--selectors", nargs="+", default=list(SELECTORS), help="the selectors compared")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    rows = []
    for rung, sweep, fid in args.rung:
        episodes, _ = load_run(sweep)
        rows.append(rung_rows(int(rung), of_rung(episodes, int(rung)), load_fidelity(Path(fid)), args.n,
                              tuple(args.selectors)))
    rows.sort(key=lambda r: r["rung"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ladder.json").write_text(json.dumps(rows, indent=1))
    plot(rows, args.out / "consensus_vs_fidelity.png")
    (args.out / "tables.md").write_text(markdown(rows, args.n))
    print(markdown(rows, args.n))


if __name__ == "__main__":
    main()

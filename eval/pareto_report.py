"""Success against test-time compute: the gated selector against fixed N (a Pareto table).

    python -m eval.pareto_report runs/gate15 --out docs/gated_sweep

Reads a sweep of ``python -m eval.run -m`` (vanilla N = 1, fixed-N selectors, gated
selectors; same tasks and trials) and writes ``pareto.md``, ``pareto.json`` and
``pareto.png`` to ``--out``: per run, the branches drawn per decision, how often the gate
fired, success with its Wilson interval, and the paired delta against vanilla N = 1
(bootstrap interval, exact McNemar p; :func:`wam_tts.diagnostics.compare`). ``--rung R``
keeps the runs of one reference rung when the sweep holds several.
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

from eval.ladder_report import of_rung  # noqa: E402
from eval.results import load_run  # noqa: E402
from wam_tts import SELECTORS  # noqa: E402
from wam_tts.diagnostics import baseline_mask, compare, wilson_interval  # noqa: E402


def branches_drawn(scores: pd.Series, selector: dict[str, Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Branches each recorded decision drew (:meth:`wam_tts.Selector.branches_drawn`), and
    whether it drew more than it scored (a gate that fired)."""
    kind = SELECTORS.get(selector["name"])
    scored = scores.map(len).to_numpy()
    drawn = np.array([kind.branches_drawn(int(k), n, selector) for k in scored], dtype=int)
    return drawn, drawn > scored


def label(selector: dict[str, Any], n: int) -> str:
    """``mean N=4``; a gating selector with its inner selector, gate space and threshold."""
    if SELECTORS.get(selector["name"]).gates:
        space = selector.get("gate_space", "future")
        return f"{selector['name']}({selector['inner']}, {space} threshold {selector['threshold']:g}) N={n}"
    return f"{selector['name']} N={n}"


def run_points(episodes: pd.DataFrame, steps: pd.DataFrame) -> list[dict[str, Any]]:
    """One point per run: compute spent, gate firing, success, paired delta vs vanilla N = 1."""
    done = episodes[episodes["status"] != "error"]
    is_vanilla = baseline_mask(done)[0]
    vanilla = done[is_vanilla]
    if vanilla.empty:
        raise ValueError("no vanilla N = 1 episodes in the sweep: run selector=vanilla n=1 with it")
    points = []
    for run_id, eps in done.groupby("run_id", sort=True):
        cfg = json.loads(eps["config"].iloc[0])
        selector, n = cfg["selector"], int(cfg["n"])
        decisions = steps[steps["run_id"] == run_id]
        drawn, fired = branches_drawn(decisions["scores"], selector, n)
        gates = SELECTORS.get(selector["name"]).gates
        k, t = int(eps["success"].sum()), len(eps)
        point = {
            "run_id": run_id, "label": label(selector, n), "selector": selector["name"],
            "inner": selector.get("inner", selector["name"]), "gates": gates, "n": n,
            "gate_space": selector.get("gate_space", "future") if gates else None,
            "threshold": selector.get("threshold"), "decisions": len(decisions),
            "branches_per_decision": float(drawn.mean()),
            "fire_rate": float(fired.mean()) if gates else None,
            "fire_rate_per_task": ({task: float(fired[(decisions["task"] == task).to_numpy()].mean())
                                    for task in sorted(decisions["task"].unique())}
                                   if gates else None),
            "ms_per_decision": 1e3 * float((decisions["sample_s"] + decisions["score_s"]).mean()),
            "successes": k, "trials": t, "rate": k / t, "wilson95": wilson_interval(k, t),
            "vanilla": bool(eps.index.isin(vanilla.index).all()),
        }
        if not point["vanilla"]:
            point["delta"] = asdict(compare(eps, vanilla[vanilla["task"].isin(eps["task"].unique())]))
        points.append(point)
    return sorted(points, key=lambda p: (not p["vanilla"], p["inner"], p["gates"], p["gate_space"] or "",
                                         p["n"], -(p["threshold"] or 0.0)))


def markdown(points: list[dict[str, Any]]) -> str:
    """The Pareto table (seconds per decision stay in the JSON: on a shared CPU they measure the load)."""
    lines = ["| configuration | branches / decision | gate fires | success [95 % CI] | Δ vs vanilla [paired 95 % CI] "
             "| McNemar p | pairs |", "|---|---|---|---|---|---|---|"]
    for p in points:
        fires = "" if p["fire_rate"] is None else f"{100 * p['fire_rate']:.0f} %"
        lo, hi = p["wilson95"]
        d = p.get("delta")
        delta = "" if d is None else (f"{100 * d['delta']:+.1f} pp [{100 * d['delta_low']:+.1f}, "
                                      f"{100 * d['delta_high']:+.1f}] | {d['p_value']:.2g} | {d['n_pairs']}")
        lines.append(f"| {'vanilla N=1' if p['vanilla'] else p['label']} | {p['branches_per_decision']:.2f} | {fires} | "
                     f"{p['successes']}/{p['trials']} = {100 * p['rate']:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}] | "
                     f"{delta or ' | '} |")
    return "\n".join(lines) + "\n"


def plot(points: list[dict[str, Any]], path: Path) -> None:
    """Success (Wilson 95 % CI) against branches drawn per decision: a line per fixed-N
    selector (through vanilla at N = 1), a marker per gated run in its inner's colour
    (diamond: gate on predicted futures, square: gate on actions)."""
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    vanilla = [p for p in points if p["vanilla"]]
    inners = sorted({p["inner"] for p in points if not p["vanilla"]})
    for k, inner in enumerate(inners):
        color = f"C{k}"
        fixed = vanilla + [p for p in points if p["inner"] == inner and not p["gates"] and not p["vanilla"]]
        series_of = [(fixed, "o-", f"{inner}, fixed N")] + [
            ([p for p in points if p["inner"] == inner and p["gate_space"] == space], marker, f"gated({inner}), {space} gate")
            for space, marker in (("future", "D"), ("action", "s"))]
        for series, fmt, name in series_of:
            if not series:
                continue
            x = np.array([p["branches_per_decision"] for p in series])
            y = np.array([p["rate"] for p in series])
            err = np.array([[p["rate"] - p["wilson95"][0], p["wilson95"][1] - p["rate"]] for p in series]).T
            ax.errorbar(x, y, yerr=err, fmt=fmt, color=color, capsize=3, label=name, alpha=0.9)
            for p, xi, yi in zip(series, x, y, strict=True):
                note = f"fires {100 * p['fire_rate']:.0f} %" if p["gates"] else f"N={p['n']}"
                ax.annotate(note, (xi, yi), textcoords="offset points", xytext=(4, -10), fontsize=7, color=color)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("branches drawn per decision (mean)")
    ax.set_ylabel("success rate (Wilson 95 % CI)")
    ax.legend(fontsize=8)
    ax.set_title("Gated selection vs fixed N (this CPU)", fontsize=10)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sweep", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--rung", type=int, help="keep the runs of this reference rung")
    args = parser.parse_args(argv)
    episodes, steps = load_run(args.sweep)
    if args.rung is not None:
        episodes = of_rung(episodes, args.rung)
        steps = steps[steps["run_id"].isin(episodes["run_id"].unique())]
    points = run_points(episodes, steps)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pareto.json").write_text(json.dumps(points, indent=1))
    plot(points, args.out / "pareto.png")
    table = markdown(points)
    (args.out / "pareto.md").write_text(table)
    print(table)
    return points


if __name__ == "__main__":
    main()

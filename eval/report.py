"""``python -m eval.report <run-or-sweep-dir>``: the paper's analyses of recorded rollouts.

Writes ``<dir>/report/`` (or ``--out``): ``report.md`` with ``figures/*.png``, a
self-contained ``report.html`` (figures embedded), and ``summary.json`` holding every
number the report prints. The core, :func:`build_report`, takes the ``episodes`` and
``steps`` DataFrames (docs/results.md), so it also reports on a user's own logs.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from eval.reporting.document import Document
from eval.reporting.sections import diagnosed_subset, diagnostics_section, rests_on, selection_section
from wam_tts import diagnostics as diag
from wam_tts.records import EPISODE


@dataclass(frozen=True)
class Report:
    """Where the report was written, and the numbers it shows."""

    out_dir: Path
    markdown: Path
    html: Path
    summary: Path
    figures: list[Path]
    numbers: dict[str, Any]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _overview(doc: Document, episodes: pd.DataFrame) -> list[dict[str, Any]]:
    keys = [c for c in diag.CONFIG_KEY if c in episodes.columns]
    rows = []
    for key, g in episodes.groupby(keys, sort=True, dropna=False):
        errors = g["status"] == "error" if "status" in g.columns else pd.Series(False, index=g.index)
        ok = g[~errors]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "runs": g["run_id"].nunique(),
                "tasks": g["task"].nunique(),
                "episodes": len(ok),
                "success": int(ok["success"].sum()),
                "failure": int((~ok["success"].astype(bool)).sum()),
                "errors": int(errors.sum()),
            }
        )
    table = pd.DataFrame(rows)
    doc.table(table)
    if len(table) and table["errors"].sum():
        messages = episodes.loc[episodes["status"] == "error", "error"].astype(str).value_counts().head(5)
        doc.note(
            f"{int(table['errors'].sum())} errored episode(s) are excluded from every analysis. Most common "
            "errors: " + "; ".join(f"{m[:120]} (×{c})" for m, c in messages.items())
        )
    return table.to_dict(orient="records")


def build_report(
    episodes: pd.DataFrame,
    steps: pd.DataFrame,
    out_dir: str | Path,
    *,
    source: str = "",
    baseline_selector: str = "vanilla",
    diagnose: dict[str, Any] | None = None,
    seed: int = 0,
) -> Report:
    """Compute every analysis, write the report into ``out_dir`` and return its numbers.

    ``diagnose`` picks the episodes of the consistency diagnostics by column values (e.g.
    ``{"selector": "vanilla", "n": 1}``); by default the N = 1 baseline (see
    :func:`eval.reporting.sections.diagnosed_subset`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    diag.require_columns(episodes, [*diag.EPISODE_KEY, EPISODE.success], "episodes")
    doc = Document("wam-tts report" + (f": {source}" if source else ""))
    numbers: dict[str, Any] = {"source": source}
    doc.heading("Overview")
    if episodes.empty:
        doc.note(f"No finished trials{f' in {source}' if source else ''}: nothing to report.")
        numbers["overview"] = []
    else:
        numbers["overview"] = _overview(doc, episodes)
        finished = diag.finished_episodes(episodes)
        doc.para(f"All results: {rests_on(finished)}")
    numbers["groups"] = {}
    for (policy, env), eps in episodes.groupby(["policy", "env"], sort=True):
        label = f"{policy} on {env}"
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{policy}_{env}").strip("-") + "_"
        st = steps[(steps["policy"] == policy) & (steps["env"] == env)] if len(steps) else steps
        subset, description = diagnosed_subset(eps, diagnose, baseline_selector)
        doc.heading(f"Consistency diagnostics: {label}")
        group = {"diagnostics": diagnostics_section(doc, subset, st, slug, description, seed)}
        doc.heading(f"Test-time selection: {label}")
        group["selection"] = selection_section(doc, eps, st, slug, baseline_selector, seed)
        numbers["groups"][label] = group
    md, page, figs = doc.write(out)
    summary = out / "summary.json"
    numbers = _jsonable(numbers)
    summary.write_text(json.dumps(numbers, indent=1, sort_keys=True))
    return Report(out, md, page, summary, figs, numbers)


def _parse_diagnose(items: list[str]) -> dict[str, Any] | None:
    pairs = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--diagnose expects column=value, got {item!r}")
        col, val = item.split("=", 1)
        pairs[col] = val
    return pairs or None


def main(argv: list[str] | None = None) -> Report:
    """Command line: ``python -m eval.report DIR [--out OUT] [--baseline NAME] [--diagnose col=value ...]``."""
    from eval.results import load_run

    parser = argparse.ArgumentParser(prog="python -m eval.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="a run directory or a multirun sweep directory")
    parser.add_argument("--out", help="output directory (default: <path>/report)")
    parser.add_argument(
        "--baseline",
        default="vanilla",
        help="selector whose N = 1 run is the baseline, for results without baseline_run_id",
    )
    parser.add_argument(
        "--diagnose",
        nargs="*",
        default=[],
        metavar="COL=VALUE",
        help="episodes for the consistency diagnostics (default: the N = 1 baseline)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the cross-validation folds and bootstraps"
    )
    args = parser.parse_args(argv)
    try:
        episodes, steps = load_run(args.path)
    except FileNotFoundError as err:
        parser.error(str(err))
    out = Path(args.out) if args.out else Path(args.path) / "report"
    report = build_report(
        episodes,
        steps,
        out,
        source=str(args.path),
        baseline_selector=args.baseline,
        diagnose=_parse_diagnose(args.diagnose),
        seed=args.seed,
    )
    print(
        f"report: {report.markdown}\n        {report.html}\n        {len(report.figures)} figures, {report.summary}"
    )
    return report


if __name__ == "__main__":
    main()

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
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from eval.reporting.document import Document
from eval.reporting.overview import overview_section
from eval.reporting.sections import PARTS, make_group, render_part
from wam_tts import diagnostics as diag
from wam_tts.records import EPISODE, KEY


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


def build_report(
    episodes: pd.DataFrame,
    steps: pd.DataFrame,
    out_dir: str | Path,
    *,
    source: str = "",
    baseline_selector: str = "vanilla",
    diagnose: dict[str, Any] | None = None,
    seed: int = 0,
    set_aside: tuple[str, ...] = (),
) -> Report:
    """Compute every analysis, write the report into ``out_dir`` and return its numbers.

    ``diagnose`` picks the episodes of the consistency diagnostics by column values (e.g.
    ``{"selector": "vanilla", "n": 1}``); by default the N = 1 baseline (see
    :func:`eval.reporting.sections.diagnosed_subset`). ``set_aside`` names trial files left
    out as unreadable (listed in the overview).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    diag.require_columns(episodes, [*diag.EPISODE_KEY, EPISODE.success], "episodes")
    doc = Document("wam-tts report" + (f": {source}" if source else ""))
    overview = overview_section(episodes, source, set_aside)
    overview.render(doc)
    numbers: dict[str, Any] = {"source": source, **overview.numbers()}
    numbers["groups"] = {}
    for (policy, env), eps in episodes.groupby([KEY.policy, KEY.env], sort=True):
        st = steps[(steps[KEY.policy] == policy) & (steps[KEY.env] == env)] if len(steps) else steps
        group = make_group(
            f"{policy} on {env}",
            re.sub(r"[^A-Za-z0-9]+", "-", f"{policy}_{env}").strip("-") + "_",
            eps,
            st,
            diagnose=diagnose,
            baseline_selector=baseline_selector,
            seed=seed,
        )
        numbers["groups"][group.label] = {part.key: render_part(doc, part, group) for part in PARTS}
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
    from eval.results import load_run, run_dirs

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
        with warnings.catch_warnings(record=True) as skipped:
            warnings.simplefilter("always")
            episodes, steps = load_run(args.path)
    except FileNotFoundError as err:
        parser.error(str(err))
    set_aside = tuple(str(p) for run in run_dirs(args.path) for p in sorted((run / "corrupt").glob("*")))
    set_aside += tuple(str(w.message) for w in skipped if "corrupt" in str(w.message))
    out = Path(args.out) if args.out else Path(args.path) / "report"
    report = build_report(
        episodes,
        steps,
        out,
        source=str(args.path),
        baseline_selector=args.baseline,
        diagnose=_parse_diagnose(args.diagnose),
        seed=args.seed,
        set_aside=set_aside,
    )
    print(
        f"report: {report.markdown}\n        {report.html}\n        {len(report.figures)} figures, {report.summary}"
    )
    return report


if __name__ == "__main__":
    main()

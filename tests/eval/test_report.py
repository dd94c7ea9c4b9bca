"""``python -m eval.report``: files, figures and numbers, from the store and from a real toy run."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from eval.report import build_report, main
from eval.reporting.document import Document
from eval.reporting.sections import PARTS, make_group, render_part
from eval.results import RunStore, TrialRecord, load_run
from wam_tts import diagnostics as diag
from wam_tts.diagnostics.synthetic import synthetic_rollouts

PNG = b"\x89PNG\r\n\x1a\n"


def store(root: Path, episodes: pd.DataFrame, steps: pd.DataFrame) -> Path:
    """Write rollouts through the results store, one run directory per run_id."""
    for run_id, eps in episodes.groupby("run_id"):
        run = RunStore(root / run_id)
        run.open({"run_id": run_id, "fingerprint": run_id, "result_key": {}})
        for ep in eps.to_dict(orient="records"):
            rows = steps[(steps.run_id == run_id) & (steps.task == ep["task"]) & (steps.trial == ep["trial"])]
            run.commit(TrialRecord(ep, rows.to_dict(orient="records")))
    return root


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory):
    root = store(tmp_path_factory.mktemp("sweep"), *synthetic_rollouts(trials=12))
    report = main([str(root)])
    return root, report, *load_run(root)


def figure_captions(markdown: str) -> dict[str, str]:
    """``figure file -> caption`` from the Markdown (an image line, a blank line, *caption*)."""
    return dict(re.findall(r"!\[[^\]]*\]\(figures/([^)]+)\)\n\n\*(.+)\*", markdown))


def test_report_files_exist_and_figures_are_non_empty_pngs(synthetic_report):
    root, report, _, _ = synthetic_report
    assert report.out_dir == root / "report"
    md = report.markdown.read_text()
    captions = figure_captions(md)
    assert len(report.figures) == len(captions) == 10
    for path in report.figures:
        data = path.read_bytes()
        assert data.startswith(PNG) and len(data) > 5000
        assert path.name in captions
    page = report.html.read_text()
    assert page.count("data:image/png;base64,") == 10 and "figures/" not in page


def test_every_figure_names_its_runs_and_episode_counts(synthetic_report):
    _, report, _, _ = synthetic_report
    for caption in figure_captions(report.markdown.read_text()).values():
        assert re.search(r"Runs: .+ \(\d+\); \d+ episodes \(\d+ success / \d+ failure\)", caption), caption
    assert "Runs: synthetic-synthetic-vanilla-n1 (1); 36 episodes" in report.markdown.read_text()


def _z_within_tasks(eps: pd.DataFrame) -> pd.Series:
    """Per-task z-score (ddof 0) of the episodes' consistency, written out with pandas."""
    grouped = eps.groupby("task")["episode_consistency"]
    return (eps["episode_consistency"] - grouped.transform("mean")) / grouped.transform(lambda x: x.std(ddof=0))


def _oof_auc(z: np.ndarray, y: np.ndarray) -> float:
    """Pooled out-of-fold probabilities of a logistic regression, 5 stratified folds, seed 0."""
    proba = np.empty(len(y))
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(z, y):
        proba[test] = LogisticRegression().fit(z[train, None], y[train]).predict_proba(z[test, None])[:, 1]
    return float(roc_auc_score(y, proba))


def test_report_numbers_equal_an_independent_computation(synthetic_report):
    _, report, episodes, steps = synthetic_report
    md = report.markdown.read_text()
    numbers = json.loads(report.summary.read_text())["groups"]["synthetic on synthetic"]
    base = episodes[episodes.selector == "vanilla"].reset_index(drop=True)
    z, y = _z_within_tasks(base), base["success"].to_numpy()
    # Cohen's d of the per-task z-scores, pooled standard deviation with ddof 1
    zs, zf = z[y].to_numpy(), z[~y].to_numpy()
    pooled = np.sqrt(((len(zs) - 1) * zs.var(ddof=1) + (len(zf) - 1) * zf.var(ddof=1)) / (len(zs) + len(zf) - 2))
    d = (zs.mean() - zf.mean()) / pooled
    assert numbers["diagnostics"]["separation"]["cohens_d"] == pytest.approx(d, rel=1e-9)
    assert f"Cohen's d = {d:.3f}" in md
    # a task is aligned when its successes' mean consistency exceeds its failures'
    means = base.groupby(["task", "success"])["episode_consistency"].mean().unstack()
    alignment = {task: "aligned" if row[True] > row[False] else "misaligned" for task, row in means.iterrows()}
    assert {r["task"]: r["alignment"] for r in numbers["diagnostics"]["per_task"]} == alignment
    assert set(alignment.values()) == {"aligned", "misaligned"}  # the fixture has both kinds
    aligned = base["task"].map(alignment).eq("aligned").to_numpy()
    for tasks, rows in (("all", np.ones(len(base), bool)), ("aligned", aligned)):
        auc = _oof_auc(z.to_numpy()[rows], y[rows])
        assert numbers["diagnostics"]["prediction"][tasks]["auc"] == pytest.approx(auc, rel=1e-9)
        assert f"| {tasks} | {auc:.3f} |" in md
    # global z-scores leave Pearson's r unchanged: the raw steps' correlation
    vs = steps[(steps.selector == "vanilla") & steps["consistency"].notna() & steps["latent_change"].notna()]
    r = np.corrcoef(vs["latent_change"], vs["consistency"])[0, 1]
    assert numbers["diagnostics"]["correlation"]["pearson_r"] == pytest.approx(r, rel=1e-9)
    assert f"Pearson r = {r:.3f}" in md
    counts = episodes.groupby(["selector", "n"])["success"].agg(["sum", "count"])
    for (selector, n), (wins, trials) in counts.iterrows():
        assert f"| {selector} | {n} | {wins}/{trials} | {wins / trials:.3f} |" in md
    rate = counts["sum"] / counts["count"]
    delta = rate.loc[("consensus", 8)] - rate.loc[("vanilla", 1)]
    assert re.search(rf"\| {delta:.3f} \| \[-?\d\.\d{{3}}, -?\d\.\d{{3}}\] \| (yes|no) \|", md)


def test_sections_are_typed_objects_computed_apart_from_the_document(synthetic_report):
    _, report, episodes, steps = synthetic_report
    group = make_group("synthetic on synthetic", "synthetic-synthetic_", episodes, steps,
                       diagnose=None, baseline_selector="vanilla", seed=0)
    stored = report.numbers["groups"]["synthetic on synthetic"]
    assert [part.key for part in PARTS] == list(stored) == ["diagnostics", "selection"]
    for part in PARTS:
        keys: set[str] = set()
        for compute in ((part.intro,) if part.intro else ()) + part.sections:
            section = compute(group)  # computing needs no document
            assert dataclasses.is_dataclass(section), compute.__name__
            keys |= set(section.numbers())
        assert keys == set(stored[part.key])
    doc = Document("t")
    render_part(doc, PARTS[1], group)
    headings = [b[2] for b in doc.blocks if b[0] == "h"]
    assert headings[0] == "Test-time selection: synthetic on synthetic" and "Selector table" in headings


def test_one_class_data_gives_messages_not_nan_plots(tmp_path):
    episodes, steps = synthetic_rollouts(configs={("vanilla", 1): 1.0}, trials=6)
    report = build_report(episodes, steps, tmp_path)
    md = report.markdown.read_text()
    assert "all 18 episodes succeeded" in md
    assert "needs both successful and failed episodes" in md
    names = {p.stem for p in report.figures}
    assert not names & {"synthetic-synthetic_consistency_distribution", "synthetic-synthetic_roc"}
    assert "single configuration" in md
    assert not re.search(r"\bnan\b", md, re.IGNORECASE)


def test_empty_results_give_a_clear_message(tmp_path):
    run = RunStore(tmp_path / "run")
    run.open({"run_id": "r", "fingerprint": "f", "result_key": {}})
    episodes, steps = load_run(tmp_path)
    report = build_report(episodes, steps, tmp_path / "report", source="empty")
    assert "No finished trials in empty: nothing to report." in report.markdown.read_text()
    assert report.figures == []


def test_errored_episodes_are_reported_and_left_out(tmp_path):
    episodes, steps = synthetic_rollouts(trials=6)
    broken = episodes.index[:3]
    episodes.loc[broken, ["status", "error", "success"]] = [
        "error",
        "RuntimeError: simulator diverged",
        False,
    ]
    report = build_report(episodes, steps, tmp_path)
    md = report.markdown.read_text()
    assert "3 errored episode(s) are excluded" in md and "simulator diverged (×3)" in md
    sep = diag.separation(episodes[episodes.selector == "vanilla"])
    assert f"Cohen's d = {sep.cohens_d:.3f}" in md


def test_missing_columns_are_named(tmp_path):
    episodes, steps = synthetic_rollouts(trials=2)
    with pytest.raises(ValueError, match="seed"):
        build_report(episodes.drop(columns="seed"), steps, tmp_path)


@pytest.mark.slow
def test_report_of_a_real_toy_harness_sweep(tmp_path):
    """Three configurations of the harness on its toy benchmark (tests/eval/toy.py), then the report."""
    from eval.run import run_job
    from tests.eval.conftest import TOY, compose_config

    for selector, n in (("vanilla", 1), ("consensus", 4), ("weighted", 4)):
        run_job(
            compose_config([*TOY, "trials=6", f"n={n}", f"selector={selector}"]), tmp_path / f"{selector}{n}"
        )
    report = main([str(tmp_path), "--out", str(tmp_path / "out")])
    episodes, steps = load_run(tmp_path)
    md = report.markdown.read_text()
    numbers = json.loads(report.summary.read_text())["groups"]["toy on toy"]
    assert report.figures and all(p.read_bytes().startswith(PNG) for p in report.figures)
    table = diag.selector_table(episodes).set_index(["selector", "n"])
    for row in numbers["selection"]["selector_table"]:
        assert row["rate"] == pytest.approx(table.loc[(row["selector"], row["n"]), "rate"])
        assert f"{row['successes']}/{row['trials']}" in md
    consensus = table.loc[("consensus", 4)]
    assert bool(consensus["paired"]) and consensus["n_pairs"] == 12  # trials share seeds across selectors
    base = episodes[episodes.selector == "vanilla"]
    sep = diag.separation(base)
    reported = numbers["diagnostics"]["separation"]["cohens_d"]
    assert (reported is None and np.isnan(sep.cohens_d)) or reported == pytest.approx(sep.cohens_d)

"""The report names trials set aside as unreadable and flags statistics from few episodes."""

from __future__ import annotations

import warnings

from eval.report import main
from eval.run import run_job
from tests.eval.conftest import TOY, compose_config


def test_the_report_lists_trials_set_aside_and_flags_small_samples(tmp_path):
    run = tmp_path / "runs" / "main" / "run"
    cfg = compose_config([*TOY, "selector=vanilla", "n=1", "trials=4"])
    run_job(cfg, run)
    victim = run / "episodes" / "reach__00001.parquet"
    victim.write_bytes(victim.read_bytes()[:40])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = main([str(tmp_path / "runs"), "--out", str(tmp_path / "report")])
    md = report.markdown.read_text()
    assert "trial file(s) set aside as unreadable, in no analysis" in md and "reach__00001.parquet" in md
    assert report.numbers["set_aside"]
    assert "Cohen's d rests on" in md and "fewer than the minimum of 5 per class: indicative only" in md

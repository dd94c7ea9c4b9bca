"""The benchmark script: its targets logic, and a quick smoke run writing the table."""

from __future__ import annotations

import time

import pytest

from eval.bench.exploring import ExploringCost
from eval.bench.harness import HarnessCost
from eval.bench.reference import QueryTiming
from eval.bench.report import BenchResults, render, targets
from eval.bench.selection import ScoringTime
from eval.bench.timing import interleaved_medians


def _results(consensus_s: float, sequential_s: float, restore_s: float, overhead_s: float) -> BenchResults:
    r = BenchResults(command="python -m eval.bench", machine="test CPU", load_start="0.00", load_end="0.00")
    r.queries = [QueryTiming("joint", 8, 1e-3, sequential_s, {"consensus": consensus_s, "value": 1e-6})]
    r.latents = [ScoringTime("Cosmos (16x3x28x28)", "consensus", 16, 0.5e-3)]
    r.exploring = ExploringCost(8, 8, 2, restore_s, 30e-3)
    r.harness = HarnessCost(1, 100, 10, 4e-3, overhead_s, 1e-5, 1e-5, 0.8e-5)
    return r


def test_targets_use_the_issue_thresholds():
    met = {t.name: t.met for t in targets(_results(5e-6, 6e-3, 1e-3, 0.1e-3))}
    assert met["consensus scoring < 1 % of the query of the reference WAM it serves"] is True
    assert met["joint WAM: N = 8 batched >= 5x faster than 8 sequential calls"] is True
    assert met["exploring: save/restore < 5 % of executing one branch"] is True
    assert met["harness overhead per control step < 5 % of the env step"] is True
    assert met["consensus scoring of N = 16 Cosmos-sized latents < 1 ms on this CPU"] is True
    assert met["GPU figures only when measured on a GPU"] is None
    missed = {t.name: t.met for t in targets(_results(20e-6, 4e-3, 2e-3, 0.3e-3))}
    assert [name for name, ok in missed.items() if ok is False] == [
        "consensus scoring < 1 % of the query of the reference WAM it serves",
        "joint WAM: N = 8 batched >= 5x faster than 8 sequential calls",
        "exploring: save/restore < 5 % of executing one branch",
        "harness overhead per control step < 5 % of the env step",
    ]
    text = render(_results(20e-6, 4e-3, 2e-3, 0.3e-3))
    assert "| joint WAM: N = 8 batched >= 5x faster than 8 sequential calls | 4.0x (1.000 ms vs 4.000 ms) | **no** |" in text
    assert "the target is wrong for these models" in text
    assert "the target is wrong" not in render(_results(5e-6, 6e-3, 1e-3, 0.1e-3))


def test_interleaved_medians_time_each_function():
    calls = {"a": 0, "b": 0}

    def bump(key):
        calls[key] += 1

    calls["setup"] = 0
    medians = interleaved_medians({"a": lambda: bump("a"), "b": lambda: bump("b")}, repeats=5, warmup=2,
                                  before={"b": lambda: bump("setup")})
    assert calls == {"a": 7, "b": 7, "setup": 5} and set(medians) == {"a", "b"}
    timed = interleaved_medians({"short": lambda: time.sleep(0.005), "long": lambda: time.sleep(0.02)},
                                repeats=3, warmup=0, before={"short": lambda: time.sleep(0.2)})
    assert 0.005 <= timed["short"] < 0.2  # seconds; the untimed 0.2 s setup is not counted
    assert 0.02 <= timed["long"] and timed["short"] < timed["long"]
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        interleaved_medians({"a": lambda: None}, repeats=0)


@pytest.mark.slow
def test_quick_bench_writes_every_section_and_target(tmp_path, capsys):
    from eval.bench.__main__ import main

    out = tmp_path / "bench.md"
    main(["--quick", "--out", str(out)])
    text = out.read_text()
    for heading in ("## Targets", "## 1a.", "## 1b.", "## 1c.", "## 1d.", "## 2.", "## 3.", "## 4.", "## 5.", "## 6.",
                    "## 7.", "## Notes"):
        assert heading in text, heading
    assert "Load average (1 / 5 / 15 min)" in text and "thread(s)" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and line.endswith(("| yes |", "| **no** |"))]
    assert len(rows) == 7, rows  # every measurable target has a verdict
    assert "| joint | 8 |" in text and "| inverse | 16 |" in text
    assert f"wrote {out}" in capsys.readouterr().out

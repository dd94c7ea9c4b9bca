"""The Pareto report: branches drawn per decision and paired success, gated against fixed N."""

import json

import numpy as np
import pandas as pd
import pytest

from eval.pareto_report import branches_drawn, main, markdown, run_points

GATED = {"name": "gated", "inner": "mean", "probe": 2, "threshold": 0.5, "gate_space": "future"}


def run(run_id: str, selector: dict, n: int, outcomes: list[bool], score_sizes: list[int]):
    config = json.dumps({"selector": selector, "n": n, "policy": {"name": "toy", "options": {}}})
    episodes = pd.DataFrame([{"run_id": run_id, "selector": selector["name"], "n": n, "task": "Lift", "seed": s,
                              "trial": s, "config": config, "success": ok, "status": "success" if ok else "failure",
                              "baseline_run_id": "vanilla-n1"} for s, ok in enumerate(outcomes)])
    steps = pd.DataFrame({"run_id": run_id, "task": "Lift", "scores": [[0.0] * k for k in score_sizes],
                          "sample_s": 0.002, "score_s": 0.001})
    return episodes, steps


def sweep() -> tuple[pd.DataFrame, pd.DataFrame]:
    parts = [run("vanilla-n1", {"name": "vanilla"}, 1, [True] * 5 + [False] * 5, [1] * 10),
             run("mean-n8", {"name": "mean"}, 8, [True] * 9 + [False], [8] * 10),
             run("gated-n8", GATED, 8, [True] * 7 + [False] * 3, [2, 2, 2, 8] * 5)]
    return pd.concat([p[0] for p in parts], ignore_index=True), pd.concat([p[1] for p in parts], ignore_index=True)


def test_a_gate_draws_its_probe_and_all_n_again_only_when_it_fires():
    drawn, fired = branches_drawn(pd.Series([[0.0] * 2, [0.0] * 8, [0.0] * 2]), GATED, 8)
    assert drawn.tolist() == [2, 10, 2] and fired.tolist() == [False, True, False]
    drawn, fired = branches_drawn(pd.Series([[0.0] * 4] * 3), {"name": "consensus"}, 4)
    assert drawn.tolist() == [4, 4, 4] and not fired.any()


def test_points_pair_every_run_with_vanilla_and_count_its_compute():
    points = {p["run_id"]: p for p in run_points(*sweep())}
    assert points["vanilla-n1"]["vanilla"] and "delta" not in points["vanilla-n1"]
    gated = points["gated-n8"]
    assert gated["fire_rate"] == pytest.approx(0.25) and gated["fire_rate_per_task"] == {"Lift": 0.25}
    assert gated["branches_per_decision"] == pytest.approx(np.mean([2, 2, 2, 10]))
    assert gated["delta"]["delta"] == pytest.approx(0.2) and gated["delta"]["n_pairs"] == 10
    assert points["mean-n8"]["branches_per_decision"] == 8 and points["mean-n8"]["fire_rate"] is None
    assert points["mean-n8"]["ms_per_decision"] == pytest.approx(3.0)
    text = markdown(list(points.values()))
    assert "| gated(mean, future threshold 0.5) N=8 | 4.00 | 25 % | 7/10 = 70.0 % [39.7, 89.2] | +20.0 pp" in text
    assert text.splitlines()[2].startswith("| vanilla N=1 | 1.00 |  | 5/10 = 50.0 %")


def test_a_sweep_without_vanilla_is_refused():
    episodes, steps = sweep()
    keep = episodes["run_id"] != "vanilla-n1"
    with pytest.raises(ValueError, match="no vanilla N = 1"):
        run_points(episodes[keep], steps)


def test_the_command_writes_table_json_and_figure(tmp_path, monkeypatch):
    monkeypatch.setattr("eval.pareto_report.load_run", lambda path: sweep())
    points = main([str(tmp_path / "sweep"), "--out", str(tmp_path / "out")])
    assert len(points) == 3
    assert json.loads((tmp_path / "out" / "pareto.json").read_text())[0]["run_id"] == points[0]["run_id"]
    assert (tmp_path / "out" / "pareto.png").stat().st_size > 1000
    assert "gated(mean" in (tmp_path / "out" / "pareto.md").read_text()


def test_rows_run_vanilla_then_each_selector_by_n_then_its_gates_by_space_and_threshold():
    parts = [run("vanilla-n1", {"name": "vanilla"}, 1, [True, False], [1, 1]),
             run("mean-n16", {"name": "mean"}, 16, [True, True], [16, 16]),
             run("mean-n2", {"name": "mean"}, 2, [True, False], [2, 2]),
             run("gated-low", {**GATED, "threshold": 0.2}, 8, [True, True], [2, 8]),
             run("gated-action", {**GATED, "gate_space": "action"}, 8, [True, True], [2, 8]),
             run("gated-high", GATED, 8, [True, False], [2, 2])]
    episodes = pd.concat([p[0] for p in parts], ignore_index=True)
    steps = pd.concat([p[1] for p in parts], ignore_index=True)
    points = run_points(episodes, steps)
    assert [p["run_id"] for p in points] == ["vanilla-n1", "mean-n2", "mean-n16", "gated-action",
                                             "gated-high", "gated-low"]
    assert [p["gate_space"] for p in points][3:] == ["action", "future", "future"]

"""Results tables: Wilson intervals, errors apart from failures, deltas against N = 1."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from eval.summary import format_grid, format_table, main, summarize
from eval.trials import RunIdentity
from tests.eval.conftest import TOY, compose_config
from wam_tts.diagnostics import wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(5, 10, 0.2366, 0.7634), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (81, 263, 0.2553, 0.3662)],
)
def test_wilson_interval_matches_known_values(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_of_nothing_is_nan():
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def episodes_of(selector: str, n: int, outcomes: dict[str, list[str]], *overrides: str) -> pd.DataFrame:
    """Episode rows of a run of ``selector`` with ``n`` branches, identified as the harness does."""
    ident = RunIdentity.of(compose_config([*TOY, f"selector={selector}", f"n={n}", *overrides]))
    rows = []
    for task, statuses in outcomes.items():
        for trial, status in enumerate(statuses):
            rows.append({"run_id": ident.run_id, "policy": "toy", "env": "toy", "task": task,
                         "selector": selector, "n": n, "trial": trial, "seed": trial, "status": status,
                         "success": status == "success", "length": 10, "episode_consistency": 0.5,
                         "config": ident.config, "baseline_config": ident.baseline_config,
                         "baseline_run_id": ident.baseline_run_id})
    return pd.DataFrame(rows)


def test_summary_counts_errors_apart_and_computes_deltas_against_the_vanilla_run():
    base = episodes_of("vanilla", 1, {"reach": ["success", "failure", "failure", "failure"],
                                      "reach_far": ["success", "success", "failure", "failure"]})
    best = episodes_of("consensus", 4, {"reach": ["success", "success", "error", "failure"],
                                        "reach_far": ["success", "success", "success", "failure"]})
    table = summarize(pd.concat([best, base], ignore_index=True)).set_index(["selector", "task"])
    reach = table.loc[("consensus", "reach")]
    assert (reach["trials"], reach["errors"], reach["successes"]) == (4, 1, 2)
    assert reach["success_rate"] == pytest.approx(2 / 3)  # errors are not failures
    assert (reach["ci_low"], reach["ci_high"]) == pytest.approx(wilson_interval(2, 3))
    assert reach["delta_pp"] == pytest.approx(100 * (2 / 3 - 1 / 4))
    assert table.loc[("consensus", "reach_far"), "delta_pp"] == pytest.approx(25.0)
    pooled = table.loc[("consensus", "(all tasks)")]
    assert (pooled["trials"], pooled["errors"], pooled["success_rate"]) == (8, 1, pytest.approx(5 / 7))
    assert table.loc[("vanilla", "reach"), "delta_pp"] == 0.0
    assert list(table.reset_index()["selector"])[:2] == ["vanilla", "consensus"]  # vanilla first per task
    text = format_table(table.reset_index())
    assert "+41.7" in text and "66.7" in text


def test_summary_without_a_baseline_has_no_delta():
    table = summarize(episodes_of("consensus", 4, {"reach": ["success", "failure"]}))
    assert math.isnan(table.loc[0, "delta_pp"])


def test_cli_prints_the_table_of_a_run(tmp_path, capsys):
    from eval.run import run_job

    run_job(compose_config([*TOY, "trials=2", "env.tasks=[reach]"]), tmp_path)
    capsys.readouterr()
    main([str(tmp_path), "--csv", str(tmp_path / "table.csv")])
    out = capsys.readouterr().out
    assert "reach" in out and "consensus" in out and "95% CI" in out
    assert pd.read_csv(tmp_path / "table.csv")["trials"].tolist() == [2]


def test_grid_shows_selectors_by_n_per_task_with_errors_marked():
    base = episodes_of("vanilla", 1, {"reach": ["success", "failure"]})
    best = episodes_of("consensus", 4, {"reach": ["success", "error"]})
    grid = format_grid(summarize(pd.concat([base, best], ignore_index=True)))
    lines = grid.splitlines()
    assert lines[0] == "toy / toy / reach" and "N=1" in lines[1] and "N=4" in lines[1]
    vanilla, consensus = lines[2], lines[3]
    assert vanilla.startswith("vanilla") and "50.0 [" in vanilla
    assert consensus.startswith("consensus") and "100.0 [" in consensus and "e1" in consensus


def test_a_run_with_a_non_default_selector_option_finds_the_default_vanilla_baseline():
    """Regression: ``weighted`` with ``tau=0.1`` looked for a baseline with ``tau=0.1`` too."""
    base = episodes_of("vanilla", 1, {"reach": ["success", "failure"]})
    weighted = episodes_of("weighted", 4, {"reach": ["success", "success"]}, "selector.tau=0.1")
    assert weighted["baseline_run_id"].iloc[0] == base["run_id"].iloc[0]
    assert weighted["run_id"].iloc[0] != episodes_of("weighted", 4, {"reach": ["success"]})["run_id"].iloc[0]
    table = summarize(pd.concat([base, weighted], ignore_index=True)).set_index("selector")
    assert table.loc["weighted", "delta_pp"] == pytest.approx(50.0)


def test_the_baseline_is_the_run_named_by_baseline_run_id_not_a_fingerprint_match():
    base = episodes_of("vanilla", 1, {"reach": ["success", "failure"]})
    best = episodes_of("consensus", 4, {"reach": ["success", "success"]})
    table = summarize(pd.concat([base, best.assign(baseline_run_id="elsewhere")], ignore_index=True))
    assert math.isnan(table.set_index("selector").loc["consensus", "delta_pp"])


def test_columns_stay_aligned_for_long_task_names():
    long = "a_task_with_a_much_longer_name"
    table = summarize(pd.concat([episodes_of("vanilla", 1, {"reach": ["success"], long: ["failure"]}),
                                 episodes_of("consensus", 4, {"reach": ["success"], long: ["success"]})]))
    lines = format_table(table).splitlines()
    header, rows = lines[0], lines[2:]
    assert {row.index(" vanilla ") if " vanilla " in row else row.index(" consensus ") for row in rows} == {
        header.index(" selector ")}
    assert len({len(row) for row in rows}) == 1

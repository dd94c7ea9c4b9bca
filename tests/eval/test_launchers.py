"""Sweeps on the toy benchmark: Hydra multirun, joblib and submitit launchers, N = 1 baselines."""

from __future__ import annotations

import json

import pytest

from eval.config import fingerprint
from eval.results import load_run
from eval.run import run_job
from tests.eval.conftest import TOY, assert_same_results, compose_config, results, run_cli


def sweep(tmp_path, name: str, *extra: str) -> str:
    proc = run_cli(["-m", *TOY, "trials=3", "selector=vanilla,consensus", "n=1,4",
                    f"hydra.sweep.dir={tmp_path / name}", *extra], cwd=tmp_path, timeout=240)
    return proc.stdout


@pytest.mark.slow
def test_multirun_over_selectors_matches_single_runs_and_a_real_launcher(tmp_path):
    out = sweep(tmp_path, "sequential")
    metas = [json.loads(p.read_text()) for p in (tmp_path / "sequential").glob("*/run.json")]
    runs = sorted((m["config"]["selector"]["name"], m["config"]["n"]) for m in metas)
    assert runs == [("consensus", 4), ("vanilla", 1)]  # vanilla n=4 and consensus n=1 skipped
    assert "consensus at n=1 is the vanilla N = 1 baseline by construction" in out
    episodes, _ = load_run(tmp_path / "sequential")
    assert len(episodes) == 2 * 2 * 3
    # every run records its N = 1 baseline's config, and that baseline is the vanilla run
    vanilla = episodes[episodes["selector"] == "vanilla"]
    assert {fingerprint(json.loads(c)) for c in episodes["baseline_config"]} == {
        fingerprint(json.loads(vanilla["config"].iloc[0]))}
    assert set(episodes["baseline_run_id"]) == set(vanilla["run_id"])
    # the skipped cell is the vanilla baseline, trial for trial (what same_as_baseline_at_n1 declares)
    run_job(compose_config([*TOY, "trials=3", "selector=consensus", "n=1"]), tmp_path / "consensus1")
    sweep_vanilla = results(tmp_path / "sequential")
    sweep_vanilla = tuple(df[df["selector"].eq("vanilla")].reset_index(drop=True) for df in sweep_vanilla)
    assert_same_results(results(tmp_path / "consensus1"), sweep_vanilla, ignore=("run_id", "selector", "scores"))
    assert "Sweep results" in out and "Δ vs N=1" in out

    single = tmp_path / "single"
    run_job(compose_config([*TOY, "trials=3", "n=4"]), single)
    seq = results(tmp_path / "sequential")
    mine = tuple(df[df["selector"].eq("consensus") & df["n"].eq(4)].reset_index(drop=True) for df in seq)
    assert_same_results(mine, results(single))

    sweep(tmp_path, "joblib", "hydra/launcher=parallel")
    assert_same_results(results(tmp_path / "joblib"), seq)


@pytest.mark.slow
def test_submitit_local_launcher_gives_the_same_trials(tmp_path):
    run_cli(["-m", *TOY, "env.tasks=[reach]", "trials=3", "selector=consensus", "n=4",
             f"hydra.sweep.dir={tmp_path / 'submitit'}", "hydra/launcher=cluster_local"], cwd=tmp_path, timeout=240)
    run_job(compose_config([*TOY, "env.tasks=[reach]", "trials=3", "n=4"]), tmp_path / "single")
    assert_same_results(results(tmp_path / "submitit"), results(tmp_path / "single"))

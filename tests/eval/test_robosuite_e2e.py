"""End to end on the real benchmark: the shipped joint reference WAM on robosuite Lift."""

from __future__ import annotations

import math

import pytest

from eval.results import load_run
from eval.run import run_job
from tests.eval.conftest import assert_same_results, compose_config, results, run_cli

pytestmark = pytest.mark.slow

SHORT = ["env.tasks=[Lift]", "env.max_steps=40", "trials=2", "progress=false"]


@pytest.fixture(autouse=True)
def _needs_checkpoint():
    from adapters.reference import checkpoint_path

    if not checkpoint_path("joint", "Lift").is_file():
        pytest.skip("the reference joint_Lift checkpoint is not in adapters/reference/checkpoints yet")


def test_single_run_records_decisions_of_the_reference_wam(tmp_path):
    run_job(compose_config([*SHORT, "n=2"]), tmp_path / "single")
    episodes, steps = load_run(tmp_path / "single")
    assert len(episodes) == 2 and set(episodes["policy"]) == {"reference_joint"}
    assert (episodes["env"] == "robosuite").all() and (episodes["status"] != "error").all()
    assert len(steps) == episodes["decisions"].sum() > 0
    assert all(len(s) == 2 for s in steps["scores"]) and all(len(v) == 2 for v in steps["values"])
    with_length = steps.merge(episodes[["task", "trial", "length"]], on=["task", "trial"])
    scored = with_length[with_length["horizon_t"] <= with_length["length"]]
    assert len(scored) and scored["distance"].map(math.isfinite).all()
    assert ((scored["consistency"] > 0) & (scored["consistency"] <= 1)).all()
    assert steps["chosen_value"].map(math.isfinite).all()  # the joint model has a value head


def test_multirun_through_the_joblib_launcher_matches_the_single_run(tmp_path):
    run_job(compose_config([*SHORT, "n=2"]), tmp_path / "single")
    run_cli(["-m", *SHORT, "selector=vanilla,consensus", "n=1,2", "hydra/launcher=parallel",
             f"hydra.sweep.dir={tmp_path / 'sweep'}"], cwd=tmp_path, timeout=400)
    episodes, _ = load_run(tmp_path / "sweep")
    assert sorted(set(zip(episodes["selector"], episodes["n"], strict=True))) == [
        ("consensus", 2), ("vanilla", 1)]  # consensus at N = 1 is the baseline by construction: skipped
    swept = results(tmp_path / "sweep")
    mine = tuple(df[df["selector"].eq("consensus") & df["n"].eq(2)].reset_index(drop=True) for df in swept)
    assert_same_results(mine, results(tmp_path / "single"))

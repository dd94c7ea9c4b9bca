"""Exploring restores the simulator bit-exactly: at N = 1 it is the vanilla episode, bit for bit."""

from __future__ import annotations

import pytest

from eval.run import run_job
from tests.eval.conftest import assert_same_results, compose_config, results


@pytest.mark.slow
def test_an_exploring_n1_episode_on_robosuite_is_the_vanilla_episode_bit_for_bit(tmp_path):
    # exploring executes its one branch from the saved state and restores it before the
    # branch runs for real: every distance, score and step must match an unexplored run
    common = ["n=1", "trials=2", "env.tasks=[Lift]", "progress=false"]
    run_job(compose_config([*common, "selector=vanilla"]), tmp_path / "vanilla")
    run_job(compose_config([*common, "selector=exploring"]), tmp_path / "exploring")
    vanilla, exploring = results(tmp_path / "vanilla"), results(tmp_path / "exploring")
    assert vanilla[1]["distance"].notna().sum() >= 8  # predictions were scored against real futures
    assert_same_results(exploring, vanilla, ignore=("run_id", "selector", "scores"))

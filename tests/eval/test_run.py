"""End-to-end runs on the toy benchmark: records, resume, determinism, errors, shards."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from eval.config import run_id
from eval.results import load_run
from eval.run import run_job
from eval.summary import summarize
from eval.trials import trial_seed
from tests.eval.conftest import TOY, assert_same_results, compose_config, results, run_cli


def test_single_run_records_every_trial_and_a_rerun_resumes(tmp_path, capsys):
    cfg = compose_config([*TOY, "trials=6", "n=4"])
    rate = run_job(cfg, tmp_path)
    episodes, steps = load_run(tmp_path)
    assert len(episodes) == 12 and not episodes.duplicated(["task", "trial"]).any()
    assert set(episodes["status"]) <= {"success", "failure"} and 0 < rate < 1
    assert episodes["success"].mean() == pytest.approx(rate)
    assert len(steps) == episodes["decisions"].sum()
    assert episodes["length"].between(1, 20).all() and (episodes["length"] >= episodes["decisions"]).all()
    expected_seeds = {(t, i): _independent_trial_seed(0, t, i) for t in ("reach", "reach_far") for i in range(6)}
    assert episodes.set_index(["task", "trial"])["seed"].to_dict() == expected_seeds
    assert len(set(expected_seeds.values())) == 12 and trial_seed(0, "reach", 3) == 840644196
    row = episodes.iloc[0]
    config = json.loads(row["config"])
    assert config["n"] == 4 and config["selector"]["name"] == "consensus"
    baseline = json.loads(row["baseline_config"])
    assert (baseline["selector"]["name"], baseline["n"]) == ("vanilla", 1)
    assert row["baseline_run_id"] == run_id(baseline) and row["baseline_run_id"].startswith("vanilla-n1-")
    assert all(len(s) == 4 for s in steps["scores"]) and all(len(v) == 4 for v in steps["values"])
    assert "Results" in capsys.readouterr().out

    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "episodes").iterdir()}
    run_job(compose_config([*TOY, "trials=8", "n=4"]), tmp_path)  # 2 more trials per task
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes  # finished trials untouched
    assert len(load_run(tmp_path)[0]) == 16


def _independent_trial_seed(seed: int, task: str, trial: int) -> int:
    """The documented trial seed written out: blake2b-64 of ``seed/task/trial``, 63 bits, mod 2**31."""
    digest = hashlib.blake2b(f"{seed}/{task}/{trial}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "little") & (2**63 - 1)) % 2**31


def test_same_seed_same_config_gives_identical_trials(tmp_path):
    for name in ("a", "b"):
        run_job(compose_config([*TOY, "trials=4", "selector=weighted", "execute=2"]), tmp_path / name)
    assert_same_results(results(tmp_path / "a"), results(tmp_path / "b"))
    other = tmp_path / "c"
    run_job(compose_config([*TOY, "trials=4", "selector=weighted", "execute=2", "seed=1"]), other)
    assert not results(tmp_path / "a")[1]["chosen"].equals(results(other)[1]["chosen"])


def test_env_raising_mid_episode_is_an_error_record_and_the_run_goes_on(tmp_path):
    cfg = compose_config([*TOY, "trials=6", "env.options={fail_seed_mod:3,fail_step:0}"])
    run_job(cfg, tmp_path)
    episodes, steps = load_run(tmp_path)
    failing = episodes["seed"] % 3 == 0
    assert failing.any() and (~failing).any() and len(episodes) == 12
    errors = episodes[failing]
    assert (errors["status"] == "error").all() and not errors["success"].any()
    assert errors["error"].str.contains("RuntimeError: toy env failure injected").all()
    assert errors["error"].str.contains("Traceback").all()
    assert (errors["length"] == 0).all() and (errors["decisions"] == 1).all()  # partial records kept
    assert (episodes.loc[~failing, "error"] == "").all()
    table = summarize(episodes)
    per_task = table[table["task"] != "(all tasks)"].set_index("task")
    for task, group in episodes.groupby("task"):
        done = group[group["status"] != "error"]
        assert per_task.loc[task, "errors"] == (group["status"] == "error").sum()
        assert per_task.loc[task, "success_rate"] == pytest.approx(done["success"].mean())


def test_retries_recover_a_transient_failure(tmp_path):
    options = f"env.options={{fail_seed_mod:3,fail_step:0,flaky_dir:'{tmp_path / 'flaky'}'}}"
    run_job(compose_config([*TOY, "trials=6", options, "retries=1"]), tmp_path / "run")
    episodes, _ = load_run(tmp_path / "run")
    flaky = episodes["seed"] % 3 == 0
    assert flaky.any() and (episodes["status"] != "error").all()
    assert (episodes.loc[flaky, "attempts"] == 2).all() and (episodes.loc[~flaky, "attempts"] == 1).all()
    run_job(compose_config([*TOY, "trials=6"]), tmp_path / "clean")  # same trials, no faults
    assert_same_results(results(tmp_path / "run"), results(tmp_path / "clean"), ignore=("run_id", "attempts"))


def test_errors_are_rerun_only_when_asked(tmp_path):
    run_job(compose_config([*TOY, "trials=3", "env.options={fail_seed_mod:3,fail_step:2}"]), tmp_path)
    before = load_run(tmp_path)[0]
    assert (before["status"] == "error").any()
    run_job(compose_config([*TOY, "trials=3", "env.options={fail_seed_mod:3,fail_step:2}"]), tmp_path)
    pd.testing.assert_frame_equal(load_run(tmp_path)[0], before)
    cfg = compose_config([*TOY, "trials=3", "env.options={fail_seed_mod:3,fail_step:2}", "rerun_errors=true"])
    run_job(cfg, tmp_path)
    after = load_run(tmp_path)[0]
    assert len(after) == len(before)
    assert (after["wall_s"] != before["wall_s"]).sum() == (before["status"] == "error").sum()


def test_corrupt_result_files_are_reported_and_those_trials_rerun(tmp_path, caplog):
    cfg = compose_config([*TOY, "trials=3"])
    run_job(cfg, tmp_path)
    reference = results(tmp_path)
    victim = tmp_path / "episodes" / "reach__00001.parquet"
    victim.write_bytes(victim.read_bytes()[:50])
    with pytest.warns(UserWarning, match="corrupt"):
        run_job(cfg, tmp_path)
    assert "corrupt trial file(s) moved" in caplog.text
    assert (tmp_path / "corrupt" / "episodes__reach__00001.parquet").exists()
    assert_same_results(results(tmp_path), reference)


def test_shards_split_the_trials_of_one_run(tmp_path):
    every = [(task, trial) for task in ("reach", "reach_far") for trial in range(4)]
    for index in range(3):
        shard_dir = tmp_path / "sharded" / str(index)  # one directory per shard: overlaps show as duplicates
        run_job(compose_config([*TOY, "trials=4", f"shard.index={index}", "shard.count=3"]), shard_dir)
        shard = load_run(shard_dir)[0]
        assert sorted(zip(shard["task"], shard["trial"], strict=True)) == sorted(every[index::3])  # this shard's trials only
    run_job(compose_config([*TOY, "trials=4"]), tmp_path / "whole")
    assert_same_results(results(tmp_path / "sharded"), results(tmp_path / "whole"))


def test_config_error_exits_before_any_trial(tmp_path):
    proc = run_cli([*TOY, "selector=exploring", "env.backend=toy_nostate", "hydra.run.dir=run"],
                   cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert "needs an env with state save/restore" in proc.stderr
    assert not (tmp_path / "run" / "episodes").exists()


def test_video_option_writes_one_gif_per_trial(tmp_path):
    run_job(compose_config([*TOY, "env.tasks=[reach]", "trials=2", "video=true", "env.options={image:true}"]), tmp_path)
    assert sorted(p.name for p in (tmp_path / "videos").iterdir()) == ["reach__00000.gif", "reach__00001.gif"]

"""The main job beside its baseline, run directories, exit codes, sweeps that finish and name failures."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from eval.build import ConfigError
from eval.policies import policy_problems
from eval.results import load_run
from eval.run import run_job
from tests.eval.conftest import REPO, TOY, compose_config, run_cli


@pytest.mark.slow
def test_the_main_job_runs_the_baseline_beside_consensus_and_identical_configs_resume_it(tmp_path):
    out = run_cli([*TOY, "trials=4"], cwd=tmp_path).stdout
    runs = sorted(p.name for p in (tmp_path / "runs" / "main").iterdir())
    assert [r.split("-")[:2] for r in runs] == [["consensus", "n8"], ["vanilla", "n1"]]
    assert sorted(p.parent.name for p in (tmp_path / "runs").rglob("run.json")) == runs  # nothing nests
    assert re.search(r"reach_far +vanilla N=1 +4 ", out) and re.search(r"reach_far +consensus N=8 +4 ", out)
    assert re.search(r"Δ = [+-]\d+\.\d pp \[95% CI [+-]\d+\.\d, [+-]\d+\.\d\] over 8 paired trials; McNemar p = ", out)
    assert re.search(r"reach +consensus +8 +4 +0 .* [+-]\d+\.\d +\d", out)  # the Δ vs N=1 column is filled
    base, cand = (load_run(tmp_path / "runs" / "main" / r)[0].sort_values(["task", "trial"]) for r in runs[::-1])
    assert base["seed"].tolist() == cand["seed"].tolist()  # paired on the same seeds

    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").rglob("episodes/*.parquet")}
    # the same config written otherwise, then as a one-job sweep: both resume the same directories
    run_cli([*TOY, "trials=4", "selector.name=consensus", "n=8", "consistency.sigma=1.0", "baseline=true"], cwd=tmp_path)
    run_cli(["-m", *TOY, "trials=4", "selector=consensus", "n=8", "hydra.sweep.dir=runs/main"], cwd=tmp_path)
    assert sorted(p.name for p in (tmp_path / "runs" / "main").iterdir() if p.is_dir() and p.name[0] != ".") == runs
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").rglob("episodes/*.parquet")} == mtimes


@pytest.mark.slow
def test_a_run_with_errored_trials_exits_non_zero_and_says_how_to_rerun_them(tmp_path):
    args = [*TOY, "trials=3", "baseline=false", "env.options={fail_seed_mod:3,fail_step:0}", "hydra.run.dir=run"]
    proc = run_cli(args, cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "errored" in proc.stdout and "rerun_errors=true" in proc.stdout
    assert run_cli([*args, "allow_errors=true"], cwd=tmp_path, check=False).returncode == 0


def test_a_missing_checkpoint_of_a_later_task_stops_the_run_before_any_trial(tmp_path):
    (tmp_path / "reach.pt").write_text("weights")
    cfg = compose_config([*TOY, "trials=2", f"policy.options={{checkpoint:'{tmp_path}/{{task}}.pt'}}"])
    with pytest.raises(ConfigError, match="no toy checkpoint for task 'reach_far'"):
        run_job(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    problems = policy_problems("reference_joint", ["Lift", "Nowhere"], {})  # Lift's checkpoint is shipped
    assert len(problems) == 1 and "no shipped reference_joint checkpoint for task 'Nowhere'" in problems[0]


@pytest.mark.slow
def test_an_invalid_job_stops_a_sweep_before_its_first_trial(tmp_path):
    proc = run_cli(["-m", *TOY, "trials=2", "selector=consensus,exploring", "n=2", "env.backend=toy,toy_nostate",
                    "hydra.sweep.dir=sweep"], cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert "1 of the sweep's 4 jobs cannot run; nothing was started" in proc.stderr
    assert "job [env.backend=toy_nostate selector=exploring]" in proc.stderr
    assert not (tmp_path / "sweep").exists() or not list((tmp_path / "sweep").rglob("run.json"))


@pytest.mark.slow
def test_a_failing_job_does_not_stop_the_sweep_or_its_table_and_n1_duplicates_are_skipped(tmp_path):
    proc = run_cli(["-m", *TOY, "env.tasks=[reach]", "trials=2", "selector=vanilla,consensus,value", "n=1,2",
                    "policy.options={value:false}", "hydra.sweep.dir=sweep"], cwd=tmp_path, check=False)
    assert proc.returncode == 1
    out = proc.stdout
    assert "Sweep results" in out and re.search(r"reach +consensus +2 +2 ", out)
    assert re.search(r"1 job\(s\) FAILED:\n  #5 \[selector=value n=2\]: ConfigError: .*value head", out)
    assert "consensus at n=1 is the vanilla N = 1 baseline by construction" in out
    assert "value at n=1 is the vanilla N = 1 baseline by construction" in out
    metas = [json.loads(p.read_text())["config"] for p in (tmp_path / "sweep").rglob("run.json")]
    assert sorted((m["selector"]["name"], m["n"]) for m in metas) == [("consensus", 2), ("value", 2), ("vanilla", 1)]
    episodes, _ = load_run(tmp_path / "sweep")
    assert sorted(set(zip(episodes["selector"], episodes["n"], strict=True))) == [("consensus", 2), ("vanilla", 1)]


@pytest.mark.slow
def test_ctrl_c_says_how_far_the_run_got_without_a_traceback(tmp_path):
    args = [*TOY, "trials=8", "baseline=false", "env.options={step_delay:0.1}", "hydra.run.dir=run"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # a user's terminal delivers Ctrl-C; a test process may have inherited SIGINT ignored, which
    # the child would inherit in turn and never see the signal
    proc = subprocess.Popen([sys.executable, "-m", "eval.run", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 90
    while time.time() < deadline and len(list((tmp_path / "run" / "episodes").glob("*.parquet"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert re.search(r"interrupted: \d+/16 trials saved in .*; rerun the same command to resume", err)
    assert "Traceback" not in err


def test_an_unwritable_results_directory_is_one_clear_message(tmp_path):
    (tmp_path / "taken").write_text("a file where the results would go")
    proc = run_cli([*TOY, "hydra.run.dir=taken/run"], cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert "cannot be written" in proc.stderr and "is not a directory" in proc.stderr
    assert "Traceback" not in proc.stderr and "Unable to configure handler" not in proc.stderr


def test_help_describes_every_key(tmp_path):
    out = run_cli(["--help"], cwd=tmp_path).stdout
    assert re.search(r"trial_timeout_s +Seconds one attempt of a trial may run", out)
    assert re.search(r"consistency.sigma +Scale in consistency", out)
    assert re.search(r"shard.count +Number of shards", out)


@pytest.mark.slow
def test_robosuite_import_notices_are_silent_unless_asked(tmp_path):
    code = ("import logging; logging.basicConfig(); "
            "from eval.envs.robosuite_env import _import_robosuite; _import_robosuite()")
    env = {**os.environ, "PYTHONPATH": str(REPO), "MUJOCO_GL": "osmesa", "PYOPENGL_PLATFORM": "osmesa"}
    quiet = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "macro file" not in quiet.stderr + quiet.stdout
    env["WAM_TTS_ROBOSUITE_LOGS"] = "1"
    loud = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert (loud.stderr + loud.stdout).count("No private macro file found") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only directory")
def test_a_read_only_results_directory_is_one_clear_message(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs").chmod(0o555)
    proc = run_cli([*TOY, "trials=1"], cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "is read-only for this user" in proc.stderr
    assert "Traceback" not in proc.stderr

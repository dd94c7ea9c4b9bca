"""Hanging trials end as error records within their limits; workers die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from eval.results import load_run
from eval.run import run_job
from eval.timeouts import TrialTimeout, Watchdog
from tests.eval.conftest import REPO, TOY, compose_config

HANG = "policy.options={delay:1000}"


def test_a_hanging_policy_ends_in_an_error_record_within_the_decision_timeout(tmp_path):
    cfg = compose_config([*TOY, "env.tasks=[reach]", "trials=2", HANG, "decision_timeout_s=0.5", "retries=1"])
    start = time.monotonic()
    run_job(cfg, tmp_path)
    assert time.monotonic() - start < 20  # 2 trials x 2 attempts x 0.5 s, plus building
    episodes, _ = load_run(tmp_path)
    assert len(episodes) == 2 and (episodes["status"] == "error").all()
    assert (episodes["attempts"] == 2).all()
    assert episodes["error"].str.startswith("timeout: no progress for").all()
    assert episodes["error"].str.contains("after the reset, past decision_timeout_s=0.5").all()
    assert episodes["error"].str.contains("time.sleep").all()  # the traceback shows where it hung


def test_the_trial_timeout_bounds_a_slow_but_progressing_episode(tmp_path):
    cfg = compose_config([*TOY, "env.tasks=[reach]", "trials=1", "env.max_steps=500", "env.options={step_delay:0.05}",
                          "policy.options={gain:0.0}", "trial_timeout_s=0.6", "decision_timeout_s=5"])
    run_job(cfg, tmp_path)
    episode = load_run(tmp_path)[0].iloc[0]
    assert episode["status"] == "error" and "past trial_timeout_s=0.6" in episode["error"]
    assert 0.5 < episode["wall_s"] < 5


def test_the_watchdog_leaves_fast_code_alone_and_restores_the_previous_handler():
    before = signal.getsignal(signal.SIGALRM)
    with Watchdog(trial_s=5.0, decision_s=0.3) as dog:
        for i in range(4):
            time.sleep(0.1)
            dog.beat(f"step {i}")  # each beat re-arms the 0.3 s limit
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    with pytest.raises(TrialTimeout, match="after step 1"), Watchdog(None, 0.2) as dog:
        dog.beat("step 1")
        time.sleep(5)


@pytest.mark.slow
def test_an_isolated_worker_that_cannot_be_interrupted_is_killed_and_replaced(tmp_path):
    cfg = compose_config([*TOY, "env.tasks=[reach]", "trials=2", "isolate=true", "trial_timeout_s=1",
                          "policy.options={delay:1000,block_alarm:true}"])
    run_job(cfg, tmp_path)
    episodes = load_run(tmp_path)[0]
    assert len(episodes) == 2 and (episodes["status"] == "error").all()
    assert episodes["error"].str.contains("the worker did not stop itself and was killed").all()
    assert episodes["error"].str.contains("past trial_timeout_s=4").all()  # 1 s + KILL_GRACE_S


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_an_isolated_worker_exits_when_its_parent_is_killed(tmp_path):
    args = [*TOY, "env.tasks=[reach]", "trials=1", "isolate=true", "baseline=false", HANG, "hydra.run.dir=run"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen([sys.executable, "-m", "eval.run", *args], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 90
    while time.time() < deadline and not (tmp_path / "run" / "claims").exists():
        time.sleep(0.2)  # the first trial is claimed: the worker is up and hanging in it
    time.sleep(1)
    workers = [pid for pid in _children(parent.pid) if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
    assert workers, "the isolated worker must be running"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "the worker outlived its parent"

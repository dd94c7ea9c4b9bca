"""One writer per run directory: run.json created exclusively, trials claimed once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from eval.claims import TrialClaims, create_exclusive
from eval.results import RunMismatchError, RunStore, load_run
from eval.run import run_job
from tests.eval.conftest import REPO, TOY, compose_config, run_cli


def test_of_many_simultaneous_creators_of_run_json_exactly_one_wins(tmp_path):
    for round_ in range(30):
        path, barrier, wins = tmp_path / f"run{round_}.json", threading.Barrier(4), []

        def create(i: int, path: Path = path, barrier: threading.Barrier = barrier, wins: list = wins) -> None:
            barrier.wait()
            if create_exclusive(path, json.dumps({"writer": i})):
                wins.append(i)

        threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1 and json.loads(path.read_text()) == {"writer": wins[0]}


def test_a_second_config_in_a_run_directory_is_refused_and_writes_nothing(tmp_path):
    run_job(compose_config([*TOY, "env.tasks=[reach]", "trials=1"]), tmp_path / "run")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*")}
    with pytest.raises(RunMismatchError, match="changed settings: n: 8 -> 4.*Nothing was written"):
        run_job(compose_config([*TOY, "env.tasks=[reach]", "trials=1", "n=4"]), tmp_path / "run")
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "run").rglob("*")} == before
    fresh = tmp_path / "fresh"
    meta = {"run_id": "a", "fingerprint": "x", "result_key": {}}
    RunStore(fresh).open(meta)
    with pytest.raises(RunMismatchError):
        RunStore(fresh).open({**meta, "fingerprint": "y", "run_id": "b"})
    assert sorted(p.name for p in fresh.iterdir()) == ["episodes", "run.json", "steps"]


def test_a_claim_is_held_once_and_only_a_dead_process_claim_of_this_host_is_taken_over(tmp_path):
    claims = TrialClaims(tmp_path)
    held = claims.claim("reach__00000")
    assert held is not None and claims.claim("reach__00000") is None  # held (flock) by a live holder
    assert claims.holder("reach__00000") == f"{claims.me['host']}:{os.getpid()}"
    held.release()
    assert claims.claim("reach__00000") is not None

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "claims" / "reach__00001.claim").write_text(
        json.dumps({"host": claims.me["host"], "pid": int(dead.stdout)}))
    taken = claims.claim("reach__00001")
    assert taken is not None and claims.holder("reach__00001").endswith(f":{os.getpid()}")
    (tmp_path / "claims" / "reach__00002.claim").write_text(json.dumps({"host": "elsewhere", "pid": 1}))
    assert claims.claim("reach__00002") is None  # another host's process may be alive


@pytest.mark.slow
def test_two_processes_on_one_run_directory_run_every_trial_once_in_total(tmp_path):
    counts = tmp_path / "counts"
    args = [*TOY, "trials=6", "baseline=false", f"env.options={{count_dir:'{counts}'}}",
            "policy.options={noise:0.1,bias:0.05,delay:0.03}", "hydra.run.dir=run"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "eval.run", *args], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    episodes, _ = load_run(tmp_path / "run")
    assert len(episodes) == 12 and not episodes.duplicated(["task", "trial"]).any()
    runs_per_seed = [len(p.read_text().split()) for p in counts.iterdir()]
    assert len(runs_per_seed) == 12 and set(runs_per_seed) == {1}  # no trial ran twice
    pids = {line for p in counts.iterdir() for line in p.read_text().split()}
    assert len(pids) == 2  # both processes did part of the work
    assert not list((tmp_path / "run" / "claims").iterdir())  # every claim released


@pytest.mark.slow
def test_two_processes_with_different_configs_on_one_directory_never_mix(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "eval.run", *TOY, "trials=2", "baseline=false", f"n={n}",
                               "hydra.run.dir=run"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in (2, 4)]
    outs = [p.communicate(timeout=240) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    refused = outs[[p.returncode for p in procs].index(2)][1]
    assert "holds run" in refused and "Traceback" not in refused
    episodes, _ = load_run(tmp_path / "run")
    assert episodes["n"].nunique() == 1 and len(episodes) == 4


def test_an_unknown_key_exits_non_zero_before_hydra_writes_anything(tmp_path):
    proc = run_cli([*TOY, "+trails=4"], cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert "unknown config key 'trails' (did you mean trials?)" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "runs").exists()

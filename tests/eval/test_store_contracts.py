"""Store and trial-plan contracts: commit order, the duplicate guard, disjoint shards."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

import eval.results as results_module
from eval.build import load_plugins
from eval.claims import pid_alive
from eval.results import EPISODE_SCHEMA, STEP_SCHEMA, RunMismatchError, RunStore, load_run
from eval.trials import InProcessRunner, IsolatedRunner, plan_trials, trial_seed
from tests.eval.conftest import TOY, compose_config
from tests.eval.test_results import META, record


def test_steps_are_written_before_the_episode_that_commits_them(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "run")
    store.open(META)
    written = []
    real_write = results_module._atomic_write_table

    def recording_write(table, path):
        written.append(path.parent.name)
        real_write(table, path)

    monkeypatch.setattr(results_module, "_atomic_write_table", recording_write)
    store.commit(record(trial=0))
    assert written == ["steps", "episodes"]


def test_a_crash_between_the_two_writes_leaves_no_committed_trial(tmp_path, monkeypatch):
    store = RunStore(tmp_path / "run")
    store.open(META)
    real_write = results_module._atomic_write_table
    calls = []

    def dies_on_the_second_write(table, path):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("killed between the two writes")
        real_write(table, path)

    monkeypatch.setattr(results_module, "_atomic_write_table", dies_on_the_second_write)
    with pytest.raises(OSError, match="killed between"):
        store.commit(record(trial=0))
    assert list(store.episodes_dir.iterdir()) == []  # no commit marker without its steps
    scan = store.scan()
    assert scan.finished == {} and scan.corrupt == []
    monkeypatch.setattr(results_module, "_atomic_write_table", real_write)
    store.commit(record(trial=0))  # the rerun commits it
    assert store.scan().finished == {("reach", 0): "success"}


def test_a_trial_stored_twice_in_one_sweep_is_an_error_not_two_rows(tmp_path):
    store = RunStore(tmp_path / "sweep" / "a")
    store.open(META)
    store.commit(record(trial=0))
    store.commit(record(trial=1))
    shutil.copytree(tmp_path / "sweep" / "a", tmp_path / "sweep" / "copy")  # same run_id twice
    assert len(load_run(tmp_path / "sweep" / "a")[0]) == 2
    with pytest.raises(ValueError, match=r"duplicate trials in .*\['r1', 'reach', 0\], \['r1', 'reach', 1\]"):
        load_run(tmp_path / "sweep")


def test_trials_of_other_runs_with_the_same_index_are_not_duplicates(tmp_path):
    for run_id in ("r1", "r2"):
        store = RunStore(tmp_path / run_id)
        store.open({**META, "run_id": run_id})
        store.commit(record(trial=0, run_id=run_id))
    assert sorted(load_run(tmp_path)[0]["run_id"]) == ["r1", "r2"]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 9])
def test_shards_are_disjoint_balanced_and_cover_every_trial(count):
    tasks, trials = ["reach", "reach_far"], 4
    shards = [plan_trials(tasks, trials, index, count) for index in range(count)]
    every = [(task, trial) for task in tasks for trial in range(trials)]
    for a, b in itertools.combinations(range(count), 2):
        assert not set(shards[a]) & set(shards[b]), f"shards {a} and {b} overlap"
    assert sorted(itertools.chain.from_iterable(shards)) == sorted(every)
    sizes = [len(s) for s in shards]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == len(every)


def test_shard_plan_is_every_count_th_pair():
    assert plan_trials(["a", "b"], 4, 1, 3) == [("a", 1), ("b", 0), ("b", 3)]
    assert plan_trials(["a", "b"], 4, 2, 3) == [("a", 2), ("b", 1)]
    assert plan_trials(["a"], 3) == [("a", 0), ("a", 1), ("a", 2)]


def test_temporaries_of_live_processes_and_other_hosts_are_kept(tmp_path):
    store = RunStore(tmp_path)
    store.open(META)
    host = socket.gethostname()
    live = store.steps_dir / f".reach__00000.parquet.{host}.{os.getpid()}.tmp"  # this process: alive
    other_host = store.steps_dir / f".reach__00001.parquet.{host}-other.999999999.tmp"
    dead = store.steps_dir / f".reach__00002.parquet.{host}.999999999.tmp"
    for path in (live, other_host, dead):
        path.write_bytes(b"half a file")
    assert store.remove_stale_temporaries() == [dead]
    assert live.exists() and other_host.exists() and not dead.exists()


def test_changed_settings_are_named_down_to_nested_keys(tmp_path):
    old = {"selector": {"name": "weighted", "tau": 1.0}, "n": 4, "policy": {"noise": 0.1}}
    new = {"selector": {"name": "weighted", "tau": 2.0}, "n": 4, "policy": "toy", "seed": 1}
    RunStore(tmp_path).open({**META, "result_key": old})
    with pytest.raises(RunMismatchError) as err:
        RunStore(tmp_path).open({**META, "fingerprint": "other", "run_id": "r2", "result_key": new})
    assert str(err.value).split("changed settings: ")[1].split(". Nothing was written")[0] == (
        "policy: {'noise': 0.1} -> 'toy', seed: None -> 1, selector.tau: 1.0 -> 2.0")


def test_loading_a_directory_without_runs_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no run directories"):
        load_run(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="no results at"):
        load_run(tmp_path / "missing")


def test_loaded_frames_have_exactly_the_schema_columns_and_a_fresh_index(tmp_path):
    store = RunStore(tmp_path)
    store.open(META)
    store.commit(record(trial=0, decisions=2))
    store.commit(record(trial=1, decisions=3))
    episodes, steps = load_run(tmp_path)
    assert episodes.columns.tolist() == EPISODE_SCHEMA.names and steps.columns.tolist() == STEP_SCHEMA.names
    assert episodes.index.tolist() == [0, 1] and steps.index.tolist() == list(range(5))
    empty = RunStore(tmp_path / "none")
    empty.open(META)
    episodes, steps = load_run(tmp_path / "none")
    assert episodes.columns.tolist() == EPISODE_SCHEMA.names and episodes.empty


def test_a_failed_attempt_drops_the_task_runtime_so_the_next_one_rebuilds_it():
    cfg = compose_config([*TOY, "env.tasks=[reach]", "env.options={fail_seed_mod:3,fail_step:0}"])
    load_plugins(list(cfg.plugins))
    seeds = {trial: trial_seed(cfg.seed, "reach", trial) for trial in range(12)}
    failing = next(t for t, s in seeds.items() if s % 3 == 0)
    passing = next(t for t, s in seeds.items() if s % 3 != 0)
    runner = InProcessRunner(cfg)
    try:
        good = runner.run("reach", passing)
        assert good.episode["status"] != "error" and runner.runtime is not None
        assert 1 <= good.episode["length"] <= cfg.env.max_steps and good.episode["length"] >= len(good.steps)
        bad = runner.run("reach", failing)
        assert bad.episode["status"] == "error" and runner.runtime is None  # the env may be broken: not reused
    finally:
        runner.close()


def test_an_isolated_trial_whose_process_keeps_dying_is_one_error_after_every_retry(monkeypatch, tmp_path):
    cfg = compose_config([*TOY, "env.tasks=[reach]", "retries=2"])
    runner = IsolatedRunner(cfg, tmp_path / "videos")
    assert runner.video_dir == str(tmp_path / "videos") and IsolatedRunner(cfg).video_dir is None
    calls = []

    def dies(method, task, trial=None):
        calls.append((method, task, trial))
        raise BrokenProcessPool("child killed")

    monkeypatch.setattr(runner, "_call", dies)
    record = runner.run("reach", 3)
    assert calls == [("run", "reach", 3)] * 3  # the first attempt and two retries
    assert record.episode["status"] == "error" and record.episode["attempts"] == 3
    assert "the trial's process died (attempt 3)" in record.episode["error"]
    assert record.episode["seed"] == trial_seed(cfg.seed, "reach", 3) and record.steps == []


def test_an_isolated_trial_counts_the_attempts_its_child_needed(monkeypatch):
    cfg = compose_config([*TOY, "env.tasks=[reach]", "retries=1"])
    runner = IsolatedRunner(cfg)
    outcomes = iter([BrokenProcessPool("child killed"), record(trial=3)])

    def once_dead_then_fine(method, task, trial=None):
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(runner, "_call", once_dead_then_fine)
    assert runner.run("reach", 3).episode["attempts"] == 2  # 1 in the child, plus the attempt that died


def test_checking_that_a_process_is_alive_does_not_signal_it():
    code = "import signal, time; signal.signal(signal.SIGHUP, signal.SIG_DFL); print(flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        child.stdout.readline()  # its handlers are set
        assert pid_alive(child.pid)
        time.sleep(0.2)
        assert child.poll() is None, "the liveness check delivered a signal"
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid)

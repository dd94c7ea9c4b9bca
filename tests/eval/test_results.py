"""The results store: atomic commits, validation on resume, load_run over runs and sweeps."""

from __future__ import annotations

import json
import math

import pandas as pd
import pyarrow as pa
import pytest

from eval.results import EPISODE_SCHEMA, STEP_SCHEMA, RunMismatchError, RunStore, TrialRecord, load_run
from wam_tts.records import DecisionRecord, EpisodeRecord, column_names

INTERFACE_EPISODE_COLUMNS = [
    "run_id", "policy", "env", "task", "selector", "n", "trial", "seed", "success", "status", "error",
    "length", "decisions", "episode_consistency", "mean_value", "mean_latent_change", "wall_s",
    "config", "baseline_config",
]
INTERFACE_STEP_COLUMNS = [
    "run_id", "policy", "env", "task", "selector", "n", "trial", "seed", "decision", "t", "horizon_t",
    "chosen", "scores", "values", "chosen_value", "distance", "consistency", "latent_change",
    "predicted_latent_change", "sample_s", "score_s", "env_s",
]


def record(task="reach", trial=0, decisions=2, status="success", run_id="r1"):
    ident = {"run_id": run_id, "policy": "toy", "env": "toy", "task": task, "selector": "consensus",
             "n": 4, "trial": trial, "seed": 100 + trial}
    steps = [{**ident, "decision": i, "t": 2 * i, "horizon_t": 2 * i + 3, "chosen": 1,
              "scores": [0.5, 0.9, math.nan, 0.1], "values": [], "chosen_value": math.nan,
              "distance": 0.1, "consistency": math.exp(-0.1), "latent_change": 0.2,
              "predicted_latent_change": 0.3, "sample_s": 1e-3, "score_s": 1e-4, "env_s": 1e-2}
             for i in range(decisions)]
    episode = {**ident, "success": status == "success", "status": status,
               "error": "Traceback ..." if status == "error" else "", "length": 2 * decisions,
               "decisions": decisions, "episode_consistency": math.exp(-0.1), "mean_value": math.nan,
               "mean_latent_change": 0.2, "wall_s": 0.5, "attempts": 1, "config": "{}", "baseline_config": "{}",
               "baseline_run_id": "vanilla-n1-0"}
    return TrialRecord(episode, steps)


META = {"run_id": "r1", "fingerprint": "abc", "result_key": {"n": 4}, "config": {}}


def test_schemas_hold_the_interface_columns():
    assert EPISODE_SCHEMA.names[: len(INTERFACE_EPISODE_COLUMNS) - 2] == INTERFACE_EPISODE_COLUMNS[:-2]
    assert set(INTERFACE_EPISODE_COLUMNS) <= set(EPISODE_SCHEMA.names)
    assert STEP_SCHEMA.names == INTERFACE_STEP_COLUMNS


def test_parquet_schemas_derive_from_the_records():
    assert EPISODE_SCHEMA.names == list(column_names(EpisodeRecord))
    assert STEP_SCHEMA.names == list(column_names(DecisionRecord))
    assert EPISODE_SCHEMA.field("baseline_run_id").type == pa.string()
    assert EPISODE_SCHEMA.field("success").type == pa.bool_()
    assert EPISODE_SCHEMA.field("n").type == pa.int64()
    assert STEP_SCHEMA.field("scores").type == pa.list_(pa.float64())
    assert STEP_SCHEMA.field("latent_change").type == pa.float64()


def test_commit_then_load_roundtrip(tmp_path):
    store = RunStore(tmp_path / "run")
    store.open(META)
    store.commit(record(trial=0))
    store.commit(record(trial=1, decisions=3, status="failure"))
    store.commit(record(task="reach_far", trial=0, decisions=0, status="error"))
    episodes, steps = load_run(tmp_path)
    assert len(episodes) == 3 and len(steps) == 5
    assert episodes.set_index(["task", "trial"])["status"].to_dict() == {
        ("reach", 0): "success", ("reach", 1): "failure", ("reach_far", 0): "error"}
    assert episodes["n"].dtype == "int64" and episodes["success"].dtype == bool
    first = steps.iloc[0]
    assert list(first["scores"])[:2] == [0.5, 0.9] and math.isnan(list(first["scores"])[2])
    assert list(first["values"]) == []
    # pandas reads the directories directly, without our reader
    assert len(pd.read_parquet(tmp_path / "run" / "episodes")) == 3


def test_scan_finds_finished_and_corrupt_trials_and_quarantine_moves_them(tmp_path):
    store = RunStore(tmp_path)
    store.open(META)
    for trial in range(3):
        store.commit(record(trial=trial))
    truncated = store.episodes_dir / "reach__00001.parquet"
    truncated.write_bytes(truncated.read_bytes()[:40])
    (store.steps_dir / "reach__00002.parquet").unlink()  # episode without its steps
    with pytest.warns(UserWarning, match="corrupt"):
        scan = store.scan()
    assert scan.finished == {("reach", 0): "success"}
    assert sorted(p.name for p in scan.corrupt) == ["reach__00001.parquet", "reach__00002.parquet"]
    moved = store.quarantine(scan.corrupt)
    assert {p.name for p in moved} == {"episodes__reach__00001.parquet", "steps__reach__00001.parquet",
                                       "episodes__reach__00002.parquet"}
    assert set(store.scan().finished) == {("reach", 0)}
    assert len(load_run(tmp_path)[0]) == 1


def test_steps_of_another_trial_are_corrupt_even_with_the_same_length(tmp_path):
    store = RunStore(tmp_path)
    store.open(META)
    store.commit(record(trial=0))
    store.commit(record(trial=1))
    (store.steps_dir / "reach__00000.parquet").write_bytes((store.steps_dir / "reach__00001.parquet").read_bytes())
    with pytest.warns(UserWarning, match="another trial"):
        scan = store.scan()
    assert [p.name for p in scan.corrupt] == ["reach__00000.parquet"]


def test_steps_without_episode_are_not_a_finished_trial(tmp_path):
    """A crash between the two writes leaves steps only: the trial is not committed."""
    store = RunStore(tmp_path)
    store.open(META)
    store.commit(record(trial=0))
    (store.episodes_dir / "reach__00000.parquet").unlink()
    assert store.scan().finished == {}
    episodes, steps = load_run(tmp_path)
    assert episodes.empty and steps.empty


def test_stale_temporaries_of_dead_processes_are_removed_and_never_read(tmp_path):
    import socket

    store = RunStore(tmp_path)
    store.open(META)
    dead = store.episodes_dir / f".reach__00000.parquet.{socket.gethostname()}.999999999.tmp"
    dead.write_bytes(b"half a file")
    assert load_run(tmp_path)[0].empty
    assert store.remove_stale_temporaries() == [dead] and not dead.exists()


def test_a_directory_of_another_config_is_refused(tmp_path):
    RunStore(tmp_path).open(META)
    RunStore(tmp_path).open(META)  # same fingerprint: fine
    with pytest.raises(RunMismatchError, match=r"n: 4 -> 8"):
        RunStore(tmp_path).open({**META, "fingerprint": "def", "run_id": "r2", "result_key": {"n": 8}})
    assert json.loads((tmp_path / "run.json").read_text())["fingerprint"] == "abc"


def test_hydra_style_directory_names_are_not_taken_for_partitions(tmp_path):
    """Regression: ``n=1,selector=vanilla`` looks like a Hive partition to dataset readers."""
    store = RunStore(tmp_path / "n=1,selector=vanilla")
    store.open(META)
    store.commit(record(trial=0))
    assert store.scan().finished == {("reach", 0): "success"}
    episodes, _ = load_run(tmp_path)
    assert episodes["n"].tolist() == [4]


def test_load_run_reads_all_runs_below_a_sweep_dir(tmp_path):
    for name, run in (("a", "r1"), ("b", "r2")):
        store = RunStore(tmp_path / "sweep" / name)
        store.open({**META, "run_id": run})
        store.commit(record(run_id=run))
    episodes, steps = load_run(tmp_path / "sweep")
    assert sorted(episodes["run_id"]) == ["r1", "r2"] and len(steps) == 4
    with pytest.raises(FileNotFoundError):
        load_run(tmp_path / "missing")


def test_a_trial_file_of_another_schema_is_refused_naming_the_missing_column(tmp_path):
    import pyarrow.parquet as pq

    store = RunStore(tmp_path)
    store.open(META)
    store.commit(record(trial=0))
    path = store.episodes_dir / "reach__00000.parquet"
    pq.write_table(pq.ParquetFile(path).read().drop_columns(["baseline_run_id"]), path)
    with pytest.warns(UserWarning, match=r"missing \['baseline_run_id'\], unexpected \[\]"):
        assert store.scan().finished == {}

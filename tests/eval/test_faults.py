"""Faults the harness must survive without losing or duplicating a trial.

Beyond tests/eval/test_run.py and test_resilience.py (single kill -9, env raising,
retries, a dying trial process, one truncated file): a sweep killed with SIGKILL at
random moments, a dying process recovered by a retry, policies returning malformed
branches, and other kinds of damaged result files.
"""

from __future__ import annotations

import math
import os
import random
import signal
import subprocess
import sys
import time

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from eval.results import load_run
from eval.run import run_job
from tests.eval.conftest import REPO, TOY, assert_same_results, compose_config, results
from tests.eval.faulty import FaultyPolicy
from wam_tts import derive_seed

FAULTY = [*TOY, "plugins=[tests.eval.toy,tests.eval.faulty]", "policy.name=faulty_toy", "n=4", "trials=4"]
EVERY = 4


def _faulty(fault: str, *extra: str):
    return compose_config([*FAULTY, f"policy.options={{noise:0.1,bias:0.05,fault:{fault},every:{EVERY}}}", *extra])


def _clean(*extra: str):
    return compose_config([*FAULTY, "policy.options={noise:0.1,bias:0.05}", *extra])


def _first_faulted_call(seed: int, calls: int) -> int | None:
    """The first of a trial's ``calls`` policy calls that misbehaves (see tests/eval/faulty.py)."""
    policy = FaultyPolicy(fault="empty", every=EVERY)
    return next((k for k in range(calls) if policy.faulted(derive_seed(seed, k))), None)


@pytest.mark.parametrize(
    ("fault", "selector", "message"),
    [
        ("nan_futures", "consensus", r"branches \[0, 1, 2, 3\] of 4 contain NaN or Inf"),
        ("inf_actions", "consensus", "contain NaN or Inf in actions, futures or values"),
        ("futures_rank", "consensus", r"futures must have shape \[N, ...\]"),
        ("values_shape", "value", r"values must have shape \[N\], got \(4, 1\)"),
        ("n_mismatch", "consensus", "asked the policy for 4 branches, it returned 3"),
        ("empty", "consensus", r"branches are empty \(N = 0\)"),
        ("not_branches", "consensus", "policy.sample must return Branches, got dict"),
        ("future_dim", "consensus", r"futures of shape \(3,\) per branch but encode_observation gives \(2,\)"),
        ("no_values", "value", "the value selector got branches without values"),
    ],
)
def test_a_malformed_policy_output_is_an_error_naming_it_and_the_other_trials_are_intact(
        tmp_path, fault, selector, message):
    run_job(_faulty(fault, f"selector={selector}"), tmp_path / "faulty")
    run_job(_clean(f"selector={selector}"), tmp_path / "clean")
    episodes, steps = results(tmp_path / "faulty")
    clean_episodes, clean_steps = results(tmp_path / "clean")
    assert len(episodes) == 8 and not episodes.duplicated(["task", "trial"]).any()

    clean_decisions = clean_episodes.set_index(["task", "trial"])["decisions"]
    hit = [_first_faulted_call(row.seed, clean_decisions[(row.task, row.trial)]) for row in episodes.itertuples()]
    faulted = pd.Series([k is not None for k in hit])
    assert faulted.any() and (~faulted).any(), "the fault must hit some trials and spare others"
    errors = episodes[faulted]
    assert (errors["status"] == "error").all()
    assert errors["error"].str.contains(message).all(), errors["error"].iloc[0]
    # the decisions made before the faulty call are kept
    assert errors["decisions"].tolist() == [k for k in hit if k is not None]

    spared = episodes.loc[~faulted, ["task", "trial"]]
    stored = ["run_id", "config", "baseline_config", "baseline_run_id"]
    keep_e = episodes.merge(spared).drop(columns=stored, errors="ignore")
    ref_e = clean_episodes.merge(spared).drop(columns=stored, errors="ignore")
    pd.testing.assert_frame_equal(keep_e, ref_e, check_exact=True)
    pd.testing.assert_frame_equal(steps.merge(spared).drop(columns="run_id"),
                                  clean_steps.merge(spared).drop(columns="run_id"), check_exact=True)


@pytest.mark.parametrize(("fault", "selector", "dropped"), [("nan_value_one", "value", 1),
                                                          ("inf_future_one", "consensus", 0)])
def test_a_partly_non_finite_output_drops_those_branches_and_the_trial_goes_on(tmp_path, fault, selector, dropped):
    with pytest.warns(RuntimeWarning, match=rf"dropping non-finite branches \[{dropped}\] of 4"):
        run_job(_faulty(fault, f"selector={selector}"), tmp_path)
    episodes, steps = load_run(tmp_path)
    assert len(episodes) == 8 and (episodes["status"] != "error").all()
    seeds = episodes.set_index(["task", "trial"])["seed"]
    policy = FaultyPolicy(fault=fault, every=EVERY)
    call_faulted = [policy.faulted(derive_seed(seeds[(r.task, r.trial)], r.decision)) for r in steps.itertuples()]
    faulted = steps[call_faulted]
    assert len(faulted) and len(faulted) < len(steps)
    assert all(math.isnan(s[dropped]) for s in faulted["scores"]), "a dropped branch scores NaN"
    assert (faulted["chosen"] != dropped).all()
    assert not any(math.isnan(v) for s in steps[[not f for f in call_faulted]]["scores"] for v in s)


@pytest.mark.slow
def test_a_dying_trial_process_is_retried(tmp_path):
    options = f"env.options={{fail_seed_mod:2,fail_step:1,die:true,flaky_dir:'{tmp_path / 'flaky'}'}}"
    run_job(compose_config([*TOY, "env.tasks=[reach]", "trials=3", "isolate=true", "retries=1", options]),
            tmp_path / "run")
    episodes, _ = load_run(tmp_path / "run")
    died = episodes["seed"] % 2 == 0
    assert died.any() and len(episodes) == 3 and (episodes["status"] != "error").all()
    assert (episodes.loc[died, "attempts"] == 2).all() and (episodes.loc[~died, "attempts"] == 1).all()
    run_job(compose_config([*TOY, "env.tasks=[reach]", "trials=3"]), tmp_path / "clean")
    assert_same_results(results(tmp_path / "run"), results(tmp_path / "clean"), ignore=("run_id", "attempts"))


def _truncate_steps(run, stem):
    path = run / "steps" / f"{stem}.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty_episode(run, stem):
    (run / "episodes" / f"{stem}.parquet").write_bytes(b"")


def _garbage_steps(run, stem):
    path = run / "steps" / f"{stem}.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 3: len(data) // 3 + 64] = random.Random(0).randbytes(64)
    path.write_bytes(bytes(data))


def _foreign_episode(run, stem):
    """A readable Parquet file of another schema (all identity columns would read as null)."""
    pq.write_table(pa.table({"x": [1]}), run / "episodes" / f"{stem}.parquet")


def _swapped_steps(run, stem):
    """Another trial's steps under this trial's name (lengths disagree with the episode)."""
    other = sorted((run / "steps").glob("*.parquet"))[0]
    (run / "steps" / f"{stem}.parquet").write_bytes(other.read_bytes())


@pytest.mark.parametrize("damage", [_truncate_steps, _empty_episode, _garbage_steps, _foreign_episode,
                                    _swapped_steps])
def test_damaged_result_files_are_reported_set_aside_and_rerun(tmp_path, caplog, damage):
    cfg = compose_config([*TOY, "trials=3", "policy.options={noise:0.3,bias:0.05}"])
    run_job(cfg, tmp_path)
    reference = results(tmp_path)
    stem = "reach__00002"
    damage(tmp_path, stem)
    with pytest.warns(UserWarning, match=f"corrupt trial files {stem}"):
        run_job(cfg, tmp_path)
    assert f"moved to {tmp_path / 'corrupt'}" in caplog.text and stem in caplog.text
    assert (tmp_path / "corrupt" / f"episodes__{stem}.parquet").exists()
    assert_same_results(results(tmp_path), reference)


@pytest.mark.slow
def test_a_sweep_killed_at_random_moments_resumes_to_the_uninterrupted_results(tmp_path):
    """SIGKILL a two-run sweep (16 trials) at random moments: after a random number of
    committed trials plus a random few milliseconds (so mid-trial or mid-write), twice,
    rerunning it each time; in the end every trial is there once, equal to a clean run."""
    overrides = [*TOY, "trials=4", "policy.options={noise:0.1,bias:0.05,delay:0.01}"]
    sweep = tmp_path / "sweep"
    args = ["-m", *overrides, "n=2,4", f"hydra.sweep.dir={sweep}"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    kills = [(k, rng.uniform(0.0, 0.05)) for k in sorted(rng.sample(range(1, 15), 2))]
    where = f"kills after (commits, extra seconds) {kills}, seed {seed}"
    for commits, jitter in kills:
        proc = subprocess.Popen([sys.executable, "-m", "eval.run", *args], cwd=tmp_path, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 60
        while len(list(sweep.rglob("episodes/*.parquet"))) < commits and time.time() < deadline:
            time.sleep(0.005)
        time.sleep(jitter)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = load_run(sweep)[0]
        assert len(partial) < 16, f"the kill must land mid-sweep ({where})"
        assert not partial.duplicated(["run_id", "task", "trial"]).any(), where
    proc = subprocess.run([sys.executable, "-m", "eval.run", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{where}:\n{proc.stderr}"
    for n in (2, 4):
        run_job(compose_config([*overrides, f"n={n}"]), tmp_path / "clean" / f"n={n}")
    episodes, _ = load_run(sweep)
    assert len(episodes) == 16 and not episodes.duplicated(["run_id", "task", "trial"]).any(), where
    assert_same_results(results(sweep), results(tmp_path / "clean"))
    assert not list(sweep.rglob("*.tmp")), f"temporary files of killed runs are left ({where})"

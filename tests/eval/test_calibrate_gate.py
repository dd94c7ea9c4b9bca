"""Calibrating the gated selector: thresholds from N = 1 episodes on seeds of their own."""

from __future__ import annotations

import json

import numpy as np

import tests.eval.toy  # noqa: F401 - registers the toy env and policy
from eval.calibrate_gate import calibration_seed, disagreements, main, thresholds
from eval.trials import trial_seed


def test_thresholds_are_the_quantiles_that_give_each_firing_rate():
    seen = list(np.linspace(0.0, 1.0, 101))
    t = thresholds(seen, [0.1, 0.5])
    assert t == {"0.1": 0.9, "0.5": 0.5}
    assert np.mean(np.array(seen) > t["0.1"]) <= 0.1


def test_calibration_seeds_never_meet_trial_seeds():
    trial = {trial_seed(0, "reach", k) for k in range(500)}
    calibration = {calibration_seed(0, "reach", k) for k in range(500)}
    assert not trial & calibration


def test_disagreements_come_from_every_decision_of_the_episodes():
    seen = disagreements("toy", "toy", "reach", episodes=3, probe=2, gate_space="action", progress=False)
    assert len(seen) >= 3 and all(d >= 0 for d in seen) and len(set(seen)) > 1


def test_the_command_writes_thresholds_per_task(tmp_path, capsys):
    out = tmp_path / "gate.json"
    main(["--policy", "toy", "--env", "toy", "--tasks", "reach", "--episodes", "2", "--gate-space", "action",
          "--fire-rates", "0.25", "--out", str(out)])
    data = json.loads(out.read_text())
    assert set(data["tasks"]) == {"reach"} and "0.25" in data["tasks"]["reach"]["thresholds"]
    assert "reach:" in capsys.readouterr().out


def test_several_tasks_also_get_one_pooled_threshold(tmp_path):
    out = tmp_path / "gate.json"
    main(["--policy", "toy", "--env", "toy", "--tasks", "reach", "reach_far", "--episodes", "2",
          "--gate-space", "action", "--fire-rates", "0.5", "--out", str(out)])
    data = json.loads(out.read_text())
    per_task = [data["tasks"][t]["decisions"] for t in ("reach", "reach_far")]
    assert data["pooled"]["decisions"] == sum(per_task)
    pooled_seen = disagreements("toy", "toy", "reach", 2, 2, "action", progress=False) + \
        disagreements("toy", "toy", "reach_far", 2, 2, "action", progress=False)
    assert data["pooled"]["thresholds"]["0.5"] == thresholds(pooled_seen, [0.5])["0.5"]

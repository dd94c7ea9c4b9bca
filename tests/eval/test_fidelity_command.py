"""``python -m eval.fidelity`` on the toy benchmark, whose true futures are known."""

import json

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from eval.fidelity import check_task, probe_states, selector_scores
from eval.fidelity_plot import plot_fidelity
from tests.eval.toy import ToyEnv, ToyPolicy, ToyStateEnv
from wam_tts import SimulatorUnsupportedError
from wam_tts.diagnostics.fidelity import branch_fidelity
from wam_tts.scores import consensus_scores


def test_futures_that_are_the_truth_have_full_branch_fidelity():
    probed = probe_states(ToyPolicy(noise=0.2), ToyStateEnv("reach"), states=12, n=4, probe=1.0, seed=0)
    assert probed["predicted"].shape == probed["reached"].shape == (12, 4, 2)
    assert probed["values"].shape == (12, 4)
    assert probed["rollout_episodes"] >= 1 and probed["rollout_successes"] == probed["rollout_episodes"]  # it reaches
    report = branch_fidelity(probed["predicted"], probed["reached"])
    assert report.branch_consistency.mean == pytest.approx(1.0, abs=1e-6)
    assert report.mean_closer.mean == 0.0


def test_futures_drowned_in_their_own_noise_have_little():
    probed = probe_states(ToyPolicy(noise=0.02, bias=0.5), ToyStateEnv("reach"), states=20, n=6, probe=0.5, seed=1)
    report = branch_fidelity(probed["predicted"], probed["reached"])
    assert report.branch_consistency.mean < 0.3
    assert report.mean_closer.mean > 0.6
    assert probed["episodes"] >= 2  # probes spread over episodes


def test_an_env_without_save_restore_is_refused():
    with pytest.raises(SimulatorUnsupportedError):
        probe_states(ToyPolicy(), ToyEnv("reach"), states=4, n=2, probe=1.0, seed=0)
    with pytest.raises(ValueError, match="probe"):
        probe_states(ToyPolicy(), ToyStateEnv("reach"), states=4, n=2, probe=0.0, seed=0)


def test_the_command_writes_a_summary_and_a_figure(tmp_path):
    cfg = OmegaConf.create({"policy": {"name": "toy", "options": {"bias": 0.3}},
                            "env": {"backend": "toy", "tasks": ["reach"], "options": {}},
                            "states": 8, "n": 4, "probe": 1.0, "seed": 0, "bootstrap": 200})
    summary = check_task(cfg, "reach")
    assert summary["task"] == "reach" and "pooled_scale" not in summary  # no normaliser on the toy policy
    assert set(summary["model_space"]["rank_agreement"]) == {"consensus", "medoid", "action_consensus", "value",
                                                             "value_consensus"}
    results = {"policy": {"name": "toy", "options": {}}, "states": 8, "n": 4, "tasks": [summary]}
    plot_fidelity(results, tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000
    json.dumps(results)  # plain data


def test_each_selector_is_ranked_by_its_own_score():
    probed = probe_states(ToyPolicy(noise=0.2), ToyStateEnv("reach"), states=6, n=4, probe=1.0, seed=0)
    assert probed["actions"].shape[:2] == (6, 4)
    scores = selector_scores(ToyPolicy(noise=0.2), probed, ["consensus", "action_consensus", "value"])
    futures = torch.from_numpy(probed["predicted"][2])
    np.testing.assert_allclose(scores["consensus"][2], consensus_scores(futures).numpy())
    np.testing.assert_allclose(scores["action_consensus"][2],
                               consensus_scores(torch.from_numpy(probed["actions"][2])).numpy())
    np.testing.assert_array_equal(scores["value"], probed["values"])


def test_value_selectors_are_skipped_without_values_and_unrankable_ones_refused():
    probed = probe_states(ToyPolicy(noise=0.2), ToyStateEnv("reach"), states=4, n=4, probe=1.0, seed=0)
    probed["values"] = None
    assert set(selector_scores(ToyPolicy(noise=0.2), probed, ["consensus", "value_consensus"])) == {"consensus"}
    with pytest.raises(ValueError, match="'mean' has no per-branch score"):
        selector_scores(ToyPolicy(), probed, ["mean"])

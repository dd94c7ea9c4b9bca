"""CosmosPolicyWAM against the FAKE upstream: one batched call, latent futures, memory, GPUs."""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest
import torch

from adapters.cosmos_policy import CosmosPolicyWAM
from tests.adapters.cosmos_policy.conftest import robocasa_obs
from wam_tts import ConsensusSelector, ValueSelector, consensus_scores
from wam_tts.testing import check_world_action_model


def test_one_batched_upstream_call_returns_n_branches(fake_cosmos) -> None:
    policy = CosmosPolicyWAM()
    branches = policy.sample(robocasa_obs(), 6, seed=1)
    calls = fake_cosmos.utils.calls
    assert [(c["batch_size"], c["proprio_shape"], c["parallel"]) for c in calls] == [(6, (6, 9), False)]
    assert branches.actions.shape == (6, 32, 7) and branches.actions.dtype == torch.float32
    assert branches.futures.shape == (6, 16, 3, 28, 28) and branches.futures.dtype == torch.float32
    assert branches.values.shape == (6,) and bool(((branches.values >= 0) & (branches.values <= 1)).all())
    assert policy.future_horizon == 32 and policy.has_value_head
    flat = branches.futures.reshape(6, -1)
    assert torch.cdist(flat, flat).add(torch.eye(6)).min() > 0  # distinct noise per branch
    assert np.abs(branches.actions[..., :3].numpy()).max() <= 0.05  # unnormalised by upstream


def test_keeps_the_world_action_model_contract(fake_cosmos) -> None:
    report = check_world_action_model(CosmosPolicyWAM(), robocasa_obs(), n=8, atol=0, rtol=0)
    assert report.action_shape == (8, 32, 7) and report.future_shape == (16, 3, 28, 28)


def test_futures_are_the_latent_slots_and_values_match_upstreams_own(fake_cosmos) -> None:
    policy = CosmosPolicyWAM(decode_images=True)
    obs = robocasa_obs()
    branches = policy.sample(obs, 3, seed=4)
    utils = fake_cosmos.utils
    seed = policy.plan(3).pieces[0].seed(4)
    out = utils.get_action(policy.config, utils.loaded_models[0], policy.dataset_stats, policy._upstream_obs(obs) |
                           {"proprio": np.tile(obs["proprio"], (3, 1))}, str(obs["instruction"]), seed=seed, batch_size=3)
    assert torch.equal(branches.futures, out["generated_latent"][:, :, 7:10].float())
    assert torch.allclose(branches.values, torch.tensor(out["value_prediction"]), atol=1e-6)
    images = branches.extras["future_image"]  # left | right | wrist, as the video shows the real cameras
    assert images.shape == (3, 224, 3 * 224, 3) and images.dtype == torch.uint8
    predicted = out["future_image_predictions"][2]
    assert np.array_equal(images[2, :, :224].numpy(), predicted["future_image"])
    assert np.array_equal(images[2, :, 448:].numpy(), predicted["future_wrist_image"])


def test_branch_zero_of_a_batch_is_the_single_sample(fake_cosmos) -> None:
    policy = CosmosPolicyWAM()
    obs = robocasa_obs()
    one, four, eight = (policy.sample(obs, n, seed=9) for n in (1, 4, 8))
    assert torch.equal(one.futures[0], four.futures[0]) and torch.equal(four.actions, eight.actions[:4])
    assert not torch.equal(policy.sample(obs, 4, seed=10).futures, four.futures)


def test_encode_observation_maps_real_images_into_the_predicted_slots(fake_cosmos) -> None:
    policy = CosmosPolicyWAM()
    obs = robocasa_obs(seed=3)
    encoded = policy.encode_observation(obs)
    assert encoded.shape == (16, 3, 28, 28)
    utils = fake_cosmos.utils
    keys = ("robot0_eye_in_hand_image", "robot0_agentview_left_image", "robot0_agentview_right_image")
    expected = torch.stack([utils._fake_vae(utils.preprocess_image(obs[k], policy.config)) for k in keys], dim=1)
    assert torch.equal(encoded, expected)
    call = fake_cosmos.utils.calls[-1]
    assert (call["batch_size"], call["steps"], call["parallel"], call["text"]) == (1, 1, False, None)
    assert torch.equal(policy.encode_observation(obs), encoded) and len(fake_cosmos.utils.calls) == 1  # cached
    branches = policy.sample(obs, 4, seed=0)
    assert consensus_scores(branches.futures).shape == (4,)
    assert policy.latent(obs).shape == branches.futures.shape[1:]


def test_memory_budget_splits_into_fewest_batches_and_says_so(fake_cosmos, caplog) -> None:
    policy = CosmosPolicyWAM(memory_budget_gb=16.5, model_memory_gb=9.0, branch_memory_gb=1.5)  # 5 per batch
    with caplog.at_level(logging.WARNING, logger="adapters.cosmos_policy.adapter"):
        branches = policy.sample(robocasa_obs(), 16, seed=2)
        policy.sample(robocasa_obs(), 16, seed=3)
    calls = fake_cosmos.utils.calls
    assert [c["batch_size"] for c in calls[:4]] == [4, 4, 4, 4] and len(calls) == 8
    assert len({c["seed"] for c in calls[:4]}) == 4
    assert branches.futures.shape[0] == 16
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "N=16" in warnings[0] and "4 batch(es) of 4, 4, 4, 4" in warnings[0]
    unique = torch.unique(branches.futures.reshape(16, -1), dim=0)
    assert unique.shape[0] == 16  # no sample repeated across batches


def test_budget_too_small_for_one_branch_fails_at_construction(fake_cosmos) -> None:
    with pytest.raises(ValueError, match="cannot hold one branch"):
        CosmosPolicyWAM(memory_budget_gb=10, model_memory_gb=9.0, branch_memory_gb=1.5)


def test_multi_gpu_mode_loads_one_copy_per_gpu_and_spreads_branches(fake_cosmos, fake_cuda) -> None:
    policy = CosmosPolicyWAM(devices=(0, 1))
    utils = fake_cosmos.utils
    assert [m.devices for m in utils.loaded_models] == [["cuda:0"], ["cuda:1"]]
    branches = policy.sample(robocasa_obs(), 8, seed=5)
    calls = utils.calls
    assert sorted((c["model"], c["batch_size"]) for c in calls) == [(0, 4), (1, 4)]
    assert len({c["seed"] for c in calls}) == 2
    sampled_on = {device for thread, device in fake_cuda.uses if thread.startswith("cosmos-gpu")}
    assert sampled_on == {0, 1}
    assert torch.unique(branches.futures.reshape(8, -1), dim=0).shape[0] == 8
    single = CosmosPolicyWAM(devices=(0,)).sample(robocasa_obs(), 8, seed=5)
    assert torch.equal(branches.futures[:4], single.futures[:4])  # same first piece, same samples


def test_selectors_run_on_the_adapter(fake_cosmos) -> None:
    policy = CosmosPolicyWAM()
    decision = ConsensusSelector(policy, n=4).act(robocasa_obs())
    assert decision.actions.shape == (32, 7) and decision.value is not None
    by_value = ValueSelector(policy, n=4).act(robocasa_obs())
    assert by_value.index == int(torch.argmax(by_value.branches.values))


def test_upstream_settings_are_passed_through(fake_cosmos) -> None:
    CosmosPolicyWAM(num_denoising_steps_action=3).sample(robocasa_obs(), 2, seed=0)
    assert fake_cosmos.utils.calls[-1]["steps"] == 3
    assert os.environ["DETERMINISTIC"] == "True"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.pop("robot0_eye_in_hand_image"), "robot0_eye_in_hand_image"),
        (lambda o: o.update(proprio=np.zeros(7)), r"shape \(9,\)"),
        (lambda o: o.update(proprio=np.full(9, np.nan)), "NaN"),
        (lambda o: o.update(robot0_agentview_left_image=np.zeros((8, 8, 3), np.float32)), "uint8"),
        (lambda o: o.pop("instruction"), "language-conditioned"),
        (lambda o: o.update(instruction=np.array("make coffee")), "no precomputed T5 embedding"),
    ],
)
def test_bad_observations_are_named(fake_cosmos, change, message) -> None:
    policy = CosmosPolicyWAM()
    obs = robocasa_obs()
    change(obs)
    with pytest.raises(ValueError, match=message):
        policy.sample(obs, 2, seed=0)


def test_missing_instruction_is_computed_only_when_allowed(fake_cosmos) -> None:
    obs = robocasa_obs(instruction="make coffee")
    CosmosPolicyWAM(allow_t5_encoding=True).sample(obs, 2, seed=0)
    assert fake_cosmos.utils.t5_computed == ["make coffee"]


def test_config_errors(fake_cosmos) -> None:
    with pytest.raises(TypeError, match="unknown Cosmos-Policy option"):
        CosmosPolicyWAM(chunk_sizes=32)
    with pytest.raises(ValueError, match="do not exist"):
        CosmosPolicyWAM(devices=(0, 2))
    with pytest.raises(ValueError, match="chunk_size 32"):
        CosmosPolicyWAM(chunk_size=16)

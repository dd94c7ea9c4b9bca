"""Visual reference WAMs (untrained tiny models): futures in the autoencoder's latent space."""

import numpy as np
import pytest
import torch

from adapters.reference import InverseDynamicsWAM, JointPredictionWAM, load_policy, save_checkpoint
from adapters.reference.dataset import ChunkData
from tests.adapters.reference.synthetic import (
    ACTION_DIM,
    HORIZON,
    STATE_DIM,
    TINY_AUTOENCODER,
    frame,
    tiny_model,
    tiny_visual_model,
)
from wam_tts.testing import check_world_action_model

WRAPPERS = {"joint": JointPredictionWAM, "inverse": InverseDynamicsWAM}
Z = TINY_AUTOENCODER.latent_dim


def obs(seed: int = 0) -> dict:
    return {"state": np.linspace(-1, 1, STATE_DIM).astype(np.float32), "agentview_image": frame(seed)}


@pytest.fixture(params=["joint", "inverse"])
def policy(request):
    model, encoder = tiny_visual_model(request.param)
    return WRAPPERS[request.param](model, encoder, "agentview", decode_images=True)


def test_futures_live_in_the_frames_latent_space(policy):
    branches = policy.sample(obs(), n=4, seed=1)
    assert branches.actions.shape == (4, HORIZON, ACTION_DIM)
    assert branches.futures.shape == (4, Z)
    encoded = policy.encode_observation(obs())
    with torch.no_grad():
        raw = policy.encoder.encode(obs()["agentview_image"][None])[0]
    assert torch.allclose(encoded, policy.model.future_normalizer.normalize(raw[None])[0])
    assert policy.env_options() == {"cameras": ["agentview"], "image_size": 16, "lazy_images": True}


def test_the_frame_conditions_the_branches(policy):
    a, b = policy.sample(obs(0), 2, seed=5), policy.sample(obs(1), 2, seed=5)
    assert not torch.allclose(a.futures, b.futures)


def test_decoded_future_frames_ride_along_for_videos(policy):
    branches = policy.sample(obs(), 3, seed=0)
    assert branches.extras["future_image"].shape == (3, 16, 16, 3)
    assert torch.allclose(branches.extras["future_image"], policy.decode(branches.futures))


def test_visual_models_pass_the_contract_kit(policy):
    assert check_world_action_model(policy, obs()).ok


def test_a_missing_frame_names_the_env_to_use(policy):
    with pytest.raises(ValueError, match="env=robosuite_visual"):
        policy.sample({"state": obs()["state"]}, 2, seed=0)


def test_encoder_and_latent_width_must_match():
    model, _ = tiny_visual_model("joint")
    with pytest.raises(ValueError, match="needs an image encoder"):
        JointPredictionWAM(model)
    with pytest.raises(ValueError, match="needs no image encoder"):
        JointPredictionWAM(tiny_model("joint"), tiny_visual_model("joint")[1])


def test_checkpoint_keeps_the_encoder_and_camera(tmp_path):
    model, encoder = tiny_visual_model("inverse")
    path = save_checkpoint(tmp_path / "v.pt", model, "Lift", {"note": "tiny"}, encoder=encoder, camera="agentview")
    loaded = load_policy(path)
    a = InverseDynamicsWAM(model, encoder).sample(obs(), 3, seed=2)
    b = loaded.sample(obs(), 3, seed=2)
    assert loaded.camera == "agentview" and torch.equal(a.futures, b.futures) and torch.equal(a.actions, b.actions)
    with pytest.raises(ValueError, match="saved with its encoder"):
        save_checkpoint(tmp_path / "w.pt", model, "Lift", {})


def test_visual_samples_continue_the_latent_part_of_the_conditioning():
    states = torch.arange(12.0).reshape(2, 6)
    data = ChunkData(states, torch.zeros(2, 1, 1), torch.ones(2, 2))
    assert torch.equal(data.deltas, 1 - states[:, 4:])
    with pytest.raises(ValueError, match="inconsistent sample shapes"):
        ChunkData(states, torch.zeros(2, 1, 1), torch.ones(2, 7))


def test_visual_checkpoints_are_found_by_name_and_missing_ones_say_how_to_train():
    from adapters.reference import checkpoint_path, missing_checkpoint, shipped_rungs, visual_tasks

    assert checkpoint_path("joint", "Door", visual=True).name == "joint_Door_visual.pt"
    assert "Door" in visual_tasks("joint") and shipped_rungs("joint", "Door") == [0, 1]
    [problem] = missing_checkpoint("inverse", "Stack", visual=True)
    assert "train_visual --family inverse --task Stack" in problem
    with pytest.raises(ValueError, match="no ladder"):
        checkpoint_path("joint", "Lift", rung=1, visual=True)

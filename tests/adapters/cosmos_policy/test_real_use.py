"""Cosmos-Policy on a GPU cluster, against the FAKE upstream (issue 13): device placement,
upstream's seed protocol, the T5 cache checked up front, upstream's input conventions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from adapters.cosmos_policy import CosmosPolicyConfig, CosmosPolicyWAM
from eval.cosmos_instructions import missing_by_episode
from tests.adapters.cosmos_policy.conftest import robocasa_obs
from tests.adapters.cosmos_policy.test_fake_upstream import _fake, _upstream_obs
from wam_tts import ConsensusSelector, VanillaSelector


@pytest.mark.parametrize("device", [0, 1])
def test_a_single_gpu_model_is_moved_to_its_device(fake_cosmos, device) -> None:
    """get_model puts the model on cuda:0 while get_action runs on the current device."""
    CosmosPolicyWAM(devices=(device,))
    assert fake_cosmos.utils.loaded_models[0].devices == [f"cuda:{device}"]


def test_upstream_seed_protocol_reproduces_upstreams_queries(fake_cosmos) -> None:
    """N = 1: one call seeded 195 at every decision of every episode; N > 1: upstream's serial
    best-of-N (branch i its own call seeded 195 + i)."""
    policy = CosmosPolicyWAM(seed_protocol="upstream")
    selector = VanillaSelector(policy)
    for episode in range(2):
        selector.reset(seed=episode)
        for _ in range(3):
            selector.act(robocasa_obs())
    calls = fake_cosmos.utils.calls
    assert [(c["seed"], c["batch_size"]) for c in calls] == [(195, 1)] * 6
    calls.clear()
    branches = policy.sample(robocasa_obs(), 3, seed=123)
    assert [(c["seed"], c["batch_size"]) for c in calls] == [(195, 1), (196, 1), (197, 1)]
    utils = fake_cosmos.utils
    obs = robocasa_obs()
    upstream_obs = policy._upstream_obs(obs) | {"proprio": obs["proprio"][None]}
    out = utils.get_action(policy.config, utils.loaded_models[0], policy.dataset_stats, upstream_obs,
                           str(obs["instruction"]), seed=196, batch_size=1)
    assert torch.equal(branches.futures[1], out["generated_latent"][0, :, 7:10])
    ours = CosmosPolicyWAM().plan(1).pieces[0].seed(0)
    assert ours != 195  # the default protocol differs, which is why the choice is recorded
    with pytest.raises(ValueError, match="seed_protocol must be one of"):
        CosmosPolicyConfig(seed_protocol="cosmos")


def test_every_missing_instruction_is_listed_before_the_run(fake_cosmos) -> None:
    policy = CosmosPolicyWAM()
    texts = ["open the microwave door", "make coffee", "wash the mug", "make coffee"]
    assert policy.missing_instructions(texts) == ["make coffee", "wash the mug"]
    with pytest.raises(ValueError, match=r"2 instruction\(s\).*'make coffee', 'wash the mug'"):
        policy.check_instructions(texts)
    CosmosPolicyWAM(allow_t5_encoding=True).check_instructions(texts)
    by_episode = missing_by_episode(fake_cosmos.utils.t5_text_embeddings_cache, lambda i: texts[i], range(4))
    assert by_episode == {1: "make coffee", 2: "wash the mug", 3: "make coffee"}


def test_the_fake_keeps_upstreams_input_conventions(fake_cosmos) -> None:
    utils, model, stats = _fake(fake_cosmos)
    obs = _upstream_obs(np.zeros((1, 9)))
    utils_cfg = CosmosPolicyConfig()
    out = utils.get_action(utils_cfg, model, stats, obs, "open the microwave door")
    assert out["generated_latent"].dtype == out["orig_clean_latent_frames"].dtype == torch.float32
    assert out["all_camera_images"].shape == (3, 224, 224, 3)
    embedding = np.zeros((1, 512, 1024), dtype=np.float32)
    utils.get_action(utils_cfg, model, stats, obs, embedding)
    with pytest.raises(TypeError, match="str or np.ndarray"):
        utils.get_action(utils_cfg, model, stats, obs, torch.from_numpy(embedding))
    wide = {**obs, **{key: np.zeros((64, 96, 3), dtype=np.uint8)
                      for key in ("wrist_image", "primary_image", "secondary_image")}}
    with pytest.raises(AssertionError, match="square"):
        utils.get_action(utils_cfg, model, stats, wide, "open the microwave door")
    plain = utils.preprocess_image(obs["wrist_image"], CosmosPolicyConfig(use_jpeg_compression=False,
                                                                           trained_with_image_aug=False))
    assert not np.array_equal(plain, utils.preprocess_image(obs["wrist_image"], utils_cfg))  # JPEG + crop change it


def test_non_square_cameras_are_refused_before_upstream_is_called(fake_cosmos) -> None:
    policy = CosmosPolicyWAM()
    obs = robocasa_obs()
    obs["robot0_eye_in_hand_image"] = np.zeros((64, 96, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="64x96.*square"):
        policy.sample(obs, 2, seed=0)
    assert fake_cosmos.utils.calls == []


def test_out_of_memory_splits_the_batch_and_keeps_the_branches(fake_cosmos, monkeypatch) -> None:
    """The selector's fallback lowers the adapter's max_batch: same branches, smaller calls."""
    policy = CosmosPolicyWAM()
    expected = policy.sample(robocasa_obs(), 8, seed=11)
    utils = fake_cosmos.utils
    real = utils.get_action

    def get_action(*args, batch_size=1, **kwargs):
        if batch_size > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (emulated)")
        return real(*args, batch_size=batch_size, **kwargs)

    monkeypatch.setattr(utils, "get_action", get_action)
    from wam_tts.fallback import sample_within_memory

    with pytest.warns(RuntimeWarning, match="in batches of 2"):
        branches, record = sample_within_memory(policy, robocasa_obs(), 8, seed=11)
    assert record.max_batch == 2 and branches.n == 8 and policy.max_batch == 2
    assert torch.equal(branches.futures[:2], expected.futures[:2])  # the first piece keeps its seed
    decision = ConsensusSelector(policy, n=8).act(robocasa_obs())
    assert decision.memory_fallback is None and decision.branches.n == 8  # the kept batch size fits

"""A tiny random-initialised LingBot-VA that runs LeRobot's real inference code on a CPU.

Used by the tests and the CPU benchmark; nothing is downloaded. The frozen modules
(Wan2.2-shaped VAE, UMT5 encoder, tokenizer) are written with ``save_pretrained`` into
a folder that ``LingBotVAConfig.wan_pretrained_path`` names, so the policy loads them
through its own lazy loader. Limits of the architecture: the attention head dimension
must split evenly for the 3-axis RoPE (24, 32 work; 16 does not), and the VAE must have
48 latent channels and 16x spatial compression (patch size 2, four ``dim_mult`` stages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

CAMERAS = ("observation.images.image", "observation.images.image2")
IMAGE_SIZE = 64
STATE_DIM = 8
TASK = "pick up the red block and put it in the box"

TINY_CONFIG: dict[str, Any] = dict(
    num_layers=2, num_attention_heads=2, attention_head_dim=32, ffn_dim=128, text_dim=32, freq_dim=32,
    in_channels=48, out_channels=48, dtype="float32", device="cpu", attn_mode="torch",
    height=IMAGE_SIZE, width=IMAGE_SIZE, frame_chunk_size=4, action_per_frame=4, attn_window=4,
    num_inference_steps=2, action_num_inference_steps=2, guidance_scale=5.0, max_sequence_length=64,
    save_predicted_video=True,
)

_WORDS = "pick up the red block and put it in box open close drawer a of to".split()


def write_frozen_modules(folder: str | Path, seed: int = 0, text_dim: int = 32) -> Path:
    """Random-initialised ``vae/``, ``text_encoder/`` and ``tokenizer/`` under ``folder``;
    ``text_dim`` is the text encoder's width (the policy's ``text_dim``)."""
    from diffusers import AutoencoderKLWan
    from transformers import T5Tokenizer, UMT5Config, UMT5EncoderModel

    folder = Path(folder)
    torch.manual_seed(seed)
    vae = AutoencoderKLWan(
        base_dim=8, decoder_base_dim=8, z_dim=48, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
        temperal_downsample=[False, True, True], is_residual=True, in_channels=12, out_channels=12,
        patch_size=2, scale_factor_spatial=16, latents_mean=[0.0] * 48, latents_std=[1.0] * 48,
    )
    text_encoder = UMT5EncoderModel(
        UMT5Config(vocab_size=128, d_model=text_dim, d_kv=8, d_ff=64, num_layers=1, num_heads=4)
    )
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(f"\u2581{w}", -float(i + 1)) for i, w in enumerate(_WORDS)]
    vocab += [(c, -20.0) for c in "abcdefghijklmnopqrstuvwxyz"]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    vae.save_pretrained(folder / "vae")
    text_encoder.save_pretrained(folder / "text_encoder")
    tokenizer.save_pretrained(folder / "tokenizer")
    return folder


def tiny_policy(frozen_folder: str | Path, seed: int = 0, **overrides: Any) -> Any:
    """A ``LingBotVAPolicy`` with :data:`TINY_CONFIG` (plus ``overrides``), weights from ``seed``."""
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.lingbot_va import LingBotVAConfig, LingBotVAPolicy

    features = {key: PolicyFeature(FeatureType.VISUAL, (3, IMAGE_SIZE, IMAGE_SIZE)) for key in CAMERAS}
    features["observation.state"] = PolicyFeature(FeatureType.STATE, (STATE_DIM,))
    config = LingBotVAConfig(
        **{**TINY_CONFIG, **overrides}, wan_pretrained_path=str(frozen_folder), input_features=features
    )
    torch.manual_seed(seed)
    return LingBotVAPolicy(config).eval()


def tiny_observation(seed: int, task: str = TASK) -> dict[str, Any]:
    """A LeRobot batch for the tiny policy: two random images and a state, from ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    obs: dict[str, Any] = {key: torch.rand(1, 3, IMAGE_SIZE, IMAGE_SIZE, generator=gen) for key in CAMERAS}
    obs["observation.state"] = torch.rand(1, STATE_DIM, generator=gen)
    obs["task"] = task
    return obs

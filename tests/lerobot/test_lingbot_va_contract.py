"""LingBotVAWAM keeps the world-action-model contract, checked by the library's own kit."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "lerobot.policies.lingbot_va", reason="needs LeRobot's LingBot-VA port (Python 3.12 venv: make install-lerobot)"
)

from tests.lerobot.lingbot import obs  # noqa: E402
from wam_tts.testing import check_world_action_model  # noqa: E402


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "sequential"])
def test_keeps_the_world_action_model_contract_bit_exactly(make_wam, batched):
    """Seeds, N-prefix sharing, the encode space, and sample → on_select → on_step × chunk → sample."""
    wam = make_wam(batched=batched)
    report = check_world_action_model(wam, obs(0), n=4, step_obs=obs, atol=0, rtol=0)
    cfg = wam.policy.config
    assert report.future_shape == (48, *wam.policy._latent_hw)
    assert report.action_shape == (4, (cfg.frame_chunk_size - 1) * cfg.action_per_frame, 7)

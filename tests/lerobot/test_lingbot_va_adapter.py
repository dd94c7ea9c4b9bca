"""LingBotVAWAM as a world action model: selection end to end, loading, misuse."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "lerobot.policies.lingbot_va", reason="needs LeRobot's LingBot-VA port (Python 3.12 venv: make install-lerobot)"
)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from adapters.lingbot_va import LingBotVAWAM  # noqa: E402
from adapters.lingbot_va.cache import cache_rows  # noqa: E402
from tests.lerobot.lingbot import obs, run_chunk  # noqa: E402
from wam_tts import ConsensusSelector, consensus_scores  # noqa: E402


def _episode(wam, chunks: int, seed: int) -> list:
    selector = ConsensusSelector(wam, n=4)
    selector.reset(seed=seed)
    decisions, next_obs = [], 1
    for _ in range(chunks):
        decision = selector.act(obs(next_obs - 1))
        decisions.append(decision)
        assert decision.actions.shape[0] == wam.future_horizon
        next_obs = run_chunk(wam, next_obs)
    return decisions


def test_consensus_selection_runs_end_to_end_over_several_chunks(make_wam):
    wam = make_wam()
    decisions = _episode(wam, chunks=3, seed=7)
    cfg = wam.policy.config
    assert [d.actions.shape for d in decisions] == [
        ((cfg.frame_chunk_size - 1) * cfg.action_per_frame, 7),  # frame 0 conditions the first chunk
        (cfg.chunk_size, 7),
        (cfg.chunk_size, 7),
    ]
    for d in decisions:
        expected = consensus_scores(d.branches.futures)
        assert torch.equal(d.scores, expected)
        assert d.index == int(torch.argmax(expected))
        assert torch.equal(d.actions, d.branches.actions[d.index])
    assert cache_rows(wam.policy.transformer) == 2  # collapsed after every choice
    assert wam.policy._frame_st_id == 2 * cfg.frame_chunk_size
    assert torch.equal(wam.policy._executed_actions[0, :7].flatten(1).T, decisions[-1].actions)

    replay = _episode(make_wam(), chunks=3, seed=7)  # a fresh policy and the same seed replay exactly
    for a, b in zip(decisions, replay, strict=True):
        assert a.index == b.index and torch.equal(a.actions, b.actions)


def test_reset_starts_a_new_episode_that_replays_the_first(make_wam):
    wam = make_wam()
    first = _episode(wam, chunks=2, seed=3)
    again = _episode(wam, chunks=2, seed=3)  # the selector's reset resets the policy
    for a, b in zip(first, again, strict=True):
        assert torch.equal(a.branches.actions, b.branches.actions)


def test_the_harness_factory_loads_a_checkpoint_for_robotwin_observations(make_wam, tmp_path):
    """load_lingbot_va (what policy=lingbot_va builds) maps our RoboTwin backend's camera keys."""
    from adapters.lingbot_va import LEROBOT_TO_ROBOTWIN_CAMERAS, load_lingbot_va

    wam = make_wam()
    wam.policy.save_pretrained(tmp_path)
    cams = wam.policy.config.obs_cam_keys
    loaded = load_lingbot_va("place_empty_cup", str(tmp_path), device="cpu", postprocess=False,
                             camera_map={k: LEROBOT_TO_ROBOTWIN_CAMERAS[c] for k, c in zip(cams, LEROBOT_TO_ROBOTWIN_CAMERAS, strict=False)})
    loaded.reset()
    batch = obs(0)
    env_obs = {LEROBOT_TO_ROBOTWIN_CAMERAS[c]: (batch[k][0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
               for k, c in zip(cams, LEROBOT_TO_ROBOTWIN_CAMERAS, strict=False)}
    env_obs["instruction"] = np.array(batch["task"])
    branches = loaded.sample(env_obs, 3, seed=2)
    assert branches.actions.shape[0] == 3 and torch.isfinite(branches.futures).all()


def test_from_pretrained_loads_a_saved_policy(make_wam, tmp_path):
    wam = make_wam()
    wam.policy.save_pretrained(tmp_path)
    loaded = LingBotVAWAM.from_pretrained(tmp_path, device="cpu")
    loaded.reset()
    assert torch.equal(wam.sample(obs(0), 2, seed=1).actions, loaded.sample(obs(0), 2, seed=1).actions)


def test_postprocessor_maps_every_action_and_env_observations_are_converted(make_wam):
    """uint8 [H, W, 3] env images through camera_map, and the instruction as our backends store it
    (a 0-d array under "instruction"), give the same branches as the LeRobot batch."""
    wam = make_wam()
    lerobot_obs = obs(0)
    images = {key: (lerobot_obs[key][0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
              for key in wam.policy.config.obs_cam_keys}
    quantised = {key: torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255 for key, img in images.items()}
    plain = wam.sample({**quantised, "task": lerobot_obs["task"]}, 2, seed=4)

    env_wam = LingBotVAWAM(wam.policy, camera_map={k: f"cam{i}" for i, k in enumerate(images)},
                           postprocessor=lambda a: 2 * a + 1)
    env_wam.reset()
    env_obs = {f"cam{i}": img for i, img in enumerate(images.values())}
    env_obs["state"] = np.zeros(8, dtype=np.float32)
    env_obs["instruction"] = np.array(lerobot_obs["task"])
    mapped = env_wam.sample(env_obs, 2, seed=4)
    assert torch.equal(mapped.actions, 2 * plain.actions + 1)
    assert torch.equal(mapped.futures, plain.futures)


def test_misuse_raises_clear_errors(make_wam):
    wam = make_wam()
    with pytest.raises(ValueError, match="task instruction"):
        wam.sample({k: v for k, v in obs(0).items() if k != "task"}, 2, seed=0)
    with pytest.raises(ValueError, match="cameras"):
        wam.sample({"task": "pick"}, 2, seed=0)
    with pytest.raises(ValueError, match="n must be"):
        wam.sample(obs(0), 0, seed=0)
    with pytest.raises(RuntimeError, match="on_select"):
        wam.on_select(None, 0)
    branches = wam.sample(obs(0), 2, seed=0)
    with pytest.raises(RuntimeError, match="twice without on_select"):
        wam.sample(obs(0), 2, seed=0)
    with pytest.raises(IndexError, match="out of range"):
        wam.on_select(branches, 2)
    wam.on_select(branches, 1)
    for k in range(wam.future_horizon - 1):
        wam.on_step(obs(k + 1))
    with pytest.raises(RuntimeError, match="on_step\\(obs\\) after each of the chunk's 12 actions"):
        wam.sample(obs(12), 2, seed=1)
    wam.on_step(obs(12))
    with pytest.raises(RuntimeError, match="for a chunk of 12 actions"):
        wam.on_step(obs(13))
    with pytest.raises(TypeError, match="wraps a LingBotVAPolicy"):
        LingBotVAWAM(torch.nn.Linear(2, 2))


def test_check_command_times_a_saved_checkpoint(make_wam, tmp_path, capsys):
    """``python -m adapters.check lingbot_va`` end to end, on the tiny policy saved as a checkpoint."""
    from adapters import check

    make_wam().policy.save_pretrained(tmp_path)
    assert check.main(["lingbot_va", "--checkpoint", str(tmp_path), "--device", "cpu", "--n", "1", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split("|") for line in lines if line.strip().split("|")[0].strip() in ("1", "2")]
    assert [int(r[0]) for r in rows] == [1, 2]
    kv_batched, kv_sequential = [float(r[4].split()[0]) for r in rows], [float(r[4].split()[1]) for r in rows]
    assert kv_sequential[1] == pytest.approx(2 * kv_sequential[0], rel=0.05)  # N whole caches
    # batched: the window (2 chunks at tiny size) once, plus one chunk per branch: 3, then 4 chunk sizes
    assert kv_batched[1] == pytest.approx(kv_batched[0] * 4 / 3, rel=0.05)
    assert [float(r[6]) for r in rows] == [0.0, 0.0]  # batched and sequential agree exactly here

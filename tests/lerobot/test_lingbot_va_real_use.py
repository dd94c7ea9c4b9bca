"""LingBot-VA on a GPU cluster, emulated on the CPU: device split, failed samples, OOM fallback,
smaller batched passes, camera names and the LeRobot version (issue 13)."""

from __future__ import annotations

import pytest

pytest.importorskip(
    "lerobot.policies.lingbot_va", reason="needs LeRobot's LingBot-VA port (Python 3.12 venv: make install-lerobot)"
)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from adapters.lingbot_va import adapter as adapter_module  # noqa: E402
from adapters.lingbot_va.cache import cache_rows  # noqa: E402
from tests.lerobot.lingbot import assert_same_cache, obs, run_chunk  # noqa: E402
from wam_tts import ConsensusSelector, WeightedSelector, derive_seed  # noqa: E402
from wam_tts.selectors import MeanSelector  # noqa: E402


def _same(a, b) -> None:
    assert torch.equal(a.actions, b.actions) and torch.equal(a.futures, b.futures)


class _FailOnCall:
    """Wraps the transformer's forward: raises out-of-memory on call number ``at`` (1-based) once."""

    def __init__(self, transformer, at: int) -> None:
        self.forward, self.at, self.calls = transformer.forward, at, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == self.at:
            raise torch.OutOfMemoryError("CUDA out of memory (emulated)")
        return self.forward(*args, **kwargs)


@pytest.mark.parametrize("fail_at", [1, 2, 4], ids=["feedback-video", "feedback-action", "draw"])
def test_a_failed_sample_leaves_the_policy_as_it_was(make_wam, monkeypatch, fail_at):
    """Out of memory in the KV feedback or the N-branch pass of a later chunk; the retry (even at
    another N) draws exactly what a policy that never failed draws, and the episode carries on."""
    failing, clean = make_wam(), make_wam()
    for wam in (failing, clean):
        wam.on_select(wam.sample(obs(0), 4, seed=1), 2)
        run_chunk(wam, 1)
    transformer = failing.policy.transformer
    hook = _FailOnCall(transformer, fail_at)
    monkeypatch.setattr(transformer, "forward", hook)
    with pytest.raises(torch.OutOfMemoryError):
        failing.sample(obs(12), 16, seed=2)
    assert cache_rows(transformer) == 2
    retry, expected = failing.sample(obs(12), 3, seed=2), clean.sample(obs(12), 3, seed=2)
    _same(retry, expected)
    assert_same_cache(transformer, clean.policy.transformer)
    for wam, branches in ((failing, retry), (clean, expected)):
        wam.on_select(branches, 1)
        run_chunk(wam, 13)
    _same(failing.sample(obs(28), 2, seed=3), clean.sample(obs(28), 2, seed=3))


def test_a_failed_first_chunk_leaves_a_fresh_episode(make_wam, monkeypatch):
    failing, clean = make_wam(), make_wam()
    monkeypatch.setattr(failing.policy.transformer, "forward", _FailOnCall(failing.policy.transformer, 3))
    with pytest.raises(torch.OutOfMemoryError):
        failing.sample(obs(0), 8, seed=5)
    assert failing.policy._first_chunk and failing._chunk_len is None
    _same(failing.sample(obs(0), 2, seed=5), clean.sample(obs(0), 2, seed=5))


@pytest.mark.parametrize("max_batch", [1, 2, 3])
def test_smaller_batched_passes_draw_the_same_branches_and_cache(make_wam, max_batch):
    """N = 5 in passes of ``max_batch`` (the OOM fallback's first step) == one pass of 5, over two chunks."""
    split, whole = make_wam(), make_wam()
    split.max_batch = max_batch
    next_obs = 1
    for chunk in range(2):
        drawn = [wam.sample(obs(next_obs - 1), 5, seed=7 + chunk) for wam in (split, whole)]
        _same(*drawn)
        assert_same_cache(split.policy.transformer, whole.policy.transformer)
        for wam, branches in zip((split, whole), drawn, strict=True):
            wam.on_select(branches, 3)
            end = run_chunk(wam, next_obs)
        next_obs = end


def test_out_of_memory_falls_back_to_smaller_batches_then_fewer_branches_and_says_so(make_wam, monkeypatch):
    """An emulated GPU that fits passes of 2 branches and a cache of 4 branches."""
    wam, reference = make_wam(), make_wam()
    expected = reference.sample(obs(0), 4, seed=derive_seed(3, 0))
    real_relay, real_add = adapter_module.cache.relay_for_branches, adapter_module.cache.BranchAssembler.add

    def relay(transformer, n, rows, *capacity):
        if n > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (emulated: pass too wide)")
        return real_relay(transformer, n, rows, *capacity)

    def add(self, transformer, size):
        if self.n > 4:
            raise torch.OutOfMemoryError("CUDA out of memory (emulated: cache too large)")
        return real_add(self, transformer, size)

    monkeypatch.setattr(adapter_module.cache, "relay_for_branches", relay)
    monkeypatch.setattr(adapter_module.cache.BranchAssembler, "add", add)
    selector = ConsensusSelector(wam, n=8)
    selector.reset(seed=3)
    with pytest.warns(RuntimeWarning, match="out of memory at N=8 batch=8, N=8 batch=4"):
        decision = selector.act(obs(0))
    record = decision.memory_fallback
    assert (record.requested_n, record.n, record.max_batch) == (8, 4, 1)
    assert record.failed == ((8, None), (8, 4), (8, 2), (8, 1))
    assert decision.branches.n == 4 and decision.scores.shape == (4,) and wam.max_batch == 1
    _same(decision.branches, expected)  # the first 4 of the 8 branches asked for
    assert cache_rows(wam.policy.transformer) == 2  # collapsed to the chosen branch


def test_out_of_memory_at_one_branch_is_raised_and_the_policy_is_unchanged(make_wam, monkeypatch):
    wam = make_wam()
    monkeypatch.setattr(adapter_module, "batched_infer", _raise_oom)
    selector = ConsensusSelector(wam, n=4)
    selector.reset(seed=0)
    with pytest.raises(torch.OutOfMemoryError, match="even one branch"):
        selector.act(obs(0))
    assert wam.max_batch is None and wam.policy._first_chunk


def _raise_oom(*args, **kwargs):
    raise torch.OutOfMemoryError("CUDA out of memory (emulated)")


def test_actions_follow_the_futures_device_when_the_postprocessor_returns_cpu_tensors(make_wam, monkeypatch):
    """LeRobot's postprocessor ends with a move to the CPU while the futures stay on the GPU:
    emulated with futures on the "meta" device."""
    wam = make_wam()
    wam.postprocessor = lambda a: (2 * a).cpu()
    real_draw = wam._draw
    monkeypatch.setattr(wam, "_draw", lambda *a: tuple(t.to("meta") if i else t for i, t in enumerate(real_draw(*a))))
    branches = wam.sample(obs(0), 3, seed=0)
    assert branches.actions.device == branches.futures.device == torch.device("meta")


@pytest.mark.parametrize("selector", [WeightedSelector, MeanSelector])
def test_blending_selectors_are_refused_for_a_streaming_policy(make_wam, selector):
    with pytest.raises(ValueError, match="streams observations.*blend is no branch"):
        selector(make_wam(), n=4)


def test_robotwin_cameras_are_read_from_the_checkpoint_in_either_spelling(make_wam, tmp_path):
    from adapters.lingbot_va import load_lingbot_va
    from adapters.lingbot_va.cameras import robotwin_camera_map

    lerobot_keys = [f"observation.images.{c}" for c in ("head_camera", "left_camera", "right_camera")]
    upstream_keys = [f"observation.images.{c}" for c in ("cam_high", "cam_left_wrist", "cam_right_wrist")]
    backend = ["head_camera_image", "left_camera_image", "right_camera_image"]
    assert list(robotwin_camera_map(lerobot_keys).values()) == backend
    assert list(robotwin_camera_map(upstream_keys).values()) == backend
    with pytest.raises(ValueError, match="not RoboTwin cameras"):
        robotwin_camera_map(["observation.images.image"])

    wam = make_wam()
    wam.policy.config.obs_cam_keys = lerobot_keys[:2]
    wam.policy.save_pretrained(tmp_path)
    loaded = load_lingbot_va("place_empty_cup", str(tmp_path), device="cpu", postprocess=False)
    assert loaded.camera_map == dict(zip(lerobot_keys[:2], backend[:2], strict=True))
    image = np.zeros((64, 64, 3), dtype=np.uint8)
    branches = loaded.sample({"head_camera_image": image, "left_camera_image": image,
                              "instruction": np.array("pick up the red block")}, 2, seed=0)
    assert branches.n == 2


def test_lerobot_outside_the_tested_range_fails_clearly(monkeypatch):
    import lerobot

    monkeypatch.setattr(lerobot, "__version__", "0.7.0")
    monkeypatch.delenv(adapter_module.ALLOW_UNTESTED_ENV, raising=False)
    with pytest.raises(adapter_module.UnsupportedLeRobotError, match=r"LeRobot 0\.7\.0.*>=0\.6\.1,<0\.6\.2"):
        adapter_module.require_lerobot()
    monkeypatch.setenv(adapter_module.ALLOW_UNTESTED_ENV, "1")
    with pytest.warns(RuntimeWarning, match="LeRobot 0.7.0"):
        adapter_module.require_lerobot()
    monkeypatch.setattr(lerobot, "__version__", "0.6.1")
    monkeypatch.delenv(adapter_module.ALLOW_UNTESTED_ENV)
    adapter_module.require_lerobot()


def test_the_cache_size_arithmetic_matches_the_live_cache():
    """The formula that gives the released model's figure, checked against the tiny policy's cache."""
    from adapters.lingbot_va.cache_size import RELEASED_ROBOTWIN, kv_cache_bytes, measured_tiny_bytes
    from adapters.lingbot_va.tiny import TINY_CONFIG

    tiny = {**TINY_CONFIG, "obs_cam_keys": ["observation.images.image", "observation.images.image2"]}
    measured = measured_tiny_bytes([1, 3])
    assert measured == {n: kv_cache_bytes(tiny, n) for n in (1, 3)}
    chunk = kv_cache_bytes(tiny, 2) - kv_cache_bytes(tiny, 1)  # one more branch: one more chunk
    assert measured[3] - measured[1] == 2 * chunk and measured[1] == 3 * chunk  # window of 2 chunks + 1
    assert kv_cache_bytes(tiny, 3, "per_branch") == 3 * kv_cache_bytes(tiny, 1, "per_branch") == 3 * 2 * chunk
    # released RoboTwin: 30 layers x 2 rows x k,v x 24 heads x 128 x bf16, per slot; (480 + 64) slots a chunk
    per_chunk = 30 * 2 * 2 * 24 * 128 * 2 * 544
    assert kv_cache_bytes(RELEASED_ROBOTWIN, 16, "per_branch") == 16 * 36 * per_chunk
    assert kv_cache_bytes(RELEASED_ROBOTWIN, 16) == (36 + 16) * per_chunk


def test_the_history_is_held_once_while_branches_are_drawn(make_wam, monkeypatch):
    """N branches share the one-branch cache's k/v (not copied); each branch keeps only the new chunk."""
    from adapters.lingbot_va.cache import layer_caches
    from adapters.lingbot_va.shared_cache import SharedHistoryPool

    wam = make_wam()
    wam.on_select(wam.sample(obs(0), 2, seed=0), 0)
    run_chunk(wam, 1)
    history = []
    real = adapter_module.cache.relay_for_branches

    def relay(transformer, n, rows, *capacity):
        history.extend(c["k"] for c in layer_caches(transformer))
        return real(transformer, n, rows, *capacity)

    monkeypatch.setattr(adapter_module.cache, "relay_for_branches", relay)
    wam.sample(obs(12), 6, seed=1)
    pools = [c["k"] for c in layer_caches(wam.policy.transformer)]
    assert all(isinstance(p, SharedHistoryPool) and p.shared is h for p, h in zip(pools, history, strict=True))
    assert all(p.own.shape[0] == 2 * 6 and p.used == wam._tokens_per_chunk for p in pools)

"""Perturbed-chunk training samples executed from replayed demo states (robosuite Lift)."""

import numpy as np
import pytest
import torch

from adapters.reference.normalizer import Standardizer, pooled_std

pytest.importorskip("robosuite")


@pytest.fixture(scope="module")
def lift():
    from eval.envs import make_env
    from eval.envs.experts import collect_demos

    with make_env("robosuite", "Lift") as env:
        demos = collect_demos("Lift", episodes=1, seed=0, env=env, max_steps=24, progress=False)
        yield env, demos


def test_branches_start_at_demo_states_and_reach_different_futures(lift):
    from eval.reference_training.branch_data import branch_samples

    env, demos = lift
    data = branch_samples(env, demos, [0], variety=0.3, count=3, horizon=8, future_horizon=8, max_states=4)
    assert len(data) == 4 * 3  # 24 steps strided by 6: states 0, 6, 12, 18
    assert torch.allclose(data.states[0::3], torch.from_numpy(demos[0].states[[0, 6, 12, 18]]), atol=1e-4)
    assert torch.equal(data.states[0], data.states[2])  # branches of one state share it
    spread = (data.futures[0:3] - data.futures[0:3].mean(0)).abs().max()
    assert spread > 1e-3  # different chunks led to different states
    assert (data.chunks.abs() <= 1).all()
    offsets = data.chunks[:3] - torch.from_numpy(demos[0].actions[:8])
    assert torch.allclose(offsets, offsets[:, :1].expand_as(offsets), atol=1e-6) or (data.chunks.abs() == 1).any()


def test_the_same_chunk_from_the_restored_state_reaches_the_same_future(lift):
    from eval.reference_training.branch_data import branch_samples

    env, demos = lift
    a = branch_samples(env, demos, [0], variety=0.2, count=2, horizon=8, future_horizon=8, max_states=2, seed=5)
    b = branch_samples(env, demos, [0], variety=0.2, count=2, horizon=8, future_horizon=8, max_states=2, seed=5)
    assert torch.equal(a.futures, b.futures) and torch.equal(a.chunks, b.chunks)
    assert branch_samples(env, demos, [0], 0.0, 2, 8, 8, 2) is None


def test_a_demo_from_another_scene_is_refused(lift):
    from eval.reference_training.branch_data import branch_samples

    env, demos = lift
    with pytest.raises(RuntimeError, match="diverged"):
        branch_samples(env, demos, [1], variety=0.2, count=1, horizon=8, future_horizon=8, max_states=2)


def test_pooled_scale_shares_one_unit_per_observable():
    std = torch.tensor([0.002, 0.002, 0.5, 0.5, 0.03, 0.04])
    pooled = pooled_std(std, [4, 2])
    assert torch.allclose(pooled[:4], torch.full((4,), float(np.sqrt((2 * 0.002**2 + 2 * 0.25) / 4))))
    assert torch.allclose(pooled[4:], torch.full((2,), float(np.sqrt((0.03**2 + 0.04**2) / 2))))
    with pytest.raises(ValueError, match="summing"):
        pooled_std(std, [4, 1])
    data = torch.randn(100, 6) * std
    fitted = Standardizer.fit(data, 1e-2, [4, 2])
    assert fitted.std[0] == fitted.std[3] and fitted.std[0] > 0.3  # the tilt no longer has its own tiny unit

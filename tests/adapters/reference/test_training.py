"""Short training runs reduce the losses; data cutting and normalisation are right."""

import numpy as np
import pytest
import torch

from adapters.reference.dataset import ChunkData
from adapters.reference.normalizer import Normalizer
from adapters.reference.rollout import Episode
from adapters.reference.training import build_model, train_model
from adapters.reference.value import ValueData, train_value_head
from tests.adapters.reference.synthetic import TINY, Trajectory, tiny_data, tiny_model


@pytest.mark.parametrize("family", ["joint", "inverse"])
def test_short_training_reduces_the_loss(family):
    torch.manual_seed(0)
    model, data = tiny_model(family), tiny_data()
    losses = train_model(model, data, steps=150, batch_size=64, lr=3e-3)
    assert np.mean(losses[-20:]) < 0.7 * np.mean(losses[:20])


def test_training_is_reproducible_for_a_seed():
    runs = []
    for _ in range(2):
        model = tiny_model("joint", seed=1)
        runs.append(train_model(model, tiny_data(), steps=5, batch_size=16, seed=4))
    assert runs[0] == runs[1]


def test_chunks_and_futures_are_cut_and_padded_at_the_end():
    states = np.arange(4, dtype=np.float32)[:, None].repeat(2, 1)  # T = 3
    actions = np.array([[1.0], [2.0], [3.0]], np.float32)
    data = ChunkData.from_trajectories([Trajectory(states, actions)], horizon=2, future_horizon=2)
    assert data.chunks[:, :, 0].tolist() == [[1, 2], [2, 3], [3, 3]]
    assert data.futures[:, 0].tolist() == [2, 3, 3]
    assert data.states[:, 0].tolist() == [0, 1, 2]


def test_malformed_trajectories_are_rejected():
    with pytest.raises(ValueError, match="T \\+ 1"):
        ChunkData.from_trajectories([Trajectory(np.zeros((3, 2)), np.zeros((3, 1)))], 2, 2)
    with pytest.raises(ValueError, match="no trajectories"):
        ChunkData.from_trajectories([], 2, 2)


def test_normaliser_floors_constant_features():
    data = torch.tensor([[1.0, 5.0], [3.0, 5.0]])
    norm = Normalizer.fit(data, data, data, std_floor=0.5)
    assert norm.state.std.tolist() == pytest.approx([2**0.5, 0.5])
    torch.testing.assert_close(norm.state.denormalize(norm.state.normalize(data)), data)
    with pytest.raises(ValueError, match="NaN"):
        Normalizer.fit(data.masked_fill(data > 4, float("nan")), data, data)


def _episode(success: bool, length: int, steps: list[int], rng) -> Episode:
    return Episode(
        seed=0, success=success, length=length, wall_s=0.0, decision_steps=steps,
        states=[rng.normal(size=6).astype(np.float32) for _ in steps],
        actions=[torch.tensor(rng.uniform(-1, 1, (4, 3)), dtype=torch.float32) for _ in steps],
        futures=[torch.tensor(rng.normal(size=6), dtype=torch.float32) for _ in steps],
    )


def test_value_labels_are_discounted_returns_of_success():
    rng = np.random.default_rng(0)
    data = ValueData.from_episodes([_episode(True, 10, [0, 4, 8], rng), _episode(False, 9, [0, 4], rng)], 0.9)
    assert data.returns.tolist() == pytest.approx([0.9**10, 0.9**6, 0.9**2, 0.0, 0.0])


def test_value_head_learns_returns_and_only_the_head_changes():
    rng = np.random.default_rng(1)
    episodes = [_episode(i % 2 == 0, 12, [0, 4, 8], rng) for i in range(16)]
    # make success visible in the state, as an object lifted off the table would be
    for e in episodes:
        for s in e.states:
            s[0] = 2.0 if e.success else -2.0
    data = ValueData.from_episodes(episodes, 0.95)
    model = tiny_model("joint")
    flow_before = [p.clone() for p in model.flow.parameters()]
    losses = train_value_head(model, data, steps=200, batch_size=32, lr=1e-2)
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) - 0.1
    assert model.has_value_head
    assert all(torch.equal(a, b) for a, b in zip(flow_before, model.flow.parameters(), strict=True))
    with torch.no_grad():
        v = model.value(data.states, data.actions, data.futures)
    success = data.returns > 0
    assert v[success].mean() > v[~success].mean() + 0.3


def test_inverse_noise_perturbs_only_what_the_inverse_network_reads_in_training():
    """``inverse_noise`` changes the inverse-dynamics loss (noise on the change it reads) and
    nothing at sampling time; 0 is the plain loss; it must be a number >= 0."""
    from adapters.reference.config import ModelConfig

    data = tiny_data()
    plain = tiny_model("inverse")
    noisy = build_model("inverse", data, seed=0, **{**TINY, "inverse_noise": 2.0})
    noisy.load_state_dict(plain.state_dict())
    batch = data.take(torch.arange(32))
    same = [m.loss(batch, torch.Generator().manual_seed(3)) for m in (plain, plain)]
    assert torch.equal(same[0], same[1])
    assert not torch.isclose(noisy.loss(batch, torch.Generator().manual_seed(3)), same[0])
    noise = torch.randn(4, plain.noise_dim, generator=torch.Generator().manual_seed(0))
    states = data.states[:4]
    with torch.no_grad():
        assert torch.equal(plain.predict(states, noise).actions, noisy.predict(states, noise).actions)
    assert ModelConfig.from_dict(noisy.config.to_dict()).inverse_noise == 2.0
    with pytest.raises(ValueError, match="inverse_noise must be a number >= 0"):
        ModelConfig(state_dim=4, action_dim=2, inverse_noise=-0.1)

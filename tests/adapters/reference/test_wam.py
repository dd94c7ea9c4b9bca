"""Reference WAMs in the policy protocol: batched seeded branches (untrained tiny models)."""

import numpy as np
import pytest
import torch

from adapters.reference import InverseDynamicsWAM, JointPredictionWAM
from tests.adapters.reference.synthetic import ACTION_DIM, HORIZON, STATE_DIM, TINY, tiny_model
from wam_tts.testing import check_world_action_model

WRAPPERS = {"joint": JointPredictionWAM, "inverse": InverseDynamicsWAM}
OBS = {"state": np.linspace(-1, 1, STATE_DIM).astype(np.float32)}


@pytest.fixture(params=["joint", "inverse"])
def policy(request):
    return WRAPPERS[request.param](tiny_model(request.param))


def test_branches_have_the_protocol_shapes(policy):
    branches = policy.sample(OBS, n=5, seed=3)
    assert branches.actions.shape == (5, HORIZON, ACTION_DIM)
    assert branches.futures.shape == (5, STATE_DIM)
    assert policy.encode_observation(OBS).shape == (STATE_DIM,)
    assert policy.latent(OBS).shape == (STATE_DIM,)
    assert policy.future_horizon == TINY["future_horizon"]
    assert branches.actions.abs().max() <= 1.0


def test_branches_differ_from_each_other(policy):
    branches = policy.sample(OBS, n=8, seed=0)
    for field in (branches.actions, branches.futures):
        flat = field.reshape(8, -1)
        assert torch.cdist(flat, flat).add(torch.eye(8)).min() > 1e-4


def test_same_seed_gives_identical_branches_and_other_seeds_do_not(policy):
    a, b = policy.sample(OBS, 4, seed=11), policy.sample(OBS, 4, seed=11)
    assert torch.equal(a.actions, b.actions) and torch.equal(a.futures, b.futures)
    c = policy.sample(OBS, 4, seed=12)
    assert not torch.allclose(a.futures, c.futures)


def test_branches_are_prefix_stable_across_n(policy):
    """N = 8 is the first 8 rows of N = 16, and branch i alone equals row i (up to batching)."""
    eight, sixteen = policy.sample(OBS, 8, seed=5), policy.sample(OBS, 16, seed=5)
    torch.testing.assert_close(sixteen.actions[:8], eight.actions)
    torch.testing.assert_close(sixteen.futures[:8], eight.futures)


def test_keeps_the_world_action_model_contract(policy):
    report = check_world_action_model(policy, OBS, n=8)
    assert report.action_shape == (8, HORIZON, ACTION_DIM) and report.future_shape == (STATE_DIM,)


def test_joint_with_a_trained_value_head_keeps_the_contract():
    model = tiny_model("joint")
    model.value_trained.fill_(True)
    assert check_world_action_model(JointPredictionWAM(model), OBS, n=4).ok


def test_encode_observation_is_the_normalised_state(policy):
    norm = policy.model.normalizer.state
    expected = (torch.from_numpy(OBS["state"]) - norm.mean) / norm.std
    torch.testing.assert_close(policy.encode_observation(OBS), expected)


@pytest.mark.parametrize(
    ("obs", "message"),
    [
        ({"image": np.zeros(3)}, "obs\\['state'\\]"),
        ({"state": np.zeros(STATE_DIM + 1)}, "shape"),
        ({"state": np.full(STATE_DIM, np.nan)}, "NaN"),
        (np.zeros(STATE_DIM), "obs\\['state'\\]"),
    ],
)
def test_bad_observations_get_clear_errors(policy, obs, message):
    with pytest.raises(ValueError, match=message):
        policy.sample(obs, 2, seed=0)


def test_bad_n_is_rejected(policy):
    with pytest.raises(ValueError, match="n must be"):
        policy.sample(OBS, 0, seed=0)


def test_wrapper_rejects_the_other_family():
    with pytest.raises(TypeError, match="wraps a JointFlowModel"):
        JointPredictionWAM(tiny_model("inverse"))


def test_joint_values_appear_once_the_value_head_is_trained():
    model = tiny_model("joint")
    assert JointPredictionWAM(model).sample(OBS, 3, 0).values is None
    model.value_trained.fill_(True)
    policy = JointPredictionWAM(model)
    values = policy.sample(OBS, 3, 0).values
    assert policy.has_value_head and values.shape == (3,)
    assert ((values >= 0) & (values <= 1)).all()

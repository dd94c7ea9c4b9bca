"""The committed checkpoints: small, documented, and able to act in their env."""

import numpy as np
import pytest

from adapters.reference import CHECKPOINT_DIR, load_checkpoint, load_reference_policy, shipped_tasks
from eval.policies import make_policy
from wam_tts.testing import check_world_action_model

SHIPPED = [(family, task) for family in ("joint", "inverse") for task in shipped_tasks(family)]
EXPECTED_TASKS = {"Lift", "Door", "Stack", "PickPlaceCan"}


def test_both_families_ship_the_expected_tasks():
    for family in ("joint", "inverse"):
        assert EXPECTED_TASKS <= set(shipped_tasks(family))


@pytest.mark.parametrize(("family", "task"), SHIPPED)
def test_checkpoint_is_small_and_records_its_training(family, task):
    path = CHECKPOINT_DIR / f"{family}_{task}.pt"
    assert path.stat().st_size < 2**20
    _, payload = load_checkpoint(path)
    assert (payload["family"], payload["task"]) == (family, task)
    meta = payload["meta"]
    assert 0 < meta["demos_successful"] <= meta["demos_collected"] == meta["recipe"]["demos"]
    assert len(meta["demo_seeds"]) == meta["recipe"]["demos"]
    assert meta["loss_final"] < meta["loss_first"]
    if family == "joint":
        assert meta["value_rollouts"]["episodes"] == meta["recipe"]["value_episodes"] > 0


@pytest.mark.parametrize(("family", "task"), SHIPPED)
def test_shipped_policy_built_by_name_keeps_the_contract(family, task):
    policy = make_policy(f"reference_{family}", task)
    obs = {"state": policy.model.normalizer.state.mean.numpy()}  # a typical state of the task
    report = check_world_action_model(policy, obs, n=8)
    assert report.future_shape == (policy.model.config.state_dim,)


@pytest.mark.slow
@pytest.mark.parametrize(("family", "task"), SHIPPED)
def test_shipped_policy_acts_in_its_env(family, task):
    pytest.importorskip("robosuite")
    from eval.envs import make_env

    policy = load_reference_policy(family, task)
    assert policy.has_value_head == (family == "joint")
    with make_env("robosuite", task) as env:
        obs = env.reset(seed=12_345)
        start = obs["state"].copy()
        for call in range(3):
            branches = policy.sample(obs, 8, seed=call)
            assert branches.actions.shape == (8, policy.model.config.horizon, env.action_dim)
            assert branches.futures.shape == (8, env.state_dim)
            obs = env.execute(branches.actions[0, : policy.future_horizon].numpy())
        assert np.isfinite(obs["state"]).all() and not np.allclose(obs["state"], start)


def test_ladder_rungs_are_listed_apart_from_the_shipped_tasks():
    from adapters.reference import checkpoint_path, shipped_rungs

    assert all("_" not in task for task in shipped_tasks("joint"))
    for task in ("Lift", "Door", "Stack"):
        rungs = shipped_rungs("joint", task)
        assert rungs[:2] == [0, 1]
        for rung in rungs:
            path = checkpoint_path("joint", task, rung)
            assert path.name == f"joint_{task}_v{rung}.pt" and path.stat().st_size < 2**20
            meta = load_checkpoint(path)[1]["meta"]
            assert meta["recipe"]["state_scale"] == "pooled"
            assert (meta["branch_samples"] > 0) == (meta["recipe"]["branch_variety"] > 0)
    with pytest.raises(FileNotFoundError, match="no rung 9 of the joint ladder"):
        load_reference_policy("joint", "Lift", rung=9)
    with pytest.raises(ValueError, match="rung must be"):
        checkpoint_path("joint", "Lift", "v1")


def test_the_default_is_the_chosen_rung_and_the_original_stays_loadable():
    from adapters.reference import DEFAULT_RUNGS, checkpoint_path

    assert checkpoint_path("joint", "Lift") == checkpoint_path("joint", "Lift", DEFAULT_RUNGS[("joint", "Lift")])
    assert checkpoint_path("joint", "Lift", "original").name == "joint_Lift.pt"
    assert checkpoint_path("inverse", "Lift").name == "inverse_Lift.pt"  # no ladder: the original
    assert checkpoint_path("joint", "PickPlaceCan").name == "joint_PickPlaceCan.pt"


@pytest.mark.parametrize("family", ["joint", "inverse"])
def test_visual_checkpoints_ship_for_both_families_with_the_recipe_that_trained_them(family):
    """Each shipped visual checkpoint records the recipe ``train_visual`` uses by default
    (fields added since take their defaults), its camera and autoencoder, and fits in 2 MiB."""
    from adapters.reference import checkpoint_path, visual_tasks
    from adapters.reference.recipes import Recipe, visual_recipe

    assert {"Lift", "Door"} <= set(visual_tasks(family))
    for task in visual_tasks(family):
        path = checkpoint_path(family, task, visual=True)
        assert path.stat().st_size < 2 * 2**20
        model, payload = load_checkpoint(path)
        meta = payload["meta"]
        assert Recipe(**meta["recipe"]) == visual_recipe(family, task)
        assert payload["encoder"]["camera"] == meta["camera"] == "agentview"
        assert model.config.latent_dim == meta["latent_dim"] == 256
        assert model.config.inverse_noise == visual_recipe(family, task).inverse_noise
        assert meta["loss_final"] < meta["loss_first"]

"""End to end on robosuite Lift: demos → training → value rollouts → checkpoint → acting."""

import numpy as np
import pytest
import torch

from adapters.reference import load_policy
from adapters.reference.recipes import Recipe
from eval.reference_training.train import main, parse_args, train

pytest.importorskip("robosuite")
TINY = Recipe(demos=2, steps=250, batch_size=32, width=32, depth=1, flow_steps=2,
              value_episodes=1, value_steps=10)


@pytest.mark.slow
def test_training_cli_writes_a_checkpoint_that_acts_in_the_env(tmp_path):
    from eval.envs import make_env

    meta = train("joint", "Lift", TINY, tmp_path / "joint.pt", cache=tmp_path / "demos", progress=False)
    assert meta["demos_successful"] == 2 and meta["demo_seeds"] == [0, 1]
    assert meta["value_rollouts"]["episodes"] == 1 and meta["value_rollout_seeds"] == [20000, 20000]
    assert meta["loss_final"] < meta["loss_first"]
    policy = load_policy(tmp_path / "joint.pt")
    assert policy.has_value_head and policy.family == "joint"
    with make_env("robosuite", "Lift") as env:
        obs = env.reset(seed=10_000)
        start = obs["state"].copy()
        for call in range(2):
            branches = policy.sample(obs, 4, seed=call)
            assert branches.actions.shape == (4, 8, env.action_dim)
            assert branches.futures.shape == (4, env.state_dim)
            assert ((branches.values >= 0) & (branches.values <= 1)).all()
            obs = env.execute(branches.actions[0].numpy())
        assert not np.allclose(obs["state"], start)
        assert torch.isfinite(policy.encode_observation(obs)).all()


def test_cli_overrides_only_the_given_recipe_fields():
    args = parse_args(["--family", "inverse", "--task", "Stack", "--demos", "7", "--lr", "0.01"])
    assert (args.family, args.task, args.demos, args.lr, args.steps) == ("inverse", "Stack", 7, 0.01, None)


def test_cli_rejects_an_unknown_family():
    with pytest.raises(SystemExit):
        main(["--family", "diffusion", "--task", "Lift"])

"""End to end on robosuite Lift with the camera: demos → frames → autoencoder → visual model → acting."""

import numpy as np
import pytest
import torch

from adapters.reference import load_policy
from adapters.reference.recipes import Recipe

pytest.importorskip("robosuite")
TINY = Recipe(demos=1, steps=60, batch_size=32, width=32, depth=1, flow_steps=2, branch_variety=0.1,
              branch_count=2, branch_states=4, value_episodes=1, value_steps=10)


@pytest.mark.slow
def test_visual_training_writes_a_checkpoint_whose_futures_are_frame_latents(tmp_path, monkeypatch):
    import eval.reference_training.train_visual as train_visual
    from eval.envs import make_env

    monkeypatch.setattr(train_visual, "AUTOENCODER_STEPS", 20)
    meta = train_visual.train_visual("joint", "Lift", TINY, tmp_path / "v.pt", cache=tmp_path / "demos", progress=False)
    assert meta["branch_samples"] == 8 and meta["latent_dim"] == 256
    assert meta["frames"] == meta["train_samples"] + 1  # a demo of T steps has T + 1 frames
    assert meta["value_rollouts"]["episodes"] == 1
    policy = load_policy(tmp_path / "v.pt")
    assert policy.encoder is not None and policy.has_value_head and policy.image_key == "agentview_image"
    with make_env("robosuite", "Lift", **policy.env_options()) as env:
        obs = env.reset(seed=10_000)
        branches = policy.sample(obs, 4, seed=0)
        assert branches.futures.shape == (4, 256) and branches.actions.shape == (4, 8, env.action_dim)
        reached = env.execute(branches.actions[0].numpy())
        assert torch.isfinite(policy.encode_observation(reached)).all()
        assert reached.rendered == ["agentview_image"]  # read once, by the encoding


def test_replay_keeps_every_demo_frame_and_every_reached_frame():
    from eval.envs import make_env
    from eval.envs.experts import collect_demos
    from eval.reference_training.branch_data import replay_demos

    with make_env("robosuite", "Lift", cameras=["agentview"], image_size=32, lazy_images=True) as env:
        demos = collect_demos("Lift", episodes=1, seed=0, env=env, max_steps=12, progress=False)
        replay = replay_demos(env, demos, [0], variety=0.2, count=2, horizon=4, future_horizon=4, max_states=3,
                              camera="agentview")
    assert replay.demo_frames[0].shape == (13, 32, 32, 3)
    assert len(replay.future_frames) == len(replay.starts) == 6
    assert [t for _, t in replay.starts] == [0, 0, 4, 4, 8, 8]
    assert not np.array_equal(replay.future_frames[0], replay.demo_frames[0][0])

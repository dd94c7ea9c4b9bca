"""The rollout loop's horizon bookkeeping, on the toy env where the true future is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from eval.rollout import PendingFutures, Rollout, episode_summary
from tests.eval.toy import ToyEnv, ToyPolicy, ToyStateEnv
from wam_tts import ConsensusSelector, ExploringSelector, ValueSelector


def _recording(selector):
    """Wrap ``selector.act`` so the test sees every decision."""
    decisions = []
    act = selector.act

    def recorded(obs):
        decision = act(obs)
        decisions.append(decision)
        return decision

    selector.act = recorded
    return decisions


def _expected(row, decision, history):
    real = torch.tensor(history[row["horizon_t"]], dtype=torch.float32).double()
    then = torch.tensor(history[row["t"]], dtype=torch.float32).double()
    distance = float(((decision.future - real) ** 2).mean())
    return distance, math.exp(-distance / 0.5), float(torch.linalg.vector_norm(real - then))


def test_prediction_for_t_plus_h_is_scored_at_t_plus_h_across_replanning():
    """h = 3 but only 2 actions run per chunk: each prediction is scored one step after
    the next chunk was planned, against the real state at t + 3."""
    env = ToyStateEnv("reach", tol=1e-9)  # never succeeds: the episode runs to the budget
    selector = ConsensusSelector(ToyPolicy(horizon=3, chunk=4, noise=0.1, bias=0.05), n=4, sigma=0.5)
    decisions = _recording(selector)
    rollout = Rollout(env, selector, max_steps=9, execute=2)
    rollout.run(seed=3)

    assert rollout.t == 9 and not rollout.success
    assert [r["t"] for r in rollout.rows] == [0, 2, 4, 6, 8]
    assert [r["horizon_t"] for r in rollout.rows] == [3, 5, 7, 9, 11]
    history = np.array(env.history)
    for row, decision in zip(rollout.rows[:4], decisions[:4], strict=True):
        distance, consistency, latent_change = _expected(row, decision, history)
        assert row["distance"] == pytest.approx(distance, rel=1e-5, abs=1e-12)
        assert row["consistency"] == pytest.approx(consistency, rel=1e-5)
        assert row["latent_change"] == pytest.approx(latent_change, rel=1e-5)
        # the state right after the chunk (t + 2) would give another distance
        wrong = float(((decision.future - torch.tensor(history[row["t"] + 2]).double()) ** 2).mean())
        assert abs(wrong - distance) > 1e-6
    last = rollout.rows[4]  # refers to t = 11, after the episode ended at t = 9
    assert math.isnan(last["distance"]) and math.isnan(last["consistency"]) and math.isnan(last["latent_change"])


def test_whole_chunk_execution_makes_exact_futures_fully_consistent():
    """Without bias and with h <= executed actions the prediction is the truth: c = 1."""
    env = ToyStateEnv("reach", tol=1e-9)
    selector = ConsensusSelector(ToyPolicy(horizon=3, chunk=4, noise=0.1, bias=0.0), n=3)
    rollout = Rollout(env, selector, max_steps=12)
    rollout.run(seed=1)
    assert [r["t"] for r in rollout.rows] == [0, 4, 8]
    assert all(r["distance"] < 1e-12 and r["consistency"] == pytest.approx(1.0) for r in rollout.rows)


def test_rows_record_scores_values_choice_and_predicted_change():
    env = ToyEnv("reach", step_delay=0.004)
    policy = ToyPolicy(horizon=2, chunk=3, noise=0.2, bias=0.1, delay=0.05)
    selector = ValueSelector(policy, n=5)
    decisions = _recording(selector)
    rollout = Rollout(env, selector, max_steps=6)
    rollout.run(seed=0)
    obs0 = torch.tensor(env.history[0], dtype=torch.float32).double()
    row, decision = rollout.rows[0], decisions[0]
    assert row["chosen"] == int(torch.argmax(decision.branches.values))
    assert row["values"] == pytest.approx(decision.branches.values.tolist())
    assert row["scores"] == pytest.approx(decision.scores.tolist())
    assert row["chosen_value"] == pytest.approx(float(decision.branches.values[row["chosen"]]))
    assert row["predicted_latent_change"] == pytest.approx(float(torch.linalg.vector_norm(decision.future - obs0)))
    assert (row["sample_s"], row["score_s"]) == (decision.sample_s, decision.score_s)
    assert 0.05 <= row["sample_s"] < 10 and 0 <= row["score_s"] < row["sample_s"]  # the policy sleeps 50 ms
    steps_run = rollout.rows[1]["t"] - row["t"]  # the chunk's actions executed before decision 1
    assert steps_run == 3 and 3 * 0.004 <= row["env_s"] < 10  # each env step sleeps 4 ms


def test_episode_stops_at_success_and_records_its_length():
    env = ToyStateEnv("reach", tol=0.3)
    selector = ConsensusSelector(ToyPolicy(gain=0.3, noise=0.0), n=2)
    rollout = Rollout(env, selector, max_steps=100)
    rollout.run(seed=2)
    assert rollout.success and rollout.t < 100
    assert np.linalg.norm(env.history[-1] - env.goal) < 0.3
    assert np.linalg.norm(env.history[-2] - env.goal) >= 0.3  # stopped at the first success


def test_exploring_selector_leaves_the_env_where_it_was():
    """Exploring executes every branch from the saved state; the real trajectory is then
    the chosen branch's actions only."""
    env = ToyStateEnv("reach", tol=1e-9)
    selector = ExploringSelector(ToyPolicy(horizon=2, chunk=2, noise=0.2), n=4)
    decisions = _recording(selector)
    rollout = Rollout(env, selector, max_steps=4)
    rollout.run(seed=5)
    history = np.array(env.history)
    assert len(history) == 5
    np.testing.assert_allclose(history[2] - history[0], decisions[0].actions.sum(0).numpy(), atol=1e-6)
    assert all(r["distance"] < 1e-10 for r in rollout.rows)  # exact futures, bias 0


def test_rows_survive_an_exception_mid_episode():
    env = ToyEnv("reach", tol=1e-9, fail_seed_mod=1, fail_step=5)
    rollout = Rollout(env, ConsensusSelector(ToyPolicy(chunk=2), n=2), max_steps=20)
    with pytest.raises(RuntimeError, match="injected"):
        rollout.run(seed=4)
    assert rollout.t == 5 and len(rollout.rows) == 3


def test_pending_futures_and_episode_summary():
    pending = PendingFutures()
    pending.add(3, "a")
    pending.add(3, "b")
    pending.add(5, "c")
    assert len(pending) == 3 and pending.pop(3) == ["a", "b"] and pending.pop(3) == [] and len(pending) == 1
    rows = [{"consistency": 0.5, "chosen_value": math.nan, "latent_change": 1.0},
            {"consistency": math.nan, "chosen_value": math.nan, "latent_change": 3.0}]
    summary = episode_summary(rows)
    assert summary["episode_consistency"] == 0.5 and summary["mean_latent_change"] == 2.0
    assert math.isnan(summary["mean_value"])


def test_video_shows_real_frames_beside_the_prediction_due_at_that_step(tmp_path):
    import imageio.v2 as imageio

    from eval.video import VideoSink

    env = ToyStateEnv("reach", tol=1e-9, image=True)
    sink = VideoSink(tmp_path / "trial.gif")
    policy = ToyPolicy(horizon=2, chunk=2, noise=0.3, images=True)  # exact futures: prediction = truth
    rollout = Rollout(env, ConsensusSelector(policy, n=2), max_steps=6, sink=sink)
    rollout.run(seed=0)
    frames = sink.frames()
    assert len(frames) == 7 and frames[0].shape == (8, 16, 3)
    assert sorted(sink.predicted_at) == [2, 4, 6]  # predictions made at 0, 2, 4 for t + 2
    for t, frame in enumerate(frames):
        real, predicted = frame[:, :8], frame[:, 8:]
        assert real.any()
        if t in (2, 4, 6):
            np.testing.assert_array_equal(predicted, real)
        else:
            assert not predicted.any()
    sink.close()
    np.testing.assert_array_equal(imageio.mimread(tmp_path / "trial.gif")[0][..., :3], frames[0])


def test_policy_sees_every_executed_observation_but_none_from_exploration():
    """on_step feeds streaming models (LingBot-VA's KV cache) what really happened, in order."""

    class StreamingToy(ToyPolicy):
        def reset(self):
            self.seen = []

        def on_step(self, obs):
            self.seen.append(obs["state"].copy())

    env = ToyStateEnv("reach")
    policy = StreamingToy(noise=0.1)
    rollout = Rollout(env, ExploringSelector(policy, n=3), max_steps=10, execute=2)
    rollout.run(seed=1)
    assert len(policy.seen) == rollout.t == 10
    assert np.allclose(np.stack(policy.seen)[:, :2], np.stack(env.history[1:11]))  # state = [x, goal]


def test_each_observation_is_encoded_once_even_when_a_decision_and_a_due_prediction_share_it():
    class CountingToy(ToyPolicy):
        calls = 0

        def encode_observation(self, obs):
            CountingToy.calls += 1
            return super().encode_observation(obs)

    policy = CountingToy(horizon=4, chunk=4)  # each prediction falls due at the next decision
    rollout = Rollout(ToyStateEnv("reach"), ConsensusSelector(policy, n=2), max_steps=12)
    rollout.run(seed=0)
    assert len(rollout.rows) == 3
    assert CountingToy.calls == 4  # steps 0, 4, 8, 12

"""``lerobot-eval --policy.type=wam_tts``: LeRobot's own entry point, a tiny random LingBot-VA
saved with ``save_pretrained`` (offline), and a toy gym env registered by the tests."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("lerobot.scripts.lerobot_eval",
                    reason="needs lerobot[lingbot-va,dataset,evaluation] (Python 3.12 venv: make install-lerobot)")

import tests.lerobot.toy_env as toy_env  # noqa: E402  (registers --env.type=wam_tts_toy)
from eval.lerobot_plugin import recording  # noqa: E402
from eval.results import load_run  # noqa: E402

EPISODES, SEED = 2, 7
#: 14 steps: a first chunk of 12 actions, then 2 of the second chunk's 16.
LENGTH = toy_env.ToyEnvConfig().episode_length
ACTION_STATS = {"action": {"q01": torch.full((7,), -2.0), "q99": torch.full((7,), 3.0)}}


@pytest.fixture(scope="module")
def base_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random LingBot-VA with its processors, written as a LeRobot checkpoint folder."""
    from lerobot.configs.types import FeatureType, PolicyFeature
    from lerobot.policies.lingbot_va.processor_lingbot_va import make_lingbot_va_pre_post_processors

    from adapters.lingbot_va.tiny import tiny_policy, write_frozen_modules

    root = tmp_path_factory.mktemp("lerobot_plugin")
    policy = tiny_policy(write_frozen_modules(root / "frozen"), save_predicted_video=False)
    policy.config.output_features = {"action": PolicyFeature(FeatureType.ACTION, (7,))}
    policy.save_pretrained(root / "base")
    for processor in make_lingbot_va_pre_post_processors(policy.config, dataset_stats=ACTION_STATS):
        processor.save_pretrained(root / "base")
    return root / "base"


def lerobot_eval(monkeypatch: pytest.MonkeyPatch, output_dir: Path, *policy_args: str,
                 batch_size: int = 1) -> tuple[dict, list[np.ndarray]]:
    """Run ``lerobot-eval``'s entry point with this command line; its eval_info and the env's actions."""
    from lerobot.scripts import lerobot_eval

    argv = ["lerobot-eval", "--env.discover_packages_path=tests.lerobot.toy_env", "--env.type=wam_tts_toy",
            *policy_args, "--policy.device=cpu", f"--eval.batch_size={batch_size}",
            f"--eval.n_episodes={EPISODES}", "--eval.use_async_envs=false", f"--seed={SEED}", f"--output_dir={output_dir}"]
    monkeypatch.setattr(sys, "argv", argv)
    toy_env.ACTIONS.clear()
    lerobot_eval.main()
    actions = [np.stack(episode) for episode in toy_env.ACTIONS if episode]  # autoreset adds empty ones
    return json.loads((output_dir / "eval_info.json").read_text()), actions


def wam_tts_args(base_path: Path, selector: str, n: int) -> list[str]:
    return ["--policy.discover_packages_path=eval.lerobot_plugin", "--policy.type=wam_tts",
            f"--policy.base_path={base_path}", f"--policy.selector={selector}", f"--policy.n={n}"]


@pytest.fixture(scope="module")
def bare(base_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, list[np.ndarray]]:
    """The bare LingBot-VA under lerobot-eval (``--policy.path``), the baseline of the identity."""
    with pytest.MonkeyPatch.context() as mp:
        return lerobot_eval(mp, tmp_path_factory.mktemp("bare"), f"--policy.path={base_path}")


def committed_run(tmp_path: Path) -> Path:
    """The run directory the recorder committed under ``tmp_path`` (at exit in a real run)."""
    [run] = [run for run in recording.finalize_all() if tmp_path in run.parents]
    return run


def sum_rewards(info: dict) -> list[float]:
    return info["per_task"][0]["metrics"]["sum_rewards"]


def test_n1_vanilla_is_bit_identical_to_the_bare_policy_and_records_its_decisions(base_path, bare, tmp_path,
                                                                                   monkeypatch):
    info, actions = lerobot_eval(monkeypatch, tmp_path, *wam_tts_args(base_path, "vanilla", 1))
    bare_info, bare_actions = bare
    assert [a.shape for a in actions] == [(LENGTH, 7)] * EPISODES
    for ours, theirs in zip(actions, bare_actions, strict=True):
        assert np.array_equal(ours, theirs)  # every executed action, bit for bit
    assert sum_rewards(info) == sum_rewards(bare_info)
    assert not np.allclose(actions[0], actions[1])  # two different episodes, not one repeated

    run = committed_run(tmp_path)
    episodes, steps = load_run(run)
    assert run.parent == tmp_path / "wam_tts"
    assert episodes["run_id"].tolist() == [run.name] * EPISODES
    assert (episodes["baseline_run_id"] == run.name).all()  # the N = 1 vanilla run is its own baseline
    assert episodes["trial"].tolist() == list(range(EPISODES))
    assert episodes["success"].tolist() == info["per_task"][0]["metrics"]["successes"]
    assert episodes["status"].tolist() == ["failure"] * EPISODES
    assert episodes["length"].tolist() == [LENGTH] * EPISODES
    assert episodes["decisions"].tolist() == [2] * EPISODES
    assert steps["t"].tolist() == [0, 12] * EPISODES
    assert steps["horizon_t"].tolist() == [12, 28] * EPISODES
    assert steps["chosen"].tolist() == [0] * 4
    assert [list(s) for s in steps["scores"]] == [[0.0]] * 4
    assert (steps["sample_s"] > 0).all()
    # the first chunk's prediction is scored against the frame seen at step 12; the second's step is never reached
    first, second = steps[steps["decision"] == 0], steps[steps["decision"] == 1]
    assert first["distance"].map(math.isfinite).all() and second["distance"].isna().all()


def test_n4_consensus_chooses_by_score_and_branch_0_is_the_bare_policys_chunk(base_path, bare, tmp_path,
                                                                              monkeypatch):
    info, actions = lerobot_eval(monkeypatch, tmp_path, *wam_tts_args(base_path, "consensus", 4))
    run = committed_run(tmp_path)
    episodes, steps = load_run(run)
    assert run.name.startswith("consensus-n4-")
    assert episodes["length"].tolist() == [LENGTH] * EPISODES
    assert episodes["baseline_run_id"].nunique() == 1 and episodes["baseline_run_id"][0] != run.name
    for _, row in steps.iterrows():
        scores = np.asarray(row["scores"])
        assert scores.shape == (4,) and np.isfinite(scores).all()
        assert row["chosen"] == int(np.argmax(scores))
    # branch 0 is drawn as the bare policy draws: the first chunk equals the bare one exactly when it is chosen
    first = steps[steps["decision"] == 0].sort_values("trial")["chosen"].tolist()
    for chosen, ours, theirs in zip(first, actions, bare[1], strict=True):
        assert np.array_equal(ours[:12], theirs[:12]) == (chosen == 0)
    assert sum_rewards(info) != sum_rewards(bare[0]) or all(c == 0 for c in steps["chosen"])


def test_a_batch_of_several_envs_is_refused_with_the_fix(base_path, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match=r"one environment at a time, got a batch of 2.*--eval\.batch_size=1"):
        lerobot_eval(monkeypatch, tmp_path, *wam_tts_args(base_path, "consensus", 2), batch_size=2)
    recording.finalize_all()  # the refused run's recorder has no finished episode to commit


def test_an_unfinished_run_keeps_its_decisions_as_errors(base_path, tmp_path):
    """lerobot-eval failing before eval_info.json: every episode is an error row saying so, decisions kept."""
    from eval.lerobot_plugin.configuration_wam_tts import WamTTSConfig
    from eval.lerobot_plugin.modeling_wam_tts import WamTTSPolicy
    from tests.lerobot.lingbot import obs

    policy = WamTTSPolicy(WamTTSConfig(base_path=str(base_path), selector="consensus", n=2, device="cpu"),
                          output_dir=tmp_path)
    policy.reset()
    batch = {key: value for key, value in obs(0).items()}
    batch["task"] = [batch["task"]]
    assert policy.select_action(batch).shape == (1, 7)
    run = committed_run(tmp_path)
    episodes, steps = load_run(run)
    assert episodes["status"].tolist() == ["error"] and "eval_info.json" in episodes["error"][0]
    assert episodes["length"].tolist() == [1] and len(steps) == 1 and len(steps["scores"][0]) == 2


def test_bad_configs_are_refused_naming_the_problem(base_path, tmp_path):
    from eval.lerobot_plugin.configuration_wam_tts import WamTTSConfig
    from eval.lerobot_plugin.modeling_wam_tts import WamTTSPolicy

    def build(**kwargs):
        return WamTTSPolicy(WamTTSConfig(device="cpu", **kwargs), output_dir=tmp_path)

    with pytest.raises(ValueError, match="--policy.base_path is required"):
        build()
    with pytest.raises(ValueError, match="has no option 'bogus'"):
        build(base_path=str(base_path), selector_options={"bogus": 1})
    with pytest.raises(ValueError, match="needs a restored simulator|no simulator"):
        build(base_path=str(base_path), selector="exploring")
    with pytest.raises(ValueError, match="--policy.n must be an integer >= 1"):
        WamTTSConfig(n=0, device="cpu")

"""Config errors fail before any trial, with a message naming the problem."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf.errors import ConfigKeyError, ValidationError

from eval.build import ConfigError, build_task, check_config
from eval.config import baseline_config, fingerprint, result_key, run_id
from eval.run import run_job
from tests.eval.conftest import TOY, compose_config


def test_main_job_defaults():
    cfg = compose_config([])
    assert (cfg.selector.name, cfg.policy.name, cfg.env.backend, list(cfg.env.tasks), cfg.n) == (
        "consensus", "reference_joint", "robosuite", ["Lift"], 8)
    assert cfg.env.action_space == "robosuite_osc"


@pytest.mark.parametrize(
    ("override", "error", "message"),
    [
        ("sleector=value", ConfigCompositionException, "sleector"),
        ("n=many", ConfigCompositionException, "n"),
        ("consistency.sigma=wide", ConfigCompositionException, "sigma"),
        ("env.taks=[Lift]", ConfigCompositionException, "taks"),
        ("selector=greedy", ConfigCompositionException, "Available options"),
        ("policy=cosmos", ConfigCompositionException, "policy"),
    ],
)
def test_typos_fail_when_the_config_is_composed(override, error, message):
    with pytest.raises((error, ConfigKeyError, ValidationError), match=message):
        compose_config([override])


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["n=0"], "n must be >= 1"),
        (["consistency.sigma=0"], "sigma must be > 0"),
        (["selector=weighted", "selector.tau=-1"], "tau must be > 0"),
        (["execute=0"], "execute must be >= 1"),
        (["env.tasks=[reach,jump]"], r"unknown toy task\(s\) \['jump'\]"),
        (["env.tasks=[]"], "env.tasks is empty"),
        (["policy.name=tyo"], "Did you mean 'toy'"),
        (["env.backend=toys"], "unknown env backend 'toys'"),
        (["consistency.distance=l3"], "unknown distance 'l3'"),
        (["selector=vanilla", "n=4"], "vanilla selector draws exactly one branch"),
        (["selector=exploring", "env.backend=toy_nostate"], "needs an env with state save/restore"),
        (["env.action_space='xyz, spin'"], "unknown action component"),
        (["shard.index=2", "shard.count=2"], r"shard.index must be in \[0, shard.count\)"),
    ],
)
def test_semantic_errors_are_listed_before_anything_is_built(overrides, message):
    with pytest.raises(ConfigError, match=message):
        check_config(compose_config([*TOY, *overrides]))


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as info:
        check_config(compose_config([*TOY, "n=0", "consistency.sigma=0", "selector.name=fancy"]))
    text = str(info.value)
    assert "n must be" in text and "sigma must be" in text and "unknown selector 'fancy'" in text


def test_value_selector_needs_a_value_head_and_fails_before_any_trial(tmp_path):
    cfg = compose_config([*TOY, "selector=value", "policy.options={value:false}"])
    check_config(cfg)  # only a built policy can tell
    with pytest.raises(ConfigError, match="needs a policy with a value head"):
        build_task(cfg, "reach")
    with pytest.raises(ConfigError, match="value head"):
        run_job(cfg, tmp_path / "run")
    assert not list((tmp_path / "run" / "episodes").glob("*.parquet"))


def test_unknown_policy_option_is_a_clear_error():
    cfg = compose_config([*TOY, "policy.options={noies:0.1}"])
    check_config(cfg)
    with pytest.raises(TypeError, match="does not take options"):
        build_task(cfg, "reach")


def test_fingerprint_ignores_what_does_not_change_trials():
    base = compose_config(TOY)
    same = compose_config([*TOY, "trials=99", "env.tasks=[reach]", "shard.count=3", "retries=2", "name=x"])
    other = compose_config([*TOY, "consistency.sigma=0.5"])
    assert fingerprint(base) == fingerprint(same) and run_id(base) == run_id(same)
    assert fingerprint(base) != fingerprint(other)
    assert "tasks" not in result_key(base)["env"]
    vanilla = compose_config([*TOY, "selector=vanilla", "n=1"])
    assert fingerprint(baseline_config(base)) == fingerprint(vanilla)
    assert run_id(vanilla).startswith("vanilla-n1-")


def test_task_list_group_sets_the_env_tasks():
    assert list(compose_config(["tasks=robosuite_pair"]).env.tasks) == ["Lift", "Stack"]


@pytest.mark.parametrize(
    ("launcher", "target", "setting"),
    [("parallel", "JoblibLauncher", ("n_jobs", 2)), ("cluster", "SlurmLauncher", ("cpus_per_task", 2)),
     ("cluster_local", "LocalLauncher", ("cpus_per_task", 1))],
)
def test_launcher_configs_compose(launcher, target, setting):
    from hydra import compose, initialize_config_dir

    from eval.run import CONFIG_DIR

    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("config", overrides=[f"hydra/launcher={launcher}"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.endswith(target)
    assert cfg.hydra.launcher[setting[0]] == setting[1]

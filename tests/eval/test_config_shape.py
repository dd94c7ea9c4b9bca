"""The config shape: a selector node passed through, a consistency node, one baseline definition."""

from __future__ import annotations

import re

import pytest

from eval.build import ConfigError, build_task, check_config
from eval.config import baseline_config, fingerprint, run_id
from eval.run import run_job
from tests.eval.conftest import TOY, compose_config
from wam_tts import DISTANCES


def test_the_selector_node_reaches_the_selector_unchanged():
    cfg = compose_config([*TOY, "selector=weighted", "selector.tau=0.3", "selector.tau_scale=absolute",
                          "consistency.sigma=0.5", "consistency.distance=l1", "n=3"])
    check_config(cfg)
    runtime = build_task(cfg, "reach")
    try:
        sel = runtime.selector
        assert (sel.name, sel.n, sel.tau, sel.tau_scale, sel.sigma) == ("weighted", 3, 0.3, "absolute", 0.5)
        assert sel.distance is DISTANCES.get("l1")
    finally:
        runtime.close()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("+sigm=0.1", "unknown config key 'sigm'"),
        ("+trails=4", "unknown config key 'trails' (did you mean trials?)"),
        ("+consistency.sigm=2", "unknown config key 'consistency.sigm' (did you mean consistency.sigma?)"),
        ("+selector.tua=1", "selector 'consensus' has no option 'tua'"),
        ("+selector.sigma=2", "selector.sigma is set from the top level or the consistency node"),
    ],
)
def test_unknown_keys_are_refused_before_any_trial_with_or_without_plus(override, message, tmp_path):
    cfg = compose_config([*TOY, override])
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_job(cfg, tmp_path / "run")
    assert not (tmp_path / "run" / "episodes").exists() or not list((tmp_path / "run" / "episodes").iterdir())


def test_any_selectors_baseline_is_the_default_vanilla_run():
    vanilla = fingerprint(compose_config([*TOY, "selector=vanilla", "n=1"]))
    for overrides in (["selector=weighted", "selector.tau=0.1"], ["selector=mean", "n=16"],
                      ["selector=consensus", "n=4"]):
        assert fingerprint(baseline_config(compose_config([*TOY, *overrides]))) == vanilla, overrides


def test_every_selector_option_is_part_of_the_run_identity():
    a = compose_config([*TOY, "selector=weighted", "selector.tau=0.1"])
    b = compose_config([*TOY, "selector=weighted", "selector.tau=0.2"])
    c = compose_config([*TOY, "selector=weighted", "selector.tau_scale=absolute", "selector.tau=0.1"])
    assert len({run_id(a), run_id(b), run_id(c)}) == 3
    assert run_id(a).startswith("weighted-n8-")

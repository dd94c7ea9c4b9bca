import pytest
import torch

from tests.wam_tts.fakes import FixedBranchesPolicy
from wam_tts import ACTION_SPACES, DISTANCES, SELECTORS, Registry, UnknownNameError, make_selector


def test_unknown_selector_lists_valid_names_and_suggests():
    with pytest.raises(UnknownNameError) as err:
        make_selector("consensis", FixedBranchesPolicy(torch.zeros(2, 1, 1), torch.zeros(2, 1)))
    text = str(err.value)
    assert "Did you mean 'consensus'" in text
    for name in ("vanilla", "value", "exploring", "consensus", "weighted"):
        assert name in text


@pytest.mark.parametrize("registry, names", [
    (SELECTORS, {"vanilla", "value", "exploring", "consensus", "weighted"}),
    (DISTANCES, {"mse", "l1", "cosine"}),
    (ACTION_SPACES, {"euclidean"}),  # the benchmarks' layouts: tests/eval/envs/test_action_spaces.py
])
def test_registries_hold_the_documented_names(registry, names):
    assert names <= set(registry.names())


def test_duplicate_registration_is_refused():
    r = Registry("thing")
    r.register("a")(1)
    with pytest.raises(ValueError, match="already registered"):
        r.register("a")(2)

"""Blending selectors: weighted with τ relative to the score spread, and the plain mean."""

from __future__ import annotations

import pytest
import torch

from tests.wam_tts.fakes import FixedBranchesPolicy
from wam_tts import MeanSelector, WeightedSelector
from wam_tts.selectors import option_problems
from wam_tts.selectors.weighted import softmax_weights

# futures at 0, 1, 2, 10: consensus scores spread widely, so raw and relative τ differ
FUTURES = torch.tensor([[0.0], [1.0], [2.0], [10.0]])
ACTIONS = torch.tensor([0.0, 1.0, 2.0, 7.0]).reshape(4, 1, 1).expand(4, 3, 2).clone()


def policy(futures: torch.Tensor = FUTURES) -> FixedBranchesPolicy:
    return FixedBranchesPolicy(ACTIONS, futures)


def test_relative_weights_are_a_softmax_of_standardised_scores():
    scores = torch.tensor([0.0, 1.0, 2.0, 3.0])
    z = (scores - 1.5) / scores.std(correction=0)
    torch.testing.assert_close(softmax_weights(scores, 0.5, "spread"), torch.softmax(z / 0.5, 0))
    torch.testing.assert_close(softmax_weights(scores, 0.5, "absolute"), torch.softmax(scores / 0.5, 0))


def test_relative_weights_do_not_depend_on_the_scores_scale_or_offset():
    scores = torch.tensor([0.93, 0.95, 0.96, 0.97])
    relative = softmax_weights(scores, 1.0, "spread")
    torch.testing.assert_close(softmax_weights(40 * scores - 3, 1.0, "spread"), relative)
    assert float(relative.max()) > 0.35  # raw τ = 1 keeps these near 1/4 ...
    assert float(softmax_weights(scores, 1.0, "absolute").max()) < 0.26  # ... which is the confound


def test_two_branches_get_equal_weights_whatever_the_rounding():
    """N = 2: both futures are equally far from their mean, up to float rounding."""
    futures = torch.tensor([[0.1, 0.7, 0.3], [0.4, 0.2, 0.9]])
    scores = torch.tensor([0.9512294, 0.9512295])  # one ulp apart
    torch.testing.assert_close(softmax_weights(scores, 1.0, "spread"), torch.full((2,), 0.5))
    d = WeightedSelector(FixedBranchesPolicy(ACTIONS[:2], futures), n=2).act(None)
    torch.testing.assert_close(d.weights, torch.full((2,), 0.5))


def test_equal_scores_and_one_branch_give_uniform_weights():
    torch.testing.assert_close(softmax_weights(torch.full((4,), 0.7), 1.0, "spread"), torch.full((4,), 0.25))
    assert softmax_weights(torch.tensor([0.3]), 1.0, "spread").tolist() == [1.0]


def test_weighted_executes_the_weighted_average_of_the_chunks():
    d = WeightedSelector(policy(), n=4, tau=0.7).act(None)
    expected = (d.weights[:, None, None] * ACTIONS).sum(0)
    torch.testing.assert_close(d.actions, expected)
    torch.testing.assert_close(d.weights, softmax_weights(d.scores, 0.7, "spread"))
    assert d.index == int(torch.argmax(d.weights))


def test_mean_executes_the_plain_average_and_ignores_the_futures():
    a = MeanSelector(policy(), n=4).act(None)
    b = MeanSelector(policy(FUTURES * 100), n=4).act(None)
    torch.testing.assert_close(a.actions, ACTIONS.mean(0))
    assert torch.equal(a.actions, b.actions) and a.weights.tolist() == [0.25] * 4


def test_mean_averages_only_finite_branches():
    actions = ACTIONS.clone()
    actions[3, 0, 0] = float("nan")
    with pytest.warns(RuntimeWarning, match=r"dropping non-finite branches \[3\]"):
        d = MeanSelector(FixedBranchesPolicy(actions, FUTURES), n=4).act(None)
    torch.testing.assert_close(d.actions, ACTIONS[:3].mean(0))
    assert d.weights[3] == 0


def test_mean_rotations_average_on_so3():
    rot = torch.zeros(2, 1, 7)
    rot[0, 0, 3:6] = torch.tensor([0.0, 0.0, 0.4])
    rot[1, 0, 3:6] = torch.tensor([0.0, 0.0, 0.8])
    rot[:, 0, 6] = torch.tensor([-1.0, 1.0])
    d = MeanSelector(FixedBranchesPolicy(rot, torch.zeros(2, 1)), n=2, action_space="xyz, axis-angle, gripper").act(None)
    torch.testing.assert_close(d.actions[0, 3:6], torch.tensor([0.0, 0.0, 0.6]))
    assert float(d.actions[0, 6]) == 0.0


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("weighted", {"tau": 0}, "tau must be > 0, got 0"),
        ("weighted", {"tau_scale": "relative"}, "tau_scale must be one of"),
        ("weighted", {"tua": 1.0}, "selector 'weighted' has no option 'tua'; its own options: action_space, tau, tau_scale"),
        ("weighted", {"action_space": "xyz, spin"}, "unknown action component"),
        ("consensus", {"tau": 1.0}, "selector 'consensus' has no option 'tau'; its own options: none"),
        ("exploring", {"simulatr": None}, "its own options: simulator"),
    ],
)
def test_option_problems_are_found_without_building_anything(name, options, message):
    problems = option_problems(name, options)
    assert len(problems) == 1 and message in problems[0]


def test_valid_options_have_no_problems():
    assert option_problems("weighted", {"tau": 0.5, "tau_scale": "absolute", "action_space": "xyz, axis-angle, gripper"}) == []

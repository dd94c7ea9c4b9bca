"""Each benchmark's action layout is registered next to its env backend and resolves by name."""

import pytest
import torch

import eval.envs  # noqa: F401 - importing the backends registers their layouts
from wam_tts import ACTION_SPACES, ActionSpace


def test_every_benchmark_layout_is_registered_once_the_backends_are_imported():
    assert {"euclidean", "robosuite_osc", "cosmos_robocasa", "robotwin_ee"} <= set(ACTION_SPACES.names())


@pytest.mark.parametrize(("name", "dim", "rotations"), [
    ("robosuite_osc", 7, ["axis-angle"]),
    ("cosmos_robocasa", 7, ["axis-angle"]),
    ("robotwin_ee", 16, ["quat", "quat"]),
    ("euclidean", None, []),
])
def test_names_resolve_to_their_layouts(name, dim, rotations):
    space = ActionSpace.parse(name)
    assert space.dim == dim
    assert [c for c, _ in space.components if c in ("axis-angle", "quat")] == rotations


def test_width_mismatch_is_an_error_for_a_named_layout():
    with pytest.raises(ValueError, match="7 dimensions but actions have 5"):
        ActionSpace.parse("robosuite_osc").average(torch.zeros(2, 1, 5), torch.tensor([0.5, 0.5]))

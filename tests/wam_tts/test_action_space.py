import math

import pytest
import torch

from wam_tts import ActionSpace
from wam_tts.action_space import axis_angle_to_quat, quat_to_axis_angle


def test_parse_layouts_and_names():
    space = ActionSpace.parse("xyz, axis-angle, gripper")
    assert space.dim == 7
    assert ActionSpace.parse("xyz, quat, gripper, xyz, quat, gripper").dim == 16
    assert ActionSpace.parse("euclidean").dim is None
    with pytest.raises(ValueError, match="unknown action component 'euler'"):
        ActionSpace.parse("xyz, euler")


def test_axis_angle_round_trip():
    r = torch.tensor([[0.0, 0.0, 0.0], [0.3, -0.2, 0.1], [0.0, 0.0, 3.0], [1e-10, 0.0, 0.0]])
    assert torch.allclose(quat_to_axis_angle(axis_angle_to_quat(r)), r, atol=1e-6)


def test_rotation_average_stays_on_the_manifold_where_euclidean_does_not():
    # two rotations about z by +170 and -170 degrees: their mean is 180 degrees,
    # while averaging the rotation vectors gives the identity (no rotation at all)
    angle = math.radians(170)
    actions = torch.zeros(2, 1, 7)
    actions[0, 0, 5], actions[1, 0, 5] = angle, -angle
    w = torch.tensor([0.5, 0.5])
    euclid = ActionSpace.parse("euclidean").average(actions, w)
    so3 = ActionSpace.parse("xyz, axis-angle, gripper").average(actions, w)
    assert torch.linalg.vector_norm(euclid[0, 3:6]).item() == pytest.approx(0.0, abs=1e-6)
    assert torch.linalg.vector_norm(so3[0, 3:6]).item() == pytest.approx(math.pi, abs=1e-4)


def test_quaternion_components_average_and_translations_stay_linear():
    q1 = axis_angle_to_quat(torch.tensor([0.0, 0.0, 0.4]))
    q2 = -axis_angle_to_quat(torch.tensor([0.0, 0.0, 0.8]))  # same rotation class, flipped sign
    actions = torch.zeros(2, 1, 8)
    actions[:, 0, :3] = torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    actions[0, 0, 3:7], actions[1, 0, 3:7] = 2.0 * q1, 0.5 * q2  # non-unit inputs
    actions[:, 0, 7] = torch.tensor([0.0, 4.0])
    out = ActionSpace.parse("xyz, quat, gripper").average(actions, torch.tensor([0.25, 0.75]))
    assert torch.allclose(out[0, :3], torch.tensor([0.75, 1.5, 2.25]))
    assert torch.linalg.vector_norm(out[0, 3:7]).item() == pytest.approx(1.0, abs=1e-6)  # a unit quaternion itself
    # about one axis the mean angle is atan2(sum w sin, sum w cos), by the weights alone (not the norms)
    expected = math.atan2(0.25 * math.sin(0.4) + 0.75 * math.sin(0.8), 0.25 * math.cos(0.4) + 0.75 * math.cos(0.8))
    assert quat_to_axis_angle(out[0, 3:7]).tolist() == pytest.approx([0.0, 0.0, expected], abs=1e-5)
    assert out[0, 7].item() == pytest.approx(3.0)  # the gripper is linear: 0.25 * 0 + 0.75 * 4


def test_width_mismatch_is_an_error():
    with pytest.raises(ValueError, match="7 dimensions but actions have 5"):
        ActionSpace.parse("xyz, axis-angle, gripper").average(torch.zeros(2, 1, 5), torch.tensor([0.5, 0.5]))

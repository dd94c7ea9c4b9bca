"""Rotation means against known answers: non-unit inputs, asymmetric weights, unit outputs,
grippers averaged linearly, and agreement with scipy's independent implementation."""

import math

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from wam_tts import ActionSpace
from wam_tts.action_space import axis_angle_to_quat, quat_to_axis_angle, quaternion_mean


def _z_quat(angle: float, scale: float = 1.0) -> torch.Tensor:
    """``scale`` times the unit quaternion (wxyz) of a rotation by ``angle`` about z."""
    return scale * torch.tensor([math.cos(angle / 2), 0.0, 0.0, math.sin(angle / 2)], dtype=torch.float64)


def _coaxial_mean_angle(angles, weights) -> float:
    """Closed form of the chordal mean of rotations about one axis: the principal eigenvector of
    ``Σ w q qᵀ`` restricted to the (w, z) plane is at half of ``atan2(Σ w sin θ, Σ w cos θ)``."""
    return math.atan2(sum(w * math.sin(a) for a, w in zip(angles, weights, strict=True)),
                      sum(w * math.cos(a) for a, w in zip(angles, weights, strict=True)))


def _angle_about_z(q: torch.Tensor) -> float:
    q = q / torch.linalg.vector_norm(q)
    q = q * torch.sign(q[0])
    return 2 * math.atan2(float(q[3]), float(q[0]))


def test_mean_of_non_unit_quaternions_weights_them_by_w_alone():
    # norms 3 and 0.5: a mean that skips the normalisation weights them by w |q|^2 instead
    q = torch.stack([_z_quat(0.4, 3.0), _z_quat(0.8, 0.5)]).unsqueeze(1)
    w = torch.tensor([0.25, 0.75], dtype=torch.float64)
    mean = quaternion_mean(q, w)[0]
    assert _angle_about_z(mean) == pytest.approx(_coaxial_mean_angle([0.4, 0.8], [0.25, 0.75]), abs=1e-9)
    assert _angle_about_z(mean) == pytest.approx(0.70101, abs=1e-5)  # 0.6 would be the equal-weight answer


def test_mean_quaternion_is_unit_length_even_for_wide_spreads():
    q = torch.stack([_z_quat(0.1), _z_quat(2.9, 2.0), -_z_quat(1.5, 0.3)]).unsqueeze(1)
    w = torch.tensor([0.5, 0.2, 0.3], dtype=torch.float64)
    mean = quaternion_mean(q, w)[0]
    assert float(torch.linalg.vector_norm(mean)) == pytest.approx(1.0, abs=1e-12)
    assert _angle_about_z(mean) == pytest.approx(_coaxial_mean_angle([0.1, 2.9, 1.5], [0.5, 0.2, 0.3]), abs=1e-9)
    assert float((mean * q[0, 0]).sum()) > 0  # sign-aligned to the anchor branch


def test_quaternion_mean_agrees_with_scipy_on_general_rotations():
    rng = np.random.default_rng(3)
    rotations = Rotation.random(5, random_state=4)
    w = rng.dirichlet(np.ones(5))
    xyzw = rotations.as_quat() * rng.uniform(0.2, 3.0, size=(5, 1))  # non-unit inputs
    wxyz = torch.tensor(np.roll(xyzw, 1, axis=1)).unsqueeze(1)
    ours = quaternion_mean(wxyz, torch.tensor(w))[0].numpy()
    expected = rotations.mean(weights=w).as_quat()
    assert np.linalg.norm(ours) == pytest.approx(1.0, abs=1e-12)
    assert abs(float(np.dot(np.roll(ours, -1), expected))) == pytest.approx(1.0, abs=1e-9)


def test_axis_angle_average_with_asymmetric_weights_matches_scipy():
    rng = np.random.default_rng(5)
    rotvecs = Rotation.random(4, random_state=6).as_rotvec()
    w = np.array([0.1, 0.2, 0.3, 0.4])
    actions = torch.zeros(4, 1, 7, dtype=torch.float64)
    actions[:, 0, :3] = torch.tensor(rng.normal(size=(4, 3)))
    actions[:, 0, 3:6] = torch.tensor(rotvecs)
    actions[:, 0, 6] = torch.tensor([0.0, 4.0, -1.0, 2.0])
    out = ActionSpace.parse("xyz, axis-angle, gripper").average(actions, torch.tensor(w))[0]
    expected = Rotation.from_rotvec(rotvecs).mean(weights=w)
    assert (Rotation.from_rotvec(out[3:6].numpy()) * expected.inv()).magnitude() == pytest.approx(0.0, abs=1e-7)
    assert out[:3].numpy() == pytest.approx(w @ actions[:, 0, :3].numpy(), abs=1e-12)
    assert float(out[6]) == pytest.approx(0.1 * 0 + 0.2 * 4 + 0.3 * -1 + 0.4 * 2)  # 1.3, linear


@pytest.mark.parametrize(("weights", "expected"), [((0.5, 0.5), 2.0), ((0.2, 0.8), 3.2)])
def test_gripper_is_averaged_linearly_not_as_a_rotation(weights, expected):
    actions = torch.zeros(2, 1, 8)
    actions[:, 0, 3:7] = torch.stack([_z_quat(0.3), _z_quat(0.5)]).float()
    actions[:, 0, 7] = torch.tensor([0.0, 4.0])
    out = ActionSpace.parse("xyz, quat, gripper").average(actions, torch.tensor(weights))
    assert float(out[0, 7]) == pytest.approx(expected, abs=1e-6)
    assert float(torch.linalg.vector_norm(out[0, 3:7])) == pytest.approx(1.0, abs=1e-6)
    assert _angle_about_z(out[0, 3:7].double()) == pytest.approx(_coaxial_mean_angle([0.3, 0.5], weights), abs=1e-5)


def test_axis_angle_quaternions_round_trip_through_the_average():
    r = torch.tensor([[0.0, 0.0, 0.4], [0.0, 0.0, 0.4]])
    out = ActionSpace.parse("axis-angle").average(r.unsqueeze(1), torch.tensor([0.3, 0.7]))
    assert out[0].tolist() == pytest.approx([0.0, 0.0, 0.4], abs=1e-6)
    assert float(torch.linalg.vector_norm(axis_angle_to_quat(r)[0])) == pytest.approx(1.0)


def test_mean_is_sign_aligned_to_the_anchor_at_every_step():
    rotations = Rotation.random(12, random_state=8).as_quat().reshape(4, 3, 4)  # N = 4, H = 3
    signs = np.array([[1, -1, 1], [-1, -1, 1], [1, 1, -1], [-1, 1, 1]])[..., None]
    q = torch.tensor(np.roll(rotations, 1, axis=-1) * signs)
    w = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    for anchor in range(4):
        mean = quaternion_mean(q, w, anchor)
        assert bool(((mean * q[anchor]).sum(-1) > 0).all()), anchor
        for h in range(3):  # the same rotation as scipy's mean, step by step
            expected = Rotation.from_quat(np.roll(q[:, h].numpy(), -1, axis=-1)).mean(weights=w.numpy())
            assert (Rotation.from_quat(np.roll(mean[h].numpy(), -1)) * expected.inv()).magnitude() < 1e-7


def test_axis_angle_of_a_quaternion_ignores_its_sign_and_keeps_the_angle_in_0_pi():
    q = axis_angle_to_quat(torch.tensor([[0.3, -0.2, 0.1], [0.0, 0.0, 3.0], [2.0, 1.0, -1.5]]))
    for sign in (1.0, -1.0):
        r = quat_to_axis_angle(sign * q)
        assert torch.allclose(r, quat_to_axis_angle(q), atol=1e-6)
        assert bool((torch.linalg.vector_norm(r, dim=-1) <= math.pi + 1e-6).all())
    # a rotation by 2.7 rad stored with a negative scalar part is still 2.7 rad, not 2 pi - 2.7
    assert quat_to_axis_angle(-_z_quat(2.7)).tolist() == pytest.approx([0.0, 0.0, 2.7], abs=1e-9)


def test_tiny_rotations_convert_with_relative_precision():
    r = torch.tensor([1e-9, -2e-9, 5e-10], dtype=torch.float64)
    q = axis_angle_to_quat(r)
    assert q[1:].tolist() == pytest.approx((r / 2).tolist(), rel=1e-9)
    assert quat_to_axis_angle(q).tolist() == pytest.approx(r.tolist(), rel=1e-9)
    assert quat_to_axis_angle(-q).tolist() == pytest.approx(r.tolist(), rel=1e-9)  # the same rotation
    assert float(q[0]) == pytest.approx(1.0)

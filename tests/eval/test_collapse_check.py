"""The collapse check: stall labels from the simulator's end-effector path, and the detector scored on them."""

import numpy as np
import pandas as pd

from eval.collapse_check import is_stalled, layout_slices, score_detector


def path(moving: bool, steps: int = 60) -> np.ndarray:
    """End-effector xyz and two finger joints; moving 1 cm per step, or still after step 10."""
    t = np.arange(steps + 1, dtype=float)
    x = 0.01 * (t if moving else np.minimum(t, 10))
    return np.stack([x, 0 * t, 0 * t, 0.04 + 0 * t, 0.04 + 0 * t], axis=1)


def test_a_failure_that_stopped_is_stalled_and_nothing_else_is():
    assert is_stalled(path(moving=False), success=False, window=40, radius=0.02)
    assert not is_stalled(path(moving=True), success=False, window=40, radius=0.02)
    assert not is_stalled(path(moving=False), success=True, window=40, radius=0.02)
    assert not is_stalled(path(moving=False)[:30], success=False, window=40, radius=0.02)  # too short to tell
    fingers = path(moving=False)
    fingers[-5:, 3] = 0.0  # the gripper closed at the end: not still
    assert not is_stalled(fingers, success=False, window=40, radius=0.02)


def test_layout_slices_follow_the_state_order():
    slices = layout_slices([("cube_pos", 3), ("robot0_eef_pos", 3), ("robot0_gripper_qpos", 2)])
    assert slices["robot0_eef_pos"] == slice(3, 6) and slices["robot0_gripper_qpos"] == slice(6, 8)


def test_detector_scored_against_stall_labels():
    """Episode 0 stalls with static latents (a hit), 1 moves and fails, 2 succeeds with one pause,
    3 stalls but its latents keep changing (a miss)."""
    changes = {0: [1.0, 0.01, 0.01, 0.01, 0.01], 1: [1.0] * 5, 2: [1.0, 1.0, 0.01, 1.0, 1.0], 3: [1.0] * 5}
    steps = pd.DataFrame([{"task": "Lift", "trial": e, "decision": d, "t": 8 * d, "latent_change": c,
                           "predicted_latent_change": c} for e, cs in changes.items() for d, c in enumerate(cs)])
    episodes = pd.DataFrame({"task": "Lift", "trial": [0, 1, 2, 3], "success": [False, False, True, False],
                             "length": [40, 40, 33, 40], "stalled": [True, False, False, True]})
    table = score_detector(steps, episodes)
    default = table[(table.task == "all") & (table.threshold == 0.1) & (table.min_run == 3)].iloc[0]
    assert (default.flagged, default.stalled, default.precision, default.recall) == (1, 2, 1.0, 0.5)
    assert default.success_flagged == 0 and default.failure_moving_flagged == 0
    assert set(table.task) == {"Lift", "all"} and len(table) == 2 * 7 * 2

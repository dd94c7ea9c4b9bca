"""Which of our RoboTwin backend's cameras feeds each camera a LingBot-VA checkpoint names.

Checkpoints name their cameras in ``config.obs_cam_keys``: LeRobot's RoboTwin env and
docs call them ``observation.images.head_camera`` / ``left_camera`` / ``right_camera``;
upstream LingBot-VA's client called them ``cam_high`` / ``cam_left_wrist`` /
``cam_right_wrist``. Both spellings map to the same backend images.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Camera name (the last part of a policy key) → our RoboTwin backend's observation key.
ROBOTWIN_CAMERA_NAMES: dict[str, str] = {
    "head_camera": "head_camera_image",
    "left_camera": "left_camera_image",
    "right_camera": "right_camera_image",
    "cam_high": "head_camera_image",
    "cam_left_wrist": "left_camera_image",
    "cam_right_wrist": "right_camera_image",
}


def robotwin_camera_map(policy_keys: Sequence[str]) -> dict[str, str]:
    """``{policy_key: backend_key}`` for every camera of a checkpoint's ``obs_cam_keys``."""
    unknown = [key for key in policy_keys if key.rsplit(".", 1)[-1] not in ROBOTWIN_CAMERA_NAMES]
    if unknown:
        raise ValueError(
            f"the checkpoint's cameras {unknown} are not RoboTwin cameras this backend knows "
            f"({', '.join(ROBOTWIN_CAMERA_NAMES)}); pass camera_map={{policy_key: observation_key}}"
        )
    return {key: ROBOTWIN_CAMERA_NAMES[key.rsplit(".", 1)[-1]] for key in policy_keys}

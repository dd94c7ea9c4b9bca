"""Build the LingBot-VA adapter for a RoboTwin 2.0 task from a converted LeRobot checkpoint."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.lingbot_va.adapter import LingBotVAWAM, require_lerobot
from adapters.lingbot_va.cameras import robotwin_camera_map

#: Upstream LingBot-VA's RoboTwin camera keys → our RoboTwin backend's keys (``load_lingbot_va``
#: reads the checkpoint's own names instead, either spelling: :mod:`adapters.lingbot_va.cameras`).
LEROBOT_TO_ROBOTWIN_CAMERAS: dict[str, str] = {
    "observation.images.cam_high": "head_camera_image",
    "observation.images.cam_left_wrist": "left_camera_image",
    "observation.images.cam_right_wrist": "right_camera_image",
}


def load_lingbot_va(
    task: str,
    checkpoint: str = "lerobot/lingbot_va_robotwin",
    *,
    device: str | None = None,
    camera_map: Mapping[str, str] | None = None,
    prompt: str | None = None,
    postprocess: bool = True,
) -> LingBotVAWAM:
    """LingBot-VA for ``task``: the checkpoint's policy and, with ``postprocess``, its own
    action postprocessor (model-normalised actions → the robot's units).

    The cameras are read from the checkpoint's ``obs_cam_keys`` (either RoboTwin spelling,
    see :mod:`adapters.lingbot_va.cameras`) unless ``camera_map`` is given. The instruction comes from each observation (``obs["instruction"]``) unless ``prompt``
    is given; ``task`` only names the run.
    """
    require_lerobot()
    wam = LingBotVAWAM.from_pretrained(checkpoint, device=device, prompt=prompt)
    wam.camera_map = dict(camera_map or robotwin_camera_map(wam.policy.config.obs_cam_keys))
    if postprocess:
        from lerobot.policies.factory import make_pre_post_processors

        _, wam.postprocessor = make_pre_post_processors(wam.policy.config, pretrained_path=checkpoint)
    return wam

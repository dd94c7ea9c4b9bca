"""Build the LingBot-VA adapter for a RoboTwin 2.0 task from a converted LeRobot checkpoint."""

from __future__ import annotations

from collections.abc import Mapping

from adapters.lingbot_va.adapter import LingBotVAWAM, require_lerobot

#: LeRobot's RoboTwin camera keys → the observation keys of our RoboTwin backend.
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

    The instruction comes from each observation (``obs["instruction"]``) unless ``prompt``
    is given; ``task`` only names the run.
    """
    require_lerobot()
    wam = LingBotVAWAM.from_pretrained(
        checkpoint, device=device, prompt=prompt, camera_map=dict(camera_map or LEROBOT_TO_ROBOTWIN_CAMERAS)
    )
    if postprocess:
        from lerobot.policies.factory import make_pre_post_processors

        _, wam.postprocessor = make_pre_post_processors(wam.policy.config, pretrained_path=checkpoint)
    return wam

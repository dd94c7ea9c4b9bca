"""The ``wam_tts`` policy's processors: the base policy's own, loaded from its checkpoint.

The selector returns the base policy's actions as the bare policy does (model-normalised),
so its pre- and postprocessors apply unchanged. ``lerobot-eval`` hands a from-config
factory no overrides, so the device is taken from ``--policy.device`` here; a
``--rename_map`` does not reach the base's processors (rename the env's keys instead).
"""

from __future__ import annotations

from typing import Any

from eval.lerobot_plugin.configuration_wam_tts import WamTTSConfig


def make_wam_tts_pre_post_processors(config: WamTTSConfig, dataset_stats: Any = None) -> tuple[Any, Any]:
    """``(preprocessor, postprocessor)`` of the base policy at ``config.base_path``."""
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.factory import make_pre_post_processors

    if not config.base_path:
        raise ValueError("--policy.base_path is required: the LeRobot checkpoint of the policy to wrap")
    base = PreTrainedConfig.from_pretrained(config.base_path)
    try:
        return make_pre_post_processors(
            base, pretrained_path=config.base_path,
            preprocessor_overrides={"device_processor": {"device": str(config.device)}},
        )
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"the base policy at {config.base_path} has no saved processors ({e}); save them next to its weights "
            "(preprocessor.save_pretrained / postprocessor.save_pretrained), as lerobot-train does"
        ) from e

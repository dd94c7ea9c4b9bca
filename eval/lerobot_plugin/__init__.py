"""LeRobot policy plug-in: ``lerobot-eval --policy.type=wam_tts`` wraps a LeRobot world action
model in a wam-tts selector (see README.md here).

Importing this package registers the ``wam_tts`` policy type with LeRobot (its config class
subclasses LeRobot's ``PreTrainedConfig``), so it needs LeRobot; ``lerobot-eval`` imports it through its own
plug-in loader, ``--policy.discover_packages_path=eval.lerobot_plugin``.
"""

from eval.lerobot_plugin.configuration_wam_tts import WamTTSConfig

__all__ = ["WamTTSConfig"]

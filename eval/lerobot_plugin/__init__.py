"""LeRobot policy plug-in: ``lerobot-eval --policy.type=wam_tts`` wraps a LeRobot world action
model in a wam-tts selector (see README.md here).

Importing this package registers the ``wam_tts`` policy type with LeRobot (its config class
subclasses LeRobot's ``PreTrainedConfig``), so it needs LeRobot; LeRobot finds it through
``--policy.discover_packages_path=eval.lerobot_plugin`` or the ``lerobot_policy_wam_tts``
distribution (``plugins/lerobot_policy_wam_tts``).
"""

from eval.lerobot_plugin.configuration_wam_tts import WamTTSConfig

__all__ = ["WamTTSConfig"]

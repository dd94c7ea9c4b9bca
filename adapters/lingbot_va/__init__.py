"""LingBot-VA through LeRobot's port: N branches per chunk in one batched pass.

Importing this package never needs LeRobot; constructing :class:`LingBotVAWAM` does, and
says how to install it when it is missing.
"""

from adapters.lingbot_va.adapter import INSTALL_HINT, LingBotVAWAM, require_lerobot
from adapters.lingbot_va.loading import LEROBOT_TO_ROBOTWIN_CAMERAS, load_lingbot_va

__all__ = ["INSTALL_HINT", "LingBotVAWAM", "LEROBOT_TO_ROBOTWIN_CAMERAS", "load_lingbot_va", "require_lerobot"]

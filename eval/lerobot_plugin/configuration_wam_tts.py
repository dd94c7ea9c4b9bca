"""The ``wam_tts`` LeRobot policy type: a base LeRobot policy, a selector, N and its options.

LeRobot resolves the policy class and its processors from this module's name
(``configuration_wam_tts`` → ``modeling_wam_tts.WamTTSPolicy`` and
``processor_wam_tts.make_wam_tts_pre_post_processors``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

try:
    from lerobot.configs.policies import PreTrainedConfig
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"the wam_tts LeRobot policy needs LeRobot ({e}). Install it into a Python >= 3.12 environment: "
        'pip install "lerobot[lingbot-va,dataset,evaluation]==0.6.1" (here: `make install-lerobot`)'
    ) from e


@PreTrainedConfig.register_subclass("wam_tts")
@dataclass
class WamTTSConfig(PreTrainedConfig):
    """``--policy.type=wam_tts --policy.base_path=<LeRobot checkpoint> --policy.selector=consensus --policy.n=8``."""

    #: The base policy: a Hub repo id or a folder written by ``save_pretrained`` (with its processors).
    base_path: str = ""
    #: A registered wam-tts selector (``wam_tts.SELECTORS``: consensus, vanilla, value, ...).
    selector: str = "consensus"
    #: Branches per decision.
    n: int = 8
    #: The selector's own options (``--policy.selector_options='{"temperature": 0.5}'``).
    selector_options: dict[str, Any] = field(default_factory=dict)
    #: Seed of the selector's per-decision seeds (branches 1.. of every decision; branch 0
    #: draws from the global RNG that ``lerobot-eval --seed`` sets, as the bare policy does).
    seed: int = 0
    #: Where the decision records go: ``<results_dir>/<run_id>/``. Empty: ``<--output_dir>/wam_tts``.
    results_dir: str = ""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.n, int) or self.n < 1:
            raise ValueError(f"--policy.n must be an integer >= 1, got {self.n!r}")

    # LeRobot's training hooks: this policy type only evaluates (train the base policy instead).
    @property
    def observation_delta_indices(self) -> None:
        return None

    @property
    def action_delta_indices(self) -> None:
        return None

    @property
    def reward_delta_indices(self) -> None:
        return None

    def get_optimizer_preset(self) -> Any:
        raise NotImplementedError("the wam_tts policy only evaluates: train its base policy instead")

    def get_scheduler_preset(self) -> None:
        return None

    def validate_features(self) -> None:
        """The base policy checks its own features when it is loaded."""

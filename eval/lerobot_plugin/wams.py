"""Which wam-tts adapter wraps each LeRobot policy type (one row per supported world action model).

A row builds a :class:`wam_tts.WorldActionModel` around a loaded LeRobot policy, with branch 0
drawn from the global RNG as the bare policy draws it (so N = 1 is the bare policy). To plug
in another LeRobot WAM, write its adapter under ``adapters/`` and add a row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wam_tts import WorldActionModel


def _lingbot_va(policy: Any) -> WorldActionModel:
    from adapters.lingbot_va import LingBotVAWAM

    return LingBotVAWAM(policy, first_branch_from_global_rng=True)


#: LeRobot policy type (``config.type``) → adapter factory.
WAMS: dict[str, Callable[[Any], WorldActionModel]] = {
    "lingbot_va": _lingbot_va,
}


def wrap_policy(policy: Any) -> WorldActionModel:
    """The adapter of ``policy`` (a LeRobot ``PreTrainedPolicy``), or a clear error naming the supported types."""
    kind = policy.config.type
    if kind not in WAMS:
        raise ValueError(
            f"the wam_tts policy wraps LeRobot world action models it has an adapter for ({', '.join(sorted(WAMS))}); "
            f"the base policy is of type {kind!r}. Add a row to eval.lerobot_plugin.wams.WAMS with its adapter."
        )
    return WAMS[kind](policy)

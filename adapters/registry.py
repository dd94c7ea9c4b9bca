"""Every adapter's wiring in one lazy table: its factory, its GPU check and how to install it.

A new adapter is one package under ``adapters/`` and one entry here::

    ADAPTERS.register("my_wam")(Adapter(
        factory="adapters.my_wam:load_my_wam",   # called as load_my_wam(task=task, **options)
        summary="My WAM on RoboCasa (options: load_my_wam's keywords).",
        check="adapters.my_wam.check",           # optional: ``python -m adapters.check my_wam``
        install='pip install "my-wam==1.0"',
    ))

Nothing is imported until a factory is called or a check is run, so listing the table is
free and a missing upstream package only matters for the adapter that needs it.
:data:`eval.policies.POLICIES` and :mod:`adapters.check` are both read from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from wam_tts import Registry, WorldActionModel

#: The install line of an adapter that needs nothing beyond wam-tts itself.
NOTHING_EXTRA = "nothing beyond wam-tts (pip install -e .)"


@dataclass(frozen=True)
class Adapter:
    """One adapter's wiring.

    Attributes:
        factory: ``"module:function"``; the function is called as
            ``function(task=task, **preset, **options)`` and returns a :class:`WorldActionModel`.
        summary: one line for listings (what the model is, which options it takes).
        check: module whose ``main(argv) -> int`` checks the adapter against its real
            checkpoint (``python -m adapters.check <name>``), or None.
        install: what to install for it (a pip extra, a command, or a pointer to its README).
        preset: keyword options this entry fixes (one factory can serve several names).
        validate: ``"module:function"`` called like the factory, returning the problems
            that would make it fail (a missing checkpoint), found cheaply; the harness
            calls it for every task before the first trial. None: nothing to check.
    """

    factory: str
    summary: str
    check: str | None = None
    install: str = NOTHING_EXTRA
    preset: Mapping[str, Any] = field(default_factory=dict)
    validate: str | None = None

    def __post_init__(self) -> None:
        module, sep, function = self.factory.partition(":")
        if not (module and sep and function):
            raise ValueError(f"an adapter factory is 'module:function', got {self.factory!r}")
        object.__setattr__(self, "preset", MappingProxyType(dict(self.preset)))

    def load_factory(self) -> Callable[..., WorldActionModel]:
        """Import the factory function (this is where the adapter's package is first imported)."""
        return _load(self.factory, "adapter factory")

    def problems(self, task: str, **options: Any) -> list[str]:
        """What :attr:`validate` finds for ``task`` (nothing when the entry has no check)."""
        if self.validate is None:
            return []
        return list(_load(self.validate, "adapter validate")(task=task, **self.preset, **options))

    def build(self, task: str, **options: Any) -> WorldActionModel:
        """The adapter's policy for ``task``; an option that the entry fixes is a TypeError."""
        fixed = sorted(set(options) & set(self.preset))
        if fixed:
            raise TypeError(f"options {fixed} are fixed by this adapter entry ({dict(self.preset)})")
        return self.load_factory()(task=task, **self.preset, **options)


def _load(target: str, what: str) -> Callable[..., Any]:
    module, _, function = target.partition(":")
    try:
        return getattr(importlib.import_module(module), function)
    except AttributeError:
        raise ImportError(f"{what} {target!r}: {module} has no {function!r}") from None


ADAPTERS: Registry[Adapter] = Registry("adapter")

ADAPTERS.register("reference_joint")(Adapter(
    factory="adapters.reference:load_reference_policy",
    summary="The shipped reference joint-prediction WAM for a robosuite task (CPU); options: rung, checkpoint.",
    preset={"family": "joint"},
    validate="adapters.reference:missing_checkpoint",
))
ADAPTERS.register("reference_inverse")(Adapter(
    factory="adapters.reference:load_reference_policy",
    summary="The shipped reference inverse-dynamics WAM for a robosuite task (CPU); options: rung, checkpoint.",
    preset={"family": "inverse"},
    validate="adapters.reference:missing_checkpoint",
))
for _family, _kind in (("joint", "joint-prediction"), ("inverse", "inverse-dynamics")):
    ADAPTERS.register(f"reference_visual_{_family}")(Adapter(
        factory="adapters.reference:load_reference_policy",
        summary=f"The visual reference {_kind} WAM (futures: image latents of agentview at t + h; CPU; "
                "env=robosuite_visual); options: checkpoint, decode_images.",
        preset={"family": _family, "visual": True},
        validate="adapters.reference:missing_checkpoint",
    ))
ADAPTERS.register("cosmos_policy")(Adapter(
    factory="adapters.cosmos_policy:load_cosmos_policy",
    summary="Cosmos-Policy on RoboCasa (GPU; options are CosmosPolicyConfig fields).",
    check="adapters.cosmos_policy.check",
    install="Cosmos-Policy's Docker image and uv environment: see adapters/cosmos_policy/README.md",
))
ADAPTERS.register("lingbot_va")(Adapter(
    factory="adapters.lingbot_va:load_lingbot_va",
    summary="LingBot-VA through LeRobot on RoboTwin 2.0 (options: load_lingbot_va's keywords).",
    check="adapters.lingbot_va.check",
    install='pip install "lerobot[lingbot-va]==0.6.1" (Python >= 3.12; here: make install-lerobot)',
))

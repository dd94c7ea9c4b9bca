"""World action models the harness can build by name: ``POLICIES.get(name)(task, **options)``.

Adapters are imported inside the factories, so listing the names is free and a
missing upstream package only matters for the policy that needs it. New adapters
register here (or in a plugin module named in the config's ``plugins``)::

    @POLICIES.register("my_wam")
    def _my_wam(task: str, checkpoint: str) -> WorldActionModel: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wam_tts import Registry, WorldActionModel

PolicyFactory = Callable[..., WorldActionModel]
"""``factory(task, **options) -> WorldActionModel`` for the given env task."""

POLICIES: Registry[PolicyFactory] = Registry("policy")


def _reference(family: str) -> PolicyFactory:
    def build(task: str, rung: int | str | None = None, checkpoint: str | None = None) -> WorldActionModel:
        from adapters.reference import load_policy, load_reference_policy

        if checkpoint is not None:
            if rung is not None:
                raise ValueError("give the reference policy a rung or a checkpoint, not both")
            return load_policy(checkpoint)
        return load_reference_policy(family, task, rung)

    build.__doc__ = (f"The shipped reference {family} WAM for ``task``; ``rung``: a rung of the "
                     "branch-fidelity ladder or 'original'; ``checkpoint``: any checkpoint file.")
    return build


POLICIES.register("reference_joint")(_reference("joint"))
POLICIES.register("reference_inverse")(_reference("inverse"))


@POLICIES.register("cosmos_policy")
def _cosmos_policy(task: str, **options: Any) -> WorldActionModel:
    """Cosmos-Policy on RoboCasa (GPU; options are CosmosPolicyConfig fields)."""
    from adapters.cosmos_policy import load_cosmos_policy

    return load_cosmos_policy(task, **options)


@POLICIES.register("lingbot_va")
def _lingbot_va(task: str, **options: Any) -> WorldActionModel:
    """LingBot-VA through LeRobot on RoboTwin 2.0 (options: load_lingbot_va's keywords)."""
    from adapters.lingbot_va import load_lingbot_va

    return load_lingbot_va(task, **options)


def make_policy(name: str, task: str, **options: Any) -> WorldActionModel:
    """Build policy ``name`` for ``task``; unknown options are a clear error."""
    factory = POLICIES.get(name)
    try:
        return factory(task, **options)
    except TypeError as err:
        if "unexpected keyword argument" in str(err) or "positional argument" in str(err):
            raise TypeError(f"policy {name!r} does not take options {sorted(options)}: {err}") from err
        raise

"""World action models the harness can build by name: ``POLICIES.get(name)(task, **options)``.

Every entry of :data:`adapters.registry.ADAPTERS` is a policy here, imported only when
built. A new adapter registers there; a plugin module named in the config's ``plugins``
may also register a policy here directly::

    @POLICIES.register("my_wam")
    def _my_wam(task: str, checkpoint: str) -> WorldActionModel: ...

A factory may carry a cheap ``validate(task, **options) -> list[str]`` attribute (e.g.
checkpoint files exist; an adapter entry's ``validate``); the harness calls it for every
task before the first trial.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.registry import ADAPTERS, Adapter
from wam_tts import Registry, WorldActionModel

PolicyFactory = Callable[..., WorldActionModel]
"""``factory(task, **options) -> WorldActionModel`` for the given env task."""
PolicyCheck = Callable[..., list[str]]
"""``validate(task, **options) -> problems``: what would make the factory fail, found cheaply."""

POLICIES: Registry[PolicyFactory] = Registry("policy")


def _lazy_factory(name: str, adapter: Adapter) -> PolicyFactory:
    def build(task: str, **options: Any) -> WorldActionModel:
        return adapter.build(task, **options)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = adapter.summary
    if adapter.validate is not None:
        build.validate = adapter.problems
    return build


for _name in ADAPTERS:
    POLICIES.register(_name)(_lazy_factory(_name, ADAPTERS.get(_name)))


def make_policy(name: str, task: str, **options: Any) -> WorldActionModel:
    """Build policy ``name`` for ``task``; unknown options are a clear error."""
    factory = POLICIES.get(name)
    try:
        return factory(task, **options)
    except TypeError as err:
        if "unexpected keyword argument" in str(err) or "positional argument" in str(err):
            raise TypeError(f"policy {name!r} does not take options {sorted(options)}: {err}") from err
        raise


def policy_problems(name: str, tasks: list[str], options: dict[str, Any]) -> list[str]:
    """What policy ``name``'s ``validate`` hook (if it has one) finds for each task."""
    validate: PolicyCheck | None = getattr(POLICIES.get(name), "validate", None)
    if validate is None:
        return []
    try:
        return [problem for task in tasks for problem in validate(task, **options)]
    except TypeError as err:
        return [f"policy {name!r} does not take options {sorted(options)}: {err}"]

"""The env backends the harness can build by name, and the tasks each one knows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from eval.envs.base import EnvBackend
from wam_tts import Registry

ENV_BACKENDS: Registry[Callable[..., EnvBackend]] = Registry("env backend")

#: Tasks each backend knows, for configs and clear errors before anything is built.
BACKEND_TASKS: dict[str, tuple[str, ...]] = {}

B = TypeVar("B", bound=type[EnvBackend])


def register_env(name: str, tasks: tuple[str, ...] | list[str] = ()) -> Callable[[B], B]:
    """Class decorator: register a backend under ``name`` with the tasks it knows."""

    def add(cls: B) -> B:
        ENV_BACKENDS.register(name)(cls)
        BACKEND_TASKS[name] = tuple(tasks)
        return cls

    return add

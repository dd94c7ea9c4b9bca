"""Environment backends behind one interface, built by name.

    from eval.envs import make_env
    env = make_env("robosuite", "Lift")            # low-dim obs["state"]
    env = make_env("robosuite", "Lift", cameras=["agentview"], image_size=84)

Backends import their simulator lazily (inside the constructor), so importing this
package is cheap. Every ``*_env.py`` module here is imported and registers its backend
with :func:`eval.envs.registry.register_env`, so a new backend is one new file.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from eval.envs.base import EnvBackend, Obs
from eval.envs.registry import BACKEND_TASKS, ENV_BACKENDS, register_env

for _module in pkgutil.iter_modules(__path__):
    if _module.name.endswith("_env"):
        importlib.import_module(f"{__name__}.{_module.name}")


def make_env(backend: str, task: str, **options: Any) -> EnvBackend:
    """Build ``task`` on ``backend`` (e.g. ``make_env("robosuite", "Lift")``)."""
    factory = ENV_BACKENDS.get(backend)
    tasks = BACKEND_TASKS.get(backend, ())
    if tasks and task not in tasks:
        raise ValueError(f"unknown {backend} task {task!r}; valid tasks: {', '.join(tasks)}")
    return factory(task, **options)


__all__ = ["BACKEND_TASKS", "ENV_BACKENDS", "EnvBackend", "Obs", "make_env", "register_env"]

"""Env backends register themselves: a new backend is one new ``*_env.py`` file."""

from __future__ import annotations

import pathlib

import eval.envs
from eval.envs import BACKEND_TASKS, ENV_BACKENDS


def test_every_env_module_registers_its_backend_with_its_tasks():
    folder = pathlib.Path(eval.envs.__file__).parent
    modules = {p.stem for p in folder.glob("*_env.py")}
    registered = {ENV_BACKENDS.get(name).__module__.rsplit(".", 1)[1] for name in ("robosuite", "robocasa", "robotwin")}
    assert registered == modules == {"robosuite_env", "robocasa_env", "robotwin_env"}
    assert {"Lift", "Door", "Stack", "PickPlaceCan"} <= set(BACKEND_TASKS["robosuite"])
    assert len(BACKEND_TASKS["robocasa"]) == 24 and len(BACKEND_TASKS["robotwin"]) == 50

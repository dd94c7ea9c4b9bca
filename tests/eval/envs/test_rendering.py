"""MuJoCo's offscreen backend: EGL on a GPU machine, OSMesa on a CPU, the user's choice kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.envs import rendering

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("gpu", "expected"), [(True, "egl"), (False, "osmesa")])
def test_the_backend_follows_the_machine(monkeypatch, gpu, expected) -> None:
    monkeypatch.setattr(rendering, "gpu_present", lambda: gpu)
    environ: dict[str, str] = {}
    assert rendering.choose_gl_backend(environ) == expected
    assert environ == {"MUJOCO_GL": expected, "PYOPENGL_PLATFORM": expected}


def test_the_users_setting_is_kept(monkeypatch) -> None:
    monkeypatch.setattr(rendering, "gpu_present", lambda: True)
    environ = {"MUJOCO_GL": "osmesa"}
    assert rendering.choose_gl_backend(environ) == "osmesa" and environ["PYOPENGL_PLATFORM"] == "osmesa"
    environ = {"MUJOCO_GL": "glfw"}
    assert rendering.choose_gl_backend(environ) == "glfw" and "PYOPENGL_PLATFORM" not in environ


def test_importing_the_backends_on_a_gpu_machine_chooses_egl(tmp_path) -> None:
    """A fresh process whose PATH has ``nvidia-smi`` (a GPU machine), MUJOCO_GL unset."""
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("MUJOCO_GL", "PYOPENGL_PLATFORM")}
    env["PATH"] = f"{tmp_path}{os.pathsep}{env.get('PATH', '')}"
    code = "import os, eval.envs; print(os.environ['MUJOCO_GL'], os.environ['PYOPENGL_PLATFORM'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["egl", "egl"]

"""Which OpenGL backend MuJoCo renders offscreen with, chosen before MuJoCo is imported.

A setting the user made (``MUJOCO_GL``, ``PYOPENGL_PLATFORM``) is always kept. Otherwise:
EGL where an NVIDIA GPU is present (upstream renders RoboCasa with EGL, and Cosmos-Policy's
image has no OSMesa), OSMesa on a CPU-only machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import MutableMapping
from pathlib import Path

#: Files whose presence means an NVIDIA driver, hence EGL through the GPU.
NVIDIA_DEVICE_FILES = ("/dev/nvidiactl", "/dev/nvidia0")


def gpu_present() -> bool:
    """True where an NVIDIA driver is visible (its device files or ``nvidia-smi`` on PATH)."""
    return any(Path(p).exists() for p in NVIDIA_DEVICE_FILES) or shutil.which("nvidia-smi") is not None


def choose_gl_backend(environ: MutableMapping[str, str] = os.environ) -> str:
    """Set ``MUJOCO_GL`` (and ``PYOPENGL_PLATFORM`` to match) unless set; return the backend."""
    backend = environ.setdefault("MUJOCO_GL", "egl" if gpu_present() else "osmesa")
    if backend in ("egl", "osmesa"):
        environ.setdefault("PYOPENGL_PLATFORM", backend)
    return backend

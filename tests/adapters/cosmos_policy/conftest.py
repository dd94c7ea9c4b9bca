"""Fixtures that put the FAKE cosmos_policy package (./fake_upstream) in place of NVlabs' one."""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import adapters.cosmos_policy.adapter as adapter_module

FAKE_UPSTREAM = Path(__file__).parent / "fake_upstream"
IMAGE_SIZE = 64  # square, as upstream asserts; it resizes them to 224


def _forget_cosmos_modules() -> None:
    for name in [m for m in sys.modules if m == "cosmos_policy" or m.startswith("cosmos_policy.")]:
        del sys.modules[name]


class DeviceLog:
    """FAKE CUDA device switching: records (thread name, device) for each use."""

    def __init__(self) -> None:
        self.uses: list[tuple[str, int]] = []

    @contextlib.contextmanager
    def use_device(self, index: int):
        self.uses.append((threading.current_thread().name, index))
        yield


@pytest.fixture
def fake_cuda(monkeypatch: pytest.MonkeyPatch) -> DeviceLog:
    """Two FAKE CUDA devices (the adapter refuses to build without CUDA)."""
    log = DeviceLog()
    monkeypatch.setattr(adapter_module, "cuda_device_count", lambda: 2)
    monkeypatch.setattr(adapter_module, "use_device", log.use_device)
    return log


class FakeUpstream:
    """Handle on the FAKE upstream modules, once the adapter has imported them."""

    @property
    def utils(self):
        return sys.modules["cosmos_policy.experiments.robot.cosmos_utils"]

    @property
    def constants(self):
        return sys.modules["cosmos_policy.constants"]

    def import_utils(self):
        return importlib.import_module("cosmos_policy.experiments.robot.cosmos_utils")


@pytest.fixture
def fake_cosmos(monkeypatch: pytest.MonkeyPatch, fake_cuda: DeviceLog):
    """FAKE cosmos_policy importable as upstream's (fresh for every test, nothing imported yet)."""
    _forget_cosmos_modules()
    monkeypatch.syspath_prepend(str(FAKE_UPSTREAM))
    monkeypatch.setattr(sys, "argv", ["pytest"])
    monkeypatch.delenv("DETERMINISTIC", raising=False)
    yield FakeUpstream()
    _forget_cosmos_modules()


def robocasa_obs(seed: int = 0, instruction: str | None = None) -> dict:
    """An observation as the RoboCasa backend gives it (random pixels, upright)."""
    rng = np.random.default_rng(seed)
    obs = {
        key: rng.integers(0, 256, (IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
        for key in adapter_module.DEFAULT_CAMERA_KEYS.values()
    }
    obs["proprio"] = rng.uniform(-0.02, 0.02, 9)
    obs["state"] = rng.normal(size=20).astype(np.float32)
    obs["instruction"] = np.array(instruction or "open the microwave door")
    return obs

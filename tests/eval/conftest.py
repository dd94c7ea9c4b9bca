"""Helpers for harness tests: toy-benchmark configs, in-process runs and CLI runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from eval.results import load_run
from eval.run import CONFIG_DIR

REPO = Path(__file__).resolve().parents[2]

#: Overrides that put a run on the toy benchmark (tests/eval/toy.py).
TOY = [
    "plugins=[tests.eval.toy]",
    "env.backend=toy",
    "env.tasks=[reach,reach_far]",
    "env.action_space=euclidean",
    "env.max_steps=20",
    "policy.name=toy",
    "policy.options={noise:0.1,bias:0.05}",
    "progress=false",
]


def compose_config(overrides: list[str]):
    """The config ``python -m eval.run <overrides>`` would get (no run started)."""
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("config", overrides=overrides)


def run_cli(args: list[str], cwd: Path, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    """``python -m eval.run <args>`` in ``cwd`` (the repository on the path)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "HYDRA_FULL_ERROR": "0"}
    proc = subprocess.run([sys.executable, "-m", "eval.run", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"eval.run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def results(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-trial results without timings or stored configs, in a canonical order."""
    episodes, steps = load_run(path)
    episodes = episodes.drop(columns=["wall_s", "config", "baseline_config", "baseline_run_id"])
    episodes = episodes.sort_values(["run_id", "task", "trial"]).reset_index(drop=True)
    steps = steps.drop(columns=["sample_s", "score_s", "env_s"])
    steps = steps.sort_values(["run_id", "task", "trial", "decision"]).reset_index(drop=True)
    steps[["scores", "values"]] = steps[["scores", "values"]].map(lambda x: [float(v) for v in x])
    return episodes, steps


def assert_same_results(a, b, ignore: tuple[str, ...] = ()) -> None:
    """Equal per-trial results; ``ignore`` drops columns (run_id differs when fault options do)."""
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.drop(columns=list(ignore), errors="ignore"),
                                      y.drop(columns=list(ignore), errors="ignore"), check_exact=True)


@pytest.fixture
def toy_cfg():
    """Compose a toy-benchmark config with extra overrides."""
    return lambda *extra: compose_config([*TOY, *extra])

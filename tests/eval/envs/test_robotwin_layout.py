"""RoboTwin's layout changed after c3ddfa8: the backend and the plug-in say so and name the pin."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from eval.envs.robotwin_env import ROBOTWIN_COMMIT, RoboTwinEnv
from tests.eval.envs.test_robotwin import FAKE_ROOT

PLUGIN = Path(__file__).resolve().parents[3] / "eval" / "robotwin_plugin"


def _new_layout(tmp_path: Path) -> Path:
    """The fake checkout rearranged as RoboTwin's later commits are: scripts/, env_cfg/task_config/."""
    root = tmp_path / "RoboTwin"
    shutil.copytree(FAKE_ROOT, root)
    (root / "env_cfg").mkdir()
    shutil.move(root / "task_config", root / "env_cfg" / "task_config")
    (root / "scripts").mkdir()
    return root


def test_the_backend_refuses_the_new_layout_naming_the_commit(tmp_path) -> None:
    root = _new_layout(tmp_path)
    with pytest.raises(ImportError, match=f"after {ROBOTWIN_COMMIT}.*git -C .* checkout {ROBOTWIN_COMMIT}"):
        RoboTwinEnv("beat_block_hammer", root=str(root))


def test_the_plugins_eval_script_refuses_a_checkout_without_eval_policy(tmp_path) -> None:
    root = _new_layout(tmp_path)
    (root / "policy").mkdir()
    shutil.copytree(PLUGIN, root / "policy" / "WAM_TTS")
    result = subprocess.run(["bash", "eval.sh", "beat_block_hammer", "demo_clean", "x", "0", "0"],
                            cwd=root / "policy" / "WAM_TTS", capture_output=True, text=True)
    assert result.returncode == 2
    assert "script/eval_policy.py" in result.stderr and "checkout c3ddfa8" in result.stderr
    assert ROBOTWIN_COMMIT == "c3ddfa8"

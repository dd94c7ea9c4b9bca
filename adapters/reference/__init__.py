"""Reference world action models: small flow-matching policies over robosuite states.

Two families, trained by :mod:`eval.reference_training.train` and shipped as checkpoints in
``adapters/reference/checkpoints/<family>_<task>.pt`` (see ``MODEL_CARD.md``)::

    from adapters.reference import load_reference_policy
    policy = load_reference_policy("joint", "Lift")   # or "inverse"
    branches = policy.sample(obs, n=8, seed=0)
"""

from __future__ import annotations

from pathlib import Path

from adapters.reference.checkpoint import load_checkpoint, save_checkpoint
from adapters.reference.families import FAMILIES
from adapters.reference.wam import InverseDynamicsWAM, JointPredictionWAM, ReferenceWAM

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"


def checkpoint_path(family: str, task: str) -> Path:
    """Where the shipped checkpoint of ``family`` on ``task`` lives."""
    FAMILIES.get(family)
    return CHECKPOINT_DIR / f"{family}_{task}.pt"


def shipped_tasks(family: str) -> list[str]:
    """Tasks with a shipped checkpoint for ``family``."""
    FAMILIES.get(family)
    return sorted(p.stem.split("_", 1)[1] for p in CHECKPOINT_DIR.glob(f"{family}_*.pt"))


def load_policy(path: str | Path) -> ReferenceWAM:
    """The policy saved in the checkpoint at ``path``."""
    model, payload = load_checkpoint(path)
    return FAMILIES.get(payload["family"]).wam(model)


def load_reference_policy(family: str, task: str) -> ReferenceWAM:
    """The shipped ``family`` ("joint" or "inverse") policy for ``task`` (e.g. "Lift")."""
    path = checkpoint_path(family, task)
    if not path.is_file():
        raise FileNotFoundError(
            f"no shipped {family} checkpoint for task {task!r}; shipped tasks: "
            f"{', '.join(shipped_tasks(family)) or 'none'}. Train one with "
            f"`python -m eval.reference_training.train --family {family} --task {task}`."
        )
    return load_policy(path)


__all__ = [
    "CHECKPOINT_DIR",
    "FAMILIES",
    "InverseDynamicsWAM",
    "JointPredictionWAM",
    "ReferenceWAM",
    "checkpoint_path",
    "load_checkpoint",
    "load_policy",
    "load_reference_policy",
    "save_checkpoint",
    "shipped_tasks",
]

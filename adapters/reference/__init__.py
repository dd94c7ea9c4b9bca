"""Reference world action models: small flow-matching policies over robosuite states.

Two families, trained by :mod:`eval.reference_training.train` and shipped as checkpoints in
``adapters/reference/checkpoints/<family>_<task>.pt`` (see ``MODEL_CARD.md``)::

    from adapters.reference import load_reference_policy
    policy = load_reference_policy("joint", "Lift")   # or "inverse"
    branches = policy.sample(obs, n=8, seed=0)
"""

from __future__ import annotations

from pathlib import Path

from adapters.reference.autoencoder import ImageAutoencoder
from adapters.reference.checkpoint import load_checkpoint, save_checkpoint
from adapters.reference.families import FAMILIES
from adapters.reference.wam import InverseDynamicsWAM, JointPredictionWAM, ReferenceWAM

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"

#: (family, task) → the ladder rung loaded by default (MODEL_CARD.md, "Branch-fidelity
#: ladder"): the rung with high branch fidelity whose vanilla success lies in 30-85 %.
#: Pairs not listed load the original ``<family>_<task>.pt`` (also ``rung="original"``).
DEFAULT_RUNGS: dict[tuple[str, str], int] = {("joint", "Lift"): 1, ("joint", "Door"): 1, ("joint", "Stack"): 1}
ORIGINAL = "original"


def checkpoint_path(family: str, task: str, rung: int | str | None = None, visual: bool = False) -> Path:
    """Where the shipped checkpoint of ``family`` on ``task`` lives: ``rung`` None is the
    default (:data:`DEFAULT_RUNGS`), an integer that rung of the branch-fidelity ladder
    (``<family>_<task>_v<rung>.pt``, MODEL_CARD.md), ``"original"`` ``<family>_<task>.pt``;
    ``visual``: the visual model, futures in an image latent (``<family>_<task>_visual.pt``)."""
    FAMILIES.get(family)
    if visual:
        if rung is not None:
            raise ValueError("the visual reference models have no ladder: give no rung")
        return CHECKPOINT_DIR / f"{family}_{task}_visual.pt"
    if rung is None:
        rung = DEFAULT_RUNGS.get((family, task), ORIGINAL)
    if rung == ORIGINAL:
        return CHECKPOINT_DIR / f"{family}_{task}.pt"
    if isinstance(rung, bool) or not isinstance(rung, int):
        raise ValueError(f"rung must be an integer ladder rung or {ORIGINAL!r}, got {rung!r}")
    return CHECKPOINT_DIR / f"{family}_{task}_v{rung}.pt"


def visual_tasks(family: str) -> list[str]:
    """Tasks with a shipped visual checkpoint for ``family``."""
    FAMILIES.get(family)
    return sorted(p.stem.split("_")[1] for p in CHECKPOINT_DIR.glob(f"{family}_*_visual.pt"))


def shipped_tasks(family: str) -> list[str]:
    """Tasks with a shipped (non-ladder) checkpoint for ``family``."""
    FAMILIES.get(family)
    stems = (p.stem.split("_", 1)[1] for p in CHECKPOINT_DIR.glob(f"{family}_*.pt"))  # Lift, not Lift_v1
    return sorted(s for s in stems if "_" not in s)


def shipped_rungs(family: str, task: str) -> list[int]:
    """Ladder rungs shipped for ``(family, task)``."""
    FAMILIES.get(family)
    rungs = (p.stem.rsplit("_v", 1)[1] for p in CHECKPOINT_DIR.glob(f"{family}_{task}_v*.pt"))
    return sorted(int(r) for r in rungs if r.isdigit())  # not _visual


def missing_checkpoint(family: str, task: str, rung: int | str | None = None,
                       checkpoint: str | Path | None = None, visual: bool = False,
                       decode_images: bool = False) -> list[str]:
    """The problem (if any) that would make :func:`load_reference_policy` fail for ``task``
    (it takes the same options; ``decode_images`` cannot make it fail)."""
    if checkpoint is not None and rung is not None:
        return ["give the reference policy a rung or a checkpoint, not both"]
    try:
        path = Path(checkpoint) if checkpoint is not None else checkpoint_path(family, task, rung, visual)
    except ValueError as err:
        return [str(err)]
    if path.is_file():
        return []
    if visual:
        return [f"no visual reference_{family} checkpoint for task {task!r} ({path}); shipped tasks: "
                f"{', '.join(visual_tasks(family)) or 'none'}; train one with "
                f"`python -m eval.reference_training.train_visual --family {family} --task {task}`"]
    if isinstance(rung, int):
        return [f"no rung {rung} of the reference_{family} ladder for task {task!r} ({path}); shipped rungs: "
                f"{shipped_rungs(family, task) or 'none'}"]
    return [f"no shipped reference_{family} checkpoint for task {task!r} ({path}); shipped tasks: "
            f"{', '.join(shipped_tasks(family)) or 'none'}"]


def load_policy(path: str | Path, decode_images: bool = False) -> ReferenceWAM:
    """The policy saved in the checkpoint at ``path`` (``decode_images``: see :class:`ReferenceWAM`)."""
    model, payload = load_checkpoint(path)
    wam = FAMILIES.get(payload["family"]).wam
    if "encoder" not in payload:
        return wam(model)
    encoder = payload["encoder"]
    return wam(model, ImageAutoencoder.from_payload(encoder), encoder["camera"], decode_images=decode_images)


def load_reference_policy(family: str, task: str, rung: int | str | None = None,
                          checkpoint: str | Path | None = None, visual: bool = False,
                          decode_images: bool = False) -> ReferenceWAM:
    """The shipped ``family`` ("joint" or "inverse") policy for ``task`` (e.g. "Lift");
    ``rung`` and ``visual`` as in :func:`checkpoint_path`; ``checkpoint``: any checkpoint
    file instead; ``decode_images``: branches carry decoded future frames (visual models)."""
    if checkpoint is not None:
        if rung is not None:
            raise ValueError("give the reference policy a rung or a checkpoint, not both")
        return load_policy(checkpoint, decode_images)
    path = checkpoint_path(family, task, rung, visual)
    if visual and not path.is_file():
        raise FileNotFoundError(missing_checkpoint(family, task, visual=True)[0])
    if not path.is_file():
        if isinstance(rung, int):
            raise FileNotFoundError(
                f"no rung {rung} of the {family} ladder for task {task!r}; shipped rungs: "
                f"{shipped_rungs(family, task) or 'none'}. Train it with `python -m "
                f"eval.reference_training.train --family {family} --task {task} --rung {rung}`."
            )
        raise FileNotFoundError(
            f"no shipped {family} checkpoint for task {task!r}; shipped tasks: "
            f"{', '.join(shipped_tasks(family)) or 'none'}. Train one with "
            f"`python -m eval.reference_training.train --family {family} --task {task}`."
        )
    return load_policy(path, decode_images)


__all__ = [
    "CHECKPOINT_DIR",
    "DEFAULT_RUNGS",
    "ORIGINAL",
    "FAMILIES",
    "InverseDynamicsWAM",
    "JointPredictionWAM",
    "ReferenceWAM",
    "checkpoint_path",
    "load_checkpoint",
    "load_policy",
    "load_reference_policy",
    "missing_checkpoint",
    "save_checkpoint",
    "shipped_rungs",
    "shipped_tasks",
    "visual_tasks",
]

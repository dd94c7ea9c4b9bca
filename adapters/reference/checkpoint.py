"""Save and load a reference model as one small ``.pt`` file.

The file holds plain data only (loaded with ``weights_only=True``): the family, the
task, the :class:`ModelConfig`, the normaliser statistics, the weights and a ``meta``
dict describing how it was trained; a visual model's file also holds its image
autoencoder and camera (``"encoder"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from adapters.reference.autoencoder import ImageAutoencoder
from adapters.reference.base import ReferenceModel
from adapters.reference.config import ModelConfig
from adapters.reference.families import FAMILIES
from adapters.reference.normalizer import Normalizer

FORMAT = "wam-tts-reference/1"


def save_checkpoint(path: str | Path, model: ReferenceModel, task: str, meta: dict[str, Any],
                    encoder: ImageAutoencoder | None = None, camera: str | None = None) -> Path:
    """Write ``model`` with its config, normaliser and ``meta`` (JSON-like plain data); a
    visual model also with its image ``encoder`` and the ``camera`` it reads."""
    if (encoder is None) != (model.config.latent_dim == 0) or (encoder is None) != (camera is None):
        raise ValueError("a visual model (latent_dim > 0) is saved with its encoder and camera, a state model without")
    try:
        meta = json.loads(json.dumps(meta))
    except TypeError as err:
        raise TypeError(f"checkpoint meta must be plain JSON data (str, numbers, lists, dicts): {err}") from err
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "family": model.family,
        "task": task,
        "config": model.config.to_dict(),
        "normalizer": model.normalizer.state_dict(),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "meta": meta,
    }
    if encoder is not None:
        payload["encoder"] = {**encoder.to_payload(), "camera": camera}
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def load_checkpoint(path: str | Path) -> tuple[ReferenceModel, dict[str, Any]]:
    """Rebuild the model saved at ``path``; returns ``(model, payload without weights)``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no reference checkpoint at {path}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path} is not a reference model checkpoint (format {FORMAT!r})")
    family = FAMILIES.get(payload["family"])
    model = family.model(ModelConfig.from_dict(payload["config"]), Normalizer.from_state_dict(payload["normalizer"]))
    model.load_state_dict(payload.pop("state_dict"))
    return model.eval(), payload

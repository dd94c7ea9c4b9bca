"""Cosmos-Policy (joint prediction of actions, future frames and value) as a WorldActionModel.

One decision is one upstream ``get_action(..., batch_size=N)`` call per batch: the
observation is tiled over the batch (proprio to ``(N, 9)``, as upstream requires) and
each row gets its own noise (see :mod:`adapters.cosmos_policy.batching` for the seeds).
The predicted future is read from the generated latent sequence, not decoded:

    slot: 0 blank | 1 proprio | 2 wrist | 3 left | 4 right | 5 action |
          6 future proprio | 7 future wrist | 8 future left | 9 future right | 10 value

``Branches.futures`` are slots 7-9, ``[N, 16, 3, 28, 28]`` (Wan2.1 VAE channels), i.e.
the frames 32 actions ahead (``future_horizon = 32``, although only 16 are executed
per decision on RoboCasa). A real observation is mapped into the same slots by
:meth:`CosmosPolicyWAM.encode_observation`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from adapters.cosmos_policy.batching import (
    BatchPlan,
    Piece,
    cuda_device_count,
    max_batch_size,
    plan_batches,
    use_device,
)
from adapters.cosmos_policy.config import CosmosPolicyConfig
from adapters.cosmos_policy.upstream import load_cosmos_utils
from wam_tts import Branches, Observation, WorldActionModel

log = logging.getLogger(__name__)

#: Upstream observation key → our env observation key (images upright, as the RoboCasa backend gives them).
DEFAULT_CAMERA_KEYS: Mapping[str, str] = {
    "primary_image": "robot0_agentview_left_image",
    "secondary_image": "robot0_agentview_right_image",
    "wrist_image": "robot0_eye_in_hand_image",
}
PROPRIO_KEY = "proprio"
INSTRUCTION_KEY = "instruction"
PROPRIO_DIM = 9
#: ``latent_indices`` keys of the predicted future frames (wrist, left, right).
FUTURE_SLOTS = ("future_wrist_image_latent_idx", "future_image_latent_idx", "future_image2_latent_idx")
#: Upstream camera → its decoded future image in ``future_image_predictions``.
FUTURE_IMAGES = {"primary_image": "future_image", "secondary_image": "future_image2", "wrist_image": "future_wrist_image"}
#: Memory of one model copy when it cannot be measured (no CUDA): upstream's figure.
FALLBACK_MODEL_MEMORY_GB = 9.0
#: The clean latent of the images does not depend on the text: encode with a blank T5 embedding.
_BLANK_TEXT = np.zeros((1, 512, 1024), dtype=np.float32)
_ENCODE_CACHE_SIZE = 8


@dataclass
class _PieceOutput:
    actions: np.ndarray
    futures: Tensor
    values: Tensor
    images: Tensor | None


class CosmosPolicyWAM(WorldActionModel):
    """Cosmos-Policy on RoboCasa, loaded and queried through upstream's own functions.

    Build it with a :class:`CosmosPolicyConfig` or its fields as keywords::

        policy = CosmosPolicyWAM(devices=(0, 1), memory_budget_gb=40)

    Observations are our RoboCasa backend's: three upright uint8 cameras (see
    ``camera_keys``), ``"proprio"`` ``[gripper_qpos(2), eef_pos(3), eef_quat(4)]`` and
    ``"instruction"`` (or pass ``instruction=`` once). Upstream must be installed
    (see adapters/cosmos_policy/README.md); otherwise construction fails saying how.
    """

    has_value_head = True
    splits_batches = True

    def __init__(
        self,
        config: CosmosPolicyConfig | None = None,
        *,
        camera_keys: Mapping[str, str] | None = None,
        instruction: str | None = None,
        **options: Any,
    ) -> None:
        if config is not None and options:
            raise TypeError(f"pass either a CosmosPolicyConfig or its fields, not both (got {sorted(options)})")
        self.config = config if config is not None else CosmosPolicyConfig.from_options(**options)
        self.camera_keys = dict(camera_keys or DEFAULT_CAMERA_KEYS)
        if set(self.camera_keys) != set(DEFAULT_CAMERA_KEYS):
            raise ValueError(f"camera_keys must map exactly {sorted(DEFAULT_CAMERA_KEYS)}, got {sorted(self.camera_keys)}")
        self.instruction = instruction
        self.future_horizon = self.config.chunk_size
        self._utils = load_cosmos_utils()
        _check_devices(self.config.devices)
        if self.config.deterministic:
            os.environ["DETERMINISTIC"] = "True"  # as upstream's eval; reseeds global RNGs per VAE encode
        self.dataset_stats = self._utils.load_dataset_stats(self.config.dataset_stats_path)
        self._utils.init_t5_text_embeddings_cache(self.config.t5_text_embeddings_path)
        self._models = {device: self._load_model(device) for device in self.config.devices}
        self.model_memory_gb = self.config.model_memory_gb or self._measured_model_memory()
        self.max_batch = max_batch_size(self.config.memory_budget_gb, self.model_memory_gb, self.config.branch_memory_gb)
        self._announced: set[int] = set()
        self._encoded: OrderedDict[str, Tensor] = OrderedDict()

    # -- WorldActionModel ------------------------------------------------------------------
    def sample(self, obs: Observation, n: int, seed: int) -> Branches:
        """Draw ``n`` branches in as few batched upstream calls as the memory budget allows."""
        plan = self.plan(n)
        upstream_obs = self._upstream_obs(obs)
        instruction = self._instruction(obs)
        outputs = self._run(plan, lambda piece: self._query(piece, upstream_obs, instruction, seed))
        extras = {}
        if self.config.decode_images:
            extras["future_image"] = torch.cat([o.images for o in outputs])
        return Branches(
            actions=torch.from_numpy(np.concatenate([o.actions for o in outputs])),
            futures=torch.cat([o.futures for o in outputs]),
            values=torch.cat([o.values for o in outputs]),
            extras=extras,
        )

    def encode_observation(self, obs: Observation) -> Tensor:
        """``[16, 3, 28, 28]``: the real images in the future slots, encoded by upstream.

        Upstream's ``get_action`` builds the same sequence the model sees, with the
        current images copied into the future slots, and returns its clean VAE latent
        (``orig_clean_latent_frames``); its slots 7-9 are the images in exactly the space
        the model predicts into. One denoising step is run and discarded.
        """
        upstream_obs = self._upstream_obs(obs)
        key = _fingerprint(upstream_obs)
        if key in self._encoded:
            self._encoded.move_to_end(key)
            return self._encoded[key]
        device = self.config.devices[0]
        with use_device(device):
            out = self._utils.get_action(
                self.config,
                self._models[device],
                self.dataset_stats,
                {**upstream_obs, "proprio": upstream_obs["proprio"][None]},
                _BLANK_TEXT,
                seed=0,
                randomize_seed=False,
                num_denoising_steps_action=1,
                generate_future_state_and_value_in_parallel=False,
                worker_id=device,
                batch_size=1,
            )
        slots = [out["latent_indices"][k] for k in FUTURE_SLOTS]
        encoded = out["orig_clean_latent_frames"][0, :, slots].detach().float().cpu()
        self._encoded[key] = encoded
        if len(self._encoded) > _ENCODE_CACHE_SIZE:
            self._encoded.popitem(last=False)
        return encoded

    def reset(self) -> None:
        """Cosmos-Policy keeps no episode state."""

    # -- batching ----------------------------------------------------------------------------
    def plan(self, n: int) -> BatchPlan:
        """How ``n`` branches are split over devices and memory; logged once per N if split.

        Under ``seed_protocol="upstream"`` every branch is its own call, as upstream's."""
        if self.config.seed_protocol == "upstream":
            return plan_batches(n, self.config.devices, 1)
        plan = plan_batches(n, self.config.devices, self.max_batch)
        if plan.rounds > 1 and n not in self._announced and self.config.memory_budget_gb is None:
            log.warning("cosmos_policy: drawing N=%d branches as %s (max_batch=%d, set after running out of "
                        "memory)", n, plan.describe(), self.max_batch)
        elif plan.rounds > 1 and n not in self._announced:
            log.warning(
                "cosmos_policy: N=%d branches do not fit in one batch per device under the %g GB "
                "memory budget (model %.1f GB + %g GB per branch: at most %d per batch); drawing "
                "them as %s",
                n, self.config.memory_budget_gb, self.model_memory_gb, self.config.branch_memory_gb,
                self.max_batch, plan.describe(),
            )
        if plan.rounds > 1:
            self._announced.add(n)
        return plan

    def piece_seed(self, piece: Piece, seed: int) -> int:
        """The upstream seed of ``piece``: from the decision's ``seed``, or upstream's ``cfg.seed + i``."""
        if self.config.seed_protocol == "upstream":
            return self.config.upstream_seed + piece.start
        return piece.seed(seed)

    def _run(self, plan: BatchPlan, query: Callable[[Piece], _PieceOutput]) -> list[_PieceOutput]:
        """Run each device's pieces in order; devices in parallel threads (one model copy each)."""
        groups = plan.per_device
        if len(groups) == 1:
            done = {p.start: query(p) for p in groups[0]}
        else:
            with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="cosmos-gpu") as pool:
                futures = [pool.submit(lambda g=group: {p.start: query(p) for p in g}) for group in groups]
                done = {start: out for f in futures for start, out in f.result().items()}
        return [done[p.start] for p in plan.pieces]

    def _query(self, piece: Piece, obs: dict[str, np.ndarray], instruction: str, seed: int) -> _PieceOutput:
        batch_obs = {**obs, "proprio": np.tile(obs["proprio"], (piece.size, 1))}  # upstream needs (B, 9)
        with use_device(piece.device):
            out = self._utils.get_action(
                self.config,
                self._models[piece.device],
                self.dataset_stats,
                batch_obs,
                instruction,
                seed=self.piece_seed(piece, seed),
                randomize_seed=False,
                num_denoising_steps_action=self.config.num_denoising_steps_action,
                generate_future_state_and_value_in_parallel=self.config.decode_images,
                worker_id=piece.device,
                batch_size=piece.size,
            )
        return self._parse(out, piece.size)

    def _parse(self, out: Mapping[str, Any], size: int) -> _PieceOutput:
        latent = out["generated_latent"]
        indices = out["latent_indices"]
        if latent.shape[0] != size:
            raise RuntimeError(f"upstream returned {latent.shape[0]} latent rows for a batch of {size}")
        actions = np.asarray(out["actions"], dtype=np.float32).reshape(size, self.config.chunk_size, -1)
        futures = latent[:, :, [indices[k] for k in FUTURE_SLOTS]].detach().float().cpu()
        value_rows = torch.full((size,), indices["value_latent_idx"], dtype=torch.int64, device=latent.device)
        raw_value = self._utils.extract_value_from_latent_sequence(latent, value_rows)
        values = ((raw_value + 1) / 2).clamp(0, 1).float().cpu()  # upstream's [-1, 1] → [0, 1], its dtype
        images = None
        if self.config.decode_images:  # side by side in the order of the env's camera keys, as videos show them
            predictions = out["future_image_predictions"]
            rows = [predictions] if size == 1 else list(predictions)
            order = [FUTURE_IMAGES[name] for name, _ in sorted(self.camera_keys.items(), key=lambda kv: kv[1])]
            frames = [np.concatenate([row[k] for k in order], axis=1) for row in rows]
            images = torch.from_numpy(np.stack(frames).astype(np.uint8))
        return _PieceOutput(actions, futures, values, images)

    # -- loading ------------------------------------------------------------------------------
    def _load_model(self, device: int) -> Any:
        with use_device(device):
            model, model_config = self._utils.get_model(self.config)
            # get_model always puts the model on cuda:0, while get_action uses the current device
            model = model.to(f"cuda:{device}")
        trained = _trained_chunk_size(model_config)
        if trained is not None and trained != self.config.chunk_size:
            raise ValueError(
                f"the checkpoint was trained with chunk_size {trained} but the config says "
                f"{self.config.chunk_size}: they must match (upstream asserts the same)"
            )
        return model

    def _measured_model_memory(self) -> float:
        if not torch.cuda.is_available():
            return FALLBACK_MODEL_MEMORY_GB
        return max(torch.cuda.memory_allocated(d) for d in self.config.devices) / 1e9

    # -- observations ---------------------------------------------------------------------------
    def _upstream_obs(self, obs: Observation) -> dict[str, np.ndarray]:
        if not isinstance(obs, Mapping):
            raise TypeError(f"Cosmos-Policy takes a dict observation, got {type(obs).__name__}")
        needed = [*self.camera_keys.values(), PROPRIO_KEY]
        missing = [key for key in needed if key not in obs]
        if missing:
            raise ValueError(
                f"Cosmos-Policy needs observation keys {missing}: three upright RGB cameras "
                f"{list(self.camera_keys.values())} and {PROPRIO_KEY!r} [gripper_qpos(2), eef_pos(3), "
                f"eef_quat(4)] (the RoboCasa backend provides them); got {sorted(obs)}"
            )
        upstream: dict[str, np.ndarray] = {}
        for name, key in self.camera_keys.items():
            image = np.asarray(obs[key])
            if image.ndim != 3 or image.shape[-1] != 3 or image.dtype != np.uint8:
                raise ValueError(f"obs[{key!r}] must be a uint8 [H, W, 3] image, got {image.dtype} {image.shape}")
            if image.shape[0] != image.shape[1]:
                raise ValueError(
                    f"obs[{key!r}] is {image.shape[0]}x{image.shape[1]}: Cosmos-Policy's preprocessing asserts "
                    "square images (it resizes them to 224x224); render the cameras square"
                )
            upstream[name] = image
        proprio = np.asarray(obs[PROPRIO_KEY], dtype=np.float64)
        if proprio.shape != (PROPRIO_DIM,):
            raise ValueError(f"obs[{PROPRIO_KEY!r}] must have shape ({PROPRIO_DIM},), got {proprio.shape}")
        if not np.all(np.isfinite(proprio)):
            raise ValueError(f"obs[{PROPRIO_KEY!r}] contains NaN or inf: {proprio}")
        upstream["proprio"] = proprio
        return upstream

    def missing_instructions(self, instructions: Iterable[str]) -> list[str]:
        """The distinct ``instructions`` with no precomputed T5 embedding, in first-seen order."""
        cache = self._utils.t5_text_embeddings_cache
        return list(dict.fromkeys(str(t) for t in instructions if str(t) not in cache))

    def check_instructions(self, instructions: Iterable[str]) -> None:
        """Raise, listing every instruction missing from the T5 cache, unless ``allow_t5_encoding``."""
        missing = self.missing_instructions(instructions)
        if missing and not self.config.allow_t5_encoding:
            raise ValueError(
                f"{len(missing)} instruction(s) have no precomputed T5 embedding in "
                f"{self.config.t5_text_embeddings_path}: {missing}; upstream would load T5-11B to compute "
                "them. Set allow_t5_encoding=True or run other episodes."
            )

    def _instruction(self, obs: Mapping[str, Any]) -> str:
        text = obs.get(INSTRUCTION_KEY, self.instruction)
        if text is None:
            raise ValueError(
                f"Cosmos-Policy is language-conditioned: the observation has no {INSTRUCTION_KEY!r} "
                "and no instruction= was given"
            )
        text = str(text)
        cache = self._utils.t5_text_embeddings_cache
        if text not in cache and not self.config.allow_t5_encoding:
            raise ValueError(
                f"instruction {text!r} has no precomputed T5 embedding in {self.config.t5_text_embeddings_path} "
                f"({len(cache)} cached); upstream would load T5-11B to compute it. Use a cached "
                "instruction or set allow_t5_encoding=True. To list every missing instruction of a run "
                "before it starts: python -m eval.cosmos_instructions TASK ... --trials 50"
            )
        return text


def _check_devices(devices: tuple[int, ...]) -> None:
    count = cuda_device_count()
    if count == 0:
        raise RuntimeError(
            "Cosmos-Policy runs on CUDA GPUs only (upstream's get_action moves every input with "
            ".cuda()), and no CUDA device is visible"
        )
    absent = [d for d in devices if d >= count]
    if absent:
        raise ValueError(f"devices {absent} do not exist: {count} CUDA device(s) are visible")


def _trained_chunk_size(model_config: Any) -> int | None:
    try:
        return int(model_config.dataloader_train.dataset.chunk_size)
    except AttributeError:
        return None


def _fingerprint(obs: Mapping[str, np.ndarray]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for key in sorted(obs):
        value = np.ascontiguousarray(obs[key])
        digest.update(key.encode())
        digest.update(str((value.dtype, value.shape)).encode())
        digest.update(value.tobytes())
    return digest.hexdigest()

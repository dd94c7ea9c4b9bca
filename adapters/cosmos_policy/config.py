"""Settings of the Cosmos-Policy adapter: upstream's own inference flags plus ours."""

from __future__ import annotations

from dataclasses import dataclass, fields

#: The public RoboCasa checkpoint; its folder also holds the dataset statistics and T5 cache.
ROBOCASA_CHECKPOINT = "nvidia/Cosmos-Policy-RoboCasa-Predict2-2B"
#: How branches are seeded: ``per_branch`` (ours: every decision's seed, N branches in
#: one batched call) or ``upstream`` (upstream's RoboCasa eval: branch i of every query
#: of every episode is its own call seeded ``upstream_seed + i``; 195 for N = 1).
SEED_PROTOCOLS = ("per_branch", "upstream")
#: ``cfg.seed`` of upstream's published RoboCasa evaluation.
UPSTREAM_SEED = 195


@dataclass(frozen=True)
class CosmosPolicyConfig:
    """What the adapter passes to upstream, and how it batches.

    The first group keeps upstream's attribute names: the object is handed as ``cfg`` to
    ``cosmos_utils.get_model(cfg)`` and ``get_action(cfg, ...)``, which read them. The
    defaults are those of upstream's published RoboCasa evaluation (ROBOCASA.md).
    Paths may be local or Hugging Face paths (``org/repo/file``); upstream resolves them.

    Our own settings:
        num_denoising_steps_action: denoising steps per sample (upstream: 5).
        deterministic: set ``DETERMINISTIC=true`` as upstream's eval does (its VAE then
            reseeds the global RNGs on every encode; our noise does not use them).
        allow_t5_encoding: compute T5 embeddings for instructions missing from the cache
            (upstream then loads T5-11B); off, a missing instruction is an error.
        decode_images: also decode the predicted future frames into
            ``Branches.extras["future_image"]`` (left | right | wrist side by side, for
            videos); consensus needs only the latent slots, so this is off by default.
        devices: CUDA device indices, one model copy each; branches are spread across them.
        memory_budget_gb: GPU memory one device may use; None means no limit (one batch).
        model_memory_gb: memory of one loaded model copy; None measures it after loading.
        branch_memory_gb: extra memory per branch in a batch (measure it with
            ``python -m adapters.check cosmos_policy``; the default is a cautious guess).
        seed_protocol: ``per_branch`` (default: branch seeds from the decision's seed,
            batched) or ``upstream`` (upstream's eval seeds, ``upstream_seed + i`` for
            branch i at every decision, one call per branch: the N = 1 baseline is then
            upstream's own protocol). Pair it with the RoboCasa backend's
            ``seed_protocol="upstream"``.
        upstream_seed: upstream's ``cfg.seed`` (195 in its RoboCasa evaluation).
    """

    # -- upstream names (read by get_model / get_action) -------------------------------
    suite: str = "robocasa"
    config: str = "cosmos_predict2_2b_480p_robocasa_50_demos_per_task__inference"
    ckpt_path: str = ROBOCASA_CHECKPOINT
    config_file: str = "cosmos_policy/config/config.py"
    dataset_stats_path: str = f"{ROBOCASA_CHECKPOINT}/robocasa_dataset_statistics.json"
    t5_text_embeddings_path: str = f"{ROBOCASA_CHECKPOINT}/robocasa_t5_embeddings.pkl"
    use_third_person_image: bool = True
    num_third_person_images: int = 2
    use_wrist_image: bool = True
    num_wrist_images: int = 1
    use_proprio: bool = True
    normalize_proprio: bool = True
    unnormalize_actions: bool = True
    trained_with_image_aug: bool = True
    use_jpeg_compression: bool = True
    use_variance_scale: bool = False
    chunk_size: int = 32
    # -- ours ----------------------------------------------------------------------------
    num_denoising_steps_action: int = 5
    deterministic: bool = True
    allow_t5_encoding: bool = False
    decode_images: bool = False
    devices: tuple[int, ...] = (0,)
    memory_budget_gb: float | None = None
    model_memory_gb: float | None = None
    branch_memory_gb: float = 1.5
    seed_protocol: str = "per_branch"
    upstream_seed: int = UPSTREAM_SEED

    def __post_init__(self) -> None:
        if self.suite != "robocasa":
            raise ValueError(
                f"this adapter reproduces Cosmos-Policy on RoboCasa (suite='robocasa'), got suite={self.suite!r}"
            )
        if self.num_third_person_images != 2 or self.num_wrist_images != 1:
            raise ValueError("RoboCasa uses two third-person images and one wrist image, as upstream checks")
        for name in ("chunk_size", "num_denoising_steps_action"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        devices = tuple(self.devices)
        if not devices or len(set(devices)) != len(devices) or any(
            not isinstance(d, int) or isinstance(d, bool) or d < 0 for d in devices
        ):
            raise ValueError(f"devices must be distinct CUDA indices >= 0, got {self.devices!r}")
        object.__setattr__(self, "devices", devices)
        for name in ("memory_budget_gb", "model_memory_gb"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be > 0 or None, got {value!r}")
        if self.seed_protocol not in SEED_PROTOCOLS:
            raise ValueError(f"seed_protocol must be one of {SEED_PROTOCOLS}, got {self.seed_protocol!r}")
        if not self.branch_memory_gb > 0:
            raise ValueError(f"branch_memory_gb must be > 0, got {self.branch_memory_gb!r}")

    @classmethod
    def from_options(cls, **options: object) -> CosmosPolicyConfig:
        """Build from keyword options (e.g. a Hydra node), naming any unknown key."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"unknown Cosmos-Policy option(s) {unknown}; valid: {sorted(known)}")
        if "devices" in options and options["devices"] is not None:
            options["devices"] = tuple(options["devices"])  # type: ignore[arg-type]
        return cls(**options)  # type: ignore[arg-type]

"""LingBot-VA (LeRobot's ``LingBotVAPolicy``) as a :class:`wam_tts.WorldActionModel`.

One :meth:`LingBotVAWAM.sample` call is one autoregressive chunk of upstream's
``predict_action_chunk``, drawn N times in one batched pass: the first chunk of an
episode is conditioned on the observation's frame, later chunks first feed the real
keyframes seen while the chosen chunk ran (:meth:`on_step`) and its actions back into
the KV cache with upstream's unmodified ``_compute_kv_cache``. :meth:`on_select` collapses
the N-branch cache to the chosen branch, so the policy carries on exactly as an
unbatched policy that had drawn that branch.

Futures are the last predicted latent frame ``[48, h, w]`` (Wan2.2 VAE space, channel-
normalised as the policy normalises its inputs). That frame summarises the four
keyframes observed during the chunk's last ``action_per_frame`` actions, the last of
them right after the chunk's final action, so :attr:`future_horizon` is the chunk's
length. :meth:`encode_observation` maps a real observation into the same space with the
policy's own VAE: after a chunk's last action, as the policy encodes the chunk's keyframes
for its feedback (the same latent frame, computed once: :mod:`adapters.lingbot_va.keyframes`);
otherwise as it encodes an episode's first frame.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from adapters.lingbot_va import cache, keyframes, transaction
from adapters.lingbot_va.batched_infer import batched_infer, initial_noise, seeded_infer
from adapters.lingbot_va.observation import policy_batch
from wam_tts import Branches, Observation, WorldActionModel

TESTED_LEROBOT = "0.6.1"
#: LeRobot versions whose LingBotVAPolicy internals the adapter is tested against: it calls
#: about 25 private members (``_infer``'s pieces, the KV cache, the streaming VAEs).
SUPPORTED_LEROBOT = ">=0.6.1,<0.6.2"
#: Set to 1 to run with another LeRobot anyway (a warning instead of an error).
ALLOW_UNTESTED_ENV = "WAM_TTS_ALLOW_UNTESTED_LEROBOT"
INSTALL_HINT = (
    f'pip install "lerobot[lingbot-va]=={TESTED_LEROBOT}" into a Python >= 3.12 environment '
    "(in this repository: `make install-lerobot`, then run with .venv-lerobot/bin/python)"
)


class UnsupportedLeRobotError(ImportError):
    """The installed LeRobot is outside :data:`SUPPORTED_LEROBOT`."""


def require_lerobot() -> None:
    """Raise a clear ImportError unless LeRobot's LingBot-VA port and its extras import,
    in a version of :data:`SUPPORTED_LEROBOT`."""
    try:
        import diffusers  # noqa: F401
        import lerobot
        import lerobot.policies.lingbot_va  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as e:
        raise ImportError(
            f"the LingBot-VA adapter runs LeRobot's LingBotVAPolicy, which is not importable here "
            f"({e}). Install it: {INSTALL_HINT}"
        ) from e
    check_lerobot_version(lerobot.__version__)


def check_lerobot_version(version: str) -> None:
    """Fail (or, with ``WAM_TTS_ALLOW_UNTESTED_LEROBOT=1``, warn) outside :data:`SUPPORTED_LEROBOT`."""
    from packaging.specifiers import SpecifierSet

    if version in SpecifierSet(SUPPORTED_LEROBOT):
        return
    message = (
        f"LeRobot {version} is installed; the LingBot-VA adapter re-implements LingBotVAPolicy._infer and uses "
        f"about 25 private members of LeRobot {SUPPORTED_LEROBOT} (tested: {TESTED_LEROBOT}), which another "
        f"version may rename or change silently. Install it: {INSTALL_HINT}; or set {ALLOW_UNTESTED_ENV}=1 and "
        "run tests/lerobot against your version first"
    )
    if os.environ.get(ALLOW_UNTESTED_ENV) == "1":
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return
    raise UnsupportedLeRobotError(message)


@dataclass(frozen=True)
class _Drawn:
    """The N branches of the last :meth:`LingBotVAWAM.sample`, until one is chosen."""

    n: int
    model_actions: Tensor  # [N, action_dim, F, action_per_frame, 1], model-normalised
    latents: Tensor  # [N, 48, F, h, w]


class LingBotVAWAM(WorldActionModel):
    """N LingBot-VA branches per chunk in one batched pass, with KV-cache feedback.

    Args:
        policy: a ``LingBotVAPolicy`` (``.from_pretrained`` or built from a config).
        prompt: the task instruction, when observations carry no ``"task"``.
        camera_map: ``{policy_camera_key: observation_key}`` for environment observations
            (uint8 ``[H, W, 3]`` images); not needed for LeRobot batches.
        batched: draw the N branches in one pass (default); ``False`` runs the real
            ``_infer`` N times from the same cache (the naive baseline, same results).
            With ``max_batch`` set, batched passes draw at most that many branches each
            (same results, less activation memory; the out-of-memory fallback sets it).
        postprocessor: maps model-normalised actions ``[M, A]`` to the robot's units
            (LeRobot's policy postprocessor); identity when None.
        first_branch_from_global_rng: branch 0 draws its noise from the global torch RNG
            with ``_infer``'s own calls, as the bare policy does, instead of from
            ``(seed, 0)``; branches 1.. still come from ``(seed, i)``. At N = 1 the adapter
            then acts exactly as the bare policy under the same global seed (LeRobot's
            ``set_seed``), so LeRobot baselines stay comparable; a failed ``sample`` puts
            the global RNG back too.

    Per episode: :meth:`reset`, then for every chunk ``sample`` → ``on_select`` → one
    :meth:`on_step` per executed action (the whole chunk must run, as upstream assumes).
    """

    has_value_head = False
    streams_observations = True
    splits_batches = True

    def __init__(
        self,
        policy: Any,
        *,
        prompt: str | None = None,
        camera_map: Mapping[str, str] | None = None,
        batched: bool = True,
        postprocessor: Callable[[Tensor], Tensor] | None = None,
        first_branch_from_global_rng: bool = False,
    ) -> None:
        require_lerobot()
        from lerobot.policies.lingbot_va import LingBotVAPolicy

        if not isinstance(policy, LingBotVAPolicy):
            raise TypeError(f"LingBotVAWAM wraps a LingBotVAPolicy, got {type(policy).__name__}")
        self.policy = policy.eval()
        self.prompt = prompt
        self.camera_map = dict(camera_map) if camera_map else None
        self.batched = batched
        self.postprocessor = postprocessor
        self.first_branch_from_global_rng = first_branch_from_global_rng
        self.max_batch: int | None = None
        self._fed_back = False  # this chunk's observations are already in the cache (a retried sample)
        self._drawn: _Drawn | None = None
        self._chunk_len: int | None = None
        self._executed = 0
        self._keyframes: keyframes.EncodedKeyframes | None = None  # encode_observation's, for the feedback

    @classmethod
    def from_pretrained(cls, path: str | Path, *, device: str | None = None, **kwargs: Any) -> LingBotVAWAM:
        """Load a converted checkpoint (e.g. ``lerobot/lingbot_va_robotwin``) and wrap it."""
        require_lerobot()
        from lerobot.configs.policies import PreTrainedConfig
        from lerobot.policies.lingbot_va import LingBotVAPolicy

        config = PreTrainedConfig.from_pretrained(str(path))
        if device is not None:
            config.device = device
        return cls(LingBotVAPolicy.from_pretrained(str(path), config=config), **kwargs)

    # --- the WorldActionModel contract -------------------------------------------------

    @property
    def future_horizon(self) -> int:  # type: ignore[override]
        """Actions in the current chunk: the last predicted latent frame ends after them."""
        if self._chunk_len is not None:
            return self._chunk_len
        cfg = self.policy.config  # before an episode's first chunk: its length
        return (cfg.frame_chunk_size - 1) * cfg.action_per_frame

    def reset(self) -> None:
        self.policy.reset()
        self._fed_back = False
        self._drawn = None
        self._chunk_len = None
        self._executed = 0
        self._keyframes = None

    def sample(self, obs: Observation, n: int, seed: int) -> Branches:
        """One chunk, N branches; branch ``i``'s noise depends only on ``(seed, i)``.

        Transactional: if it raises (e.g. out of memory), the policy, its caches and the
        adapter are left exactly as before the call, so it can be retried (with a smaller
        :attr:`max_batch` or N).
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        if self._drawn is not None:
            raise RuntimeError(
                "sample() called twice without on_select(): LingBot-VA's KV cache holds the N branches "
                "of the last sample until one is chosen"
            )
        self.policy._ensure_frozen_modules()
        checkpoint = transaction.take(self)
        rng = _global_rng_state(self.policy.config.device) if self.first_branch_from_global_rng else None
        try:
            policy = self.policy
            batch = self._batch(obs, need_task=policy._prompt_embeds is None)
            policy._maybe_init_prompt(batch)
            if not policy._first_chunk and not self._fed_back:
                self._check_keyframes()
                with torch.no_grad(), keyframes.reusing(policy, self._keyframes):
                    policy._compute_kv_cache(policy._obs_buffer, policy._executed_actions)
                policy._obs_buffer = []
                self._fed_back = True
                checkpoint = transaction.take(self)  # drawing never writes this cache's k/v: no copy
            return self._sample(batch, n, seed)
        except BaseException:
            transaction.restore(self, checkpoint)
            if rng is not None:
                _set_global_rng_state(self.policy.config.device, rng)
            raise

    def _sample(self, batch: dict[str, Any], n: int, seed: int) -> Branches:
        """The chunk's N branches, after the feedback (if any) is in the cache."""
        policy = self.policy
        first = policy._first_chunk
        with torch.no_grad():
            if first:
                init_latent = policy._encode_frames([policy._extract_raw_obs(batch)])
                policy._init_latent = init_latent
                policy._init_streaming_cache(init_latent)
                policy._obs_buffer = []
                frame_st_id = 0
            else:
                init_latent, frame_st_id = None, policy._frame_st_id
            model_actions, latents = self._draw(init_latent, frame_st_id, n, seed)
        policy._first_chunk = False
        actions = self._robot_actions(model_actions, first).to(latents.device)
        self._drawn = _Drawn(n, model_actions, latents)
        self._chunk_len, self._executed, self._fed_back = actions.shape[1], 0, False
        self._keyframes = None
        return Branches(
            actions=actions,
            futures=latents[:, :, -1].float(),
            extras={"latents": latents.float()},
        )

    def on_select(self, branches: Branches, index: int) -> None:
        """Collapse the KV cache to branch ``index`` and keep its actions for feedback."""
        drawn = self._drawn
        if drawn is None:
            raise RuntimeError("on_select() without a preceding sample()")
        if branches.n != drawn.n:
            raise ValueError(f"on_select got {branches.n} branches, the last sample drew {drawn.n}")
        cache.collapse_to_branch(self.policy.transformer, drawn.n, index, self._rows_per_branch)
        self.policy._executed_actions = drawn.model_actions[index : index + 1]
        if self.policy.config.save_predicted_video:
            self.policy.last_predicted_frames = None
            self.policy.last_predicted_latents = drawn.latents[index : index + 1].detach().cpu()
        self._drawn = None

    def on_step(self, obs: Observation) -> None:
        """Record the observation after one executed action (a keyframe, on upstream's stride)."""
        if self._drawn is not None or self._chunk_len is None:
            raise RuntimeError("on_step() reports an executed action: call sample() and on_select() first")
        if self._executed >= self._chunk_len:
            raise RuntimeError(
                f"on_step() called {self._executed + 1} times for a chunk of {self._chunk_len} actions; "
                "call sample() for the next chunk"
            )
        policy = self.policy
        within_frame = self._executed % policy.config.action_per_frame
        if (within_frame + 1) % policy._keyframe_stride == 0:
            policy._obs_buffer.append(policy._extract_raw_obs(self._batch(obs)))
        self._executed += 1

    def encode_observation(self, obs: Observation) -> Tensor:
        """``[48, h, w]``: ``obs`` in the policy's own latent space, leaving the policy's state untouched.

        After the chunk's last action (``obs`` is its last keyframe), the last latent frame of the
        policy's encoding of the chunk's keyframes with its running streaming VAE: what the next
        :meth:`sample` feeds back (it reuses this encoding) and the frame the chunk's futures predict.
        Any other observation (an episode's first, a simulated outcome) is encoded alone by a fresh
        streaming VAE, as the policy encodes an episode's first frame.
        """
        policy = self.policy
        batch = self._batch(obs)
        policy._ensure_frozen_modules()
        raw = policy._extract_raw_obs(batch)
        with torch.no_grad():
            if self._ends_the_chunk(raw):
                if self._keyframes is None or not self._keyframes.matches(policy, policy._obs_buffer):
                    self._keyframes = keyframes.encode_keyframes(policy)
                return self._keyframes.latent[0, :, -1].float().clone()
            with _fresh_streaming_vaes(policy):
                latent = policy._encode_frames([raw])
        return latent[0, :, 0].float()

    # --- internals ------------------------------------------------------------------

    @property
    def _tokens_per_chunk(self) -> int:
        """Latent and action tokens one chunk writes into the cache (what each branch keeps apart)."""
        cfg, (h, w) = self.policy.config, self.policy._latent_hw
        p = cfg.patch_size
        return cfg.frame_chunk_size * (h * w // (p[0] * p[1] * p[2]) + cfg.action_per_frame)

    @property
    def _rows_per_branch(self) -> int:
        return 2 if self.policy._use_cfg else 1

    def _batch(self, obs: Observation, need_task: bool = False) -> dict[str, Any]:
        return policy_batch(obs, self.policy.config.obs_cam_keys, self.camera_map, self.prompt, need_task)

    def _ends_the_chunk(self, raw: dict[str, Tensor]) -> bool:
        """Whether ``raw`` is the last keyframe of a fully executed chunk not yet fed back."""
        buffer = self.policy._obs_buffer
        complete = self._drawn is None and self._chunk_len is not None and self._executed == self._chunk_len
        if not (complete and not self._fed_back and buffer):
            return False
        return all(torch.equal(raw[key], buffer[-1][key]) for key in self.policy.config.obs_cam_keys)

    def _check_keyframes(self) -> None:
        expected = self._chunk_len
        if self._executed != expected:
            raise RuntimeError(
                f"LingBot-VA feeds the frames observed while the chosen chunk ran back into its KV cache: "
                f"call on_step(obs) after each of the chunk's {expected} actions before the next sample() "
                f"(got {self._executed})"
            )

    def _draw(self, init_latent: Tensor | None, frame_st_id: int, n: int, seed: int) -> tuple[Tensor, Tensor]:
        """N branches from the current one-branch cache, leaving an N-branch cache behind."""
        transformer, rows = self.policy.transformer, self._rows_per_branch
        if not self.batched:
            return self._draw_sequential(init_latent, frame_st_id, n, seed)
        latents, actions = initial_noise(self.policy, n, seed, self.first_branch_from_global_rng)
        size = n if self.max_batch is None else min(n, self.max_batch)
        if size == n:
            cache.relay_for_branches(transformer, n, rows, self._tokens_per_chunk)
            return batched_infer(self.policy, init_latent, frame_st_id, latents, actions)
        base, assembled, outputs = cache.shared_base(transformer), cache.BranchAssembler(n, rows), []
        for start in range(0, n, size):
            stop = min(start + size, n)
            cache.install(transformer, base)
            cache.relay_for_branches(transformer, stop - start, rows, self._tokens_per_chunk)
            outputs.append(batched_infer(self.policy, init_latent, frame_st_id,
                                         latents[start:stop].clone(), actions[start:stop].clone()))
            assembled.add(transformer, stop - start)
        assembled.install(transformer)
        return torch.cat([a for a, _ in outputs]), torch.cat([lat for _, lat in outputs])

    def _draw_sequential(self, init_latent: Tensor | None, frame_st_id: int, n: int, seed: int) -> tuple[Tensor, Tensor]:
        """The naive baseline: N calls of the real ``_infer`` from the same cache."""
        transformer = self.policy.transformer
        start = cache.snapshot(transformer)
        outputs, caches = [], []
        for i in range(n):
            cache.restore(transformer, start)
            outputs.append(seeded_infer(self.policy, init_latent, frame_st_id, seed, i,
                                        self.first_branch_from_global_rng))
            caches.append(cache.snapshot(transformer))
        cache.stack_branches(transformer, caches, self._rows_per_branch)
        return torch.cat([a for a, _ in outputs]), torch.cat([lat for _, lat in outputs])

    def _robot_actions(self, model_actions: Tensor, first: bool) -> Tensor:
        """``[N, H, A]`` executed actions, as upstream's ``predict_action_chunk`` slices them."""
        used = self.policy.config.used_action_channel_ids
        actions = model_actions[:, used]
        if first:  # frame 0 is the conditioning frame: its actions are not executed
            actions = actions[:, :, 1:]
        actions = actions.squeeze(-1).flatten(2).transpose(1, 2).contiguous().float()
        if self.postprocessor is None:
            return actions
        n, h, a = actions.shape
        return torch.as_tensor(self.postprocessor(actions.reshape(n * h, a))).reshape(n, h, -1).float()


@contextmanager
def _fresh_streaming_vaes(policy: Any) -> Iterator[None]:
    """Swap in streaming VAEs with an empty causal cache, so encoding leaves the policy's own untouched."""
    from lerobot.policies.lingbot_va.utils import WanVAEStreamingWrapper

    frozen = policy._frozen
    saved = {key: frozen[key] for key in ("streaming_vae", "streaming_vae_half") if key in frozen}
    try:
        for key, wrapper in saved.items():
            frozen[key] = WanVAEStreamingWrapper(wrapper.vae)
        yield
    finally:
        frozen.update(saved)


def _global_rng_state(device: str) -> tuple[Tensor, Tensor | None]:
    """The global CPU RNG state and, on a CUDA device, that device's."""
    dev = torch.device(device)
    return torch.random.get_rng_state(), torch.cuda.get_rng_state(dev) if dev.type == "cuda" else None


def _set_global_rng_state(device: str, state: tuple[Tensor, Tensor | None]) -> None:
    torch.random.set_rng_state(state[0])
    if state[1] is not None:
        torch.cuda.set_rng_state(state[1], torch.device(device))

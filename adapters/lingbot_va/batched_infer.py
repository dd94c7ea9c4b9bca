"""N branches of LingBot-VA's dual-stream denoising in one batched pass.

:func:`batched_infer` is ``LingBotVAPolicy._infer`` (LeRobot 0.6.1) with its batch of
one lifted to N. Upstream's own functions do all the work they can: the policy's
``_prepare_latent_input`` and ``_repeat_input_for_cfg``, its transformer and KV cache,
``data_seq_to_patch`` and both flow-matching schedulers. Only four things change:

1. the initial noise has N rows; row ``i`` comes from a generator seeded by
   ``(seed, i)`` and is drawn with ``_infer``'s own calls, in its order (latents, then
   actions), so :func:`seeded_infer` can make the real ``_infer`` draw the same noise;
2. ``_repeat_input_for_cfg`` already stacks the N latents as ``[cond]*N + [uncond]*N``
   (its ``.repeat(2, ...)``), but gives the prompt embeddings, grid ids and timesteps one
   row per guidance half: :func:`widen_rows` repeats each of those rows N times;
3. the guidance split takes ``[:N]`` (conditional) and ``[N:]`` (unconditional) where
   ``_infer`` takes ``[:1]`` and ``[1:]``;
4. ``data_seq_to_patch`` gets the widened batch size.

The KV cache must hold the N branches' rows in the same layout before the call
(:func:`adapters.lingbot_va.cache.relay_for_branches`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from wam_tts.seeding import branch_generators, derive_seed

_WIDENED = ("text_emb", "grid_id", "timesteps")


def initial_noise(policy: Any, n: int, seed: int, first_from_global: bool = False) -> tuple[Tensor, Tensor]:
    """``[N, 48, F, h, w]`` latent and ``[N, action_dim, F, apf, 1]`` action noise.

    Row ``i`` is what ``_infer`` draws after ``torch.manual_seed(derive_seed(seed, i))``.
    With ``first_from_global``, row 0 is what ``_infer`` draws from the global RNG as it
    stands (the bare policy's own draw; it advances the global RNG as ``_infer`` does).
    """
    cfg = policy.config
    latent_h, latent_w = policy._latent_hw
    latents, actions = [], []
    gens: list[torch.Generator | None] = list(branch_generators(seed, n, cfg.device))
    if first_from_global:
        gens[0] = None
    for gen in gens:
        latents.append(
            torch.randn(1, cfg.in_channels, cfg.frame_chunk_size, latent_h, latent_w,
                        generator=gen, device=cfg.device, dtype=policy.dtype)
        )
        actions.append(
            torch.randn(1, cfg.action_dim, cfg.frame_chunk_size, cfg.action_per_frame, 1,
                        generator=gen, device=cfg.device, dtype=policy.dtype)
        )
    return torch.cat(latents), torch.cat(actions)


def seeded_infer(policy: Any, init_latent: Tensor | None, frame_st_id: int, seed: int, index: int,
                 first_from_global: bool = False) -> tuple[Tensor, Tensor]:
    """The real ``policy._infer``, drawing branch ``index``'s noise of :func:`initial_noise`.

    The global RNG is forked, so the caller's random state is left untouched, except for
    branch 0 with ``first_from_global``: that is the plain ``_infer`` on the global RNG.
    """
    if index == 0 and first_from_global:
        return policy._infer(init_latent, frame_st_id=frame_st_id)
    device = torch.device(policy.config.device)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(derive_seed(seed, index))
        return policy._infer(init_latent, frame_st_id=frame_st_id)


def widen_rows(input_dict: dict[str, Tensor], rows: int) -> dict[str, Tensor]:
    """Repeat each row of the prompt embeddings, grid ids and timesteps to fill ``rows``.

    ``[prompt, negative]`` becomes ``[prompt]*N + [negative]*N``, matching the latents.
    """
    for key in _WIDENED:
        value = input_dict[key]
        if rows % value.shape[0]:
            raise ValueError(f"cannot widen {key!r} of {value.shape[0]} rows to {rows} rows")
        input_dict[key] = value.repeat_interleave(rows // value.shape[0], dim=0)
    return input_dict


def guide(pred: Tensor, n: int, scale: float) -> Tensor:
    """Classifier-free guidance over N branches: ``uncond + s * (cond - uncond)``, or ``cond``."""
    if scale > 1:
        return pred[n:] + scale * (pred[:n] - pred[n:])
    return pred[:n]


@torch.no_grad()
def batched_infer(
    policy: Any, init_latent: Tensor | None, frame_st_id: int, latents: Tensor, actions: Tensor
) -> tuple[Tensor, Tensor]:
    """``_infer`` for N branches at once, from noise ``latents`` and ``actions`` of N rows.

    Returns ``actions [N, action_dim, F, apf, 1]`` and ``latents [N, 48, F, h, w]``, row
    ``i`` equal to ``_infer``'s output for noise row ``i``.
    """
    from einops import rearrange
    from lerobot.policies.lingbot_va.utils import data_seq_to_patch

    cfg = policy.config
    n = latents.shape[0]
    rows = 2 * n if policy._use_cfg else n
    latent_h, latent_w = policy._latent_hw
    frame_chunk_size = cfg.frame_chunk_size

    policy._scheduler.set_timesteps(cfg.num_inference_steps)
    policy._action_scheduler.set_timesteps(cfg.action_num_inference_steps)
    timesteps = F.pad(policy._scheduler.timesteps, (0, 1), mode="constant", value=0)
    if cfg.video_exec_step != -1:
        timesteps = timesteps[: cfg.video_exec_step]
    action_timesteps = F.pad(policy._action_scheduler.timesteps, (0, 1), mode="constant", value=0)

    # 1. Video-latent denoising loop
    latent_cond = init_latent[:, :, 0:1].to(policy.dtype) if frame_st_id == 0 and init_latent is not None else None
    for i, t in enumerate(timesteps):
        last_step = i == len(timesteps) - 1
        input_dict = policy._prepare_latent_input(latents, None, t, t, latent_cond, None, frame_st_id=frame_st_id)
        video_noise_pred = policy.transformer(
            widen_rows(policy._repeat_input_for_cfg(input_dict["latent_res_lst"]), rows),
            update_cache=1 if last_step else 0,
            cache_name="pos",
            action_mode=False,
        )
        if not last_step or cfg.video_exec_step != -1:
            video_noise_pred = data_seq_to_patch(
                cfg.patch_size, video_noise_pred, frame_chunk_size, latent_h, latent_w, batch_size=rows
            )
            video_noise_pred = guide(video_noise_pred, n, cfg.guidance_scale)
            latents = policy._scheduler.step(video_noise_pred, t, latents, return_dict=False)
        if latent_cond is not None:
            latents[:, :, 0:1] = latent_cond

    # 2. Action denoising loop
    action_cond = (
        torch.zeros([1, cfg.action_dim, 1, cfg.action_per_frame, 1], device=cfg.device, dtype=policy.dtype)
        if frame_st_id == 0
        else None
    )
    for i, t in enumerate(action_timesteps):
        last_step = i == len(action_timesteps) - 1
        input_dict = policy._prepare_latent_input(None, actions, t, t, None, action_cond, frame_st_id=frame_st_id)
        action_noise_pred = policy.transformer(
            widen_rows(policy._repeat_input_for_cfg(input_dict["action_res_lst"]), rows),
            update_cache=1 if last_step else 0,
            cache_name="pos",
            action_mode=True,
        )
        if not last_step:
            action_noise_pred = rearrange(action_noise_pred, "b (f n) c -> b c f n 1", f=frame_chunk_size)
            action_noise_pred = guide(action_noise_pred, n, cfg.action_guidance_scale)
            actions = policy._action_scheduler.step(action_noise_pred, t, actions, return_dict=False)
        if action_cond is not None:
            actions[:, :, 0:1] = action_cond

    actions[:, ~policy._action_mask] *= 0
    return actions, latents

"""Train a visual reference WAM: futures are the autoencoder latent of the camera frame at t + h.

    python -m eval.reference_training.train_visual --family joint --task Lift
    python -m eval.reference_training.train_visual --family inverse --task Door --demos 8 --out /tmp/m.pt

Scripted demos are replayed in the simulator with the camera on (64×64 agentview,
rendered only at the steps used); from evenly strided demo states perturbed chunks are
executed and the frames they reach kept (the ladder's action-conditioned data, so the
predicted frame follows the branch's actions). An image autoencoder is fitted to every
kept frame, then the model: conditioning ``[s_t, z_t]`` (its networks see ``s_t``), future ``z_{t+h}``. The joint model's
value head is fitted on its own rollouts, as for the state models.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from adapters.reference import checkpoint_path, save_checkpoint
from adapters.reference.autoencoder import AutoencoderConfig, ImageAutoencoder, train_autoencoder
from adapters.reference.dataset import ChunkData
from adapters.reference.families import FAMILIES
from adapters.reference.joint import JointFlowModel
from adapters.reference.recipes import DEMO_SEED, Recipe, visual_recipe
from adapters.reference.training import build_model, train_model
from eval.envs import make_env
from eval.reference_training.branch_data import Replay, concat, replay_demos
from eval.reference_training.train import demonstrations, train_value, training_parser, with_overrides

CAMERA = "agentview"
IMAGE_SIZE = 64
AUTOENCODER_STEPS = 1000


def replay_frames(replay: Replay) -> np.ndarray:
    """All frames of ``replay``: the demos' steps, then the branches' reached frames."""
    return np.concatenate([*replay.demo_frames, np.stack(replay.future_frames)] if replay.future_frames
                          else replay.demo_frames)


def encode(encoder: ImageAutoencoder, frames: np.ndarray, batch: int = 256) -> np.ndarray:
    with torch.no_grad():
        return torch.cat([encoder.encode(frames[i : i + batch]) for i in range(0, len(frames), batch)]).numpy()


def visual_samples(replay: Replay, demos: list[Any], encoder: ImageAutoencoder, horizon: int) -> ChunkData:
    """Samples with conditioning ``[s_t, z_t]`` and future ``z_{t+h}`` from the demos and branches."""
    latents = [encode(encoder, frames) for frames in replay.demo_frames]
    trajectories = [dataclasses.replace(d, states=np.concatenate([d.states, z], axis=1)) for d, z in zip(demos, latents,
                                                                                                    strict=True)]
    data = ChunkData.from_trajectories(trajectories, horizon, horizon, future_dim=encoder.config.latent_dim)
    if not replay.starts:
        return data
    start_latents = np.stack([latents[d][t] for d, t in replay.starts])
    branches = ChunkData(torch.from_numpy(np.concatenate([np.stack(replay.states), start_latents], axis=1)),
                         torch.from_numpy(np.stack(replay.chunks)),
                         torch.from_numpy(encode(encoder, np.stack(replay.future_frames))))
    return concat(data, branches)


def train_visual(family: str, task: str, recipe: Recipe, out: Path, cache: Path | None = None,
                 autoencoder: AutoencoderConfig | None = None, progress: bool = True) -> dict[str, Any]:
    """Run the whole visual recipe and write the checkpoint; returns its ``meta``
    (``autoencoder``: its sizes, default :class:`AutoencoderConfig`)."""
    torch.set_num_threads(1)
    start = time.perf_counter()
    demos = [d for d in demonstrations(task, recipe, cache) if d.success]
    if not demos:
        raise RuntimeError(f"the scripted expert solved none of the {recipe.demos} {task} demos")
    with make_env("robosuite", task, cameras=[CAMERA], image_size=IMAGE_SIZE, lazy_images=True) as env:
        groups = [size for _, size in env.state_layout]
        replay = replay_demos(env, demos, [d.seed for d in demos], recipe.branch_variety, recipe.branch_count,
                              recipe.horizon, recipe.horizon, recipe.branch_states, recipe.seed, camera=CAMERA)
    frames = replay_frames(replay)
    collected = time.perf_counter()
    encoder, ae_losses = train_autoencoder(frames, AUTOENCODER_STEPS, batch_size=32, seed=recipe.seed,
                                           config=autoencoder or AutoencoderConfig(), progress=progress)
    ae_meta = {"autoencoder_steps": AUTOENCODER_STEPS, "autoencoder_loss_final": float(np.mean(ae_losses[-100:]))}
    with torch.no_grad():
        recon = (encoder.decode(encoder.encode(frames[:512])) - encoder.to_input(frames[:512]).permute(0, 2, 3, 1))
    ae_meta["autoencoder_pixel_rmse"] = float(recon.square().mean().sqrt())
    encoded = time.perf_counter()
    data = visual_samples(replay, demos, encoder, recipe.horizon)
    z = encoder.config.latent_dim
    model = build_model(family, data, seed=recipe.seed, future_horizon=recipe.horizon, latent_dim=z,
                        state_groups=[*groups, z], width=recipe.width, depth=recipe.depth, flow_steps=recipe.flow_steps,
                        inverse_noise=recipe.inverse_noise)
    losses = train_model(model, data, recipe.steps, recipe.batch_size, recipe.lr, recipe.seed, progress)
    trained = time.perf_counter()
    meta: dict[str, Any] = {
        "recipe": dataclasses.asdict(recipe),
        "camera": CAMERA, "image_size": IMAGE_SIZE, "latent_dim": z, "autoencoder": dataclasses.asdict(encoder.config),
        "demos_successful": len(demos),
        "demo_seeds": sorted(int(d.seed) for d in demos),
        "frames": len(frames),
        "train_samples": len(data),
        "branch_samples": len(replay.starts),
        "parameters": sum(p.numel() for p in model.parameters()),
        "autoencoder_parameters": sum(p.numel() for p in encoder.parameters()),
        **ae_meta,
        "loss_first": float(np.mean(losses[:100])),
        "loss_final": float(np.mean(losses[-100:])),
        "replay_seconds": round(collected - start, 1),
        "autoencoder_seconds": round(encoded - collected, 1),
        "train_seconds": round(trained - encoded, 1),
        "torch": str(torch.__version__),
    }
    if isinstance(model, JointFlowModel) and recipe.value_episodes > 0:
        meta.update(train_value(FAMILIES.get(family).wam(model, encoder, CAMERA), task, recipe, progress))
        meta["value_seconds"] = round(time.perf_counter() - trained, 1)
    meta["total_seconds"] = round(time.perf_counter() - start, 1)
    save_checkpoint(out, model, task, meta, encoder=encoder, camera=CAMERA)
    return meta


def main(argv: list[str] | None = None) -> None:
    parser = training_parser(__doc__)
    parser.add_argument("--latent-channels", type=int, default=AutoencoderConfig.latent_channels,
                        help="channels per cell of the 8x8 latent grid")
    args = parser.parse_args(argv)
    recipe = with_overrides(visual_recipe(args.family, args.task), args)
    out = args.out or checkpoint_path(args.family, args.task, visual=True)
    meta = train_visual(args.family, args.task, recipe, out, args.demo_cache,
                        AutoencoderConfig(image_size=IMAGE_SIZE, latent_channels=args.latent_channels))
    print(json.dumps({"checkpoint": str(out), "demo_seed": DEMO_SEED, **meta}, indent=1))


if __name__ == "__main__":
    main()

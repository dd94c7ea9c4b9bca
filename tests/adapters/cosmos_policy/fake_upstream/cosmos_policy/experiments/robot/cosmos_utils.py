"""FAKE of cosmos_policy/experiments/robot/cosmos_utils.py (NVlabs/cosmos-policy @ 18a2acc).

Same public names, argument names, returned keys, shapes, dtypes and batch conventions as
upstream; the 2B diffusion model is replaced by a cheap deterministic function of the
inputs and of upstream's own noise draw (``np.random.RandomState(seed)`` over the whole
``(B, 16, 11, 28, 28)`` batch). Upstream behaviours reproduced on purpose:

- ``obs["proprio"]`` is reshaped with ``reshape(batch_size, -1)``: a ``(9,)`` proprio
  fails at B = 2 and is silently wrong at B = 3 (rows of 3 values);
- ``batch_size == 1`` returns one chunk / dict / float, ``> 1`` returns lists of them;
- a string instruction missing from the T5 cache is "computed" (upstream loads T5-11B);
- the future images and the value are only returned with
  ``generate_future_state_and_value_in_parallel=True``;
- the instruction must be a ``str`` or an ``np.ndarray`` embedding (a tensor fails);
- images must be square; they are JPEG-compressed (``use_jpeg_compression``), resized to
  224x224 and, for a model ``trained_with_image_aug``, centre-cropped to 90 % of their area
  and resized back, before the VAE sees them;
- latents (``generated_latent``, ``orig_clean_latent_frames``) come back in float32.
"""

import io
from types import SimpleNamespace

import numpy as np
import torch
from PIL import Image

from cosmos_policy.constants import ACTION_DIM

COSMOS_IMAGE_SIZE = 224
LATENT_SHAPE = (16, 11, 28, 28)
#: RoboCasa sequence: 0 blank, 1 proprio, 2 wrist, 3 left, 4 right, 5 action,
#: 6 future proprio, 7 future wrist, 8 future left, 9 future right, 10 value.
LATENT_INDICES = dict(
    action_latent_idx=5,
    future_proprio_latent_idx=6,
    future_wrist_image_latent_idx=7,
    future_wrist_image2_latent_idx=-1,
    future_image_latent_idx=8,
    future_image2_latent_idx=9,
    value_latent_idx=10,
)
FAKE_INSTRUCTIONS = ("pick the apple from the counter and place it in the cabinet", "open the microwave door")

t5_text_embeddings_cache = {}
#: What tests inspect: every get_action call, every model built, every T5 "computation".
calls = []
loaded_models = []
t5_computed = []

_MIX = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))


class FakeCosmosModel:
    """Stands in for the loaded 2B model; records where it was moved."""

    def __init__(self, index):
        self.index = index
        self.devices = []
        self.config = SimpleNamespace(state_t=11, min_num_conditional_frames=5)

    def to(self, device):
        self.devices.append(str(device))
        return self


def load_dataset_stats(dataset_stats_path: str) -> dict:
    assert dataset_stats_path != "", "Must provide `dataset_stats_path` for action un-normalization!"
    return {
        "actions_min": np.array([-0.05, -0.05, -0.05, -0.5, -0.5, -0.5, -1.0]),
        "actions_max": np.array([0.05, 0.05, 0.05, 0.5, 0.5, 0.5, 1.0]),
        "proprio_min": np.array([-0.05, -0.05, -1.0, -1.0, 0.0, -1.0, -1.0, -1.0, -1.0]),
        "proprio_max": np.array([0.05, 0.05, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0]),
    }


def get_model(cfg):
    _ = (cfg.ckpt_path, cfg.config, cfg.config_file)  # upstream reads these
    model = FakeCosmosModel(len(loaded_models))
    loaded_models.append(model)
    config = SimpleNamespace(dataloader_train=SimpleNamespace(dataset=SimpleNamespace(chunk_size=32)))
    return model, config


def init_t5_text_embeddings_cache(t5_text_embeddings_path: str = None, worker_id: int = 0) -> dict:
    if t5_text_embeddings_path is not None and t5_text_embeddings_cache == {}:
        for text in FAKE_INSTRUCTIONS:
            t5_text_embeddings_cache[text] = _fake_t5(text)


def get_t5_embedding_from_cache(task_label: str) -> torch.Tensor:
    if task_label not in t5_text_embeddings_cache:
        t5_computed.append(task_label)  # upstream: get_text_embedding() with T5-11B
        t5_text_embeddings_cache[task_label] = _fake_t5(task_label)
    return t5_text_embeddings_cache[task_label]


def extract_value_from_latent_sequence(output_latent: torch.Tensor, value_indices: torch.Tensor) -> torch.Tensor:
    batch_indices = torch.arange(output_latent.shape[0], device=output_latent.device)
    value_latent_frame = output_latent[batch_indices, :, value_indices, :, :]
    return torch.mean(value_latent_frame.reshape(value_latent_frame.shape[0], -1), dim=1)


def get_action(
    cfg,
    model,
    dataset_stats: dict,
    obs: dict,
    task_label_or_embedding,
    seed: int = 1,
    randomize_seed: bool = False,
    num_denoising_steps_action: int = 5,
    generate_future_state_and_value_in_parallel: bool = True,
    worker_id: int = 0,
    batch_size: int = 1,
):
    assert isinstance(model, FakeCosmosModel)
    assert not randomize_seed, "the adapter must never randomize seeds"
    if isinstance(task_label_or_embedding, str):
        text_embedding = get_t5_embedding_from_cache(task_label_or_embedding)
    elif isinstance(task_label_or_embedding, np.ndarray):
        text_embedding = torch.tensor(task_label_or_embedding, dtype=torch.bfloat16)
    else:
        raise TypeError(f"task_label_or_embedding must be a str or np.ndarray, got {type(task_label_or_embedding)}")
    images = np.stack([obs["wrist_image"], obs["primary_image"], obs["secondary_image"]], axis=0)
    assert images.ndim == 4 and images.shape[-1] == 3 and images.dtype == np.uint8, (
        "Incorrect images format detected! Make sure that the input images are a "
        "numpy array with shape (T, H, W, 3) and dtype np.uint8!"
    )
    assert images.shape[1] == images.shape[2], "Images must be square!"
    images = np.stack([preprocess_image(image, cfg) for image in images])
    proprio = obs["proprio"]
    if cfg.normalize_proprio:
        proprio = 2 * ((proprio - dataset_stats["proprio_min"]) / (dataset_stats["proprio_max"] - dataset_stats["proprio_min"])) - 1
    proprio_tensor = torch.from_numpy(proprio).reshape(batch_size, -1).to(dtype=torch.bfloat16)  # as upstream
    calls.append(
        dict(model=model.index, seed=seed, batch_size=batch_size, proprio_shape=np.shape(obs["proprio"]),
             steps=num_denoising_steps_action, parallel=generate_future_state_and_value_in_parallel,
             text=task_label_or_embedding if isinstance(task_label_or_embedding, str) else None)
    )

    clean = torch.zeros((batch_size,) + LATENT_SHAPE)
    for slot_now, slot_future, image in ((2, 7, images[0]), (3, 8, images[1]), (4, 9, images[2])):
        encoded = _fake_vae(image)
        clean[:, :, slot_now] = encoded
        clean[:, :, slot_future] = encoded  # upstream: future placeholders are copies of the current images
    noise = torch.from_numpy(np.random.RandomState(seed).standard_normal((batch_size,) + LATENT_SHAPE).astype(np.float32))
    sample = clean + noise / num_denoising_steps_action
    proprio_rows = proprio_tensor.float().sum(dim=1) / 9
    sample = sample + proprio_rows[:, None, None, None, None]  # the whole sample depends on the proprio
    sample[:, :, 1] = proprio_rows[:, None, None, None]  # injected current proprio
    sample = sample + 0.01 * text_embedding.float().mean()

    action_frame = sample[:, :, LATENT_INDICES["action_latent_idx"]].float().reshape(batch_size, -1)
    n_elem = cfg.chunk_size * ACTION_DIM
    chunks = action_frame[:, : (action_frame.shape[1] // n_elem) * n_elem].reshape(batch_size, -1, cfg.chunk_size, ACTION_DIM)
    actions = torch.tanh(chunks.mean(dim=1)).numpy()
    if cfg.unnormalize_actions:
        lo, hi = dataset_stats["actions_min"], dataset_stats["actions_max"]
        actions = 0.5 * (actions + 1) * (hi - lo) + lo

    return_dict = dict(
        generated_latent=sample,
        orig_clean_latent_frames=clean,
        data_batch={"proprio": proprio_tensor, "t5_text_embeddings": text_embedding.repeat(batch_size, 1, 1)},
        latent_indices=dict(LATENT_INDICES),
        all_camera_images=images,
        proprio=proprio,
        text_embedding=text_embedding,
    )
    if generate_future_state_and_value_in_parallel:
        future = {
            "future_wrist_image": _fake_decode(sample[:, :, 7]),
            "future_image": _fake_decode(sample[:, :, 8]),
            "future_image2": _fake_decode(sample[:, :, 9]),
        }
        value = extract_value_from_latent_sequence(sample, torch.full((batch_size,), -1, dtype=torch.int64))
        value = torch.clamp((value + 1) / 2, min=0, max=1)
    if batch_size > 1:
        return_dict["actions"] = [[act[i] for i in range(len(act))] for act in actions]
        if generate_future_state_and_value_in_parallel:
            return_dict["future_image_predictions"] = [{k: v[i] for k, v in future.items()} for i in range(batch_size)]
            return_dict["value_prediction"] = [value[i].item() for i in range(batch_size)]
    else:
        return_dict["actions"] = [actions[0][i] for i in range(len(actions[0]))]
        if generate_future_state_and_value_in_parallel:
            return_dict["future_image_predictions"] = {k: v[0] for k, v in future.items()}
            return_dict["value_prediction"] = value[0].item()
    return return_dict


def preprocess_image(image: np.ndarray, cfg) -> np.ndarray:
    """JPEG, resize to 224, and the evaluation-time centre crop of image augmentation (as upstream)."""
    pil = Image.fromarray(image)
    if cfg.use_jpeg_compression:
        buffer = io.BytesIO()
        pil.save(buffer, format="JPEG", quality=95)
        pil = Image.open(buffer).convert("RGB")
    pil = pil.resize((COSMOS_IMAGE_SIZE, COSMOS_IMAGE_SIZE), Image.BILINEAR)
    if cfg.trained_with_image_aug:
        side = round(COSMOS_IMAGE_SIZE * 0.9**0.5)
        start = (COSMOS_IMAGE_SIZE - side) // 2
        pil = pil.crop((start, start, start + side, start + side)).resize((COSMOS_IMAGE_SIZE, COSMOS_IMAGE_SIZE),
                                                                           Image.BILINEAR)
    return np.array(pil, dtype=np.uint8)


def _fake_t5(text: str) -> torch.Tensor:
    g = torch.Generator().manual_seed(sum(map(ord, text)))
    return torch.randn(1, 512, 1024, generator=g)


def _fake_vae(image: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (16, 28, 28): pooled pixels mixed into 16 channels."""
    x = torch.from_numpy(image).float().permute(2, 0, 1) / 127.5 - 1
    pooled = torch.nn.functional.adaptive_avg_pool2d(x, (28, 28))
    return torch.einsum("ck,khw->chw", _MIX, pooled)


def _fake_decode(frame: torch.Tensor) -> np.ndarray:
    """(B, 16, 28, 28) -> (B, 224, 224, 3) uint8."""
    rgb = torch.nn.functional.interpolate(frame[:, :3].float(), scale_factor=8)
    return ((rgb + 1) * 127.5).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()

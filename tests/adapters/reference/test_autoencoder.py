"""The image autoencoder of the visual reference WAMs: shapes, validation, learning, round trip."""

import numpy as np
import pytest
import torch

from adapters.reference.autoencoder import AutoencoderConfig, ImageAutoencoder, train_autoencoder
from tests.adapters.reference.synthetic import IMAGE_SIZE, TINY_AUTOENCODER, frame


def test_latent_grid_is_an_eighth_of_the_image_per_side():
    config = AutoencoderConfig()
    assert (config.grid, config.latent_dim) == (8, 256)
    model = ImageAutoencoder(TINY_AUTOENCODER)
    frames = np.stack([frame(0), frame(1)])
    with torch.no_grad():
        z = model.encode(frames)
        images = model.decode(z)
    assert z.shape == (2, TINY_AUTOENCODER.latent_dim)
    assert images.shape == (2, IMAGE_SIZE, IMAGE_SIZE, 3) and 0 <= images.min() and images.max() <= 1


def test_bad_frames_and_sizes_are_named():
    model = ImageAutoencoder(TINY_AUTOENCODER)
    with pytest.raises(ValueError, match=r"uint8 frames of shape \[B, 16, 16, 3\]"):
        model.encode(np.zeros((1, 16, 16, 3), np.float32))
    with pytest.raises(ValueError, match=r"uint8 frames of shape"):
        model.encode(np.zeros((1, 32, 32, 3), np.uint8))
    with pytest.raises(ValueError, match="multiple of 8"):
        AutoencoderConfig(image_size=20)


def test_training_reconstructs_better_than_the_untrained_model():
    """Frames of a few flat colours: after training the pixel error falls well below the start."""
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 256, (4, 1, 1, 3), dtype=np.uint8), IMAGE_SIZE, 1).repeat(IMAGE_SIZE, 2)
    model, losses = train_autoencoder(frames, steps=300, batch_size=8, lr=5e-3, config=TINY_AUTOENCODER)
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_payload_round_trip_is_exact():
    model = ImageAutoencoder(TINY_AUTOENCODER)
    again = ImageAutoencoder.from_payload(model.to_payload())
    frames = np.stack([frame(3)])
    with torch.no_grad():
        assert torch.equal(model.encode(frames), again.encode(frames))

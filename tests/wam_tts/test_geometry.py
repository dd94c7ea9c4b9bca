"""One Gram matrix gives every future-space distance; checked against direct computation."""

from __future__ import annotations

import pytest
import torch

from wam_tts import DISTANCES, branch_noise, consensus_scores
from wam_tts.geometry import SMALL, Geometry
from wam_tts.scores import distance_to_mean, medoid_scores, pairwise_distances


@pytest.mark.parametrize("shape", [(19,), (16, 3, 28, 28)])
@pytest.mark.parametrize("n", [2, 8, 32])
def test_gram_distances_equal_direct_ones(shape, n):
    f = branch_noise(shape, n, 3) + 2.0  # an offset common to all branches: the cancellation case
    flat = f.reshape(n, -1).double()
    mean = flat.mean(0)
    geo = Geometry.of(f)
    rtol = 1e-9 if f.numel() <= SMALL else 2e-4
    torch.testing.assert_close(geo.sq_to_mean(), (flat - mean).square().sum(1), rtol=rtol, atol=0, check_dtype=False)
    torch.testing.assert_close(geo.sq_pairwise(), torch.cdist(flat, flat).square(), rtol=rtol, atol=1e-6 * flat.shape[1],
                               check_dtype=False)
    cos = torch.nn.functional.cosine_similarity(flat, mean[None], dim=1)
    torch.testing.assert_close(geo.cosine_to_mean(), cos, rtol=rtol, atol=0, check_dtype=False)


@pytest.mark.parametrize("name", ["mse", "cosine", "l1"])
def test_distance_to_mean_matches_the_registered_distance(name):
    f = branch_noise((5, 7), 6, 1)
    assert torch.equal(distance_to_mean(f, name), DISTANCES.get(name)(f, f.mean(0)))


def test_small_inputs_are_exact_in_float64_where_float32_would_cancel():
    f = torch.full((4, 19), 1000.0) + torch.tensor([0.0, 1e-2, 2e-2, 3e-2])[:, None]
    flat = f.double()
    direct = (flat - flat.mean(0)).square().mean(1)
    torch.testing.assert_close(Geometry.of(f).mse_to_mean(), direct, rtol=1e-9, atol=0)
    g32 = f @ f.T  # what a float32 Gram would give
    naive = (g32.diagonal() - 2 * g32.mean(1) + g32.mean()) / 19
    assert float((naive.double() - direct).abs().max() / direct.max()) > 0.01


def test_nonfinite_input_shows_on_the_diagonal():
    f = torch.zeros(3, 4)
    assert Geometry.of(f).finite
    f[1, 2] = float("nan")
    assert not Geometry.of(f).finite


def test_medoid_ignores_an_outlier_that_drags_the_mean():
    # three close futures and one far away: the mean moves toward the outlier, the medoid does not
    f = torch.tensor([[0.0], [0.1], [0.3], [10.0]])
    consensus, medoid = consensus_scores(f), medoid_scores(f)
    assert int(torch.argmax(consensus)) == 2  # nearest the dragged mean (2.6)
    assert int(torch.argmax(medoid)) == 1  # the middle of the cluster
    # median over the others: branch 1's are 0.1² and 0.2² (and the outlier's 9.9²)
    torch.testing.assert_close(medoid[1], torch.exp(-torch.tensor(0.2**2, dtype=medoid.dtype)))
    pair = pairwise_distances(f, "l1")
    torch.testing.assert_close(pair, (f - f.T).abs(), check_dtype=False)

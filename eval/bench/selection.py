"""Selection overhead: the scoring time of each selector against N and future size."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from eval.bench.timing import interleaved_medians
from wam_tts import Branches, WorldActionModel, branch_noise, consensus_scores, make_selector
from wam_tts.scores import medoid_scores

#: Per-branch future shapes of the large models: Cosmos latent slots, LingBot latents.
FUTURE_SHAPES = {
    "Cosmos (16x3x28x28)": (16, 3, 28, 28),
    "LingBot (48x2x24x20)": (48, 2, 24, 20),
}
#: Action chunk per family: (H, A).
CHUNKS = {"Cosmos (16x3x28x28)": (32, 7), "LingBot (48x2x24x20)": (32, 16)}
BENCHED_SELECTORS = ("value", "consensus", "weighted", "medoid")
#: Future-space scores timed against one read of the same futures (``MEMORY_PASS``).
MEMORY_PASS = "one memory pass"
FLOOR_SCORES = {
    "consensus (mse)": lambda f: consensus_scores(f, "mse"),
    "consensus (cosine)": lambda f: consensus_scores(f, "cosine"),
    "medoid (mse, Gram matrix)": lambda f: medoid_scores(f, "mse"),
    MEMORY_PASS: lambda f: f.sum(),
}


class PresampledPolicy(WorldActionModel):
    """Hands out pre-drawn branches so that only the selector's own work is timed."""

    def __init__(self, branches: Branches, future_horizon: int = 1) -> None:
        self.branches = branches
        self.has_value_head = branches.values is not None
        self.future_horizon = future_horizon

    def sample(self, obs, n: int, seed: int) -> Branches:
        return self.branches

    def encode_observation(self, obs) -> torch.Tensor:
        return self.branches.futures[0]


@dataclass(frozen=True)
class ScoringTime:
    family: str
    selector: str
    n: int
    seconds: float


def measure_scoring(ns: tuple[int, ...] = (1, 2, 4, 8, 16, 32), device: str = "cpu",
                    repeats: int = 30) -> list[ScoringTime]:
    """Median time of ``selector.act`` on synthetic latents (sampling is a no-op here);
    the selectors of one (family, N) run interleaved."""
    rows = []
    for family, shape in FUTURE_SHAPES.items():
        for n in ns:
            branches = Branches(
                actions=branch_noise(CHUNKS[family], n, 0, device),
                futures=branch_noise(shape, n, 1, device),
                values=torch.rand(n, device=device),
            )
            policy = PresampledPolicy(branches)
            selectors = {name: make_selector(name, policy, n=n) for name in BENCHED_SELECTORS}
            medians = interleaved_medians({name: (lambda s=s: s.act(None)) for name, s in selectors.items()},
                                          repeats=repeats)
            rows += [ScoringTime(family, name, n, medians[name]) for name in BENCHED_SELECTORS]
    return rows


def measure_score_floor(ns: tuple[int, ...] = (8, 16, 32), repeats: int = 30) -> list[ScoringTime]:
    """Median time of each future-space score and of one memory pass over the same futures
    (``futures.sum()``), run interleaved per (family, N)."""
    rows = []
    for family, shape in FUTURE_SHAPES.items():
        for n in ns:
            futures = branch_noise(shape, n, 1)
            medians = interleaved_medians({name: (lambda fn=fn, f=futures: fn(f)) for name, fn in FLOOR_SCORES.items()},
                                          repeats=repeats)
            rows += [ScoringTime(family, name, n, seconds) for name, seconds in medians.items()]
    return rows


def peak_scoring_bytes(ns: tuple[int, ...], device: str = "cuda") -> dict[tuple[str, int], int]:
    """CUDA bytes allocated at the peak of one consensus ``act`` beyond the branches themselves."""
    peaks = {}
    for family, shape in FUTURE_SHAPES.items():
        for n in ns:
            branches = Branches(branch_noise(CHUNKS[family], n, 0, device), branch_noise(shape, n, 1, device))
            selector = make_selector("consensus", PresampledPolicy(branches), n=n)
            selector.act(None)
            torch.cuda.synchronize(device)
            base = torch.cuda.memory_allocated(device)
            torch.cuda.reset_peak_memory_stats(device)
            selector.act(None)
            torch.cuda.synchronize(device)
            peaks[(family, n)] = torch.cuda.max_memory_allocated(device) - base
    return peaks

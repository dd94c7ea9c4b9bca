"""Training samples with within-state variety: perturbed chunks executed from demo states.

A demonstration gives one (chunk, future) pair per state, so a model trained on it
never sees how the future changes when the actions do. Here the demo is replayed in
the simulator; at up to ``max_states`` of its states (evenly strided) the state is
saved and ``count`` perturbed copies of the demo's own chunk are executed from it, each
recording the state it actually reached after ``future_horizon`` steps. A perturbation
is one Gaussian offset per action dimension, constant over the chunk (std
``variety``, in action units, then clipped to [-1, 1]): a coherent change of motion
over 0.4 s, whose consequence the future must then encode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from adapters.reference.dataset import ChunkData, Trajectory
from eval.envs.robosuite_env import RobosuiteEnv


@dataclass
class Replay:
    """The demos replayed in the simulator, with perturbed chunks executed from some states.

    Branch ``k`` starts from step ``starts[k] = (demo, t)`` of a demo, executes
    ``chunks[k]`` and reaches ``futures[k]``. With a camera, ``demo_frames[d]`` holds demo
    ``d``'s frame at every step ``0 .. T`` and ``future_frames[k]`` the frame branch ``k``
    reached.
    """

    starts: list[tuple[int, int]] = field(default_factory=list)
    states: list[np.ndarray] = field(default_factory=list)
    chunks: list[np.ndarray] = field(default_factory=list)
    futures: list[np.ndarray] = field(default_factory=list)
    demo_frames: list[np.ndarray] = field(default_factory=list)
    future_frames: list[np.ndarray] = field(default_factory=list)


def replay_demos(
    env: RobosuiteEnv,
    demos: Sequence[Trajectory],
    seeds: Sequence[int],
    variety: float,
    count: int,
    horizon: int,
    future_horizon: int,
    max_states: int,
    seed: int = 0,
    camera: str | None = None,
) -> Replay:
    """Replay ``demos`` (demo ``i`` resets ``env`` with ``seeds[i]``), branching as the module
    docstring says (none when ``variety`` is 0); ``camera``: also keep its frames."""
    if variety < 0 or count < 1 or max_states < 1:
        raise ValueError(f"need variety >= 0, count >= 1, max_states >= 1; got {variety}, {count}, {max_states}")
    if len(demos) != len(seeds):
        raise ValueError(f"{len(demos)} demos but {len(seeds)} seeds")
    key = None if camera is None else f"{camera}_image"
    total = sum(len(d.actions) for d in demos)
    stride = max(1, -(-total // max_states))
    replay = Replay()
    for d, (demo, demo_seed) in enumerate(zip(demos, seeds, strict=True)):
        rng = np.random.default_rng([seed, int(demo_seed), 7])
        actions = np.asarray(demo.actions, dtype=np.float64)
        t_len = len(actions)
        frames = []
        obs = env.reset(int(demo_seed))
        for t in range(t_len + 1):
            if not np.allclose(obs["state"], demo.states[t], atol=1e-4):
                raise RuntimeError(f"replaying the demo of seed {demo_seed} diverged from it at step {t}: "
                                   "was it recorded on this task and simulator version?")
            if key is not None:
                frames.append(obs[key])
            if t == t_len:
                break
            if variety > 0 and t % stride == 0:
                index = np.minimum(t + np.arange(horizon), t_len - 1)
                saved = env.get_state()
                for _ in range(count):
                    offset = rng.normal(0.0, variety, size=actions.shape[1])
                    chunk = np.clip(actions[index] + offset, -1.0, 1.0)
                    env.set_state(saved)
                    reached = env.execute(chunk[:future_horizon])
                    replay.starts.append((d, t))
                    replay.states.append(obs["state"])
                    replay.chunks.append(chunk.astype(np.float32))
                    replay.futures.append(reached["state"])
                    if key is not None:
                        replay.future_frames.append(reached[key])
                env.set_state(saved)
            obs = env.step(actions[t])
        if key is not None:
            replay.demo_frames.append(np.stack(frames))
    return replay


def branch_samples(
    env: RobosuiteEnv,
    demos: Sequence[Trajectory],
    seeds: Sequence[int],
    variety: float,
    count: int,
    horizon: int,
    future_horizon: int,
    max_states: int,
    seed: int = 0,
) -> ChunkData | None:
    """Perturbed-chunk samples from ``demos`` (demo ``i`` resets ``env`` with ``seeds[i]``).

    Returns None when ``variety`` is 0 (no variety: the demos alone).
    """
    if variety == 0:
        return None
    replay = replay_demos(env, demos, seeds, variety, count, horizon, future_horizon, max_states, seed)
    return ChunkData(*(torch.from_numpy(np.stack(x).astype(np.float32))
                       for x in (replay.states, replay.chunks, replay.futures)))


def concat(a: ChunkData, b: ChunkData | None) -> ChunkData:
    """Samples of ``a`` then ``b`` (``a`` alone when ``b`` is None)."""
    if b is None:
        return a
    return ChunkData(torch.cat([a.states, b.states]), torch.cat([a.chunks, b.chunks]), torch.cat([a.futures, b.futures]))

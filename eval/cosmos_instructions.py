"""Before a RoboCasa run: which episodes' instructions have no precomputed T5 embedding.

    python -m eval.cosmos_instructions OpenDrawer CloseDrawer --trials 50

Upstream's cache (``robocasa_t5_embeddings.pkl``) holds the embeddings of its
evaluation's instructions; an instruction missing from it makes the adapter raise
mid-run (or, with ``allow_t5_encoding``, load T5-11B). RoboCasa draws an episode's
instruction with its scene, so this builds each episode's kitchen once (no policy, no
GPU) and lists every missing one. Exit status 1 when any is missing.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping

from adapters.cosmos_policy.config import CosmosPolicyConfig


def missing_by_episode(cache: Mapping[str, object], instruction: Callable[[int], str], episodes: Iterable[int]
                       ) -> dict[int, str]:
    """``{episode: instruction}`` for the episodes whose instruction is not in ``cache``."""
    missing = {}
    for episode in episodes:
        text = str(instruction(episode))
        if text not in cache:
            missing[episode] = text
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.cosmos_instructions",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("tasks", nargs="+", help="RoboCasa task names")
    parser.add_argument("--trials", type=int, default=50, help="episodes 0 .. trials-1 of each task")
    parser.add_argument("--t5-text-embeddings-path", default=CosmosPolicyConfig.t5_text_embeddings_path)
    parser.add_argument("--seed-protocol", default="per_episode", help="the RoboCasa backend's seed_protocol")
    args = parser.parse_args(argv)

    from adapters.cosmos_policy.upstream import load_cosmos_utils
    from eval.envs.robocasa_env import RoboCasaEnv

    utils = load_cosmos_utils()
    utils.init_t5_text_embeddings_cache(args.t5_text_embeddings_path)
    cache = utils.t5_text_embeddings_cache
    total = 0
    for task in args.tasks:
        env = RoboCasaEnv(task, seed_protocol=args.seed_protocol)
        missing = missing_by_episode(cache, env.episode_instruction, range(args.trials))
        total += len(missing)
        for episode, text in missing.items():
            print(f"{task} episode {episode}: {text!r} has no T5 embedding")
        print(f"{task}: {len(missing)} of {args.trials} episodes missing", flush=True)
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The training recipe of every shipped checkpoint (the CLI's defaults), and seed ranges.

Seed ranges never overlap: scripted-expert demonstrations use small seeds from
``DEMO_SEED``, value-head rollouts use ``VALUE_SEED + i`` and the vanilla evaluation
``EVAL_SEED + i``, so no evaluation episode starts from a training scene.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DEMO_SEED = 0
VALUE_SEED = 20_000
EVAL_SEED = 10_000


@dataclass(frozen=True)
class Recipe:
    """How one checkpoint is trained: data (the low-data knob), steps and sizes."""

    demos: int = 20
    demo_noise: float = 0.1
    #: Probability of an operator pause (the expert holds still 10-30 steps) at each phase
    #: change of a demo: the human-demo trait that teaches policies to stall.
    demo_pauses: float = 0.0
    steps: int = 1500
    batch_size: int = 256
    lr: float = 1e-3
    horizon: int = 8
    width: int = 128
    depth: int = 2
    flow_steps: int = 8
    inverse_noise: float = 0.0  # ModelConfig.inverse_noise (inverse family)
    value_episodes: int = 100
    value_steps: int = 2000
    gamma: float = 0.99
    seed: int = 0
    #: The branch-fidelity knob: std (action units) of the constant per-chunk offset of
    #: the perturbed chunks executed from demo states (0: demos only, one pair per state).
    branch_variety: float = 0.0
    branch_count: int = 4  # perturbed chunks per branched state
    branch_states: int = 300  # at most this many demo states are branched (evenly strided)
    #: "per_dim": every state feature scaled by its own std (floored at 0.01);
    #: "pooled": one scale per observable (``adapters.reference.normalizer.pooled_std``).
    state_scale: str = "per_dim"

    def __post_init__(self) -> None:
        if self.state_scale not in ("per_dim", "pooled"):
            raise ValueError(f"state_scale must be 'per_dim' or 'pooled', got {self.state_scale!r}")
        if self.branch_variety < 0:
            raise ValueError(f"branch_variety must be >= 0, got {self.branch_variety}")


DEFAULT = Recipe()

#: (family, task) → recipe of the shipped checkpoint. The number of demonstrations sets
#: the low-data regime: picked from a sweep (MODEL_CARD.md) so that vanilla success lies
#: inside 30-85 %; Door's joint model also stops training early, since two demos already
#: give 83 % and one gives 15 %.
RECIPES: dict[tuple[str, str], Recipe] = {
    ("joint", "Lift"): Recipe(demos=3),
    ("joint", "Door"): Recipe(demos=2, steps=750),
    ("joint", "Stack"): Recipe(demos=15),
    ("joint", "PickPlaceCan"): Recipe(demos=15),
    ("inverse", "Lift"): Recipe(demos=8),
    ("inverse", "Door"): Recipe(demos=5),
    ("inverse", "Stack"): Recipe(demos=25),
    ("inverse", "PickPlaceCan"): Recipe(demos=15),
}


def recipe_for(family: str, task: str) -> Recipe:
    """The shipped recipe for ``(family, task)``, or the default one."""
    return RECIPES.get((family, task), replace(DEFAULT))


#: The branch-fidelity ladder of joint checkpoints (``joint_<task>_v<rung>.pt``): rung r
#: is the task's shipped recipe with ``branch_variety = LADDER_VARIETY[r]`` and pooled
#: state scales, so rungs differ only in within-state variety (MODEL_CARD.md).
LADDER_VARIETY: tuple[float, ...] = (0.0, 0.1, 0.2, 0.4)
#: Value-head rollouts per rung (fewer than the shipped 100, to train the whole ladder in minutes).
LADDER_VALUE_EPISODES = 40


def ladder_recipe(family: str, task: str, rung: int) -> Recipe:
    """The recipe of rung ``rung`` of the ladder for ``(family, task)``."""
    if not 0 <= rung < len(LADDER_VARIETY):
        raise ValueError(f"rung must be 0 .. {len(LADDER_VARIETY) - 1}, got {rung}")
    return replace(recipe_for(family, task), branch_variety=LADDER_VARIETY[rung], state_scale="pooled",
                   value_episodes=LADDER_VALUE_EPISODES)


#: Within-state variety of the visual reference models' training data (rung v1's).
VISUAL_VARIETY = LADDER_VARIETY[1]


#: (family, task) → what the shipped visual checkpoint changes in the state model's recipe:
#: predicting 256 latent numbers beside the chunk needs more demos for the same success
#: (a sweep of demo counts, MODEL_CARD.md "Visual reference WAMs"); the inverse family
#: also trains its inverse-dynamics network on noised latent changes (``inverse_noise``),
#: without which it stayed below 30 %.
VISUAL_RECIPES: dict[tuple[str, str], dict[str, int | float]] = {
    ("joint", "Door"): {"demos": 3, "steps": 1500},
    ("inverse", "Lift"): {"demos": 8, "inverse_noise": 0.5},
    ("inverse", "Door"): {"demos": 8, "inverse_noise": 0.5},
}


def visual_recipe(family: str, task: str) -> Recipe:
    """The recipe of the visual model for ``(family, task)``: the task's shipped recipe with
    rung v1's variety, pooled scales and :data:`VISUAL_RECIPES`' changes
    (``eval.reference_training.train_visual``)."""
    return replace(recipe_for(family, task), branch_variety=VISUAL_VARIETY, state_scale="pooled",
                   value_episodes=LADDER_VALUE_EPISODES, **VISUAL_RECIPES.get((family, task), {}))

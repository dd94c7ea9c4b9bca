"""wam-tts: test-time selection for world action models.

Wrap any :class:`WorldActionModel` in a selector and act::

    from wam_tts import ConsensusSelector, run_episode
    selector = ConsensusSelector(policy, n=8)
    selector.reset(seed=0, env=env)
    decision = selector.act(obs)            # then execute decision.actions, calling
    selector.observe(obs)                   # selector.observe after every action
    result = run_episode(selector, env, seed=0, max_steps=200)   # or the whole loop at once
"""

from wam_tts.action_space import ACTION_SPACES, ActionSpace
from wam_tts.branches import BranchError, Branches
from wam_tts.episode import EpisodeListener, EpisodeResult, execute_chunk, run_episode
from wam_tts.policy import Observation, WorldActionModel
from wam_tts.registry import Registry, UnknownNameError
from wam_tts.scores import DISTANCES, consensus_scores, consistency, latent_change
from wam_tts.seeding import branch_noise, derive_seed
from wam_tts.selectors import (
    SELECTORS,
    ConsensusSelector,
    Decision,
    ExploringSelector,
    MeanSelector,
    Selector,
    ValueSelector,
    VanillaSelector,
    WeightedSelector,
    make_selector,
    register_selector,
)
from wam_tts.simulator import Simulator, SimulatorUnsupportedError, require_simulator

__version__ = "0.1.0"

__all__ = [
    "ACTION_SPACES",
    "ActionSpace",
    "BranchError",
    "Branches",
    "ConsensusSelector",
    "DISTANCES",
    "Decision",
    "EpisodeListener",
    "EpisodeResult",
    "ExploringSelector",
    "MeanSelector",
    "Observation",
    "Registry",
    "SELECTORS",
    "Selector",
    "Simulator",
    "SimulatorUnsupportedError",
    "UnknownNameError",
    "ValueSelector",
    "VanillaSelector",
    "WeightedSelector",
    "WorldActionModel",
    "branch_noise",
    "consensus_scores",
    "consistency",
    "derive_seed",
    "execute_chunk",
    "latent_change",
    "make_selector",
    "register_selector",
    "require_simulator",
    "run_episode",
]

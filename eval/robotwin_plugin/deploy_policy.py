"""RoboTwin's policy interface (``encode_obs``, ``get_model``, ``eval``, ``reset_model``) over
a wam-tts selector.

``get_model(usr_args)`` builds the policy named ``wam_policy`` (any entry of
:data:`eval.policies.POLICIES`, e.g. ``lingbot_va``) and wraps it in ``selector`` with
``n`` branches and the options in ``selector_options``. Each ``eval`` call is one decision:
the selector samples N branches for the current observation, picks one, and its first
``execute`` actions (all if null) run through the shared chunk loop
(:func:`wam_tts.execute_chunk`) with ``take_action(a, action_type='ee')`` after composing
them onto the episode's initial end-effector pose, as LingBot-VA's client does. A policy
that streams observations (``streams_observations``, as LingBot-VA) gets the observation
after every executed action, as the harness gives it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eval.build import build_selector, selector_options
from eval.envs.robotwin_env import NO_STATE_API, absolute_ee_action, endpose_vector, robotwin_obs
from eval.policies import make_policy
from wam_tts import SELECTORS, Selector, SimulatorUnsupportedError, derive_seed, execute_chunk
from wam_tts.policy import Observation
from wam_tts.selectors import option_problems

__all__ = ["encode_obs", "eval", "get_model", "reset_model"]

#: RoboTwin's end-effector layout, given to selectors that average actions unless set.
ACTION_SPACE = "robotwin_ee"


@dataclass
class SelectorModel:
    """What ``get_model`` returns to RoboTwin: the selector and the episode's state."""

    selector: Selector
    execute: int | None
    seed: int
    episodes: int = 0
    initial_pose: np.ndarray | None = None
    instruction: str = ""
    decisions: list[int] = field(default_factory=list)

    def start_episode(self) -> None:
        """A new episode: reseed the selector (and reset the policy), forget the initial pose."""
        self.selector.reset(seed=derive_seed(self.seed, "robotwin", self.episodes))
        self.episodes += 1
        self.initial_pose = None
        self.decisions = []


@dataclass
class RoboTwinSteps:
    """RoboTwin's ``TASK_ENV`` as the chunk loop's env: relative EE actions, its success flag,
    and observations fetched only when the selector's policy streams them."""

    task_env: Any
    model: SelectorModel

    def step(self, action: np.ndarray) -> Observation | None:
        self.task_env.take_action(absolute_ee_action(action, self.model.initial_pose), action_type="ee")
        if not self.model.selector.wants_observations:
            return None
        return encode_obs(self.task_env.get_obs(), self.model.instruction)

    def success(self) -> bool:
        return bool(self.task_env.eval_success)


def encode_obs(observation: dict[str, Any], instruction: str = "") -> Observation:
    """A RoboTwin ``get_obs()`` dict as the wam-tts observation the robotwin backend gives."""
    return robotwin_obs(observation, instruction)


def get_model(usr_args: dict[str, Any]) -> SelectorModel:
    """Build the selector from deploy_policy.yml (and eval.sh's overrides)."""
    for module in usr_args.get("plugins") or []:
        importlib.import_module(module)
    node = {"name": usr_args.get("selector", "consensus"), **dict(usr_args.get("selector_options") or {})}
    cls = SELECTORS.get(node["name"])
    if cls.needs_simulator:
        raise SimulatorUnsupportedError(
            f"the {cls.name} selector cannot run in RoboTwin's eval script: {NO_STATE_API}. "
            "Use consensus or value (weighted and mean blend actions, which a streaming policy such as LingBot-VA refuses)."
        )
    if "action_space" in cls.option_names():
        node.setdefault("action_space", ACTION_SPACE)
    problems = option_problems(cls.name, selector_options(node))
    if problems:
        raise ValueError("deploy_policy.yml selector_options: " + "; ".join(problems))
    if not usr_args.get("wam_policy"):
        raise ValueError("deploy_policy.yml must name wam_policy (e.g. lingbot_va)")
    policy = make_policy(usr_args["wam_policy"], usr_args["task_name"], **dict(usr_args.get("wam_policy_options") or {}))
    n = int(usr_args.get("n") or cls.fixed_n or 8)
    seed = int(usr_args.get("selector_seed") or 0)
    consistency = {"distance": usr_args.get("distance") or "mse", "sigma": float(usr_args.get("sigma") or 1.0)}
    selector = build_selector(node, policy, n=n, seed=seed, consistency=consistency)
    execute = usr_args.get("execute")
    return SelectorModel(selector=selector, execute=None if execute is None else int(execute), seed=seed)


def eval(TASK_ENV: Any, model: SelectorModel, observation: dict[str, Any]) -> None:  # noqa: A001 - RoboTwin's name
    """One decision: sample, select, execute the chosen chunk (or its first ``execute`` actions)."""
    if model.initial_pose is None:  # the first call of an episode sees its initial observation
        model.initial_pose = endpose_vector(observation)
        model.instruction = str(TASK_ENV.get_instruction() or "")
    decision = model.selector.act(encode_obs(observation, model.instruction))
    model.decisions.append(decision.index)
    execute_chunk(model.selector, RoboTwinSteps(TASK_ENV, model), decision, t=int(TASK_ENV.take_action_cnt),
                  max_steps=int(TASK_ENV.step_lim), execute=model.execute)


def reset_model(model: SelectorModel) -> None:
    """Called by RoboTwin before every episode."""
    model.start_episode()

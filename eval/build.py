"""From a config to env, policy and selector, with every config error found up front.

:func:`check_config` runs before any trial: names (selector, policy, backend, tasks,
distance, action space), ranges (n, sigma, tau, ...), the needs of a selector that
can be known without building anything, and each task's policy files (the factory's
``validate`` hook, e.g. checkpoints). :func:`build_task` then builds one
task's objects and checks what only built objects can tell (the exploring selector
needs save/restore, the value selector a value head); the harness builds the first
task before its first trial, so those errors come early too.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import typing
from dataclasses import dataclass
from typing import Any

from omegaconf import DictConfig

from eval.config import EvalConfig
from eval.envs import BACKEND_TASKS, ENV_BACKENDS, EnvBackend, make_env
from eval.policies import POLICIES, make_policy, policy_problems
from wam_tts import (
    DISTANCES,
    SELECTORS,
    ActionSpace,
    Selector,
    SimulatorUnsupportedError,
    WorldActionModel,
    make_selector,
    require_simulator,
)
from wam_tts.selectors import COMMON_OPTIONS, option_problems

#: Nodes whose keys are free-form (checked by what they configure, not by the schema).
FREE_FORM = ("selector", "policy.options", "env.options", "hydra")


class ConfigError(ValueError):
    """A configuration that cannot run; the message lists every problem found."""


def load_plugins(modules: list[str]) -> None:
    """Import the modules named in ``plugins`` (they register policies, envs, selectors)."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as err:
            raise ConfigError(f"plugin module {module!r} cannot be imported: {err}") from err


def check_config(cfg: DictConfig) -> None:
    """Raise :class:`ConfigError` listing every problem visible without building anything."""
    load_plugins(list(cfg.plugins))
    problems = unknown_keys(cfg)
    for kind, name, registry in (
        ("selector", cfg.selector.name, SELECTORS),
        ("policy", cfg.policy.name, POLICIES),
        ("env backend", cfg.env.backend, ENV_BACKENDS),
        ("distance", cfg.consistency.distance, DISTANCES),
    ):
        if name not in registry:
            problems.append(_unknown(kind, name, registry))
    problems += _check_ranges(cfg)
    problems += _check_tasks(cfg)
    try:
        ActionSpace.parse(cfg.env.action_space)
    except ValueError as err:
        problems.append(f"env.action_space: {err}")
    if cfg.selector.name in SELECTORS:
        problems += _check_selector(cfg)
    if cfg.policy.name in POLICIES:
        problems += policy_problems(cfg.policy.name, list(cfg.env.tasks), dict(cfg.policy.options))
    if problems:
        raise ConfigError("invalid eval config:\n  - " + "\n  - ".join(problems))


def unknown_keys(cfg: DictConfig) -> list[str]:
    """Keys the schema does not have, however they got in (``+key=value`` included)."""
    problems: list[str] = []

    def walk(node: DictConfig, schema: type, prefix: str) -> None:
        fields = typing.get_type_hints(schema)
        for key in node:
            path = f"{prefix}{key}"
            if path in FREE_FORM:
                continue
            if key not in fields:
                close = difflib.get_close_matches(str(key), fields, n=1)
                hint = f" (did you mean {prefix}{close[0]}?)" if close else ""
                problems.append(f"unknown config key {path!r}{hint}")
            elif dataclasses.is_dataclass(fields[key]):
                walk(node[key], fields[key], f"{path}.")

    walk(cfg, EvalConfig, "")
    return problems


def _check_selector(cfg: DictConfig) -> list[str]:
    """The selector's own options, and what its declared needs ask of n and the env."""
    cls = SELECTORS.get(cfg.selector.name)
    options = selector_options(cfg.selector)
    problems = option_problems(cls.name, options)
    problems += [f"selector.{key} is set from the top level or the consistency node, not the selector node"
                 for key in options if key in COMMON_OPTIONS]
    if cls.fixed_n is not None and cfg.n != cls.fixed_n:
        count = "one branch" if cls.fixed_n == 1 else f"{cls.fixed_n} branches"
        problems.append(f"the {cls.name} selector draws exactly {count}; got n={cfg.n} (use n={cls.fixed_n})")
    backend = ENV_BACKENDS.get(cfg.env.backend) if cfg.env.backend in ENV_BACKENDS else None
    if cls.needs_simulator and backend is not None and not backend.supports_state:
        problems.append(
            f"the {cls.name} selector needs an env with state save/restore; the {cfg.env.backend} "
            "backend has none (use consensus or value)"
        )
    return problems


def selector_options(node: DictConfig | dict) -> dict[str, Any]:
    """The selector node less its ``name``: the selector's own options."""
    data = dict(node) if isinstance(node, dict) else dict(node.items())
    return {k: v for k, v in data.items() if k != "name"}


def _unknown(kind: str, name: str, registry: Any) -> str:
    try:
        registry.get(name)
    except KeyError as err:
        return str(err)
    return f"unknown {kind} {name!r}"  # pragma: no cover - only reached for registered names


def _check_ranges(cfg: DictConfig) -> list[str]:
    rules = [
        (cfg.n >= 1, f"n must be >= 1, got {cfg.n}"),
        (cfg.trials >= 1, f"trials must be >= 1, got {cfg.trials}"),
        (cfg.consistency.sigma > 0, f"consistency.sigma: sigma must be > 0, got {cfg.consistency.sigma}"),
        (cfg.execute is None or cfg.execute >= 1, f"execute must be >= 1 (or null for the whole chunk), got {cfg.execute}"),
        (cfg.shard.count >= 1, f"shard.count must be >= 1, got {cfg.shard.count}"),
        (0 <= cfg.shard.index < max(cfg.shard.count, 1), f"shard.index must be in [0, shard.count), got {cfg.shard.index}"),
        (cfg.retries >= 0, f"retries must be >= 0, got {cfg.retries}"),
        (cfg.threads >= 1, f"threads must be >= 1, got {cfg.threads}"),
        (cfg.env.max_steps is None or cfg.env.max_steps >= 1, f"env.max_steps must be >= 1, got {cfg.env.max_steps}"),
        (cfg.trial_timeout_s is None or cfg.trial_timeout_s > 0,
         f"trial_timeout_s must be > 0 (or null for no limit), got {cfg.trial_timeout_s}"),
        (cfg.decision_timeout_s is None or cfg.decision_timeout_s > 0,
         f"decision_timeout_s must be > 0 (or null for no limit), got {cfg.decision_timeout_s}"),
    ]
    return [message for ok, message in rules if not ok]


def _check_tasks(cfg: DictConfig) -> list[str]:
    tasks = list(cfg.env.tasks)
    if not tasks:
        return ["env.tasks is empty: name at least one task"]
    problems = []
    if len(set(tasks)) != len(tasks):
        problems.append(f"env.tasks lists a task twice: {tasks}")
    known = BACKEND_TASKS.get(cfg.env.backend, ())
    unknown = [t for t in tasks if known and t not in known]
    if unknown:
        problems.append(f"unknown {cfg.env.backend} task(s) {unknown}; valid tasks: {', '.join(known)}")
    return problems


@dataclass
class TaskRuntime:
    """The built objects of one task: env, policy, selector and the step budget."""

    task: str
    env: EnvBackend
    policy: WorldActionModel
    selector: Selector
    max_steps: int

    def close(self) -> None:
        self.env.close()


def build_task(cfg: DictConfig, task: str) -> TaskRuntime:
    """Build env, policy and selector for ``task``; a selector they cannot serve is a ConfigError."""
    env = make_env(cfg.env.backend, task, **dict(cfg.env.options))
    try:
        policy = make_policy(cfg.policy.name, task, **dict(cfg.policy.options))
        try:
            selector = build_selector(cfg.selector, policy, n=cfg.n, seed=cfg.seed, consistency=cfg.consistency)
        except ValueError as err:
            raise ConfigError(f"selector {cfg.selector.name!r} cannot serve policy {cfg.policy.name!r}: {err}") from err
        if selector.needs_simulator:
            try:
                require_simulator(env, f"the {selector.name} selector")
            except SimulatorUnsupportedError as err:
                raise ConfigError(str(err)) from err
    except BaseException:
        env.close()
        raise
    max_steps = cfg.env.max_steps or env.max_steps
    return TaskRuntime(task, env, policy, selector, int(max_steps))


def build_selector(node: DictConfig | dict, policy: WorldActionModel, n: int, seed: int,
                   consistency: DictConfig | dict) -> Selector:
    """The selector of a config's ``selector`` node, its options passed through unchanged."""
    return make_selector(node["name"], policy, n=n, seed=seed, distance=consistency["distance"],
                         sigma=consistency["sigma"], **selector_options(node))

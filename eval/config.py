"""Structured (typed) Hydra configs of an evaluation run, and what identifies a run.

The dataclasses below are the schema: every YAML file under ``conf/`` is merged into
them, so a misspelt key or a value of the wrong type fails when the config is
composed, before anything is built. Semantic checks that need the registries (unknown
selector, task, policy; a selector the policy or env cannot serve) live in
:mod:`eval.build` and also run before the first trial.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf


@dataclass
class PolicyConfig:
    """A world action model from :data:`eval.policies.POLICIES`, built per task."""

    #: Registered policy name (eval.policies.POLICIES: reference_joint, reference_inverse, ...).
    name: str = "reference_joint"
    #: Keyword arguments of the policy factory (checkpoint paths, devices, ...).
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class EnvConfig:
    """A benchmark: an env backend of :data:`eval.envs.ENV_BACKENDS` and its tasks."""

    #: Env backend (robosuite, robocasa, robotwin, or one a plugin registers).
    backend: str = "robosuite"
    #: Tasks of the backend to run, each for ``trials`` trials.
    tasks: list[str] = field(default_factory=lambda: ["Lift"])
    #: Action layout for the weighted selector's averaging (see wam_tts.ActionSpace).
    action_space: str = "euclidean"
    #: Step budget per episode; None uses the backend's per-task budget.
    max_steps: int | None = None
    #: Keyword arguments of the backend (cameras, image size, ...).
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConsistencyConfig:
    """How a predicted future is compared with what happened (and with the other branches).

    The selectors' scores use it too: consensus is the consistency with the mean future.
    """

    #: Distance between futures (wam_tts.DISTANCES: mse, l1, cosine).
    distance: str = "mse"
    #: Scale in consistency = exp(-d / sigma).
    sigma: float = 1.0


@dataclass
class ShardConfig:
    """Run every ``count``-th (task, trial) pair starting at ``index``."""

    #: This shard's index in [0, count).
    index: int = 0
    #: Number of shards the trials are split into.
    count: int = 1


@dataclass
class EvalConfig:
    """One evaluation run: a selector over a policy on a list of tasks."""

    #: ``{name: <wam_tts.SELECTORS entry>, ...its own options}``, passed to the selector as is
    #: (``conf/selector/<name>.yaml`` lists each selector's options with their defaults).
    selector: dict[str, Any] = field(default_factory=lambda: {"name": "consensus"})
    #: The world action model.
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    #: The benchmark.
    env: EnvConfig = field(default_factory=EnvConfig)
    #: Branches sampled per decision.
    n: int = 8
    #: Trials per task (trial i of a task always gets the same seed).
    trials: int = 20
    #: Base seed of every trial's env and sampling seeds.
    seed: int = 0
    #: How predicted futures are compared (selector scores and recorded consistency).
    consistency: ConsistencyConfig = field(default_factory=ConsistencyConfig)
    #: Actions executed from each chunk before replanning; None executes the whole chunk.
    execute: int | None = None
    #: Split one run's trials over several invocations (Slurm array jobs).
    shard: ShardConfig = field(default_factory=ShardConfig)
    #: Extra attempts for a trial that raised (or whose process died).
    retries: int = 0
    #: Rerun trials recorded as errors by an earlier run of the same config.
    rerun_errors: bool = False
    #: Exit 0 even when some trials errored (by default a run with errors exits 1).
    allow_errors: bool = False
    #: Seconds one attempt of a trial may run (None: no limit); past it the trial is an error.
    trial_timeout_s: float | None = None
    #: Seconds between two events of an episode (reset, decision, step) before it is an
    #: error; catches a hanging policy or simulator (None: no limit).
    decision_timeout_s: float | None = 900.0
    #: Also run the N = 1 baseline (vanilla, same seeds, its own run directory) and print
    #: the paired comparison; not done by multirun jobs (sweep the baseline instead).
    baseline: bool = False
    #: Run trials in a child process, so a simulator that kills its process costs one trial.
    isolate: bool = False
    #: Write a GIF of real (and predicted, where the policy decodes frames) images per trial.
    video: bool = False
    #: torch threads (1 keeps CPU results bit-identical across runs and machines).
    threads: int = 1
    #: Show a progress bar.
    progress: bool = True
    #: Modules imported before anything is built (they register extra policies or envs).
    plugins: list[str] = field(default_factory=list)
    #: Runs go to ``runs/<name>/<run_id>`` (run_id: selector, N and a digest of the config).
    name: str = "main"


#: Fields that change what a trial does; everything else (trials, shard, retries, ...)
#: may differ between the invocations that fill one run directory.
#: The selector node counts whole, so every option of every selector is part of a run's identity.
RESULT_FIELDS = ("selector", "policy", "env", "n", "seed", "consistency", "execute")


def register_configs() -> None:
    """Register the schema as ``eval_schema`` (``conf/config.yaml`` builds on it).

    The free-form ``options`` of policy and env accept any keys
    (``policy.options={checkpoint:...}``), and so does the selector node, whose keys the
    selector itself checks (:func:`wam_tts.selectors.option_problems`) before anything is
    built; everything else is strict.
    """
    OmegaConf.register_new_resolver("run_id", _run_id_of_root, replace=True)
    schema = OmegaConf.structured(EvalConfig)
    for open_node in (schema.selector, schema.policy.options, schema.env.options):
        OmegaConf.set_struct(open_node, False)
    ConfigStore.instance().store(name="eval_schema", node=schema)


def _run_id_of_root(*, _root_: DictConfig) -> str:
    """``${run_id:}``: the run_id of the composed config (its Hydra node left out, so the
    run directory it names can be interpolated inside that node without recursion)."""
    return run_id(OmegaConf.masked_copy(_root_, [key for key in _root_ if key != "hydra"]))


def to_dict(cfg: DictConfig | dict) -> dict:
    """A plain, resolved dict of ``cfg`` (without Hydra's own node)."""
    if isinstance(cfg, dict):
        return json.loads(json.dumps(cfg))
    data = OmegaConf.to_container(cfg, resolve=True)
    data.pop("hydra", None)
    return data


def result_key(cfg: DictConfig | dict) -> dict:
    """The part of ``cfg`` that determines trial results; tasks are per trial."""
    data = to_dict(cfg)
    key = {name: data[name] for name in RESULT_FIELDS}
    key["env"] = {k: v for k, v in key["env"].items() if k != "tasks"}
    return key


def fingerprint(cfg: DictConfig | dict) -> str:
    """A stable hex digest of :func:`result_key`: equal iff the trials would be equal."""
    text = json.dumps(result_key(cfg), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


#: The selector node of the N = 1 baseline; it replaces a run's whole selector node.
BASELINE_SELECTOR = {"name": "vanilla"}


def baseline_config(cfg: DictConfig | dict) -> dict:
    """``cfg`` as its N = 1 baseline run: the whole selector node replaced, one branch."""
    data = to_dict(cfg)
    data["selector"] = dict(BASELINE_SELECTOR)
    data["n"] = 1
    return data


def run_id(cfg: DictConfig | dict) -> str:
    """A readable, unique name of a run: ``<selector>-n<N>-<fingerprint prefix>``."""
    data = to_dict(cfg)
    return f"{data['selector']['name']}-n{data['n']}-{fingerprint(data)[:8]}"


def config_json(data: dict) -> str:
    """The canonical JSON text stored with every episode."""
    return json.dumps(data, sort_keys=True)

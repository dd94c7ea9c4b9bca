"""``python -m eval.fidelity``: can consensus work on this model? The branch-fidelity check.

    python -m eval.fidelity policy=reference_joint env.tasks=[Lift,Door,Stack] states=50
    python -m eval.fidelity policy=reference_joint 'policy.options={rung:2}' out=runs/fid_v2

For each task: roll the policy out (N = 1, env seeds ``seed + 30000 + i``); at a random
subset of its decisions (probability ``probe``) save the simulator state, sample N
branches, execute each branch's first h actions from the restored state and record the
state reached, then carry on with the vanilla decision. K = ``states`` such probes per
task feed :func:`wam_tts.diagnostics.fidelity.branch_fidelity`; the command writes
``<out>/fidelity.json`` and ``<out>/fidelity.png``. Needs an env with save/restore.
Documented in docs/fidelity.md.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import numpy as np
import torch
from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from eval.config import EnvConfig, PolicyConfig
from eval.envs import make_env
from eval.fidelity_plot import plot_fidelity
from eval.policies import make_policy
from wam_tts import (
    SELECTORS,
    Branches,
    VanillaSelector,
    WorldActionModel,
    derive_seed,
    make_selector,
    require_simulator,
)
from wam_tts.diagnostics.fidelity import branch_fidelity

CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "conf")
ROLLOUT_SEED = 30_000
#: The scoring selectors the check ranks by default.
RANKED_SELECTORS = ("consensus", "medoid", "action_consensus", "value", "value_consensus")


@dataclass
class FidelityConfig:
    """Schema of ``conf/fidelity.yaml`` (policy and env as in the harness)."""

    policy: PolicyConfig = field(default_factory=PolicyConfig)
    env: EnvConfig = field(default_factory=EnvConfig)
    states: int = 50
    n: int = 8
    probe: float = 0.25
    seed: int = 0
    bootstrap: int = 2000
    out: str = "runs/fidelity"
    #: Selectors whose scores are ranked against exploring's (those needing a value head
    #: are skipped for a policy without one).
    rank_selectors: list[str] = field(default_factory=lambda: list(RANKED_SELECTORS))


def register_schema() -> None:
    """``fidelity_schema``; the policy's and env's ``options`` take any keys."""
    schema = OmegaConf.structured(FidelityConfig)
    for options in (schema.policy.options, schema.env.options):
        OmegaConf.set_struct(options, False)
    ConfigStore.instance().store(name="fidelity_schema", node=schema)


register_schema()


def probe_states(policy: WorldActionModel, env: Any, states: int, n: int, probe: float, seed: int,
                 max_episodes: int = 1000) -> dict[str, np.ndarray]:
    """Predicted futures, reached states, actions, values ``[K, N(, ...)]`` at ``states`` probed
    decisions, and the outcomes of the vanilla episodes that ran to their end (success or budget)."""
    if not 0 < probe <= 1:
        raise ValueError(f"probe must lie in (0, 1], got {probe}")
    if states < 2 or n < 2:
        raise ValueError(f"need states >= 2 and n >= 2, got states={states}, n={n}")
    sim = require_simulator(env, "the branch-fidelity check")
    h = policy.future_horizon
    rng = np.random.default_rng(seed)
    out: dict[str, list] = {"predicted": [], "reached": [], "actions": [], "values": [], "episode": [], "t": [],
                            "outcomes": []}
    for episode in range(max_episodes):
        if len(out["predicted"]) >= states:
            break
        selector = VanillaSelector(policy)
        selector.reset(seed=seed + episode)
        obs = env.reset(seed + ROLLOUT_SEED + episode)
        t, done = 0, False
        while t < env.max_steps and not done and len(out["predicted"]) < states:
            if rng.random() < probe:
                branches = policy.sample(obs, n, derive_seed(seed + ROLLOUT_SEED + episode, t))
                saved = sim.get_state()
                reached = []
                for chunk in branches.actions[:, :h].double().numpy():
                    sim.set_state(saved)
                    reached.append(policy.encode_observation(sim.execute(chunk)).double().numpy())
                sim.set_state(saved)
                out["predicted"].append(branches.futures.double().numpy())
                out["reached"].append(np.stack(reached))
                out["actions"].append(branches.actions.double().numpy())
                out["values"].append(None if branches.values is None else branches.values.double().numpy())
                out["episode"].append(episode)
                out["t"].append(t)
            for action in selector.act(obs).actions[:h].double().numpy():
                obs = env.step(action)
                t += 1
                done = bool(env.success())
                if done or t >= env.max_steps:
                    break
        if done or t >= env.max_steps:  # a whole vanilla episode (probes restore the state)
            out["outcomes"].append(done)
    if len(out["predicted"]) < states:
        raise RuntimeError(f"only {len(out['predicted'])} of {states} states probed in {max_episodes} episodes")
    has_values = all(v is not None for v in out["values"])
    return {
        "predicted": np.stack(out["predicted"]),
        "reached": np.stack(out["reached"]),
        "actions": np.stack(out["actions"]),
        "values": np.stack(out["values"]) if has_values else None,
        "episodes": len(set(out["episode"])),
        "rollout_successes": int(sum(out["outcomes"])),
        "rollout_episodes": len(out["outcomes"]),
    }


def principled_scale(policy: WorldActionModel, env: Any) -> np.ndarray | None:
    """The per-observable pooled scale (docs/fidelity.md), in the policy's normalised units.

    Only for reference models on an env that names its state layout; ``None`` otherwise.
    """
    std = _future_std(policy)
    layout = getattr(env, "state_layout", None)
    if std is None or layout is None or len(std) != sum(size for _, size in layout):
        return None  # not a state model: futures in an image latent have no observables to pool
    from adapters.reference.normalizer import pooled_std

    pooled = pooled_std(std.double(), [size for _, size in layout]).clamp_min(1e-2)
    return (pooled / std.double()).numpy()


def _future_std(policy: WorldActionModel) -> torch.Tensor | None:
    """The training std of each future feature (reference models), else None."""
    model = getattr(policy, "model", None)
    return None if not hasattr(model, "future_normalizer") else model.future_normalizer.std


def floored_dims(policy: WorldActionModel) -> list[int]:
    """Features whose training std sits at the normaliser's 0.01 floor (reference models)."""
    std = _future_std(policy)
    if std is None:
        return []
    return [int(i) for i in torch.nonzero(std <= 1.0001e-2).flatten()]


def dim_names(env: Any, d: int) -> list[str]:
    layout = getattr(env, "state_layout", None)
    if layout is None or d != sum(size for _, size in layout):
        return [str(i) for i in range(d)]  # futures that are not the state (an image latent)
    return [f"{key}[{i}]" for key, size in layout for i in range(size)]


def selector_scores(policy: WorldActionModel, probed: dict[str, np.ndarray],
                    names: Sequence[str]) -> dict[str, np.ndarray]:
    """``[K, N]`` scores of each named selector at the probed states (value-head selectors are
    skipped when the policy has none); a selector that needs the simulator or blends actions
    has no per-branch score to rank and is refused."""
    scores = {}
    for name in names:
        kind = SELECTORS.get(name)
        if kind.needs_simulator or kind.blends_actions:
            raise ValueError(f"rank_selectors: {name!r} has no per-branch score to rank (it "
                             f"{'executes branches' if kind.needs_simulator else 'blends actions'})")
        if kind.needs_value_head and probed["values"] is None:
            continue
        selector = make_selector(name, policy, n=probed["predicted"].shape[1])
        values = probed["values"] if probed["values"] is not None else [None] * len(probed["predicted"])
        scores[name] = np.stack([
            selector.score(Branches(torch.from_numpy(a), torch.from_numpy(f),
                                    None if v is None else torch.from_numpy(v)), None).double().numpy()
            for a, f, v in zip(probed["actions"], probed["predicted"], values, strict=True)])
    return scores


def check_task(cfg: DictConfig, task: str) -> dict[str, Any]:
    """Probe ``task`` and return its fidelity summary (model's space and principled scale)."""
    start = time.perf_counter()
    with make_env(cfg.env.backend, task, **dict(cfg.env.options)) as env:
        policy = make_policy(cfg.policy.name, task, **dict(cfg.policy.options))
        probed = probe_states(policy, env, cfg.states, cfg.n, cfg.probe, cfg.seed)
        scale = principled_scale(policy, env)
        floored = floored_dims(policy)
        names = dim_names(env, probed["predicted"].shape[2])
    scores = selector_scores(policy, probed, cfg.get("rank_selectors", RANKED_SELECTORS))
    summary: dict[str, Any] = {"task": task, "episodes": probed["episodes"], "floored_dims": floored,
                               "vanilla_rollouts": {"successes": probed["rollout_successes"],
                                                    "episodes": probed["rollout_episodes"]}}
    summary["model_space"] = branch_fidelity(probed["predicted"], probed["reached"], scores, None, names,
                                             cfg.bootstrap, cfg.seed).to_dict()
    if scale is not None:
        summary["pooled_scale"] = branch_fidelity(probed["predicted"], probed["reached"], scores, scale, names,
                                                  cfg.bootstrap, cfg.seed).to_dict()
    for space in ("model_space", "pooled_scale")[: 1 + (scale is not None)]:
        m = summary[space]  # the share of the distance that the floored features carry
        m["floored_share"] = {kind: float(sum(m[f"{kind}_dim_share"][i] for i in floored))
                              for kind in ("consensus", "exploring")}
    summary["seconds"] = round(time.perf_counter() - start, 1)
    return summary


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="fidelity")
def main(cfg: DictConfig) -> None:
    torch.set_num_threads(1)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    results = {
        "policy": {"name": cfg.policy.name, "options": dict(cfg.policy.options)},
        "env": cfg.env.backend, "states": cfg.states, "n": cfg.n, "probe": cfg.probe, "seed": cfg.seed,
        "tasks": [check_task(cfg, task) for task in cfg.env.tasks],
    }
    (out / "fidelity.json").write_text(json.dumps(results, indent=1))
    plot_fidelity(results, out / "fidelity.png")
    for task in results["tasks"]:
        m = task["model_space"]
        print(f"{task['task']}: branch consistency {m['branch_consistency']['mean']:.3f} "
              f"[{m['branch_consistency']['low']:.3f}, {m['branch_consistency']['high']:.3f}], "
              f"mean closer {m['mean_closer']['mean']:.2f}, "
              + ", ".join(f"rho({k}) {v['mean']:+.3f}" for k, v in m["rank_agreement"].items())
              + f" ({task['seconds']} s)")
    print(f"wrote {out / 'fidelity.json'} and {out / 'fidelity.png'}")


if __name__ == "__main__":
    main()

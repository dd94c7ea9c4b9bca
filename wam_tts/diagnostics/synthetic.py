"""Synthetic rollouts in the results-store columns, with the paper's effects built in.

For trying the diagnostics and the report without running a model, and for tests. Every
row is a :mod:`wam_tts.records` record (docs/results.md). What is built in (all ground truth, no model):

* trials share seeds across configurations, and a per-(task, trial) draw decides success
  for every configuration at once (``success = u < rate``), so comparisons are paired and
  a better configuration succeeds on a superset of the baseline's seeds;
* failed episodes predict worse (distance multiplied by ``exp(effect)``), so consistency
  separates outcomes;
* distance grows with the per-step latent change, so Δz and consistency correlate
  negatively;
* in ``collapse`` of the failed episodes of each task, the second half of the episode
  stalls from its second quarter on: real and predicted latent change fall to 2 % and the prediction becomes almost
  exact (background collapse); a task with a high collapse share ends up misaligned;
* with ``value_head`` the chosen value is higher in successful episodes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict

import numpy as np
import pandas as pd

from wam_tts.records import DecisionRecord, EpisodeKey, EpisodeRecord

DEFAULT_CONFIGS: dict[tuple[str, int], float] = {
    ("vanilla", 1): 0.45,
    ("consensus", 8): 0.65,
    ("weighted", 8): 0.5,
}
DEFAULT_COLLAPSE: dict[str, float] = {"Lift": 0.0, "Stack": 0.1, "TurnOnFaucet": 0.9}


def synthetic_rollouts(
    configs: Mapping[tuple[str, int], float] = DEFAULT_CONFIGS,
    collapse: Mapping[str, float] = DEFAULT_COLLAPSE,
    *,
    trials: int = 20,
    decisions: int = 10,
    chunk: int = 8,
    effect: float = 1.0,
    value_head: bool = True,
    policy: str = "synthetic",
    env: str = "synthetic",
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(episodes, steps)`` for every (selector, n) in ``configs`` (value: success rate)
    on every task in ``collapse`` (value: share of failed episodes that collapse)."""
    rng = np.random.default_rng(seed)
    tasks = list(collapse)
    draws = {(task, trial): rng.random(2) for task in tasks for trial in range(trials)}
    episodes, steps = [], []
    for (selector, n), rate in configs.items():
        run_id = f"{policy}-{env}-{selector}-n{n}"
        config = json.dumps({"selector": selector, "n": n})
        base = json.dumps({"selector": "vanilla", "n": 1})
        base_run_id = f"{policy}-{env}-vanilla-n1"
        for task_index, task in enumerate(tasks):
            scale = 1.0 + task_index
            for trial in range(trials):
                u, stall = draws[(task, trial)]
                success = bool(u < rate)
                collapsed = not success and stall < collapse[task]
                k = decisions if not success else int(rng.integers(decisions // 2, decisions + 1))
                ident = asdict(
                    EpisodeKey(
                        run_id=run_id,
                        policy=policy,
                        env=env,
                        task=task,
                        selector=selector,
                        n=n,
                        trial=trial,
                        seed=1000 + trial,
                    )
                )
                rows = []
                for d in range(k):
                    stalled = collapsed and d >= k // 4
                    dz = scale * float(rng.lognormal(0.0, 0.3)) * (0.02 if stalled else 1.0)
                    dist = (
                        0.2 * dz * float(rng.lognormal(0.0, 0.3)) * (np.exp(effect) if not success else 1.0)
                    )
                    if stalled:
                        dist = 0.01 * scale * float(rng.lognormal(0.0, 0.3))
                    scored = d < k - 1  # the last decision's horizon lies past the episode end
                    values = (
                        [float(v) for v in rng.normal(0.7 if success else 0.4, 0.1, n)] if value_head else []
                    )
                    chosen = int(rng.integers(n))
                    rows.append(
                        asdict(
                            DecisionRecord(
                                **ident,
                                decision=d,
                                t=d * chunk,
                                horizon_t=(d + 1) * chunk,
                                chosen=chosen,
                                scores=[float(s) for s in rng.random(n)],
                                values=values,
                                chosen_value=values[chosen] if value_head else float("nan"),
                                distance=dist if scored else float("nan"),
                                consistency=float(np.exp(-dist)) if scored else float("nan"),
                                latent_change=dz,
                                predicted_latent_change=dz * float(rng.lognormal(0.0, 0.1)),
                                sample_s=0.01,
                                score_s=0.001,
                                env_s=0.02,
                            )
                        )
                    )
                frame = pd.DataFrame(rows)
                steps += rows
                episodes.append(
                    asdict(
                        EpisodeRecord(
                            **ident,
                            success=success,
                            status="success" if success else "failure",
                            error="",
                            length=k * chunk,
                            decisions=k,
                            episode_consistency=float(frame["consistency"].mean()),
                            mean_value=float(frame["chosen_value"].mean()) if value_head else float("nan"),
                            mean_latent_change=float(frame["latent_change"].mean()),
                            wall_s=0.03 * k,
                            attempts=1,
                            config=config,
                            baseline_config=base,
                            baseline_run_id=base_run_id,
                        )
                    )
                )
    return pd.DataFrame(episodes), pd.DataFrame(steps)

"""The figure of ``python -m eval.fidelity``: fidelity statistics and per-dimension shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def _bars(ax: Any, tasks: list[dict[str, Any]]) -> None:
    metrics = [("branch_consistency", "branch consistency r"), ("mean_closer", "mean closer (frac.)"),
               ("error_reduction", "error removed by mean")]
    ranks = sorted({k for t in tasks for k in t["model_space"]["rank_agreement"]})
    metrics += [(f"rank:{k}", f"Spearman({k}, exploring)") for k in ranks]
    width = 0.8 / len(tasks)
    for j, task in enumerate(tasks):
        m = task["model_space"]
        est = [m["rank_agreement"][key[5:]] if key.startswith("rank:") else m[key] for key, _ in metrics]
        x = np.arange(len(metrics)) + (j - (len(tasks) - 1) / 2) * width
        mean = np.array([e["mean"] for e in est])
        err = np.array([[e["mean"] - e["low"], e["high"] - e["mean"]] for e in est]).T
        ax.bar(x, mean, width, yerr=err, capsize=2, label=task["task"])
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xticks(np.arange(len(metrics)), [label for _, label in metrics], rotation=15, fontsize=8)
    ax.set_title("branch fidelity (95 % bootstrap over states)")
    ax.legend(fontsize=8)


def _shares(ax: Any, task: dict[str, Any]) -> None:
    model = task["model_space"]
    names = model["dim_names"] or [str(i) for i in range(len(model["consensus_dim_share"]))]
    x = np.arange(len(names))
    series = [("consensus, model space", model["consensus_dim_share"]),
              ("exploring, model space", model["exploring_dim_share"])]
    if "pooled_scale" in task:
        series += [("consensus, pooled scale", task["pooled_scale"]["consensus_dim_share"]),
                   ("exploring, pooled scale", task["pooled_scale"]["exploring_dim_share"])]
    width = 0.8 / len(series)
    for j, (label, share) in enumerate(series):
        ax.bar(x + (j - (len(series) - 1) / 2) * width, share, width, label=label)
    ax.set_xticks(x, names, rotation=90, fontsize=6)
    ax.set_ylabel("share of distance")
    ax.set_title(f"{task['task']}: per-dimension share", fontsize=9)
    ax.legend(fontsize=6)


def plot_fidelity(results: dict[str, Any], path: Path) -> None:
    """Write the fidelity figure of ``results`` (the command's JSON) to ``path``."""
    tasks = results["tasks"]
    fig, axes = plt.subplots(1 + len(tasks), 1, figsize=(9, 3.2 * (1 + len(tasks))), constrained_layout=True)
    axes = np.atleast_1d(axes)
    _bars(axes[0], tasks)
    for ax, task in zip(axes[1:], tasks, strict=True):
        _shares(ax, task)
    fig.suptitle(f"{results['policy']['name']} {results['policy']['options'] or ''}: K = {results['states']} "
                 f"states/task, N = {results['n']} (this CPU)", fontsize=10)
    fig.savefig(path, dpi=110)
    plt.close(fig)

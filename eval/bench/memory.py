"""Peak memory of one consensus decision of a reference WAM against N.

    python -m eval.bench.memory --family joint --task Lift --state 0.1 0.2 ... --action-dim 7

On a CPU the figure is the rise of the resident set during the decision (Linux
``VmHWM`` after resetting it through ``/proc/self/clear_refs``). Each N runs in a
child forked from a process that has loaded the model but never sampled, so no memory
freed by an earlier, smaller N hides part of the peak. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from collections.abc import Sequence

import numpy as np
import torch

MB = 2**20


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def decision_peak_bytes(policy, obs: dict, n: int) -> int:
    """Resident-set rise (bytes) during one consensus decision with ``n`` branches."""
    from wam_tts import ConsensusSelector

    ConsensusSelector(policy, n=1).act(obs)  # one-time allocations (kernels, caches) come first
    selector = ConsensusSelector(policy, n=n)
    with open("/proc/self/clear_refs", "w") as f:  # "5": reset the high-water mark to the current RSS
        f.write("5")
    before = _status_kb("VmRSS")
    selector.act(obs)
    return (_status_kb("VmHWM") - before) * 1024


def _child(policy, obs: dict, n: int, queue) -> None:
    queue.put(decision_peak_bytes(policy, obs, n))


def peaks_by_n(policy, obs: dict, ns: Sequence[int]) -> dict[int, int]:
    """:func:`decision_peak_bytes` for every N, each in a freshly forked child."""
    fork = multiprocessing.get_context("fork")
    peaks = {}
    for n in ns:
        queue = fork.Queue()
        child = fork.Process(target=_child, args=(policy, obs, n, queue))
        child.start()
        peaks[n] = queue.get(timeout=120)
        child.join()
    return peaks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--state", type=float, nargs="+", required=True, help="obs['state'] to query with")
    parser.add_argument("--action-dim", type=int, required=True)
    parser.add_argument("--ns", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    from eval.bench.reference import load_bench_policy

    obs = {"state": np.asarray(args.state, dtype=np.float32)}
    loaded = load_bench_policy(args.family, args.task, len(args.state), args.action_dim)
    params = sum(p.numel() * p.element_size() for p in loaded.policy.model.parameters())
    peaks = peaks_by_n(loaded.policy, obs, args.ns)
    print(json.dumps({"family": args.family, "source": loaded.source, "model_mb": params / MB,
                      "baseline_rss_mb": _status_kb("VmRSS") / 1024,
                      "peak_mb": {str(n): b / MB for n, b in peaks.items()}}))


if __name__ == "__main__":
    main()

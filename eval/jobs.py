"""Jobs of a sweep: which cells are skipped, and what each job left for the final table.

A sweep skips cells that would repeat another run by construction: a selector with a
fixed N (vanilla) at another N, and a selector that is the vanilla baseline at N = 1
(:attr:`wam_tts.Selector.same_as_baseline_at_n1`). Every job writes
``<sweep dir>/.jobs/<job number>.json`` (its overrides, status, message), so the table
at the end of the sweep names failed jobs whichever launcher ran them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from wam_tts import SELECTORS

JOBS_DIR = ".jobs"


def skip_reason(cfg: DictConfig | dict) -> str | None:
    """Why a sweep skips this cell (None: it runs)."""
    name, n = cfg["selector"]["name"], int(cfg["n"])
    if name not in SELECTORS:
        return None
    cls = SELECTORS.get(name)
    if cls.fixed_n is not None and n != cls.fixed_n:
        return f"the {name} selector draws {cls.fixed_n} branch(es), so n={n} is the n={cls.fixed_n} run"
    if n == 1 and cls.same_as_baseline_at_n1:
        return f"{name} at n=1 is the vanilla N = 1 baseline by construction (one branch, executed as drawn)"
    return None


def record_job(sweep_dir: Path, number: int, overrides: list[str], status: str, message: str = "",
               **extra: Any) -> None:
    """Leave this job's outcome for the sweep's final table."""
    target = Path(sweep_dir) / JOBS_DIR
    target.mkdir(parents=True, exist_ok=True)
    data = {"job": int(number), "overrides": overrides, "status": status, "message": message, **extra}
    (target / f"{int(number)}.json").write_text(json.dumps(data, indent=1))


def read_jobs(sweep_dir: Path) -> list[dict[str, Any]]:
    """Every job record of the sweep at ``sweep_dir``, by job number."""
    target = Path(sweep_dir) / JOBS_DIR
    records = [json.loads(p.read_text()) for p in target.glob("*.json")] if target.exists() else []
    return sorted(records, key=lambda r: r["job"])


def clear_jobs(sweep_dir: Path) -> None:
    """Forget the job records of an earlier sweep into the same directory."""
    for path in (Path(sweep_dir) / JOBS_DIR).glob("*.json"):
        path.unlink()

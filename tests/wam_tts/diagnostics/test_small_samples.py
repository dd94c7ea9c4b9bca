"""Statistics from few episodes are flagged, and a missing statistic gives its real reason."""

from __future__ import annotations

import pandas as pd

from wam_tts import diagnostics as diag


def episodes(per_task: dict[str, list[tuple[bool, float]]]) -> pd.DataFrame:
    """One row per (success, consistency) of each task, in one configuration."""
    rows = [dict(run_id="r", policy="p", env="e", selector="vanilla", n=1, task=task, trial=i, seed=i,
                 success=ok, status="success" if ok else "failure", episode_consistency=c)
            for task, outcomes in per_task.items() for i, (ok, c) in enumerate(outcomes)]
    return pd.DataFrame(rows)


def test_a_label_from_one_failed_episode_is_flagged_few():
    eps = episodes({"tiny": [(True, 0.9), (True, 0.8), (False, 0.1)],
                    "big": [(True, 0.9 - 0.01 * i) for i in range(5)] + [(False, 0.2 + 0.01 * i) for i in range(5)]})
    table = diag.task_alignment(eps).set_index("task")
    assert table.loc["tiny", "alignment"] == "aligned" and bool(table.loc["tiny", "few"])
    assert table.loc["big", "alignment"] == "aligned" and not bool(table.loc["big", "few"])
    assert "2 successful and 1 failed" in diag.few_per_class(2, 1, "Cohen's d")
    assert f"minimum of {diag.MIN_PER_CLASS} per class" in diag.few_per_class(2, 1, "Cohen's d")
    assert diag.few_per_class(5, 5, "Cohen's d") == "" and diag.few_per_class(0, 9, "x") == ""


def test_no_aligned_task_is_the_reason_given_for_a_missing_aligned_auc():
    misaligned = [(True, 0.1 + 0.01 * i) for i in range(4)] + [(False, 0.8 + 0.01 * i) for i in range(4)]
    eps = episodes({"a": misaligned, "b": misaligned})
    aligned = diag.predict_success(eps, tasks="aligned")
    assert aligned.message == "AUC on consistency-aligned tasks not computed: no task is consistency-aligned " \
                              "(2 misaligned task(s))."
    assert diag.predict_success(eps, tasks="all").message == ""  # over all tasks it is computed

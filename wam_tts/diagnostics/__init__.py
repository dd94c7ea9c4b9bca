"""The paper's diagnostics, computed from recorded rollouts (the results-store tables).

Every function takes the ``episodes`` and/or ``steps`` DataFrames with the columns of
docs/results.md (``eval.results.load_run`` returns them; a user's own logs in the
same columns work too) and returns plain dataclasses or DataFrames. Errored episodes
(``status == "error"``) are excluded everywhere. Statistics that need both successful and
failed episodes return NaN with a ``message`` saying why, never raise on one-class data.

Needs pandas, scipy and scikit-learn (``pip install wam-tts[diagnostics]``);
``import wam_tts`` alone does not import this package.
"""

from wam_tts.diagnostics._frames import (
    CONFIG_KEY,
    EPISODE_KEY,
    MIN_PER_CLASS,
    TASK_KEY,
    few_per_class,
    finished_episodes,
    require_columns,
)
from wam_tts.diagnostics.alignment import (
    Correlation,
    aligned_episodes,
    latent_change_by_alignment,
    latent_consistency_correlation,
    latent_consistency_pairs,
    task_alignment,
)
from wam_tts.diagnostics.collapse import (
    DEFAULT_MIN_RUN,
    DEFAULT_THRESHOLD,
    CollapseResult,
    collapse_rates,
    detect_background_collapse,
)
from wam_tts.diagnostics.consistency import (
    Separation,
    cohens_d,
    episode_consistency,
    normalise_per_task,
    separation,
    zscore_within,
)
from wam_tts.diagnostics.curves import DifferenceCurves, default_runs, difference_curves
from wam_tts.diagnostics.prediction import SuccessPrediction, bootstrap_auc, per_task_auc, predict_success
from wam_tts.diagnostics.selection import (
    Comparison,
    baseline_mask,
    compare,
    mcnemar_exact,
    newcombe_interval,
    selector_table,
    success_rates,
    task_deltas,
    weighted_vs_wta,
    wilson_interval,
)
from wam_tts.diagnostics.utility import UtilityGaps, utility_gaps

__all__ = [
    "CONFIG_KEY",
    "CollapseResult",
    "Comparison",
    "Correlation",
    "DEFAULT_MIN_RUN",
    "DEFAULT_THRESHOLD",
    "DifferenceCurves",
    "EPISODE_KEY",
    "MIN_PER_CLASS",
    "Separation",
    "SuccessPrediction",
    "TASK_KEY",
    "UtilityGaps",
    "aligned_episodes",
    "baseline_mask",
    "bootstrap_auc",
    "cohens_d",
    "collapse_rates",
    "compare",
    "default_runs",
    "detect_background_collapse",
    "difference_curves",
    "episode_consistency",
    "few_per_class",
    "finished_episodes",
    "latent_change_by_alignment",
    "latent_consistency_correlation",
    "latent_consistency_pairs",
    "mcnemar_exact",
    "newcombe_interval",
    "normalise_per_task",
    "per_task_auc",
    "predict_success",
    "require_columns",
    "selector_table",
    "separation",
    "success_rates",
    "task_alignment",
    "task_deltas",
    "utility_gaps",
    "weighted_vs_wta",
    "wilson_interval",
    "zscore_within",
]

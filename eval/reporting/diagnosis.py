"""The consistency-diagnostics sections (paper Sections 3.1-3.3, Appendices C, D).

Each ``*_section`` function computes one section from a :class:`~eval.reporting.base.Group`;
the dataclass it returns formats and draws it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from eval.reporting import figures
from eval.reporting.base import TASK_LABEL, Group, label_columns, records, rests_on, task_keys
from eval.reporting.document import Document, Figure, fmt, fmt_p
from wam_tts import diagnostics as diag
from wam_tts.diagnostics.alignment import ALIGNMENT_COLUMNS
from wam_tts.records import DECISION, EPISODE

#: The fields of a :class:`wam_tts.diagnostics.SuccessPrediction` that ``summary.json`` keeps.
PREDICTION_FIELDS = (
    "tasks",
    "auc",
    "ci_low",
    "ci_high",
    "confidence",
    "n_success",
    "n_failure",
    "n_tasks",
    "n_splits",
    "message",
)


@dataclass(frozen=True)
class DiagnosedEpisodes:
    """Which episodes the diagnostics use (the opening sentence of the part)."""

    description: str
    episodes: pd.DataFrame

    def numbers(self) -> dict:
        return {"diagnosed": self.description}

    def render(self, doc: Document, slug: str) -> None:
        doc.para(f"Diagnosed: {self.description}. {rests_on(self.episodes)}")


def diagnosed_section(group: Group) -> DiagnosedEpisodes:
    return DiagnosedEpisodes(group.description, group.diagnosed)


@dataclass(frozen=True)
class SeparationSection:
    """Paper Fig. 1: Cohen's d of the per-task z-scored consistency, success vs failure."""

    separation: diag.Separation
    z_success: np.ndarray
    z_failure: np.ndarray
    scored: pd.DataFrame
    """The episodes with a z-score."""

    def numbers(self) -> dict:
        return {"separation": asdict(self.separation)}

    def render(self, doc: Document, slug: str) -> None:
        sep = self.separation
        doc.heading("Separation of success and failure (paper Fig. 1)", 3)
        if sep.message:
            doc.note(sep.message)
            return
        doc.para(
            f"Cohen's d = {fmt(sep.cohens_d)} between successful (mean z {fmt(sep.mean_success)}, "
            f"n = {sep.n_success}) and failed (mean z {fmt(sep.mean_failure)}, n = {sep.n_failure}) "
            f"episodes over {sep.n_tasks} task(s)."
        )
        caveat = diag.few_per_class(sep.n_success, sep.n_failure, "Cohen's d")
        if caveat:
            doc.note(caveat)
        doc.figure(
            Figure(
                f"{slug}consistency_distribution",
                figures.consistency_distribution(self.z_success, self.z_failure),
                f"Per-task normalised episode consistency, success vs failure. {rests_on(self.scored)}",
            )
        )


def separation_section(group: Group) -> SeparationSection:
    eps = group.diagnosed
    z = diag.normalise_per_task(eps)
    success = eps[EPISODE.success]
    return SeparationSection(
        separation=diag.separation(eps),
        z_success=z[success].dropna().to_numpy(),
        z_failure=z[~success].dropna().to_numpy(),
        scored=eps[z.notna()],
    )


@dataclass(frozen=True)
class PredictionSection:
    """Paper Fig. 2, App. C.2: cross-validated ROC AUC on aligned and on all tasks."""

    predictions: dict[str, diag.SuccessPrediction]
    roc_episodes: pd.DataFrame
    """The episodes the ROC figure rests on."""

    def numbers(self) -> dict:
        return {
            "prediction": {
                t: {k: v for k, v in asdict(p).items() if k in PREDICTION_FIELDS}
                for t, p in self.predictions.items()
            }
        }

    def render(self, doc: Document, slug: str) -> None:
        doc.heading("Predicting success from consistency (paper Fig. 2, App. C.2)", 3)
        doc.para(
            "Logistic regression on the per-task z-score, stratified k-fold cross-validation, ROC AUC of the "
            "out-of-fold probabilities with a 95 % percentile-bootstrap interval (classes resampled separately). "
            "The paper reports the consistency-aligned tasks; choosing those uses the labels, so that AUC is "
            "optimistic, and the AUC over all tasks is given beside it."
        )
        doc.table(
            pd.DataFrame(
                [
                    {
                        "tasks": t,
                        "AUC": p.auc,
                        "95% CI": f"[{fmt(p.ci_low)}, {fmt(p.ci_high)}]",
                        "success": p.n_success,
                        "failure": p.n_failure,
                        "n tasks": p.n_tasks,
                        "folds": p.n_splits,
                    }
                    for t, p in self.predictions.items()
                ]
            )
        )
        for t, p in self.predictions.items():
            note = p.message or diag.few_per_class(p.n_success, p.n_failure, f"The AUC on {t} tasks")
            if note:
                doc.note(note)
        curves = [
            (f"{t} tasks (AUC {fmt(p.auc)})", p.fpr, p.tpr)
            for t, p in self.predictions.items()
            if not p.message
        ]
        if curves:
            doc.figure(
                Figure(
                    f"{slug}roc",
                    figures.roc_curves(curves),
                    f"ROC curves of the cross-validated classifier. {rests_on(self.roc_episodes)}",
                )
            )


def prediction_section(group: Group) -> PredictionSection:
    eps = group.diagnosed
    preds = {t: diag.predict_success(eps, tasks=t, seed=group.seed) for t in ("aligned", "all")}
    everything = preds["all"]
    return PredictionSection(preds, eps.loc[everything.probability.index] if not everything.message else eps)


@dataclass(frozen=True)
class PerTaskSection:
    """Paper App. C: per task, consistency of successes vs failures, alignment and AUC."""

    table: pd.DataFrame
    """:func:`wam_tts.diagnostics.task_alignment` with each task's ``auc``."""
    episodes: pd.DataFrame

    def numbers(self) -> dict:
        return {"per_task": records(self.table)}

    def render(self, doc: Document, slug: str) -> None:
        table, eps = self.table, self.episodes
        doc.heading("Per task: consistency, alignment and AUC (paper App. C)", 3)
        doc.table(
            table[[*label_columns(table), *ALIGNMENT_COLUMNS, "auc", "few"]]
        )
        counts = table["alignment"].value_counts()
        doc.para(
            f"{counts.get('aligned', 0)} aligned, {counts.get('misaligned', 0)} misaligned, "
            f"{counts.get('undetermined', 0)} undetermined (one outcome only) task(s)."
        )
        if table["few"].any():
            doc.note(f"{int(table['few'].sum())} task label(s) and AUC(s) (few = True) rest on fewer than "
                     f"{diag.MIN_PER_CLASS} successful or failed episodes: indicative only.")
        both = table[table["alignment"] != "undetermined"]
        if both.empty:
            doc.note("No task has both successful and failed episodes: per-task bars not drawn.")
            return
        keys = task_keys(table)
        doc.figure(
            Figure(
                f"{slug}per_task_consistency",
                figures.per_task_consistency(both, TASK_LABEL),
                f"Mean episode consistency per task, success vs failure; * marks misaligned tasks. "
                f"{rests_on(eps.merge(both[keys], on=keys))}",
            )
        )
        finite = table[np.isfinite(table["auc"].astype(float))]
        doc.figure(
            Figure(
                f"{slug}per_task_auc",
                figures.bars(
                    figures.row_labels(finite, TASK_LABEL),
                    finite["auc"],
                    "ROC AUC (within task)",
                    reference=0.5,
                ),
                f"Per-task ROC AUC of consistency; dotted line: chance. {rests_on(eps.merge(finite[keys], on=keys))}",
            )
        )


def per_task_section(group: Group) -> PerTaskSection:
    eps = group.diagnosed
    alignment = diag.task_alignment(eps)
    auc = diag.per_task_auc(eps)
    keys = task_keys(alignment)
    return PerTaskSection(alignment.merge(auc[[*keys, "auc"]], on=keys, how="left"), eps)


@dataclass(frozen=True)
class CollapseSection:
    """Paper Sec. 3.2, Fig. 4, App. D: Δz by alignment, Δz vs consistency, the collapse detector."""

    latent_by_alignment: pd.DataFrame
    correlation: diag.Correlation
    pairs: pd.DataFrame
    """The scored steps' z-scored Δz and consistency (empty when not correlated)."""
    collapse: diag.CollapseResult
    rates: pd.DataFrame
    """:func:`wam_tts.diagnostics.collapse_rates` of ``collapse``."""
    episodes: pd.DataFrame

    def numbers(self) -> dict:
        return {
            "latent_by_alignment": records(self.latent_by_alignment),
            "correlation": asdict(self.correlation),
            "collapse": {
                "threshold": self.collapse.threshold,
                "min_run": self.collapse.min_run,
                "rates": records(self.rates),
            },
        }

    def render(self, doc: Document, slug: str) -> None:
        eps, groups, corr = self.episodes, self.latent_by_alignment, self.correlation
        doc.heading("Background collapse (paper Sec. 3.2, Fig. 4, App. D)", 3)
        doc.para(
            "Mean latent change Δz of aligned vs misaligned tasks; failure/success ratio: per task, failed "
            "episodes' mean Δz over successful episodes' (scale-free; below 1: failures move less)."
        )
        doc.table(groups)
        finite = groups[np.isfinite(groups["mean_latent_change"].astype(float))]
        if len(finite) == 2:
            doc.figure(
                Figure(
                    f"{slug}latent_by_alignment",
                    figures.bars(list(finite["group"]), finite["mean_latent_change"], "mean Δz per episode"),
                    f"Mean latent change of aligned vs misaligned tasks. {rests_on(eps)}",
                )
            )
        else:
            doc.note("Latent change by alignment not drawn: it needs both aligned and misaligned tasks.")
        if corr.message:
            doc.note(corr.message)
        else:
            doc.para(
                f"Per-step Δz vs consistency (both z-scored): Pearson r = {fmt(corr.pearson_r)} "
                f"(p = {fmt_p(corr.pearson_p)}), Spearman ρ = {fmt(corr.spearman_rho)} "
                f"(p = {fmt_p(corr.spearman_p)}), n = {corr.n_steps} steps."
            )
            doc.figure(
                Figure(
                    f"{slug}latent_vs_consistency",
                    figures.latent_consistency_scatter(
                        self.pairs["z_latent"].to_numpy(),
                        self.pairs["z_consistency"].to_numpy(),
                        f"r = {fmt(corr.pearson_r)}, ρ = {fmt(corr.spearman_rho)}",
                    ),
                    f"Latent change vs consistency per step (App. D). {rests_on(eps, self.pairs)}",
                )
            )
        result, rates = self.collapse, self.rates
        doc.para(
            f"Collapse detector: an episode is flagged when, for at least {result.min_run} consecutive decisions "
            f"before the task is done, both the real and the predicted latent change stay below "
            f"{fmt(result.threshold, 2)} × the task's median change in successful episodes "
            "(docs/diagnostics.md explains the default). Flags on successful episodes are false alarms."
        )
        doc.table(
            rates[[*label_columns(rates), "n_success", "success_flagged", "n_failure", "failure_flagged"]]
        )


def collapse_section(group: Group) -> CollapseSection:
    eps, steps = group.diagnosed, group.diagnosed_steps
    scored = steps[
        np.isfinite(steps[DECISION.consistency].astype(float))
        & np.isfinite(steps[DECISION.latent_change].astype(float))
    ]
    corr = diag.latent_consistency_correlation(scored)
    pairs = diag.latent_consistency_pairs(scored) if not corr.message else scored.iloc[:0]
    result = diag.detect_background_collapse(steps, eps)
    return CollapseSection(
        latent_by_alignment=diag.latent_change_by_alignment(eps),
        correlation=corr,
        pairs=pairs,
        collapse=result,
        rates=diag.collapse_rates(result),
        episodes=eps,
    )


@dataclass(frozen=True)
class UtilitySection:
    """Paper Fig. 5: success − failure gaps of the predicted value and of consistency."""

    gaps: diag.UtilityGaps
    episodes: pd.DataFrame

    def numbers(self) -> dict:
        gaps = self.gaps
        return {
            "utility": {
                "n_compared": gaps.n_compared,
                "n_same_sign": gaps.n_same_sign,
                "message": gaps.message,
                "table": records(gaps.table),
            }
        }

    def render(self, doc: Document, slug: str) -> None:
        gaps = self.gaps
        doc.heading("Utility alignment: predicted value vs consistency (paper Fig. 5)", 3)
        if gaps.message:
            doc.note(gaps.message)
            return
        doc.para(
            f"Success-minus-failure gap per task; the two gaps share their sign in {gaps.n_same_sign} of "
            f"{gaps.n_compared} task(s)."
        )
        shown = gaps.table.dropna(subset=["value_gap", "consistency_gap"])
        doc.table(shown[[*label_columns(shown), "n_success", "n_failure", "value_gap", "consistency_gap"]])
        keys = task_keys(shown)
        doc.figure(
            Figure(
                f"{slug}utility_gaps",
                figures.grouped_bars(
                    figures.row_labels(shown, TASK_LABEL),
                    {"value gap": shown["value_gap"], "consistency gap": shown["consistency_gap"]},
                    "success − failure",
                ),
                f"Value and consistency gaps per task. {rests_on(self.episodes.merge(shown[keys], on=keys))}",
            )
        )


def utility_section(group: Group) -> UtilitySection:
    return UtilitySection(diag.utility_gaps(group.diagnosed), group.diagnosed)

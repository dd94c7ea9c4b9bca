"""The test-time selection sections: success rates, deltas against N = 1, App. F and App. G.

Each ``*_section`` function computes one section from a :class:`~eval.reporting.base.Group`;
the dataclass it returns formats and draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from eval.reporting import figures
from eval.reporting.base import Group, records, rests_on, select
from eval.reporting.document import Document, Figure, fmt, fmt_p
from wam_tts import diagnostics as diag
from wam_tts.records import EPISODE, KEY

#: The selectors the weighted-vs-winner-takes-all ablation compares.
WEIGHTED, WINNER_TAKES_ALL = "weighted", "consensus"


@dataclass(frozen=True)
class SelectorTableSection:
    """Paper Tables 1, 2: per configuration, rate, Wilson CI and the delta against N = 1."""

    baseline: str
    """The baseline, described."""
    has_baseline: bool
    table: pd.DataFrame
    """:func:`wam_tts.diagnostics.selector_table`."""

    def numbers(self) -> dict:
        return {"baseline": self.baseline, "selector_table": records(self.table)}

    def render(self, doc: Document, slug: str) -> None:
        doc.para(
            f"Baseline: {self.baseline}. Wilson 95 % intervals; deltas are paired on (task, seed) when seeds "
            "match (bootstrap interval of paired differences, exact McNemar test), otherwise Newcombe's interval."
        )
        doc.heading("Selector table", 3)
        doc.table(pd.DataFrame([_selector_row(r) for r in self.table.to_dict(orient="records")]))
        if not self.has_baseline:
            doc.note("No N = 1 run: deltas against the baseline not computed.")


def _selector_row(r: dict) -> dict:
    row = {
        "selector": r["selector"],
        "N": r["n"],
        "success": f"{r['successes']}/{r['trials']}",
        "rate": r["rate"],
        "95% CI": f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]",
        "tasks": r["n_tasks"],
        "mean task rate": r["mean_task_rate"],
    }
    if "delta" in r and not math.isnan(r["delta"]):
        row.update(
            {
                "Δ vs N=1": r["delta"],
                "Δ 95% CI": f"[{fmt(r['delta_low'])}, {fmt(r['delta_high'])}]",
                "paired": r["paired"],
                "McNemar p": fmt_p(r["p_value"]),
            }
        )
    elif "delta" in r:
        row.update({"Δ vs N=1": "baseline", "Δ 95% CI": "", "paired": "", "McNemar p": ""})
    return row


def selector_table_section(group: Group) -> SelectorTableSection:
    eps = group.episodes
    is_base, description = diag.baseline_mask(eps, group.baseline_selector)
    table = diag.selector_table(eps, group.baseline_selector, seed=group.seed)
    return SelectorTableSection(description, bool(is_base.any()), table)


@dataclass(frozen=True)
class SuccessVsNSection:
    """Paper Fig. 8: success rate per selector against N."""

    rates: pd.DataFrame
    """:func:`wam_tts.diagnostics.success_rates` per configuration."""
    baseline_rate: float | None
    episodes: pd.DataFrame

    def numbers(self) -> dict:
        return {}

    def render(self, doc: Document, slug: str) -> None:
        doc.heading("Success rate vs N (paper Fig. 8)", 3)
        doc.figure(
            Figure(
                f"{slug}success_vs_n",
                figures.success_vs_n(self.rates, self.baseline_rate),
                f"Success rate per selector against N, Wilson 95 % intervals. {rests_on(self.episodes)}",
            )
        )


def success_vs_n_section(group: Group) -> SuccessVsNSection:
    eps = group.episodes
    is_base, _ = diag.baseline_mask(eps, group.baseline_selector)
    base_rate = float(eps.loc[is_base, EPISODE.success].mean()) if is_base.any() else None
    return SuccessVsNSection(diag.success_rates(eps, diag.CONFIG_KEY), base_rate, eps)


@dataclass(frozen=True)
class TaskRatesSection:
    """Per task: rates of every configuration and deltas against the N = 1 baseline."""

    rates: pd.DataFrame
    """:func:`wam_tts.diagnostics.success_rates` per configuration and task."""
    deltas: pd.DataFrame
    """:func:`wam_tts.diagnostics.task_deltas`."""
    improved: pd.DataFrame
    """Per configuration: tasks improved, worsened and compared."""

    def numbers(self) -> dict:
        return {"per_task_rates": records(self.rates), "task_deltas": records(self.deltas)}

    def render(self, doc: Document, slug: str) -> None:
        rates, deltas = self.rates, self.deltas
        doc.heading("Per task", 3)
        cell = rates.assign(
            config=rates["selector"] + " N=" + rates["n"].astype(str),
            cell=[
                f"{fmt(r, 2)} [{fmt(lo, 2)}, {fmt(hi, 2)}]"
                for r, lo, hi in zip(rates["rate"], rates["ci_low"], rates["ci_high"], strict=True)
            ],
        )
        doc.table(cell.pivot(index="task", columns="config", values="cell").reset_index())
        if not len(deltas):
            return
        doc.para("Tasks improved / worsened against the N = 1 baseline per configuration:")
        doc.table(self.improved)
        doc.table(
            deltas[
                [
                    "selector",
                    "n",
                    "task",
                    "rate",
                    "reference_rate",
                    "delta",
                    "delta_low",
                    "delta_high",
                    "paired",
                    "only_candidate",
                    "only_reference",
                ]
            ].assign(p_value=deltas["p_value"].map(fmt_p))
        )


def task_rates_section(group: Group) -> TaskRatesSection:
    eps = group.episodes
    deltas = diag.task_deltas(eps, group.baseline_selector, seed=group.seed)
    improved = pd.DataFrame()
    if len(deltas):
        improved = (
            deltas.groupby([KEY.selector, KEY.n])
            .agg(
                improved=("delta", lambda d: int((d > 0).sum())),
                worse=("delta", lambda d: int((d < 0).sum())),
                tasks=("delta", "size"),
            )
            .reset_index()
        )
    return TaskRatesSection(diag.success_rates(eps), deltas, improved)


@dataclass(frozen=True)
class WeightedVsWtaSection:
    """Paper App. F: weighted blending against winner-takes-all consensus at each N."""

    comparison: pd.DataFrame
    """:func:`wam_tts.diagnostics.weighted_vs_wta`."""
    rates: pd.DataFrame
    """Success rates of the compared configurations."""
    episodes: pd.DataFrame
    """The compared configurations' episodes."""

    def numbers(self) -> dict:
        return {"weighted_vs_wta": records(self.comparison)}

    def render(self, doc: Document, slug: str) -> None:
        wta, r = self.comparison, self.rates
        doc.heading("Weighted vs winner-takes-all (paper App. F)", 3)
        if wta.empty:
            doc.note(
                "Weighted vs winner-takes-all not compared: the results need both the weighted and the "
                "consensus selector at the same N."
            )
            return
        doc.table(
            wta[
                ["n", "rate", "reference_rate", "delta", "delta_low", "delta_high", "paired", "p_value"]
            ].rename(columns={"rate": "weighted", "reference_rate": "consensus (WTA)"})
        )
        doc.figure(
            Figure(
                f"{slug}weighted_vs_wta",
                figures.bars(
                    [f"{s} N={n}" for s, n in zip(r["selector"], r["n"], strict=True)],
                    r["rate"],
                    "success rate",
                    low=r["ci_low"],
                    high=r["ci_high"],
                ),
                f"Weighted blending vs winner-takes-all consensus, Wilson 95 % intervals. {rests_on(self.episodes)}",
            )
        )


def weighted_vs_wta_section(group: Group) -> WeightedVsWtaSection:
    eps = group.episodes
    wta = diag.weighted_vs_wta(eps, WEIGHTED, WINNER_TAKES_ALL)
    if wta.empty:
        return WeightedVsWtaSection(wta, pd.DataFrame(), eps.iloc[:0])
    chosen = eps[eps[KEY.selector].isin([WEIGHTED, WINNER_TAKES_ALL]) & eps[KEY.n].isin(wta["n"])]
    return WeightedVsWtaSection(wta, diag.success_rates(chosen, diag.CONFIG_KEY), chosen)


@dataclass(frozen=True)
class CurvesSection:
    """Paper App. G: the higher- minus the lower-success run's Δz and consistency over time."""

    curves: diag.DifferenceCurves
    episodes: pd.DataFrame
    """The two runs' episodes."""

    def numbers(self) -> dict:
        c = self.curves
        return {
            "curves": {
                "high": c.high,
                "low": c.low,
                "high_rate": c.high_rate,
                "low_rate": c.low_rate,
                "message": c.message,
                "table": records(c.table),
            }
        }

    def render(self, doc: Document, slug: str) -> None:
        curves = self.curves
        doc.heading("Appendix G: higher- minus lower-success run over time", 3)
        if curves.message:
            doc.note(curves.message)
            return
        h = " ".join(f"{k}={v}" for k, v in curves.high.items() if k in (KEY.selector, KEY.n))
        low = " ".join(f"{k}={v}" for k, v in curves.low.items() if k in (KEY.selector, KEY.n))
        doc.para(
            f"H = {h} (success {fmt(curves.high_rate)}, {curves.high_episodes} episodes), "
            f"L = {low} (success {fmt(curves.low_rate)}, {curves.low_episodes} episodes). Δz and consistency "
            "z-scored within each task over both runs, averaged per env step, H − L."
        )
        doc.figure(
            Figure(
                f"{slug}appendix_g",
                figures.difference_curves(curves.table, "t", True),
                f"H − L difference of Δz and consistency per env step. {rests_on(self.episodes)}",
            )
        )


def curves_section(group: Group) -> CurvesSection:
    eps = group.episodes
    curves = diag.difference_curves(group.steps, eps)
    used = eps.iloc[:0] if curves.message else pd.concat([select(eps, curves.high), select(eps, curves.low)])
    return CurvesSection(curves, used)

"""The report's sections, in order: one function per paper section, listed in :data:`PARTS`.

The document builder (:func:`eval.report.build_report`) makes one :class:`Group` per
(policy, env) and, for each :class:`Part`, computes every section of it and renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from eval.reporting import diagnosis, selection
from eval.reporting.base import Group, Section
from eval.reporting.document import Document
from wam_tts import diagnostics as diag


@dataclass(frozen=True)
class Part:
    """A titled run of sections over one group's episodes (``summary.json`` key ``key``)."""

    key: str
    title: str
    intro: Callable[[Group], Section] | None
    """A section shown even when there are no episodes (what the part is about)."""
    episodes: Callable[[Group], pd.DataFrame]
    """The episodes the part needs; without any, only ``empty_note`` follows the intro."""
    empty_note: str
    sections: tuple[Callable[[Group], Section], ...]


PARTS: tuple[Part, ...] = (
    Part(
        key="diagnostics",
        title="Consistency diagnostics",
        intro=diagnosis.diagnosed_section,
        episodes=lambda group: group.diagnosed,
        empty_note="No finished episodes to diagnose.",
        sections=(
            diagnosis.separation_section,  # Sec. 3.1, Fig. 1
            diagnosis.prediction_section,  # Fig. 2, App. C.2
            diagnosis.per_task_section,  # App. C
            diagnosis.collapse_section,  # Sec. 3.2, Fig. 4, App. D
            diagnosis.utility_section,  # Sec. 3.3, Fig. 5
        ),
    ),
    Part(
        key="selection",
        title="Test-time selection",
        intro=None,
        episodes=lambda group: group.episodes,
        empty_note="No finished episodes: no success rates.",
        sections=(
            selection.selector_table_section,  # Tables 1, 2
            selection.success_vs_n_section,  # Fig. 8
            selection.task_rates_section,  # per task
            selection.weighted_vs_wta_section,  # App. F, Table 4
            selection.curves_section,  # App. G, Fig. 13
        ),
    ),
)


def render_part(doc: Document, part: Part, group: Group) -> dict[str, Any]:
    """Compute and render ``part``'s sections for ``group``; return their numbers."""
    doc.heading(f"{part.title}: {group.label}")
    numbers: dict[str, Any] = {}
    shown = [part.intro(group)] if part.intro is not None else []
    for section in shown:
        numbers.update(section.numbers())
        section.render(doc, group.slug)
    if part.episodes(group).empty:
        doc.note(part.empty_note)
        return numbers
    for compute in part.sections:
        section = compute(group)
        numbers.update(section.numbers())
        section.render(doc, group.slug)
    return numbers


def diagnosed_subset(
    episodes: pd.DataFrame, diagnose: dict[str, Any] | None, baseline_selector: str
) -> tuple[pd.DataFrame, str]:
    """The episodes the consistency diagnostics use, and a sentence saying which.

    The paper diagnoses plain rollouts, so by default the N = 1 baseline; without one, all
    configurations (scores are normalised within each configuration's tasks).
    """
    if diagnose:
        mask = pd.Series(True, index=episodes.index)
        for col, val in diagnose.items():
            mask &= episodes[col].astype(str) == str(val)
        return episodes[mask], "the episodes with " + ", ".join(f"{k} = {v}" for k, v in diagnose.items())
    is_base, description = diag.baseline_mask(episodes, baseline_selector)
    if is_base.any():
        return episodes[is_base], f"the N = 1 baseline ({description})"
    return episodes, "all configurations (no N = 1 baseline; z-scores within each configuration's tasks)"


def make_group(
    label: str,
    slug: str,
    episodes: pd.DataFrame,
    steps: pd.DataFrame,
    *,
    diagnose: dict[str, Any] | None,
    baseline_selector: str,
    seed: int,
) -> Group:
    """The :class:`Group` of one (policy, env): its finished episodes and the diagnosed subset."""
    subset, description = diagnosed_subset(episodes, diagnose, baseline_selector)
    diagnosed = diag.finished_episodes(subset)
    key = [c for c in diag.EPISODE_KEY if c in steps.columns and c in diagnosed.columns]
    return Group(
        label=label,
        slug=slug,
        episodes=diag.finished_episodes(episodes),
        steps=steps,
        diagnosed=diagnosed,
        diagnosed_steps=steps.merge(diagnosed[key], on=key, how="inner"),
        description=description,
        baseline_selector=baseline_selector,
        seed=seed,
    )

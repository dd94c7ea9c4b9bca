"""The report's opening section: configurations, episode counts and errors of all results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from eval.reporting.base import rests_on
from eval.reporting.document import Document
from wam_tts import diagnostics as diag
from wam_tts.records import EPISODE, KEY


@dataclass(frozen=True)
class Overview:
    """Per configuration: runs, tasks, finished episodes by outcome, errors."""

    source: str
    table: pd.DataFrame
    errors: pd.Series
    """The most common error messages and their counts."""
    finished: pd.DataFrame | None
    """Every finished episode; None when there are no episodes at all."""
    set_aside: tuple[str, ...] = ()
    """Trial files left out as unreadable (a run's ``corrupt/``, or skipped while loading)."""

    def numbers(self) -> dict[str, Any]:
        return {"overview": self.table.to_dict(orient="records"), "set_aside": list(self.set_aside)}

    def render(self, doc: Document) -> None:
        doc.heading("Overview")
        if self.set_aside:
            doc.note(f"{len(self.set_aside)} trial file(s) set aside as unreadable, in no analysis: "
                     + ", ".join(self.set_aside))
        if self.finished is None:
            doc.note(f"No finished trials{f' in {self.source}' if self.source else ''}: nothing to report.")
            return
        table = self.table
        doc.table(table)
        if len(table) and table["errors"].sum():
            doc.note(
                f"{int(table['errors'].sum())} errored episode(s) are excluded from every analysis. Most common "
                "errors: " + "; ".join(f"{m[:120]} (×{c})" for m, c in self.errors.items())
            )
        doc.para(f"All results: {rests_on(self.finished)}")


def overview_section(episodes: pd.DataFrame, source: str, set_aside: tuple[str, ...] = ()) -> Overview:
    if episodes.empty:
        return Overview(source, pd.DataFrame(), pd.Series(dtype=int), None, set_aside)
    keys = [c for c in diag.CONFIG_KEY if c in episodes.columns]
    rows = []
    for key, g in episodes.groupby(keys, sort=True, dropna=False):
        errors = (
            g[EPISODE.status] == "error" if EPISODE.status in g.columns else pd.Series(False, index=g.index)
        )
        ok = g[~errors]
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "runs": g[KEY.run_id].nunique(),
                "tasks": g[KEY.task].nunique(),
                "episodes": len(ok),
                "success": int(ok[EPISODE.success].sum()),
                "failure": int((~ok[EPISODE.success].astype(bool)).sum()),
                "errors": int(errors.sum()),
            }
        )
    table = pd.DataFrame(rows)
    messages = pd.Series(dtype=int)
    if len(table) and table["errors"].sum():
        failed = episodes[EPISODE.status] == "error"
        messages = episodes.loc[failed, EPISODE.error].astype(str).value_counts().head(5)
    return Overview(source, table, messages, diag.finished_episodes(episodes), set_aside)

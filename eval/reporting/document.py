"""A report as a list of blocks, rendered to Markdown (with PNG files) and to one HTML file."""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


def fmt(value: object, digits: int = 3) -> str:
    """A number as the report prints it; NaN/None as ``n/a``."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_p(value: float) -> str:
    """A p-value: 3 significant digits, ``n/a`` for NaN."""
    return "n/a" if value is None or math.isnan(value) else f"{value:.3g}"


@dataclass
class Figure:
    name: str
    """File stem under ``figures/``."""
    png: bytes
    caption: str


@dataclass
class Document:
    """Blocks in order: ``("h", level, text)``, ``("p", text)``, ``("note", text)``,
    ``("table", DataFrame)``, ``("figure", Figure)``."""

    title: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", level, text))

    def para(self, text: str) -> None:
        self.blocks.append(("p", text))

    def note(self, text: str) -> None:
        """A message the reader must not miss (empty or one-class data)."""
        self.blocks.append(("note", text))

    def table(self, frame: pd.DataFrame) -> None:
        self.blocks.append(("table", frame))

    def figure(self, figure: Figure) -> None:
        self.blocks.append(("figure", figure))

    @property
    def figures(self) -> list[Figure]:
        return [b[1] for b in self.blocks if b[0] == "figure"]

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                out += ["#" * block[1] + " " + block[2], ""]
            elif kind == "p":
                out += [block[1], ""]
            elif kind == "note":
                out += [f"> **Note:** {block[1]}", ""]
            elif kind == "table":
                out += [markdown_table(block[1]), ""]
            else:
                fig = block[1]
                out += [f"![{fig.name}](figures/{fig.name}.png)", "", f"*{fig.caption}*", ""]
        return "\n".join(out)

    def html(self) -> str:
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "h":
                body.append(f"<h{block[1]}>{html.escape(block[2])}</h{block[1]}>")
            elif kind == "p":
                body.append(f"<p>{html.escape(block[1])}</p>")
            elif kind == "note":
                body.append(f'<p class="note"><b>Note:</b> {html.escape(block[1])}</p>')
            elif kind == "table":
                body.append(_stringify(block[1]).to_html(index=False, border=0, escape=True))
            else:
                fig = block[1]
                data = base64.b64encode(fig.png).decode("ascii")
                body.append(
                    f'<figure><img alt="{html.escape(fig.name)}" src="data:image/png;base64,{data}">'
                    f"<figcaption>{html.escape(fig.caption)}</figcaption></figure>"
                )
        style = (
            "body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
            "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}"
            ".note{background:#fff3cd;padding:.5em}figcaption{font-style:italic;font-size:90%}"
            "img{max-width:100%}"
        )
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
        )

    def write(self, out_dir: Path) -> tuple[Path, Path, list[Path]]:
        """Write ``report.md``, ``report.html`` and ``figures/*.png`` into ``out_dir``."""
        fig_dir = out_dir / "figures"
        fig_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for fig in self.figures:
            path = fig_dir / f"{fig.name}.png"
            path.write_bytes(fig.png)
            paths.append(path)
        md, page = out_dir / "report.md", out_dir / "report.html"
        md.write_text(self.markdown())
        page.write_text(self.html())
        return md, page, paths


def _stringify(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda col: col.map(fmt)) if len(frame) else frame.astype(str)


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a markdown table, numbers formatted as the report does."""
    cells = _stringify(frame)
    header = "| " + " | ".join(map(str, cells.columns)) + " |"
    rule = "|" + "|".join("---" for _ in cells.columns) + "|"
    rows = [
        "| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in cells.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])

"""``python -m eval.run --help``: every config key with its description.

The descriptions are the ``#:`` comments above each field of the schema dataclasses
in :mod:`eval.config` (the one place they are written), read from its source.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
import typing

from eval import config as schema


def _comments(cls: type) -> dict[str, str]:
    """field name → its ``#:`` comment lines, joined."""
    lines, _ = inspect.getsourcelines(cls)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    out = {}
    for node in tree.body[0].body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            text, i = [], node.lineno - 2
            while i >= 0 and lines[i].strip().startswith("#:"):
                text.insert(0, lines[i].strip()[2:].strip())
                i -= 1
            out[node.target.id] = " ".join(text)
    return out


def key_descriptions(cls: type = schema.EvalConfig, prefix: str = "") -> list[tuple[str, str, str]]:
    """``(key, default, description)`` of every key of ``cls``, nested nodes flattened."""
    hints = typing.get_type_hints(cls)
    comments = _comments(cls)
    rows = []
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        if dataclasses.is_dataclass(kind):
            rows.append((f"{prefix}{f.name}", "", comments.get(f.name) or (kind.__doc__ or "").strip()))
            rows += key_descriptions(kind, f"{prefix}{f.name}.")
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        rows.append((f"{prefix}{f.name}", repr(default), comments.get(f.name, "")))
    return rows


def help_text() -> str:
    """The ``--help`` template (Hydra substitutes ``$APP_CONFIG_GROUPS`` and ``$CONFIG``)."""
    width = max(len(key) for key, _, _ in key_descriptions())
    keys = "\n".join(f"  {key:<{width}}  {desc}" + (f" [default: {default}]" if default else "")
                     for key, default, desc in key_descriptions())
    return (
        "python -m eval.run [key=value ...]    evaluate a selector over a world action model\n"
        "python -m eval.run -m key=a,b ...     a sweep (one run per combination)\n\n"
        "== Keys (conf/config.yaml sets the main job's values; schema: eval/config.py) ==\n"
        f"{keys.replace('$', '$$')}\n\n"
        "== Config groups (group=option) ==\n$APP_CONFIG_GROUPS\n\n"
        "== This config ==\n$CONFIG\n"
        "Hydra's own flags: --hydra-help\n"
    )

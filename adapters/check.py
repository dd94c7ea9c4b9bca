"""Check an adapter against its real checkpoint on a GPU machine: load it, time N, peak memory.

    python -m adapters.check lingbot_va --checkpoint lerobot/lingbot_va_robotwin
    python -m adapters.check lingbot_va --help          # that adapter's own options

Each adapter names a ``check`` module in :data:`adapters.registry.ADAPTERS` whose
``main(argv) -> int`` does the work; modules are imported only when asked for, so a
missing upstream package shows up as a message saying what to install, never as a
failed import of this file.
"""

from __future__ import annotations

import difflib
import importlib
import sys

from adapters.registry import ADAPTERS

#: adapter name -> module with ``main(argv: list[str]) -> int``
CHECKS: dict[str, str] = {name: ADAPTERS.get(name).check for name in ADAPTERS if ADAPTERS.get(name).check}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = f"usage: python -m adapters.check {{{','.join(sorted(CHECKS))}}} [options]  (--help after the name for its options)"
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip().split("\n")[0] + "\n" + usage)
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in CHECKS:
        close = difflib.get_close_matches(name, CHECKS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        print(f"error: no check for adapter {name!r}.{hint} Known: {', '.join(sorted(CHECKS))}\n{usage}", file=sys.stderr)
        return 2
    try:
        return importlib.import_module(CHECKS[name]).main(rest)
    except ImportError as e:
        print(f"error: {e}\nto install what {name} needs: {ADAPTERS.get(name).install}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

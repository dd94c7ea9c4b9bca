"""Logging of a run: its own log file once the run is accepted, and a quiet robosuite.

robosuite logs its import-time notices (no private macro file, optional robot
packages) through its own handler *and* the root logger, so every start printed each
twice. :func:`quiet_robosuite` keeps robosuite's logger to its own handler and drops
its records below ERROR, unless ``WAM_TTS_ROBOSUITE_LOGS=1`` asks for them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROBOSUITE_LOGGER = "robosuite_logs"
LOG_FILE = "run.log"


def quiet_robosuite() -> None:
    """Call before ``import robosuite``: its notices once (asked) or not at all."""
    logger = logging.getLogger(ROBOSUITE_LOGGER)
    logger.propagate = False
    if os.environ.get("WAM_TTS_ROBOSUITE_LOGS") != "1" and not logger.filters:
        logger.addFilter(lambda record: record.levelno >= logging.ERROR)


@contextmanager
def run_log(root: Path) -> Iterator[None]:
    """Append this process's log records to ``<root>/run.log`` while the block runs."""
    handler = logging.FileHandler(Path(root) / LOG_FILE)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    try:
        yield
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()

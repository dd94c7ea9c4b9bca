"""Wall-clock limits of a trial, and child processes that die with their parent.

Two limits, each off when None: ``trial_timeout_s`` bounds one attempt of a trial
(its episode, not the building of env and policy), ``decision_timeout_s`` bounds the
time between two consecutive events of the episode (reset, a decision, an executed
step), so a policy or simulator that stops making progress is caught long before a
generous trial limit.

In process, :class:`Watchdog` arms ``SIGALRM`` (``setitimer``) and re-arms it at every
event; the handler raises :class:`TrialTimeout` wherever Python is running, which the
runner records as an error. Code stuck in C without returning to Python cannot be
interrupted that way: with ``isolate=true`` the parent also watches the child's
heartbeat (a shared array) and kills the worker :data:`KILL_GRACE_S` after a limit.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: Seconds the parent waits beyond a limit before it kills an isolated worker (the
#: worker's own SIGALRM comes first whenever Python code is running).
KILL_GRACE_S = 3.0
#: Slots of the heartbeat array shared with an isolated worker.
ATTEMPT_START, LAST_EVENT, WORKER_PID = 0, 1, 2

_PR_SET_PDEATHSIG = 1


class TrialTimeout(Exception):
    """A trial ran past ``trial_timeout_s`` or made no progress for ``decision_timeout_s``."""


def describe(trial_s: float | None, decision_s: float | None, elapsed: float, idle: float,
             stage: str) -> str | None:
    """Why a trial is overdue (None if it is not), naming the limit and the last event."""
    if trial_s is not None and elapsed >= trial_s:
        return f"the trial ran {elapsed:.1f} s, past trial_timeout_s={trial_s:g} (last event: {stage})"
    if decision_s is not None and idle >= decision_s:
        return f"no progress for {idle:.1f} s after {stage}, past decision_timeout_s={decision_s:g}"
    return None


class Watchdog:
    """Raises :class:`TrialTimeout` in this (main) thread when a limit passes.

    ``heartbeat``, when given, receives the attempt's start and each event's time
    (``time.monotonic``, one clock for every process of the machine) for a watching parent.
    """

    def __init__(self, trial_s: float | None, decision_s: float | None, heartbeat: Any = None) -> None:
        self.trial_s, self.decision_s, self.heartbeat = trial_s, decision_s, heartbeat
        self.active = (trial_s is not None or decision_s is not None) and _can_alarm()
        if (trial_s is not None or decision_s is not None) and not self.active:
            log.warning("trial timeouts need SIGALRM in the main thread; this trial runs without them")
        self.start = self.last = 0.0
        self.stage = "the start"
        self._previous: Any = None

    def __enter__(self) -> Watchdog:
        self.start = self.last = time.monotonic()
        if self.heartbeat is not None:
            self.heartbeat[ATTEMPT_START] = self.heartbeat[LAST_EVENT] = self.start
        if self.active:
            self._previous = signal.signal(signal.SIGALRM, self._expired)
            self._arm()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)

    def beat(self, stage: str) -> None:
        """An event of the episode: the decision limit starts again from now."""
        self.last, self.stage = time.monotonic(), stage
        if self.heartbeat is not None:
            self.heartbeat[LAST_EVENT] = self.last
        if self.active:
            self._arm()

    def _arm(self) -> None:
        now = time.monotonic()
        limits = [self.start + self.trial_s - now if self.trial_s is not None else None,
                  self.last + self.decision_s - now if self.decision_s is not None else None]
        signal.setitimer(signal.ITIMER_REAL, max(min(x for x in limits if x is not None), 1e-3))

    def _expired(self, signum: int, frame: Any) -> None:
        now = time.monotonic()
        reason = describe(self.trial_s, self.decision_s, now - self.start, now - self.last, self.stage)
        if reason is None:  # woke early (clock granularity): wait for the rest
            self._arm()
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        raise TrialTimeout(reason)


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def die_with_parent(parent_pid: int, poll_s: float = 1.0) -> None:
    """Make this (child) process exit when ``parent_pid`` dies.

    On Linux the kernel sends SIGKILL at the parent's death (``PR_SET_PDEATHSIG``), which
    works even while this process is stuck in C code; elsewhere, and as a second line, a
    daemon thread polls ``os.getppid()``.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError) as err:  # pragma: no cover - no prctl in this libc
            log.debug("prctl(PR_SET_PDEATHSIG) unavailable: %s", err)
    if os.getppid() != parent_pid:  # the parent died before the death signal was set
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()

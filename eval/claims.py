"""One writer per run directory and per trial: exclusive files that processes agree on.

* :func:`create_exclusive` writes a file that must not exist yet, atomically with its
  content (a hard link of a finished temporary file), so of two processes creating
  ``run.json`` together exactly one wins and the other reads the winner's config.
* :class:`TrialClaims` hands out ``claims/<trial>.claim``: a process runs a trial only
  while it holds its claim, so concurrent processes on one run directory split the
  trials instead of running each twice. A claim holds ``host`` and ``pid`` and an
  ``flock`` for as long as its process lives; a claim of a dead process of this host
  (killed mid-trial) is taken over, one of another host is left alone (its process
  may be alive: remove ``claims/`` by hand if that host is gone).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

CLAIMS_DIR = "claims"


def create_exclusive(path: Path, text: str) -> bool:
    """Create ``path`` holding ``text`` unless it exists; True if this call created it."""
    tmp = _temporary(path)
    tmp.write_text(text)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)


def _temporary(path: Path) -> Path:
    """A name beside ``path`` no other process or thread uses (``.<name>.<token>.<host>.<pid>.tmp``,
    which :meth:`eval.results.RunStore.remove_stale_temporaries` recognises)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.{socket.gethostname()}.{os.getpid()}.tmp")


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Claim:
    """A held claim: the open, locked claim file."""

    path: Path
    fd: int

    def release(self) -> None:
        """Give the trial up (after committing it, or when it did not run)."""
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


class TrialClaims:
    """Claim files of the trials of one run directory."""

    def __init__(self, root: str | Path) -> None:
        self.dir = Path(root) / CLAIMS_DIR
        self.me = {"host": socket.gethostname(), "pid": os.getpid()}

    def claim(self, stem: str) -> Claim | None:
        """Claim trial ``stem`` for this process; None if a live process holds it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{stem}.claim"
        tmp = _temporary(path)
        tmp.write_text(json.dumps(self.me))
        fd = os.open(tmp, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)  # locked before it appears under its name
        try:
            os.link(tmp, path)
            return Claim(path, fd)
        except FileExistsError:
            os.close(fd)
            return self._take_over(path)
        finally:
            tmp.unlink(missing_ok=True)

    def holder(self, stem: str) -> str:
        """``host:pid`` of the claim on ``stem`` (for messages), or ``""``."""
        try:
            data = json.loads((self.dir / f"{stem}.claim").read_text())
        except (OSError, ValueError):
            return ""
        return f"{data.get('host')}:{data.get('pid')}"

    def _take_over(self, path: Path) -> Claim | None:
        """The claim at ``path`` if its process is dead on this host, else None."""
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return None  # released meanwhile: the trial is committed or free for the next scan
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None  # held by a live process
        try:
            same_file = os.fstat(fd).st_ino == os.stat(path).st_ino
            data = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except (OSError, ValueError):
            same_file, data = False, {}
        dead = data.get("host") == self.me["host"] and not pid_alive(int(data.get("pid", 0)))
        if not (same_file and dead):
            os.close(fd)
            return None
        text = json.dumps(self.me).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, text, 0)
        return Claim(path, fd)

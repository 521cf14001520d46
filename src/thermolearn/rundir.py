"""Run directories owned by one run: a lock naming its owner, no silent overwrite, SIGTERM.

:class:`RunLock` is a ``run.lock`` file holding the owner's PID, host, start time and command,
with an exclusive ``flock`` held for as long as the run lives. The kernel drops the ``flock``
when the owner dies, however it dies (SIGKILL included), so:

* a second run on the same directory finds the ``flock`` taken and is refused with a
  :class:`~thermolearn.errors.RunDirectoryError` naming the owner;
* a lock whose owner is gone (its ``flock`` is free and, on the same host, its PID is not
  running or is not the owner any more) is *stale*: it is taken over, with a
  :class:`~thermolearn.errors.RunDirectoryWarning` naming the dead owner;
* a lock written on another host is never taken over automatically (its PID cannot be
  checked from here); the message says which host and how to remove it.

:func:`claim_run_directory` takes the lock and refuses to start a fresh run in a directory that
already holds one (listing the files found) unless ``resume`` (continue it) or ``force``
(delete that run's files first) is given. :func:`terminate_as_interrupt` turns SIGTERM into
:class:`~thermolearn.errors.Terminated` (a ``KeyboardInterrupt``), so that a terminated run
unwinds exactly like Ctrl-C: checkpoints already written are kept, the lock is released and
the console script exits with 143.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import signal
import socket
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from thermolearn.errors import ParameterError, RunDirectoryError, RunDirectoryWarning, Terminated

__all__ = [
    "LOCK_NAME",
    "LockOwner",
    "RunLock",
    "claim_run_directory",
    "terminate_as_interrupt",
    "pid_alive",
]

#: Name of the lock file inside a run directory.
LOCK_NAME = "run.lock"


@dataclass(frozen=True, slots=True)
class LockOwner:
    """Who holds (or held) a run directory's lock."""

    pid: int
    host: str
    started: str
    command: str

    def describe(self) -> str:
        """``"PID 123 on host 'vm' (started …: thermolearn train …)"``."""
        return f"PID {self.pid} on host '{self.host}' (started {self.started}: {self.command})"


def _me() -> LockOwner:
    return LockOwner(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        command=" ".join(sys.argv)[:300] or "python",
    )


def pid_alive(pid: int) -> bool:
    """Return True if a process with this PID exists on this host (signal 0 probe)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _parse_owner(text: str) -> LockOwner | None:
    try:
        d = json.loads(text)
        return LockOwner(
            pid=int(d["pid"]), host=str(d["host"]), started=str(d["started"]),
            command=str(d["command"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


class RunLock:
    """Exclusive ownership of a directory by this process (a ``run.lock`` file + ``flock``).

    Use as a context manager or call :meth:`acquire` / :meth:`release`. ``taken_over`` is the
    stale owner whose lock was taken over, if any.
    """

    def __init__(self, directory: str | Path, *, name: str = LOCK_NAME) -> None:
        self.directory = Path(directory)
        self.path = self.directory / name
        self.owner: LockOwner | None = None
        self.taken_over: LockOwner | None = None
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock, or raise :class:`RunDirectoryError` naming its live owner."""
        import fcntl

        if self._fd is not None:
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        for _ in range(100):  # retries only when the file was replaced under us
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                text = _read_fd(fd)
                os.close(fd)
                owner = _parse_owner(text)
                who = owner.describe() if owner else "a process that has not yet named itself"
                raise RunDirectoryError(
                    f"the run directory '{self.directory}' is in use by {who}; wait for that "
                    "run to finish or stop it, or choose another --out."
                ) from None
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:  # released (unlinked) between our open and our flock: start again
                os.close(fd)
                continue
            previous = _parse_owner(_read_fd(fd))
            me = _me()
            if previous is not None and previous.host != me.host:
                os.close(fd)
                raise RunDirectoryError(
                    f"the run directory '{self.directory}' is locked by {previous.describe()}, "
                    f"another host, whose process cannot be checked from '{me.host}'. If that "
                    f"run is no longer alive, delete '{self.path}' and start again."
                )
            if previous is not None and previous.pid != me.pid:
                # The flock is free, so its owner is gone (killed, crashed, or its PID reused).
                state = "not running" if not pid_alive(previous.pid) else "PID reused"
                self.taken_over = previous
                warnings.warn(
                    f"took over the stale lock of '{self.directory}' left by "
                    f"{previous.describe()}, {state}.",
                    RunDirectoryWarning,
                    stacklevel=3,
                )
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(asdict(me)) + "\n").encode(), 0)
            os.fsync(fd)
            self._fd = fd
            self.owner = me
            return self
        raise RunDirectoryError(  # pragma: no cover - 100 unlink races in a row
            f"could not take the lock '{self.path}': it keeps being replaced."
        )

    def release(self) -> None:
        """Remove the lock file and drop the ``flock`` (idempotent)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                self.path.unlink()
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_fd(fd: int) -> str:
    try:
        return os.pread(fd, 4096, 0).decode("utf-8", "replace")
    except OSError:  # pragma: no cover
        return ""


@contextlib.contextmanager
def claim_run_directory(
    directory: str | Path,
    *,
    outputs: Sequence[str],
    resume: bool = False,
    force: bool = False,
) -> Iterator[RunLock]:
    """Own ``directory`` for one run: lock it, and refuse to overwrite a previous run silently.

    Parameters
    ----------
    directory : str or Path
        The run directory (created).
    outputs : sequence of str
        File names (glob patterns allowed) that a run of this kind writes. If any exists and
        neither ``resume`` nor ``force`` is set, the directory holds a previous run: refused.
    resume : bool
        Continue the run found in the directory.
    force : bool
        Delete the previous run's ``outputs`` first, then start afresh.

    Raises
    ------
    RunDirectoryError
        The directory is locked by a live run, or holds a previous run (without ``resume`` or
        ``force``); the message names the owner or the files and the remedy.
    ParameterError
        Both ``resume`` and ``force``.
    """
    if resume and force:
        raise ParameterError(
            "--resume and --force exclude each other: --resume continues the run in the "
            "directory, --force deletes it and starts afresh; give one of them."
        )
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise ParameterError(
            f"The run directory '{d}' is an existing file; give a directory for --out."
        )
    lock = RunLock(d)
    lock.acquire()
    try:
        # temporary files of atomic writes interrupted by a kill (".<name>.<pid>.tmp"): with
        # the lock held nobody else writes here, so they are leftovers
        for tmp in d.glob(".*.tmp"):
            if re.fullmatch(r"\..+\.\d+\.tmp", tmp.name) and tmp.is_file():
                tmp.unlink(missing_ok=True)
        found = sorted(
            {p for pattern in outputs for p in d.glob(pattern) if p.is_file()}, key=str
        )
        if found and not resume:
            if not force:
                names = ", ".join(p.name for p in found[:6]) + (" …" if len(found) > 6 else "")
                raise RunDirectoryError(
                    f"the run directory '{d}' already holds a run ({names}); continue it with "
                    "--resume, write to another --out, or overwrite it with --force."
                )
            for p in found:
                p.unlink(missing_ok=True)
        yield lock
    finally:
        lock.release()


@contextlib.contextmanager
def terminate_as_interrupt(signals: Sequence[int] = (signal.SIGTERM,)) -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`~thermolearn.errors.Terminated` (like Ctrl-C).

    Only the main thread can install signal handlers; elsewhere this does nothing. The
    previous handlers are restored on exit.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated(signum)

    old = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)

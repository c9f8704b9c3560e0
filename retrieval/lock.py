"""One writer at a time per data dir: an advisory lock file (``flock``) that names its holder.

Chroma's embedded store keeps each process's vector index in memory and writes it back to disk now and then,
so two processes writing at once overwrite each other's index files (the damage is permanent). Every write
(``Index.add``, ``add_text``, ``repair``) therefore holds ``<data dir>/index.lock`` exclusively. The holder
writes its pid, host, command and start time into the file, so a second writer can say whom it waits for.
The operating system drops a ``flock`` when its process exits, however it exits: a crashed or killed ingest
never leaves the index locked, and a stale holder note is simply overwritten by the next writer.

Readers never wait. They take the lock *shared*, and only if it is free at once, for the moment they reload
their view of the vector index from disk (see ``Index._refresh``); while a writer works they keep their
previous view.

In server mode the same lock is taken in the data dir: writers that share a data dir are serialised, writers
on other machines or with other data dirs are not (the Chroma server itself stays consistent).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from retrieval.errors import IndexLockedError, IndexUnavailableError

LOCK_FILE = "index.lock"
_POLL_S = 0.2  # how often a waiting writer tries again


@dataclass(frozen=True)
class LockHolder:
    """Who holds the writer lock, as the holder wrote it."""

    pid: int
    host: str
    command: str
    since: str

    def describe(self) -> str:
        """``pid 4242 on host-1 (newsbot ingest corpus), since 2024-05-01 12:00:03`` for a message."""
        return f"pid {self.pid} on {self.host} ({self.command}), since {self.since}"


def _this_process() -> LockHolder:
    command = (
        " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"
    )
    return LockHolder(
        pid=os.getpid(),
        host=socket.gethostname(),
        command=command[:200],
        since=datetime.now().isoformat(sep=" ", timespec="seconds"),
    )


class WriterLock:
    """The writer lock of one data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise IndexUnavailableError(
                f"cannot open the lock file {self.path} ({exc.strerror or type(exc).__name__}); "
                "check that the data dir (NEWSBOT_DATA_DIR) is writable"
            ) from exc

    def holder(self) -> LockHolder | None:
        """The holder noted in the lock file (None when nobody is noted or the note is unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "null")
            return LockHolder(**data) if isinstance(data, dict) else None
        except (OSError, ValueError, TypeError):
            return None

    @contextmanager
    def hold(
        self,
        *,
        wait_s: float | None = None,
        on_wait: Callable[[LockHolder | None], None] | None = None,
    ) -> Iterator[None]:
        """Hold the lock exclusively; wait up to ``wait_s`` seconds (None: as long as it takes).

        ``on_wait`` is called once, with the holder, when the lock is taken by someone else.
        Raises :class:`IndexLockedError` naming the holder when ``wait_s`` runs out.
        """
        fd = self._open()
        try:
            self._acquire(fd, wait_s, on_wait)
            try:
                _write_note(fd, json.dumps(_this_process().__dict__))
                yield
            finally:
                _write_note(fd, "")  # a reader or the next writer finds no stale note
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _acquire(
        self, fd: int, wait_s: float | None, on_wait: Callable[[LockHolder | None], None] | None
    ) -> None:
        deadline = None if wait_s is None else time.monotonic() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            holder = self.holder()
            if deadline is not None and time.monotonic() >= deadline:
                who = holder.describe() if holder else "another process"
                raise IndexLockedError(
                    f"the index in {self.path.parent} is being written by {who}; "
                    "try again when that ingest has finished"
                )
            if not told and on_wait is not None and holder is not None:
                on_wait(holder)
                told = True
            time.sleep(_POLL_S)

    @contextmanager
    def free_for_reading(self) -> Iterator[bool]:
        """Share the lock if no writer holds it, without waiting; yields whether it was free."""
        try:
            fd = self._open()
        except IndexUnavailableError:  # a read-only data dir: nobody can be writing through it
            yield True
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _write_note(fd: int, text: str) -> None:
    """Replace the holder note; the note only informs, so a full disk must not stop the writer over it."""
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("utf-8"), 0)
    except OSError:
        pass

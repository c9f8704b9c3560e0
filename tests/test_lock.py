"""The writer lock: one writer per data dir, a waiting writer says whom it waits for, a crash frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from store_support import NEWSBOT, newsbot, newsbot_env

from retrieval import Settings
from retrieval.errors import IndexLockedError
from retrieval.lock import WriterLock

HOLD = """
import sys
from pathlib import Path
from retrieval.lock import WriterLock
with WriterLock(Path(sys.argv[1])).hold():
    print("holding", flush=True)
    sys.stdin.read()  # until the test closes our stdin (or kills us)
"""


def _holder(data_dir: Path) -> subprocess.Popen[str]:
    """Another process that holds the lock until its stdin closes."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "holding\n"
    return process


def test_a_second_writer_is_told_who_holds_the_lock_and_a_crash_frees_it(tmp_path: Path) -> None:
    lock = WriterLock(tmp_path)
    holder = _holder(tmp_path)
    try:
        assert lock.holder() is not None and lock.holder().pid == holder.pid  # type: ignore[union-attr]
        told: list[str] = []
        with (
            pytest.raises(IndexLockedError, match=rf"pid {holder.pid} on .*\(-c"),
            lock.hold(wait_s=0.5, on_wait=lambda who: told.append(who.describe())),
        ):
            pass
        assert told and f"pid {holder.pid}" in told[0]
        with lock.free_for_reading() as free:
            assert not free, "a reader does not reload while a writer works"
    finally:
        holder.send_signal(signal.SIGKILL)  # dies holding the lock
        holder.wait()
    with lock.hold(wait_s=0):
        assert lock.holder() is not None and lock.holder().pid == os.getpid()  # type: ignore[union-attr]
    assert lock.holder() is None, "the note is cleared on release"
    with lock.free_for_reading() as free:
        assert free


def test_newsbot_ingest_waits_for_the_other_writer_then_ingests(
    tmp_path: Path, seeds_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    holder = _holder(settings.data_dir)
    ingest = subprocess.Popen(
        [str(NEWSBOT), "ingest", str(seeds_dir)],
        env=newsbot_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert ingest.stderr is not None
    waiting = ""
    while "waiting for another write" not in waiting:
        line = ingest.stderr.readline()
        assert line, f"ingest did not wait for the lock: {waiting}"
        waiting += line
    assert f"pid {holder.pid}" in waiting
    assert ingest.poll() is None, "still waiting"
    assert holder.stdin is not None
    holder.stdin.close()  # the other writer finishes
    holder.wait()
    out, err = ingest.communicate(timeout=600)
    assert ingest.returncode == 0, err
    assert "added 3" in out


def test_a_write_that_cannot_wait_says_who_holds_the_lock_in_one_line(
    tmp_path: Path, seeds_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    holder = _holder(settings.data_dir)
    try:
        result = newsbot(settings, "ingest", str(seeds_dir), NEWSBOT_LOCK_WAIT_S="0")
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: the index in") and f"pid {holder.pid}" in lines[-1], result.stderr
    assert "Traceback" not in result.stderr

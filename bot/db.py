"""The bot's small SQLite files in the data dir (safe for several bot processes sharing one data dir)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 10.0


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection in one transaction: committed on success, rolled back on error, always closed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    connection.row_factory = sqlite3.Row
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def create(path: Path, schema: str) -> None:
    """Create the file and its tables when missing; WAL lets readers and one writer work at once."""
    with connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.executescript(schema)

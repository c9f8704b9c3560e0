"""What was fetched before: validators for conditional requests and the listing stamp of each page.

One SQLite file under the data dir (``fetch.sqlite3``), rows keyed by collection and URL. A row is written
only after what it describes is committed to the index (a page's article, or every page of a feed), in
one transaction, so a crash leaves at worst a row missing: the next run fetches that URL in full again and
the ingest finds the article unchanged. A stale row cannot hide an article either: validators are only
sent for a page whose article the index still holds.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from retrieval.fetch import Validators

Kind = Literal["page", "feed", "sitemap"]
_SCHEMA = """
CREATE TABLE IF NOT EXISTS fetched (
    collection TEXT NOT NULL,
    url TEXT NOT NULL,          -- as asked for: a feed, a sitemap, a page link
    kind TEXT NOT NULL,         -- page | feed | sitemap
    article_key TEXT,           -- a page's key in the index (its canonical URL)
    etag TEXT,
    last_modified TEXT,
    fingerprint TEXT NOT NULL DEFAULT '',  -- the feed's or sitemap's date stamp for the page
    fetched_at REAL NOT NULL,
    PRIMARY KEY (collection, url)
)
"""


@dataclass(frozen=True)
class FetchRecord:
    """One URL fetched and dealt with."""

    url: str
    kind: Kind
    validators: Validators
    article_key: str | None = None
    fingerprint: str = ""


class FetchState:
    """The fetch records of one collection; open one per run and thread."""

    def __init__(self, path: Path, collection: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._collection = collection
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._db:
            self._db.execute(_SCHEMA)

    def get(self, url: str) -> FetchRecord | None:
        """The record of ``url``, or None when it was never dealt with."""
        row = self._db.execute(
            "SELECT kind, article_key, etag, last_modified, fingerprint FROM fetched"
            " WHERE collection = ? AND url = ?",
            (self._collection, url),
        ).fetchone()
        if row is None:
            return None
        kind, article_key, etag, last_modified, fingerprint = row
        return FetchRecord(url, kind, Validators(etag, last_modified), article_key, fingerprint)

    def put(self, records: Iterable[FetchRecord]) -> None:
        """Save records, all or none."""
        now = time.time()
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO fetched VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        self._collection,
                        r.url,
                        r.kind,
                        r.article_key,
                        r.validators.etag,
                        r.validators.last_modified,
                        r.fingerprint,
                        now,
                    )
                    for r in records
                ],
            )

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def state_path(data_dir: Path) -> Path:
    """Where the fetch records live."""
    return data_dir / "fetch.sqlite3"

"""The one exception tree of newsbot; every message says what to do next.

NewsbotError
├── ConfigError            settings that cannot work (bad port, missing model, ...)
├── IngestError            an input that could not be loaded (carried as a skip, not raised, in bulk ingest)
│   └── FetchError         a URL that could not be fetched (404, timeout, robots.txt, too large, ...)
├── IndexUnavailableError  the store cannot be opened or reached (Chroma server down, unreadable folder)
│   ├── IndexLockedError   another process is writing to the index and did not finish in time
│   ├── IndexDamagedError  the vector index no longer matches its chunks: `newsbot repair` rebuilds it
│   └── StorageFullError   the disk holding the index is full
├── QueryError             a question or search that cannot be run (empty, too long, not text)
└── LLMError               the configured language model endpoint failed
    └── LLMTimeoutError
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base of every error newsbot raises on purpose."""


class ConfigError(NewsbotError):
    """The settings cannot work as given."""


class IngestError(NewsbotError):
    """An input could not be loaded."""


class FetchError(IngestError):
    """A URL could not be fetched; ``retryable`` when trying again later may work (a timeout, a 503)."""

    def __init__(self, reason: str, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class IndexUnavailableError(NewsbotError):
    """The index cannot be opened or reached."""


class IndexLockedError(IndexUnavailableError):
    """Another process holds the index's writer lock."""


class IndexDamagedError(IndexUnavailableError):
    """The stored vectors are damaged; the articles' manifest is intact and can rebuild them."""


class StorageFullError(IndexUnavailableError):
    """The disk holding the index has no space left."""


class QueryError(NewsbotError):
    """A question or search cannot be run as given."""


class LLMError(NewsbotError):
    """The configured language model endpoint failed."""


class LLMTimeoutError(LLMError):
    """The language model endpoint did not answer in time."""

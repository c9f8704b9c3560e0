"""newsbot's retrieval library: load news articles, index them in Chroma, search them, answer with citations.

>>> from retrieval import Settings, open_index
>>> index = open_index(Settings(data_dir="newsbot-data"))
>>> index.add(["seeds"])
>>> index.search("Who leads Finland's government?", k=3)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrieval.answering import AnswerEngine, build_engine
    from retrieval.config import Settings
    from retrieval.conversation import Conversation
    from retrieval.errors import (
        ConfigError,
        IndexDamagedError,
        IndexLockedError,
        IndexUnavailableError,
        IngestError,
        LLMError,
        LLMTimeoutError,
        NewsbotError,
        QueryError,
        StorageFullError,
    )
    from retrieval.index import Index, open_index
    from retrieval.types import (
        Answer,
        Article,
        ArticleMeta,
        Chunk,
        Citation,
        Hit,
        IndexStats,
        IngestReport,
        SearchFilters,
        SkippedFile,
        Trace,
        TracedSentence,
        to_dict,
        to_json,
    )

# Each public name is imported from its module on first use: `import retrieval.cli` (and so `newsbot --help`,
# `stats`, `search`) does not load the answering engine and what it imports.
_HOMES: dict[str, str] = {
    name: module
    for module, names in {
        "retrieval.answering": (
            "AnswerEngine",
            "build_engine",
        ),
        "retrieval.config": ("Settings",),
        "retrieval.conversation": ("Conversation",),
        "retrieval.errors": (
            "ConfigError",
            "IndexDamagedError",
            "IndexLockedError",
            "IndexUnavailableError",
            "IngestError",
            "LLMError",
            "LLMTimeoutError",
            "NewsbotError",
            "QueryError",
            "StorageFullError",
        ),
        "retrieval.index": (
            "Index",
            "open_index",
        ),
        "retrieval.types": (
            "Answer",
            "Article",
            "ArticleMeta",
            "Chunk",
            "Citation",
            "Hit",
            "IndexStats",
            "IngestReport",
            "SearchFilters",
            "SkippedFile",
            "Trace",
            "TracedSentence",
            "to_dict",
            "to_json",
        ),
    }.items()
    for name in names
}

__all__ = [
    "Answer",
    "AnswerEngine",
    "Article",
    "ArticleMeta",
    "Chunk",
    "Citation",
    "ConfigError",
    "Conversation",
    "Hit",
    "Index",
    "IndexDamagedError",
    "IndexLockedError",
    "IndexStats",
    "IndexUnavailableError",
    "IngestError",
    "IngestReport",
    "LLMError",
    "LLMTimeoutError",
    "NewsbotError",
    "QueryError",
    "SearchFilters",
    "Settings",
    "SkippedFile",
    "StorageFullError",
    "Trace",
    "TracedSentence",
    "build_engine",
    "open_index",
    "to_dict",
    "to_json",
]


def __getattr__(name: str) -> Any:
    """The public name ``name``, imported from its module the first time it is asked for."""
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])

"""newsbot's retrieval library: load news articles, index them in Chroma, search them, answer with citations.

>>> from retrieval import Settings, open_index
>>> index = open_index(Settings(data_dir="newsbot-data"))
>>> index.add(["seeds"])
>>> index.search("Who leads Finland's government?", k=3)
"""

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

"""The objects every handler shares, built once in ``post_init`` and kept in ``application.bot_data``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from telegram.ext import ContextTypes

from bot.access import AccessPolicy, RateLimiter
from bot.feedback import FeedbackStore
from bot.follow_store import FollowStore
from bot.state import ConversationStore
from retrieval.config import Settings
from retrieval.types import Answer, Article, IndexStats, IngestReport, SkippedFile

SERVICES_KEY = "newsbot"
T = TypeVar("T")


class ArticleIndex(Protocol):
    """What the bot uses of :class:`retrieval.Index`."""

    def generation(self) -> int: ...
    def add(self, paths: Sequence[Path | str], *, prune: bool = ...) -> IngestReport: ...
    def add_text(
        self, text: str, *, title: str | None = ..., file_name: str | None = ...
    ) -> IngestReport: ...
    def add_articles(self, items: Sequence[Article | SkippedFile]) -> IngestReport: ...
    def article_keys(self) -> frozenset[str]: ...
    def stats(self) -> IndexStats: ...
    def chunk_count(self, article_id: str) -> int: ...
    def close(self) -> None: ...


class Engine(Protocol):
    """What the bot uses of :class:`retrieval.AnswerEngine`."""

    def ask(
        self, question: str, conversation: Any = ..., *, on_text: Callable[[str], None] | None = ...
    ) -> Answer: ...


def bot_dir(settings: Settings) -> Path:
    """Where the bot keeps its state, feedback and uploaded articles."""
    return settings.data_dir / "bot"


@dataclass
class Services:
    """Settings, index, engine and the bot's own stores; one per Application."""

    settings: Settings
    index: ArticleIndex
    engine: Engine
    conversations: ConversationStore
    feedback: FeedbackStore
    follows: FollowStore
    access: AccessPolicy
    limiter: RateLimiter
    executor: ThreadPoolExecutor  # the engine and the index are synchronous and CPU-bound
    owns_index: bool = False
    ingest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    chat_locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    @property
    def uploads_dir(self) -> Path:
        """Where documents sent by admins are saved before they are ingested."""
        return bot_dir(self.settings) / "uploads"

    def chat_lock(self, chat_id: int) -> asyncio.Lock:
        """One lock per chat: a chat's questions are answered in order, other chats in parallel."""
        return self.chat_locks.setdefault(chat_id, asyncio.Lock())

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work on the bounded worker pool so the event loop stays responsive."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, partial(function, *args, **kwargs))


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared objects of the application a handler runs in."""
    found = context.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("the bot's services are missing: build the app with bot.app.build_application")
    return found

"""Per-chat conversation state, written through to SQLite: follow-ups survive restarts and work when
several bot processes (webhook mode behind a load balancer) share one data dir."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Protocol, Self

from bot.db import connect, create

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    chat_id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    updated REAL NOT NULL
);
"""


class ConversationLike(Protocol):
    """What the bot needs of :class:`retrieval.Conversation`."""

    def add(self, answer: Any) -> Self: ...
    def to_dict(self) -> dict[str, Any]: ...
    def last_search(self) -> tuple[str, tuple[str, ...]] | None: ...


class ConversationType(Protocol):
    """The class itself: an empty one, or one rebuilt from ``to_dict()``."""

    def __call__(self) -> ConversationLike: ...
    def from_dict(self, data: dict[str, Any]) -> ConversationLike: ...


class ConversationStore:
    """One conversation per chat id, stored as its ``to_dict()`` JSON."""

    def __init__(self, path: Path, conversation_type: ConversationType) -> None:
        self.path = path
        self._type = conversation_type
        create(path, _SCHEMA)

    def empty(self) -> ConversationLike:
        """A new, empty conversation."""
        return self._type()

    def load(self, chat_id: int) -> ConversationLike:
        """The chat's conversation (empty when none is stored or it cannot be read)."""
        with connect(self.path) as db:
            row = db.execute("SELECT state FROM conversations WHERE chat_id = ?", (chat_id,)).fetchone()
        if row is None:
            return self._type()
        try:
            return self._type.from_dict(json.loads(row["state"]))
        except (ValueError, TypeError, KeyError):  # written by an older, incompatible version
            return self._type()

    def save(self, chat_id: int, conversation: ConversationLike) -> None:
        """Replace the chat's stored conversation."""
        state = json.dumps(conversation.to_dict(), ensure_ascii=False, default=str)
        with connect(self.path) as db:
            db.execute(
                "INSERT INTO conversations (chat_id, state, updated) VALUES (?, ?, ?) "
                "ON CONFLICT(chat_id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
                (chat_id, state, time.time()),
            )

    def clear(self, chat_id: int) -> bool:
        """Forget the chat's conversation; True when there was one."""
        with connect(self.path) as db:
            return db.execute("DELETE FROM conversations WHERE chat_id = ?", (chat_id,)).rowcount > 0

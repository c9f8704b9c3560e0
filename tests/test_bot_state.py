"""bot/state.py: per-chat conversations survive a new store (a restarted bot) and /reset."""

from __future__ import annotations

from pathlib import Path

from bot.db import connect
from bot.state import ConversationStore
from retrieval.conversation import Conversation
from retrieval.types import Answer


def test_conversations_persist_per_chat(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = ConversationStore(path, Conversation)
    store.save(1, Conversation().add(Answer("Who leads Finland?", "Sanna Marin [1].")))
    store.save(2, Conversation().add(Answer("Sweden?", "Yes.")))
    again = ConversationStore(path, Conversation)  # as after a restart
    restored = again.load(1)
    assert isinstance(restored, Conversation)
    assert [t.question for t in restored.turns] == ["Who leads Finland?"]
    assert "Finland" in restored.resolve("And what did she say?")
    assert again.clear(1) and not again.clear(1)
    assert again.load(1) == Conversation()
    assert [t.question for t in again.load(2).turns] == ["Sweden?"]  # type: ignore[attr-defined]


def test_unreadable_state_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    store = ConversationStore(path, Conversation)
    with connect(path) as db:
        db.execute("INSERT INTO conversations VALUES (5, 'not json', 0)")
    assert store.load(5) == Conversation()

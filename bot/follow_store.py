"""Followed questions in SQLite under the data dir, per chat, like conversations: they survive restarts, are
bounded per chat, and keep the fingerprint of the last answer the chat saw, so a change is noticed across
restarts. The ``newsbot follow`` CLI keeps its follows in the same file, as chat :data:`CLI_CHAT`.

:func:`answer_again` is the one re-check both the bot and the CLI run: each followed question answered once
more, with no conversation (a saved question stands alone), and compared with what was seen before.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.db import connect, create
from retrieval.follows import Change, Fingerprint, what_changed
from retrieval.types import Answer

CLI_CHAT = 0  # no Telegram chat has id 0
FILE_NAME = "follows.sqlite3"  # in the bot's folder of the data dir
CLAIM_LEASE_S = 900.0  # how long one process's check may take before another may take it over
AddStatus = Literal["added", "full", "known"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL,
    user_id INTEGER,
    question TEXT NOT NULL,
    fingerprint TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS follows_by_chat ON follows (chat_id, id);
CREATE TABLE IF NOT EXISTS follow_checks (
    name TEXT PRIMARY KEY,
    generation INTEGER,
    claim_owner TEXT,
    claim_until REAL
);
"""


def same_question(a: str, b: str) -> bool:
    """True when two questions differ only in case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass(frozen=True)
class Follow:
    """One followed question of one chat; ``seen`` is the last answer the chat was shown (None: none yet)."""

    follow_id: int
    chat_id: int
    user_id: int | None
    question: str
    seen: Fingerprint | None


@dataclass(frozen=True)
class Recheck:
    """A followed question answered again: the new answer and what it adds (None: nothing to tell)."""

    follow: Follow
    answer: Answer
    change: Change | None


def _seen(raw: str | None) -> Fingerprint | None:
    if raw is None:
        return None
    try:
        return Fingerprint.from_json(raw)
    except (ValueError, KeyError, TypeError):  # written by an incompatible version: start afresh
        return None


def _follow(row: sqlite3.Row) -> Follow:
    return Follow(row["id"], row["chat_id"], row["user_id"], row["question"], _seen(row["fingerprint"]))


class FollowStore:
    """The follows of every chat (and of the CLI) in one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.owner = uuid.uuid4().hex  # names this process's claims on a check
        create(path, _SCHEMA)

    def following(self, chat_id: int) -> list[Follow]:
        """The chat's follows, oldest first (their 1-based positions are what /unfollow takes)."""
        with connect(self.path) as db:
            rows = db.execute("SELECT * FROM follows WHERE chat_id = ? ORDER BY id", (chat_id,)).fetchall()
        return [_follow(r) for r in rows]

    def chat_follows(self) -> list[Follow]:
        """Every Telegram chat's follows (not the CLI's), oldest first."""
        with connect(self.path) as db:
            rows = db.execute("SELECT * FROM follows WHERE chat_id != ? ORDER BY id", (CLI_CHAT,)).fetchall()
        return [_follow(r) for r in rows]

    def add(
        self,
        chat_id: int,
        question: str,
        seen: Fingerprint | None,
        *,
        limit: int,
        user_id: int | None = None,
    ) -> tuple[AddStatus, Follow | None]:
        """Follow ``question`` in the chat: "added" (and the follow), "known" (already followed: that one),
        or "full" (the chat already follows ``limit`` questions)."""
        with connect(self.path) as db:
            db.execute("BEGIN IMMEDIATE")  # count and insert as one step, even across processes
            rows = db.execute("SELECT * FROM follows WHERE chat_id = ? ORDER BY id", (chat_id,)).fetchall()
            for row in rows:
                if same_question(row["question"], question):
                    return "known", _follow(row)
            if len(rows) >= limit:
                return "full", None
            cursor = db.execute(
                "INSERT INTO follows (chat_id, user_id, question, fingerprint, created) VALUES (?, ?, ?, ?, ?)",
                (chat_id, user_id, question, seen.to_json() if seen else None, time.time()),
            )
            follow_id = int(cursor.lastrowid or 0)
        return "added", Follow(follow_id, chat_id, user_id, question, seen)

    def remove(self, chat_id: int, position: int) -> Follow | None:
        """Stop the chat's follow number ``position`` (1-based, as listed); None when there is no such one."""
        found = self.following(chat_id)
        if not 1 <= position <= len(found):
            return None
        follow = found[position - 1]
        with connect(self.path) as db:
            gone = db.execute("DELETE FROM follows WHERE id = ?", (follow.follow_id,)).rowcount
        return follow if gone else None

    def remove_all(self, chat_id: int) -> int:
        """Stop every follow of the chat; how many there were."""
        with connect(self.path) as db:
            return db.execute("DELETE FROM follows WHERE chat_id = ?", (chat_id,)).rowcount

    def remember(self, follow_id: int, seen: Fingerprint) -> None:
        """Store the answer the chat has now been shown (a follow removed meanwhile stays removed)."""
        with connect(self.path) as db:
            db.execute("UPDATE follows SET fingerprint = ? WHERE id = ?", (seen.to_json(), follow_id))

    def checked_generation(self, name: str = "bot") -> int | None:
        """The index generation the follows were last checked at (None: never)."""
        with connect(self.path) as db:
            row = db.execute("SELECT generation FROM follow_checks WHERE name = ?", (name,)).fetchone()
        return int(row["generation"]) if row and row["generation"] is not None else None

    def claim_check(self, generation: int, *, lease_s: float = CLAIM_LEASE_S, name: str = "bot") -> bool:
        """Claim the check of this index generation for this process; False when it was checked already or
        another bot process sharing the data dir is checking (so a chat is told once, not once per process).
        A claim not finished within ``lease_s`` (its process died) may be taken over."""
        now = time.time()
        with connect(self.path) as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT * FROM follow_checks WHERE name = ?", (name,)).fetchone()
            if row is not None:
                if row["generation"] == generation:
                    return False
                held = row["claim_owner"] not in (None, self.owner)
                if held and (row["claim_until"] or 0.0) > now:
                    return False
            db.execute(
                "INSERT INTO follow_checks (name, claim_owner, claim_until) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET claim_owner = excluded.claim_owner, "
                "claim_until = excluded.claim_until",
                (name, self.owner, now + lease_s),
            )
        return True

    def finish_check(self, generation: int, *, done: bool, name: str = "bot") -> None:
        """Give up this process's claim; ``done``: every follow was checked against ``generation``."""
        with connect(self.path) as db:
            db.execute(
                "UPDATE follow_checks SET claim_owner = NULL, claim_until = NULL, "
                "generation = CASE WHEN ? THEN ? ELSE generation END WHERE name = ? AND claim_owner = ?",
                (done, generation, name, self.owner),
            )


def answer_again(follows: Sequence[Follow], ask: Callable[[str], Answer]) -> list[Recheck]:
    """Answer each followed question again (each distinct question once) and say what changed for each."""
    answers: dict[str, Answer] = {}
    found = []
    for follow in follows:
        key = " ".join(follow.question.split()).casefold()
        if key not in answers:
            answers[key] = ask(follow.question)
        answer = answers[key]
        found.append(Recheck(follow, answer, what_changed(follow.seen, answer)))
    return found

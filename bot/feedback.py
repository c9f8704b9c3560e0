"""Answers the bot gave and the 👍/👎 votes on them, in SQLite in the data dir; exported as JSON lines or CSV."""

from __future__ import annotations

import csv
import json
import secrets
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from bot.db import connect, create
from retrieval.types import Answer, to_dict

Vote = Literal["up", "down"]
VOTES: tuple[Vote, ...] = ("up", "down")
UNRATED_KEPT_DAYS = 30  # answers nobody voted on are forgotten after this long
EXPORT_FIELDS = ("time", "vote", "question", "answer", "citations", "abstained", "mode", "answered_at",
                 "answer_id", "chat_id", "user_id")  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    answered REAL NOT NULL,
    chat_id INTEGER NOT NULL,
    user_id INTEGER,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    mode TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL REFERENCES answers(answer_id),
    user_id INTEGER NOT NULL,
    vote TEXT NOT NULL,
    voted REAL NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
"""


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """Append answers, upsert one vote per user and answer, export the votes with what they rate."""

    def __init__(self, path: Path) -> None:
        self.path = path
        create(path, _SCHEMA)

    def record_answer(self, answer: Answer, *, chat_id: int, user_id: int | None) -> str:
        """Remember an answer so a later vote can refer to it; returns its short id."""
        answer_id = secrets.token_hex(6)
        citations = json.dumps([to_dict(c) for c in answer.citations], ensure_ascii=False)
        with connect(self.path) as db:
            db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (answer_id, time.time(), chat_id, user_id, answer.question, answer.text, citations,
                 int(answer.abstained), answer.mode),
            )  # fmt: skip
        return answer_id

    def vote(self, answer_id: str, *, user_id: int, vote: Vote) -> bool:
        """Store (or change) a user's vote on an answer; False when the answer is unknown."""
        with connect(self.path) as db:
            if db.execute("SELECT 1 FROM answers WHERE answer_id = ?", (answer_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT INTO votes VALUES (?, ?, ?, ?) ON CONFLICT(answer_id, user_id) "
                "DO UPDATE SET vote = excluded.vote, voted = excluded.voted",
                (answer_id, user_id, vote, time.time()),
            )
        return True

    def prune(self, *, older_than_days: float = UNRATED_KEPT_DAYS) -> int:
        """Forget old answers nobody voted on; returns how many."""
        cutoff = time.time() - older_than_days * 86_400
        with connect(self.path) as db:
            return db.execute(
                "DELETE FROM answers WHERE answered < ? AND answer_id NOT IN (SELECT answer_id FROM votes)",
                (cutoff,),
            ).rowcount

    def export(self) -> Iterator[dict[str, Any]]:
        """Every vote, oldest first, with the question, answer and citations it rates."""
        with connect(self.path) as db:
            rows = db.execute(
                "SELECT v.vote, v.voted, v.user_id, a.answer_id, a.answered, a.chat_id, a.question, "
                "a.answer, a.citations, a.abstained, a.mode FROM votes v JOIN answers a USING (answer_id) "
                "ORDER BY v.voted, a.answer_id"
            ).fetchall()
        for row in rows:
            yield {
                "time": _iso(row["voted"]),
                "vote": row["vote"],
                "question": row["question"],
                "answer": row["answer"],
                "citations": json.loads(row["citations"]),
                "abstained": bool(row["abstained"]),
                "mode": row["mode"],
                "answered_at": _iso(row["answered"]),
                "answer_id": row["answer_id"],
                "chat_id": row["chat_id"],
                "user_id": row["user_id"],
            }


def csv_cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: text that would start a formula gets a leading apostrophe.

    Questions and answers come from chat users; ``=HYPERLINK(...)`` must stay text, not become a live formula.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: Iterable[dict[str, Any]], stream: TextIO) -> None:
    """Exported votes as CSV (citations as a JSON cell), every text cell neutralised."""
    writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        cells = {**row, "citations": json.dumps(row["citations"], ensure_ascii=False)}
        writer.writerow({name: csv_cell(value) for name, value in cells.items()})

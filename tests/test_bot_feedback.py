"""bot/feedback.py: answers and votes stored in the data dir, exported with what they rate."""

from __future__ import annotations

from pathlib import Path

from bot.feedback import FeedbackStore
from retrieval.types import Answer, Citation


def answer(question: str) -> Answer:
    cite = Citation(1, "a1", "a.txt", "Title", f"quote about {question}", 0, 10)
    return Answer(question, f"Answer to {question} [1]", (cite,), mode="extractive")


def test_votes_are_exported_with_question_answer_and_citations(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    first = store.record_answer(answer("Who?"), chat_id=1, user_id=11)
    second = store.record_answer(answer("When?"), chat_id=2, user_id=22)
    store.record_answer(answer("Unrated?"), chat_id=3, user_id=33)
    assert store.vote(first, user_id=11, vote="up")
    assert store.vote(second, user_id=22, vote="down")
    rows = list(FeedbackStore(tmp_path / "fb.sqlite3").export())  # a second process reads the same file
    assert [(r["question"], r["vote"], r["chat_id"], r["user_id"]) for r in rows] == [
        ("Who?", "up", 1, 11),
        ("When?", "down", 2, 22),
    ]
    assert rows[0]["answer"] == "Answer to Who? [1]"
    assert rows[0]["citations"][0]["quote"] == "quote about Who?"
    assert rows[0]["time"].endswith("+00:00") and rows[0]["mode"] == "extractive"


def test_a_user_changes_their_vote_and_unknown_answers_are_refused(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    answer_id = store.record_answer(answer("Why?"), chat_id=1, user_id=11)
    store.vote(answer_id, user_id=11, vote="up")
    store.vote(answer_id, user_id=11, vote="down")
    store.vote(answer_id, user_id=12, vote="up")
    assert sorted((r["user_id"], r["vote"]) for r in store.export()) == [(11, "down"), (12, "up")]
    assert not store.vote("nope", user_id=11, vote="up")


def test_prune_forgets_only_old_unrated_answers(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    rated = store.record_answer(answer("a"), chat_id=1, user_id=1)
    store.record_answer(answer("b"), chat_id=1, user_id=1)
    store.vote(rated, user_id=1, vote="up")
    assert store.prune(older_than_days=1) == 0  # nothing is old yet
    assert store.prune(older_than_days=-1) == 1  # everything is "old": only the unrated one goes
    assert [r["question"] for r in store.export()] == ["a"]

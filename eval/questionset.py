"""Load and validate question sets: ``questions.jsonl`` and ``conversations.jsonl``.

A question line is ``{"id", "question", "answers"?, "answers_all"?, "sources", "type", "unanswerable",
"asked_on"?}`` (``asked_on``, ``YYYY-MM-DD``: the day the question is asked, which "last week" is read from);
an answerable question needs ``answers`` (any one must appear) or ``answers_all`` (each must appear), an
unanswerable one must have neither. A conversation line is ``{"id", "turns": [turn, ...]}`` whose turns
take the same keys but ``id`` and ``type`` (turn 1 is typed ``conversation``, later ones ``follow_up``).
Every problem is reported as ``file:line: what is wrong``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_QUESTIONS = _PACKAGE_DIR / "questions.jsonl"
DEFAULT_CONVERSATIONS = _PACKAGE_DIR / "conversations.jsonl"

FIRST_TURN_TYPE = "conversation"
FOLLOW_UP_TYPE = "follow_up"
_QUESTION_KEYS = frozenset(
    {"id", "question", "answers", "answers_all", "sources", "type", "unanswerable", "asked_on"}
)
_TURN_KEYS = _QUESTION_KEYS - {"id", "type"}


class QuestionSetError(ValueError):
    """A question set that cannot be used as written; the message names the file and line."""


@dataclass(frozen=True)
class EvalQuestion:
    """One question with what counts as a right answer and which articles hold it."""

    id: str
    question: str
    type: str
    answers: tuple[str, ...] = ()
    answers_all: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    unanswerable: bool = False
    conversation_id: str | None = None  # set on the turns of a conversation case
    turn: int | None = None  # 1-based
    asked_on: date | None = None  # the day the question is asked (None: today)


@dataclass(frozen=True)
class ConversationCase:
    """A multi-turn case: each turn is asked with the conversation so far."""

    id: str
    turns: tuple[EvalQuestion, ...]


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise QuestionSetError(f"{where}: {key!r} must be a list of non-empty strings")
    return tuple(value)


def _question(data: Any, where: str, *, allowed: frozenset[str], defaults: dict[str, Any]) -> EvalQuestion:
    """Build one question from a decoded JSON object, checking keys and types."""
    if not isinstance(data, dict):
        raise QuestionSetError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise QuestionSetError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    fields = {**defaults, **data}
    for key in ("id", "question", "type"):
        if not isinstance(fields.get(key), str) or not fields[key].strip():
            raise QuestionSetError(f"{where}: {key!r} must be a non-empty string")
    unanswerable = fields.get("unanswerable", False)
    if not isinstance(unanswerable, bool):
        raise QuestionSetError(f"{where}: 'unanswerable' must be true or false")
    answers = _strings(fields.get("answers"), "answers", where)
    answers_all = _strings(fields.get("answers_all"), "answers_all", where)
    sources = _strings(fields.get("sources"), "sources", where)
    asked_on = fields.get("asked_on")
    if asked_on is not None:
        try:
            asked_on = date.fromisoformat(asked_on) if isinstance(asked_on, str) else None
        except ValueError:
            asked_on = None
        if asked_on is None:
            raise QuestionSetError(f"{where}: 'asked_on' must be a date written YYYY-MM-DD")
    if unanswerable and (answers or answers_all or sources):
        raise QuestionSetError(f"{where}: an unanswerable question takes no answers, answers_all or sources")
    if not unanswerable and not (answers or answers_all):
        raise QuestionSetError(f"{where}: an answerable question needs 'answers' or 'answers_all'")
    return EvalQuestion(
        id=fields["id"],
        question=fields["question"],
        type=fields["type"],
        answers=answers,
        answers_all=answers_all,
        sources=sources,
        unanswerable=unanswerable,
        conversation_id=fields.get("conversation_id"),
        turn=fields.get("turn"),
        asked_on=asked_on,
    )


def _json_lines(path: Path) -> list[tuple[str, Any]]:
    """``(where, decoded object)`` for every non-blank line of ``path``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QuestionSetError(f"{path}: cannot read the question set ({exc.strerror or exc})") from exc
    decoded: list[tuple[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            decoded.append((where, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    return decoded


def _check_unique(ids: list[tuple[str, str]], path: Path) -> None:
    seen: dict[str, str] = {}
    for where, item_id in ids:
        if item_id in seen:
            raise QuestionSetError(f"{where}: duplicate id {item_id!r} (first at {seen[item_id]})")
        seen[item_id] = where
    if not seen:
        raise QuestionSetError(f"{path}: the question set is empty")


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a ``questions.jsonl`` file; raises :class:`QuestionSetError` naming the bad line."""
    questions: list[tuple[str, EvalQuestion]] = []
    for where, data in _json_lines(path):
        questions.append((where, _question(data, where, allowed=_QUESTION_KEYS, defaults={})))
    _check_unique([(where, question.id) for where, question in questions], path)
    return [question for _, question in questions]


def load_conversations(path: Path) -> list[ConversationCase]:
    """Read a ``conversations.jsonl`` file; raises :class:`QuestionSetError` naming the bad line."""
    cases: list[tuple[str, ConversationCase]] = []
    for where, data in _json_lines(path):
        if not isinstance(data, dict) or set(data) != {"id", "turns"}:
            raise QuestionSetError(f"{where}: a conversation is an object with exactly 'id' and 'turns'")
        case_id, raw_turns = data["id"], data["turns"]
        if not isinstance(case_id, str) or not case_id.strip():
            raise QuestionSetError(f"{where}: 'id' must be a non-empty string")
        if not isinstance(raw_turns, list) or len(raw_turns) < 2:
            raise QuestionSetError(f"{where}: 'turns' must be a list of at least two turns")
        turns = []
        for number, raw_turn in enumerate(raw_turns, start=1):
            defaults = {
                "id": f"{case_id}#{number}",
                "type": FIRST_TURN_TYPE if number == 1 else FOLLOW_UP_TYPE,
                "conversation_id": case_id,
                "turn": number,
            }
            turns.append(_question(raw_turn, f"{where} turn {number}", allowed=_TURN_KEYS, defaults=defaults))
        cases.append((where, ConversationCase(id=case_id, turns=tuple(turns))))
    _check_unique([(where, case.id) for where, case in cases], path)
    return [case for _, case in cases]

"""The bundled question set and its loader: the set must stay true to the seed articles."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from eval.metrics import contains, normalise
from eval.questionset import (
    DEFAULT_CONVERSATIONS,
    DEFAULT_QUESTIONS,
    FOLLOW_UP_TYPE,
    EvalQuestion,
    QuestionSetError,
    load_conversations,
    load_questions,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
ARTICLES = {path.name: path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))}
QUESTIONS = load_questions(DEFAULT_QUESTIONS)
CONVERSATIONS = load_conversations(DEFAULT_CONVERSATIONS)
TURNS = [turn for case in CONVERSATIONS for turn in case.turns]
HELDOUT = load_questions(Path(__file__).resolve().parent.parent / "eval" / "heldout.jsonl")
# Words that make an unanswerable question "near-topic": it is about what the articles cover.
NEAR_TOPIC = re.compile(
    r"nato|finland|finnish|sweden|swedish|russia|ukrain|kharkiv|turkey|stoltenberg|marin|cst|estonia|norw"
    r"|denmark|australia",
    re.IGNORECASE,
)
_STOPWORD_TEXT = (
    "the a an of to in on at for and or is are was were did does do which what who how many much when "
    "where why with by from that this their its his her be has have had now would could into as it they "
    "he she than more most only two"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def test_the_set_is_large_enough_and_covers_every_type() -> None:
    counts = Counter(question.type for question in QUESTIONS)
    assert len(QUESTIONS) >= 80
    for question_type in ("who", "what", "when", "how_many", "list", "why", "where"):
        assert counts[question_type] >= 5, question_type
    assert counts["paraphrase"] >= 15
    assert counts["multi_article"] >= 5
    assert counts["unanswerable"] >= 15


def test_unanswerable_flag_matches_type_and_has_nothing_expected() -> None:
    for question in QUESTIONS:
        assert question.unanswerable == (question.type == "unanswerable"), question.id
        if question.unanswerable:
            assert not (question.answers or question.answers_all or question.sources), question.id


def test_most_unanswerable_questions_are_near_topic() -> None:
    unanswerable = [q for q in QUESTIONS if q.unanswerable]
    near = [q for q in unanswerable if NEAR_TOPIC.search(q.question)]
    assert len(near) >= 0.75 * len(unanswerable), [q.question for q in unanswerable if q not in near]


def test_sources_are_seed_articles() -> None:
    for question in [*QUESTIONS, *TURNS, *HELDOUT]:
        assert set(question.sources) <= set(ARTICLES), question.id
        assert question.unanswerable or question.sources, question.id


def _expected(question: EvalQuestion) -> list[str]:
    return [*question.answers, *question.answers_all]


@pytest.mark.parametrize("question", [*QUESTIONS, *TURNS, *HELDOUT], ids=lambda q: q.id)
def test_every_expected_answer_is_in_one_of_its_source_articles(question: EvalQuestion) -> None:
    for expected in _expected(question):
        found_in = [name for name in question.sources if contains(ARTICLES[name], expected)]
        assert found_in, f"{question.id}: {expected!r} is not in {question.sources}"


def test_multi_article_questions_need_every_listed_source() -> None:
    """No single source article holds every ``answers_all`` item, so each needs two articles."""
    multi = [q for q in QUESTIONS if q.type == "multi_article"]
    for question in multi:
        assert len(question.sources) >= 2 and question.answers_all, question.id
        for name in question.sources:
            missing = [e for e in question.answers_all if not contains(ARTICLES[name], e)]
            assert missing, f"{question.id}: {name} alone answers it"


def _answer_sentences(question: EvalQuestion) -> str:
    sentences = []
    for name in question.sources:
        for sentence in re.split(r"(?<=[.!?”\"])\s+|\n+", ARTICLES[name]):
            if any(contains(sentence, expected) for expected in _expected(question)):
                sentences.append(sentence)
    return normalise(" ".join(sentences))


def test_paraphrases_share_few_words_with_the_answer_sentence() -> None:
    paraphrases = [q for q in QUESTIONS if q.type == "paraphrase"]
    for question in paraphrases:
        words = [w for w in normalise(question.question).split() if w not in _STOPWORDS and len(w) > 2]
        vocabulary = set(_answer_sentences(question).split())
        assert vocabulary, question.id
        shared = [word for word in words if word in vocabulary]
        assert len(shared) <= 0.4 * len(words), f"{question.id} shares {shared}"


def test_conversations_have_follow_ups() -> None:
    assert len(CONVERSATIONS) >= 5
    for case in CONVERSATIONS:
        assert len(case.turns) >= 2, case.id
        assert [turn.turn for turn in case.turns] == list(range(1, len(case.turns) + 1))
        assert all(turn.type == FOLLOW_UP_TYPE for turn in case.turns[1:])
        assert all(turn.conversation_id == case.id for turn in case.turns)


def test_ids_are_unique_across_questions_and_turns() -> None:
    ids = [question.id for question in [*QUESTIONS, *TURNS]]
    assert len(ids) == len(set(ids))


# --- the loader's errors -----------------------------------------------------------------------------


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"id": "q1", "question": "Who?", "answers": ["X"], "sources": ["a.txt"], "type": "who"})


def test_loader_reads_optional_fields_with_defaults(tmp_path: Path) -> None:
    [question] = load_questions(_write(tmp_path, GOOD, ""))
    assert question == EvalQuestion(id="q1", question="Who?", type="who", answers=("X",), sources=("a.txt",))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "q2", "question": ', "not valid JSON"),
        ('["q2"]', "expected a JSON object"),
        ('{"id": "q2", "question": "Who?", "type": "who", "answers": ["X"], "colour": 1}', "unknown key"),
        ('{"id": "q2", "question": "Who?", "type": "who"}', "needs 'answers' or 'answers_all'"),
        ('{"id": "q2", "question": "", "type": "who", "answers": ["X"]}', "'question' must be"),
        ('{"id": "q2", "question": "Who?", "type": "who", "answers": "X"}', "'answers' must be a list"),
        ('{"id": "q2", "question": "Who?", "type": "u", "unanswerable": true, "answers": ["X"]}', "takes no"),
        ('{"id": "q2", "question": "Who?", "type": "u", "unanswerable": "yes"}', "true or false"),
        ('{"id": "q1", "question": "Who?", "type": "who", "answers": ["X"]}', "duplicate id 'q1'"),
    ],
)
def test_loader_names_the_bad_line(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, GOOD, line)
    with pytest.raises(QuestionSetError, match=re.escape(message)) as caught:
        load_questions(path)
    assert f"{path}:2" in str(caught.value)


def test_loader_refuses_an_empty_or_missing_set(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="empty"):
        load_questions(_write(tmp_path, ""))
    with pytest.raises(QuestionSetError, match="cannot read"):
        load_questions(tmp_path / "missing.jsonl")


def test_conversation_loader_names_the_bad_turn(tmp_path: Path) -> None:
    case = {"id": "c1", "turns": [{"question": "Who?", "answers": ["X"]}, {"question": "When?"}]}
    path = _write(tmp_path, json.dumps(case))
    with pytest.raises(QuestionSetError, match=r"set\.jsonl:1 turn 2: an answerable question needs"):
        load_conversations(path)
    case["turns"] = [{"question": "Who?", "answers": ["X"]}]
    with pytest.raises(QuestionSetError, match="at least two turns"):
        load_conversations(_write(tmp_path, json.dumps(case)))

"""Questions in another language than the articles are declined, never answered confidently and wrongly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from retrieval import AnswerEngine, Settings, open_index, prompts
from retrieval.language import is_clearly_not_english, texts_are_english

EVAL = Path(__file__).resolve().parent.parent / "eval"
NOT_ENGLISH = [
    "Кто является премьер-министром Финляндии?",
    "Milloin Suomi päätti hakea Naton jäsenyyttä?",
    "Kuka on Suomen presidentti?",
    "Wer ist der Präsident von Finnland?",
    "¿Qué porcentaje de finlandeses apoya unirse a la OTAN?",
    "Qui est le premier ministre de la Finlande ?",
    "Vem är Sveriges statsminister?",
    "Chi è il segretario generale della NATO?",
    "Ποιος είναι ο πρόεδρος της Φινλανδίας;",
    "芬兰总理是谁？",
]
ENGLISH_EDGE_CASES = [
    "Sauli Niinistö?",
    "Who is Sauli Niinistö?",
    "NATO Sweden Finland",
    "What did Erdoğan say about the Nordic countries?",
    "Who is the mayor of Los Angeles?",
    "Kharkiv",
    "co-founder of the alliance",
]


def _english_eval_questions() -> list[str]:
    questions = []
    for name in ("questions.jsonl", "heldout.jsonl"):
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if not record["id"].startswith("non-english"):
                questions.append(record["question"])
    for line in (EVAL / "conversations.jsonl").read_text(encoding="utf-8").splitlines():
        questions += [turn["question"] for turn in json.loads(line)["turns"]]
    return questions


def test_no_english_question_of_the_eval_sets_is_taken_for_another_language() -> None:
    questions = _english_eval_questions() + ENGLISH_EDGE_CASES
    assert len(questions) > 150
    assert [q for q in questions if is_clearly_not_english(q)] == []


@pytest.mark.parametrize("question", NOT_ENGLISH)
def test_questions_in_other_languages_are_recognised(question: str) -> None:
    assert is_clearly_not_english(question)


def test_a_corpus_with_an_article_in_another_language_is_not_english() -> None:
    assert texts_are_english(["Putin backs down over Nato expansion", "Harbour report 3"])
    assert not texts_are_english(
        ["Putin backs down over Nato expansion", "Suomi ja Ruotsi hakevat Naton jäsenyyttä"]
    )


@pytest.mark.parametrize("question", [NOT_ENGLISH[0], NOT_ENGLISH[1], NOT_ENGLISH[3]])
def test_the_engine_declines_a_question_in_another_language(seed_engine: AnswerEngine, question: str) -> None:
    answer = seed_engine.ask(question)
    assert answer.abstained and not answer.citations
    assert answer.text == prompts.OTHER_LANGUAGE


def test_english_questions_are_still_answered_and_finnish_articles_answer_finnish_questions(
    seed_engine: AnswerEngine, make_settings: Callable[..., Settings], embed_model: Any, tmp_path: Path
) -> None:
    assert "Sanna Marin" in seed_engine.ask("Who is Finland's prime minister?").text
    folder = tmp_path / "fi"
    folder.mkdir()
    (folder / "uutinen.txt").write_text(
        "Suomi hakee Naton jäsenyyttä\nPresidentti Sauli Niinistö ja pääministeri Sanna Marin kertoivat, "
        "että Suomi hakee Naton jäseneksi viipymättä.\n",
        encoding="utf-8",
    )
    index = open_index(make_settings(), embed_model=embed_model)
    index.add([folder])
    assert not index.corpus_is_english()
    answer = AnswerEngine(index).ask("Kuka on Suomen pääministeri?")
    assert answer.text != prompts.OTHER_LANGUAGE, "the articles are in that language: the engine tries"

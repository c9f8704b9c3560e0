"""Questions about one member of a series (a season, an edition): passages about another do not answer them.

Three dated reports on two television series, indexed with the real model and Chroma.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from answering_support import engine_on_files, json_records

from retrieval import Answer, AnswerEngine

REPORTS = {
    "crown-3.json": (
        "2019-11-10",
        "Screen Daily",
        "The Crown returns",
        "Season 3 of The Crown premiered on Netflix on November 17, 2019. Olivia Colman now plays the Queen.",
    ),
    "crown-4.json": (
        "2020-11-13",
        "Screen Daily",
        "The Crown's fourth outing",
        "All ten episodes of season 4 of The Crown debut on Netflix on November 15, 2020. "
        "Emma Corrin plays Diana.",
    ),
    "blacklist.json": (
        "2023-02-20",
        "TV Guide",
        "The Blacklist says goodbye",
        "The tenth and final season of The Blacklist premieres on NBC on February 26, 2023. "
        "James Spader stars as Raymond Reddington.",
    ),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Iterator[AnswerEngine]:
    with engine_on_files(tmp_path_factory, embed_model, "series", json_records(REPORTS)) as engine:
        yield engine


def files(answer: Answer) -> set[str]:
    return {c.file_name.split("#")[0] for c in answer.citations}


@pytest.mark.parametrize(
    ("question", "day", "source"),
    [
        ("When does season 4 of The Crown premiere?", "15 November 2020", "crown-4.json"),
        ("When did the third season of The Crown premiere?", "17 November 2019", "crown-3.json"),
    ],
)
def test_the_season_asked_about_is_answered_from_its_own_report(
    engine: AnswerEngine, question: str, day: str, source: str
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained, answer.text
    assert day in answer.text
    assert files(answer) == {source}, answer.text


def test_a_question_about_a_season_no_article_covers_is_not_answered_from_another(
    engine: AnswerEngine,
) -> None:
    answer = engine.ask("When did the first season of The Blacklist premiere?")
    assert answer.abstained, answer.text
    assert "February 26" not in answer.text.split("closest")[0]

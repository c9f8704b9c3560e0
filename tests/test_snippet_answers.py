"""Search snippets and listings as articles: a title-case line introduces the sentence that answers, and
" · " separates items that are quoted one at a time. Real model, real Chroma index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from answering_support import engine_on_files

from retrieval import AnswerEngine

SNIPPETS = {
    "nfl.txt": "NFL Commissioners and Presidents. In 2006, Roger Goodell was chosen as the eighth NFL "
    "Commissioner in National Football League history.\n",
    "vanguard.txt": "Vanguard's New CEO Says Advisors' Jobs Are in Jeopardy. Tim Buckley kicked off the Inside "
    "ETFs conference this week with a dire warning for advisors.\n",
    "schedule.txt": "Harbor Lights season 2 release schedule · Season 2, Episode 1: Releases Sunday, March 3, "
    "2024 · Season 2, Episode 2: Releases Sunday, March 10, 2024 · Season 2, Episode 3: Releases Sunday, "
    "March 17, 2024\n",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Iterator[AnswerEngine]:
    with engine_on_files(tmp_path_factory, embed_model, "snippets", SNIPPETS) as engine:
        yield engine


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Who is the new CEO of Vanguard?", "Tim Buckley"),
        ("Who is the commissioner of the NFL?", "Roger Goodell"),
    ],
)
def test_a_title_case_line_is_quoted_with_the_sentence_that_answers(
    engine: AnswerEngine, question: str, name: str
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained, answer.text
    assert name in answer.text
    assert any(name in c.quote for c in answer.citations)


def test_an_item_of_a_listing_is_quoted_alone(engine: AnswerEngine) -> None:
    answer = engine.ask("When does episode 2 of Harbor Lights season 2 release?")
    assert not answer.abstained, answer.text
    quote = answer.citations[0].quote
    assert quote == "Season 2, Episode 2: Releases Sunday, March 10, 2024", answer.text

"""Answers that know when: as of when and per whom, the newest of changed figures, windows on dates.

A small developing story (three dated reports whose figures change) plus one undated article, indexed with
the real model and Chroma; every question is asked on a stated day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from answering_support import engine_on_files, json_records

from retrieval import Answer, AnswerEngine

ASKED = date(2024, 3, 20)
REPORTS = {
    "dam-1.json": (
        "2024-03-01",
        "River Gazette",
        "Repairs begin on the Alder Creek dam",
        "Engineers began repairs on the Alder Creek dam on Friday. "
        "Repairs to the Alder Creek dam will cost $12 million, county engineer Omar Haddad said. "
        "About 40 workers are on the site.",
    ),
    "dam-2.json": (
        "2024-03-12",
        "Valley Post",
        "Alder Creek dam repair bill rises",
        "The cost of repairing the Alder Creek dam has risen to $19 million, county engineer Omar Haddad "
        "said on Tuesday. Cracks found in the spillway need more concrete than planned. "
        "The work is now expected to end in October.",
    ),
    "library.json": (
        "2024-02-02",
        "River Gazette",
        "Alder Creek library reopens",
        "The Alder Creek library reopened on Friday after a roof repair. The library now opens on Sundays.",
    ),
}
UNDATED = "Harbour notes\n\nThe old harbour crane was painted blue by volunteers from the sailing club.\n"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embed_model: Any) -> Iterator[AnswerEngine]:
    files = json_records(REPORTS) | {"harbour.txt": UNDATED}
    with engine_on_files(tmp_path_factory, embed_model, "dated", files) as engine:
        yield engine


def files(answer: Answer) -> list[str]:
    """The files an answer cites, in order (a record of a .json file is cited as ``file#n``)."""
    return [c.file_name.split("#")[0] for c in answer.citations]


def test_an_answer_says_as_of_when_and_per_whom(engine: AnswerEngine) -> None:
    answer = engine.ask("Who is the Alder Creek county engineer?", as_of=ASKED)
    assert not answer.abstained and "Omar Haddad" in answer.text
    first = answer.citations[0]
    source = {"dam-1.json": "River Gazette", "dam-2.json": "Valley Post"}[first.file_name.split("#")[0]]
    assert first.published is not None
    # the name in a few words, then where the quote stands in time and whose it is
    assert answer.text.startswith(f"Omar Haddad. As of {first.published.day} March 2024, per {source}:")


def test_a_changed_figure_is_answered_with_the_newest_and_the_earlier_report_named(
    engine: AnswerEngine,
) -> None:
    answer = engine.ask("How much will the Alder Creek dam repairs cost?", as_of=ASKED)
    assert not answer.abstained
    text = answer.text
    assert text.startswith("As of 12 March 2024, per Valley Post:")
    assert "Earlier, on 1 March 2024, per River Gazette:" in text
    assert text.index("$19 million") < text.index("$12 million")
    assert files(answer) == ["dam-2.json", "dam-1.json"]


def test_a_window_keeps_to_articles_dated_in_it(engine: AnswerEngine) -> None:
    answer = engine.ask("How much would the Alder Creek dam repairs cost as of March 5?", as_of=ASKED)
    assert not answer.abstained
    assert "$12 million" in answer.text and "$19 million" not in answer.text
    assert set(files(answer)) == {"dam-1.json"}


def test_last_week_is_read_from_the_day_asked(engine: AnswerEngine) -> None:
    answer = engine.ask("What did Omar Haddad say about the dam last week?", as_of=date(2024, 3, 18))
    assert not answer.abstained
    assert set(files(answer)) == {"dam-2.json"}


@pytest.mark.xfail(
    strict=True,
    reason="declined by the cross-suite decision model: a short question whose every word is found, but whose "
    "meaning is far from the sentence (dense 0.12), falls under the threshold since the refit weighs meaning more",
)
def test_a_short_question_whose_words_are_all_found_is_answered(engine: AnswerEngine) -> None:
    answer = engine.ask("What did Omar Haddad say last week?", as_of=date(2024, 3, 18))
    assert not answer.abstained


def test_a_span_no_article_is_dated_in_is_declined_with_the_dates_there_are(engine: AnswerEngine) -> None:
    answer = engine.ask("What did Omar Haddad say yesterday?", as_of=date(2024, 8, 20))
    assert answer.abstained and not answer.citations
    assert "dated yesterday" in answer.text
    assert "2 February 2024" in answer.text and "12 March 2024" in answer.text


def test_the_day_asked_defaults_to_today(engine: AnswerEngine) -> None:
    # every report is from 2024; asked today, "this week" holds none of them
    answer = engine.ask("What did Omar Haddad say this week?")
    assert answer.abstained and "dated this week" in answer.text


def test_an_undated_article_answers_without_a_date(engine: AnswerEngine) -> None:
    answer = engine.ask("What colour was the old harbour crane painted?", as_of=ASKED)
    assert not answer.abstained
    assert "blue" in answer.text and not answer.text.startswith("As of")

"""Time in questions: windows on published dates, read against the day a question is asked."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.answering.query import constraints_of
from retrieval.answering.when import spoken, time_scope

WEDNESDAY = date(2024, 7, 10)


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("What did the council decide last week?", date(2024, 7, 1), date(2024, 7, 7)),
        ("What did the council decide this week?", date(2024, 7, 8), WEDNESDAY),
        ("What happened yesterday?", date(2024, 7, 9), date(2024, 7, 9)),
        ("What did they say this month?", date(2024, 7, 1), WEDNESDAY),
        ("What did they say last month?", date(2024, 6, 1), date(2024, 6, 30)),
        ("Who won last year?", date(2023, 1, 1), date(2023, 12, 31)),
        ("What changed in the past 3 days?", date(2024, 7, 7), WEDNESDAY),
        ("How many acres had burned as of July 3?", None, date(2024, 7, 3)),
        ("How many acres had burned by July 5, 2024?", None, date(2024, 7, 5)),
        ("What was reported before May 15?", None, date(2024, 5, 14)),
        ("What was reported since 1 June 2024?", date(2024, 6, 1), None),
        ("What was reported after May 2024?", date(2024, 6, 1), None),
        ("What was reported before March 2024?", None, date(2024, 2, 29)),
    ],
)
def test_relative_and_bounded_time_becomes_a_window_on_published_dates(
    question: str, start: date | None, end: date | None
) -> None:
    scope = time_scope(question, WEDNESDAY)
    assert (scope.start, scope.end) == (start, end)
    assert scope.window


def test_a_yearless_date_is_the_latest_such_day_not_after_the_day_asked() -> None:
    assert time_scope("What was said before December 20?", WEDNESDAY).end == date(2023, 12, 19)
    assert time_scope("What was said before July 9?", WEDNESDAY).end == date(2024, 7, 8)


def test_a_year_alone_names_the_event_not_the_publication_date() -> None:
    scope = time_scope("Who won the 2021 Tour de France?", WEDNESDAY)
    assert not scope.window and not scope.latest


def test_latest_asks_for_the_newest_and_a_bound_asks_for_the_state_then() -> None:
    assert time_scope("What is the latest containment figure?", WEDNESDAY).latest
    assert time_scope("Who is currently the chief executive?", WEDNESDAY).latest
    assert time_scope("How many acres had burned by July 5?", WEDNESDAY).latest
    assert not time_scope("Who is the chief executive?", WEDNESDAY).latest


def test_capitalised_mid_sentence_today_and_latest_are_names_not_time() -> None:
    named = time_scope("Which country was reported by Business Today | Latest Stock Market News?", WEDNESDAY)
    assert not named.window and not named.latest
    assert time_scope("Today, who leads the race?", WEDNESDAY).window


def test_the_window_words_are_not_constraints_on_the_passage() -> None:
    question = "How many acres had the fire burned by July 5, 2024?"
    scope = time_scope(question, WEDNESDAY)
    read = scope.without_phrases(question)
    assert "July" not in read and "2024" not in read
    constraints = constraints_of(read)
    assert not constraints.years and not constraints.numbers


def test_an_impossible_date_sets_no_window() -> None:
    assert not time_scope("What happened before February 31?", WEDNESDAY).window


def test_dates_are_spoken_day_month_year() -> None:
    assert spoken(date(2022, 5, 16)) == "16 May 2022"

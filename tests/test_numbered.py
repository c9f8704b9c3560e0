"""Which one of a series a text names ("season 4", "the 93rd Academy Awards"), and passages that break it."""

from __future__ import annotations

import pytest

from retrieval.numbered import breaks, numbered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("When does season 4 of The Crown premiere?", {"season": {4}}),
        ("The first photos from season four were revealed.", {"photo": {1}, "season": {4}}),
        ("The tenth and final season of The Blacklist premiered.", {"season": {10}}),
        ("Who won Best Director at the 93rd Academy Awards?", {"academi": {93}}),
        ("Season 11, Episode 17: Releases Sunday", {"season": {11}, "episod": {17}}),
        ("Diablo 3 was out in 2012; Diablo 4 might be a 2023 game.", {"diablo": {3, 4}}),
        ("Article 5 of the treaty", {"articl": {5}}),
        ("It won the first and second rounds.", {"round": {1, 2}}),
    ],
)
def test_the_number_that_says_which_one_is_read(text: str, expected: dict[str, set[int]]) -> None:
    assert numbered(text) == {stem: frozenset(values) for stem, values in expected.items()}


@pytest.mark.parametrize(
    "text",
    [
        "About 30 people were killed on May 15 in 2006.",  # a count, a day of a month, a year
        "the 30 member-nations and 200 ships",  # counts before a noun
        "It rose 5.5 percent; shares fell 4%; the Pixel 5a sold 1,200 units.",  # figures, a model code
        "killed 30 people",  # a number after a common word is a count
        "By 5 we knew. Roughly 20 came. At 3 it ended.",  # a capital that only starts the sentence
    ],
)
def test_counts_days_years_and_figures_are_not_read_as_which_one(text: str) -> None:
    assert numbered(text) == {}


def test_a_passage_breaks_the_series_only_when_it_numbers_it_otherwise() -> None:
    wanted = numbered("When will the first season of The Blacklist premiere?")
    assert breaks(wanted, "The Blacklist returns with the Season 10 premiere on February 26.")
    assert not breaks(wanted, "The Blacklist's first season premiered on September 23, 2013.")
    assert not breaks(wanted, "The Blacklist premiered on NBC.")  # no season named: nothing broken
    assert not breaks(wanted, "Season 1 premiered in 2013, and season 10 in 2023.")  # names the one asked
    assert not breaks({}, "Season 10 premiered.")

"""Sentence splitting: where sentences end, and offsets that cut the text verbatim."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.sentences import sentence_spans


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]


def test_titles_and_country_abbreviations_do_not_end_a_sentence() -> None:
    text = "Mr. Smith met Mrs. Jones and Dr. Patel at the U.S. embassy. They spoke about the U.K. vote."
    assert sentences(text) == [
        "Mr. Smith met Mrs. Jones and Dr. Patel at the U.S. embassy.",
        "They spoke about the U.K. vote.",
    ]


def test_other_abbreviations_do_not_end_a_sentence() -> None:
    text = "Gen. Ortiz lives at No. 10 Main St. in Springfield. Sen. Reyes arrived at 9 a.m. on Friday."
    assert sentences(text) == [
        "Gen. Ortiz lives at No. 10 Main St. in Springfield.",
        "Sen. Reyes arrived at 9 a.m. on Friday.",
    ]


def test_initials_stay_with_the_name() -> None:
    text = "The novel by J. K. Rowling sold well. Critics compared it to work by T. S. Eliot."
    assert sentences(text) == [
        "The novel by J. K. Rowling sold well.",
        "Critics compared it to work by T. S. Eliot.",
    ]


def test_quotes_close_the_sentence_they_end() -> None:
    text = "“We will join the alliance,” Marin said. “It is a historic day.” The vote follows next week."
    assert sentences(text) == [
        "“We will join the alliance,” Marin said.",
        "“It is a historic day.”",
        "The vote follows next week.",
    ]


def test_question_inside_a_quote_followed_by_lowercase_continues_the_sentence() -> None:
    text = '“Is it over?” she asked. "Not yet!" he replied.'
    assert sentences(text) == ["“Is it over?” she asked.", '"Not yet!" he replied.']


def test_numbers_and_decimals() -> None:
    text = "Support rose to 53.5 percent in 2022. In 2017 it was 19 percent."
    assert sentences(text) == ["Support rose to 53.5 percent in 2022.", "In 2017 it was 19 percent."]


def test_each_line_is_a_boundary_even_without_punctuation() -> None:
    text = "Following suit\nSweden’s ruling party backed membership.\n\nSource: Read Full Article\n"
    assert sentences(text) == [
        "Following suit",
        "Sweden’s ruling party backed membership.",
        "Source: Read Full Article",
    ]


def test_the_items_of_a_snippet_or_listing_are_sentences_of_their_own() -> None:
    text = (
        "Jun 4, 2023 ... iPhone 11: Key Takeaways · The iPhone 11, released on September 20, 2019, is now "
        "older. • None of that matters."
    )
    assert sentences(text) == [
        "Jun 4, 2023 ... iPhone 11: Key Takeaways",
        "The iPhone 11, released on September 20, 2019, is now older.",
        "None of that matters.",
    ]


def test_a_middle_dot_inside_a_word_is_not_a_separator() -> None:
    assert sentences("The Catalan name l·l is kept. Next.") == ["The Catalan name l·l is kept.", "Next."]


def test_a_sentence_does_not_run_across_a_line_break() -> None:
    text = "Both joined on May 15\nThe next day markets rose."
    assert sentences(text) == ["Both joined on May 15", "The next day markets rose."]


def test_a_line_broken_off_mid_sentence_is_joined_to_the_next_line() -> None:
    broken = (
        "Ms Andersson said Sweden would refuse to allow nuclear weapons or Nato bases on its soil, "
        "which are similar conditions to neighbouring\n\nScandinavian nations Norway and Denmark."
    )
    text = f"Sweden sets conditions\n{broken} She added more.\nShort heading\nNext paragraph."
    assert sentences(text) == [
        "Sweden sets conditions",
        broken,
        "She added more.",
        "Short heading",
        "Next paragraph.",
    ]


def assert_spans_verbatim(text: str) -> None:
    spans = list(sentence_spans(text))
    assert spans, "no sentences found"
    previous_end = 0
    covered = set()
    for start, end in spans:
        assert previous_end <= start < end <= len(text), "spans must be ordered and inside the text"
        piece = text[start:end]
        assert piece == piece.strip(), f"span has untrimmed whitespace: {piece!r}"
        covered.update(range(start, end))
        previous_end = end
    # an item separator (" · ", " • ") is the one thing that belongs to no sentence
    lost = [i for i, char in enumerate(text) if not char.isspace() and char not in "·•" and i not in covered]
    assert not lost, f"characters outside every sentence: {text[lost[0] : lost[0] + 40]!r}"


def test_spans_are_verbatim_ordered_and_lose_nothing_in_the_seeds(seeds_dir: Path) -> None:
    files = sorted(seeds_dir.glob("*.txt"))
    assert len(files) >= 3
    for path in files:
        assert_spans_verbatim(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "  Leading spaces. Trailing spaces.   ",
        "Ellipsis… Then more. And “quoted text.” (Brackets.) [Note.] Done",
        "Wait!!! What?! Yes.\r\nWindows line.\tTabbed sentence.",
        "no punctuation at all",
        "U.S. officials said so. i.e. lower case after. 3.14 is pi.",
        "Schedule · Episode 17: Sunday · · Episode 18 •  ",
    ],
)
def test_spans_are_verbatim_for_awkward_text(text: str) -> None:
    assert_spans_verbatim(text)

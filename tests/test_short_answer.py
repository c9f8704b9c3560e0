"""The answer in a few words before the quote: one clear name, place or day, or nothing."""

from __future__ import annotations

from datetime import date

import pytest
from answering_support import make_query

from retrieval.answering.query import Query
from retrieval.answering.short import headline_style, short_answer, title_case
from retrieval.dates import named_day
from retrieval.passages import Sentence
from retrieval.qtypes import AnswerType, answer_type
from retrieval.sentences import sentence_spans
from retrieval.types import ArticleMeta


class Articles:
    """The one method of the sentence pool that short answers read: an article's text and sentence spans."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def article(self, article_id: str) -> tuple[str, list[tuple[int, int]]]:
        text = self.texts[article_id]
        return text, list(sentence_spans(text))


def query(text: str) -> Query:
    return make_query(text, answer_type(text))


def said(
    question: str,
    quote: str,
    article: str | None = None,
    published: date | None = None,
    elsewhere: tuple[str, ...] = (),
) -> str | None:
    """The short answer to ``question`` from ``quote``, a sentence of ``article`` (the quote alone if None),
    with ``elsewhere`` the other passages retrieved."""
    text = article or quote
    meta = ArticleMeta(article_id="a", file_name="a.txt", title="", published=published)
    start = text.index(quote)
    sentence = Sentence(meta, start, start + len(quote), quote, 1, 0)
    return short_answer(query(question), sentence, Articles({"a": text}), elsewhere)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("Thursday, Nov. 12", date(2020, 9, 17), date(2020, 11, 12)),  # a premiere two months ahead
        ("19th October", date(2021, 10, 20), date(2021, 10, 19)),  # the day before
        ("Dec 30", date(2021, 1, 2), date(2020, 12, 30)),  # read in January: last year's
        ("November 21 of 1998", None, date(1998, 11, 21)),
        ("Nov 12", None, None),  # no year, and no article date to give one
        ("May 2012", None, None),  # no day
        ("March 3, 2021 and March 4, 2021", None, None),  # two days: not one answer
    ],
)
def test_a_named_day_takes_the_year_nearest_its_article(
    text: str, published: date | None, expected: date | None
) -> None:
    assert named_day(text, reference=published) == expected


def test_a_yearless_day_is_said_in_full() -> None:
    quote = "Grey's Anatomy season 17 will premiere on Thursday, Nov. 12 at 9/8c with a two-hour premiere."
    question = "When does Grey's Anatomy season 17 premiere?"
    assert said(question, quote, published=date(2020, 9, 17)) == "12 November 2020"
    assert said(question, quote) is None  # undated: the year is not known


def test_a_surname_is_said_with_the_name_its_article_gives() -> None:
    article = (
        "Finnish President Sauli Niinisto spoke with Russian President Vladimir Putin. "
        "He said he had spoken with Putin on Saturday."
    )
    quote = "He said he had spoken with Putin on Saturday."
    assert said("Who did Niinisto speak with?", quote, article) == "Vladimir Putin"


def test_a_name_the_article_never_gives_in_full_stays_as_written() -> None:
    quote = "The prosecution painted Bankman-Fried as someone who knowingly committed fraud."
    assert said("Who is accused by the prosecution of fraud?", quote) == "Bankman-Fried"


def test_a_surname_takes_the_one_full_form_the_other_passages_give() -> None:
    quote = "The prosecution painted Bankman-Fried as someone who knowingly committed fraud."
    question = "Who is accused by the prosecution of fraud?"
    trial = "The criminal trial for Sam Bankman-Fried, former CEO of FTX, started Tuesday."
    assert said(question, quote, elsewhere=(trial,)) == "Sam Bankman-Fried"
    # two people of that surname elsewhere: which one is meant is a guess, so the name stays as written
    other = "His father, Joseph Bankman-Fried, is a law professor at Stanford."
    assert said(question, quote, elsewhere=(trial, other)) == "Bankman-Fried"


def test_two_candidates_give_no_short_answer() -> None:
    quote = "France captured the World Cup title after defeating Croatia 4-2 in Moscow."
    assert said("Who was the runner-up of the 2018 World Cup?", quote) is None


def test_a_name_that_qualifies_a_word_is_not_the_answer() -> None:
    quote = "The case, filed by an Arkansas-based publisher, argues that Google siphons off content."
    assert said("Who is accused of siphoning off content?", quote) == "Google"


def test_headline_style_sentences_give_no_name() -> None:
    quote = "Vanguard's New CEO Says Advisors' Jobs Are in Jeopardy."
    assert headline_style(quote)
    assert not headline_style("Regional governor Oleh Synyehubov said the fighting goes on.")
    assert said("Who is the new CEO of Vanguard?", quote) is None


def test_open_questions_get_no_short_answer() -> None:
    quote = "Finland applied to join NATO after Russia invaded Ukraine."
    assert query("Why did Finland apply to join NATO?").kind is AnswerType.REASON
    assert said("Why did Finland apply to join NATO?", quote) is None


def test_a_count_of_the_thing_asked_about_is_said_first() -> None:
    quote = "Fire chief Dana Whitfield said 14 homes and 22 outbuildings were destroyed."
    assert said("How many homes did the fire destroy?", quote) == "14"
    # two counts of homes: which one answers is a guess
    two = "Fire officials said 14 homes burned on Monday and 9 homes on Tuesday."
    assert said("How many homes did the fire destroy?", two) is None


def test_an_amount_asked_for_is_the_money_not_another_number() -> None:
    quote = "Northwind reported revenue of $2.4 billion for 2023, up 8 percent, from 12 plants."
    assert said("What was Northwind's revenue for 2023?", quote) == "$2.4 billion"


def test_a_figure_keeps_the_word_that_bounds_it() -> None:
    # the entity model reads "200" alone here; "over 130" it reads whole
    quote = "The alliance has over 130 fighter jets and over 200 ships positioned to protect its members."
    assert said("How many ships has the alliance positioned?", quote) == "over 200"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NFL Commissioners and Presidents.", True),
        ("Vanguard's New CEO Says Advisors' Jobs Are in Jeopardy.", True),
        ("Governor Ellen Park declared a state of emergency for Harlan County on Wednesday.", False),
        ("Wimbledon 2019 – women's singles: Serena Williams and Johanna Konta", False),
        ("Finland.", False),  # one word is a name, not a line of title case
    ],
)
def test_title_case_is_every_word_capitalised(text: str, expected: bool) -> None:
    assert title_case(text) is expected

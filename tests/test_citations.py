"""The citation check every answer passes, whatever composed it."""

from __future__ import annotations

from retrieval.citations import verified
from retrieval.errors import QueryError
from retrieval.types import Citation

ARTICLE = "Finland will apply. Sweden follows suit. Turkey objects."


def article_text(article_id: str) -> str:
    if article_id != "a1":
        raise QueryError("no such article")
    return ARTICLE


def cite(n: int, start: int, end: int, quote: str | None = None, article_id: str = "a1") -> Citation:
    return Citation(n, article_id, "a.txt", "A", ARTICLE[start:end] if quote is None else quote, start, end)


def test_good_citations_pass_and_are_renumbered_in_order_of_mention() -> None:
    text, citations = verified(
        "Sweden follows [2]. Finland applies [1].", (cite(1, 0, 19), cite(2, 20, 40)), article_text
    )  # type: ignore[misc]
    assert text == "Sweden follows [1]. Finland applies [2]."
    assert [c.quote for c in citations] == ["Sweden follows suit.", "Finland will apply."]
    assert [c.n for c in citations] == [1, 2]


def test_a_quote_not_at_its_offsets_fails_the_answer() -> None:
    assert (
        verified("Finland applies [1].", (cite(1, 0, 19, quote="Finland will join."),), article_text) is None
    )


def test_a_marker_without_citation_fails_the_answer() -> None:
    assert verified("Finland applies [1] and Sweden [3].", (cite(1, 0, 19),), article_text) is None


def test_an_unknown_article_fails_the_answer() -> None:
    assert verified("Finland applies [1].", (cite(1, 0, 19, article_id="zz"),), article_text) is None


def test_unreferenced_citations_are_dropped() -> None:
    result = verified("Finland applies [1].", (cite(1, 0, 19), cite(2, 41, 56)), article_text)
    assert result is not None and len(result[1]) == 1

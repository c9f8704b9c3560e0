"""bot/render.py: answers as Telegram HTML, escaped, and split under the 4096-character limit."""

from __future__ import annotations

import re
from datetime import date

import pytest
from bot_support import telegram_html_error

from bot.render import (
    MAX_MESSAGE_UNITS,
    SourceLine,
    answer_html,
    plain_text,
    render_answer,
    render_sources,
    split_html,
    units,
)
from retrieval.types import Answer, ArticleMeta, Citation


def citation(
    n: int, quote: str, *, article: str = "a1", title: str = "Finland & NATO", **kw: object
) -> Citation:
    return Citation(n, article, f"{article}.txt", title, quote, 0, len(quote), **kw)  # type: ignore[arg-type]


def test_article_text_is_escaped_everywhere() -> None:
    evil = Citation(
        1, "a1", "a.txt", "<script>alert(1)</script>", "x < y & z > w", 0, 13, url="https://e.org/?a=1&b=2"
    )
    answer = Answer("q", "Because <b>x</b> & y [1].", (evil,))
    text = answer_html(answer)
    assert telegram_html_error(text) is None
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text
    assert "x &lt; y &amp; z &gt; w" in text
    assert 'href="https://e.org/?a=1&amp;b=2"' in text


def test_markers_sources_and_quotes() -> None:
    cites = (
        citation(1, "Finland will apply.", url="https://news.example/fi", published=date(2022, 5, 15)),
        citation(2, "Sweden agreed.", article="a2", title="Sweden follows", source="Nordic <Wire>"),
        citation(3, "Marin agreed.", url="https://news.example/fi", published=date(2022, 5, 15)),
    )
    text = answer_html(Answer("Who applies?", "Finland [1]. Sweden [2]. Marin [3].", cites))
    assert telegram_html_error(text) is None
    assert '<a href="https://news.example/fi">[1]</a>' in text  # marker links to its article
    assert "<b>[2]</b>" in text  # no URL: bold marker
    sources = text.split("<b>Sources</b>\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert sources == [
        '[1][3] <a href="https://news.example/fi">Finland &amp; NATO</a> · 2022-05-15',
        "[2] Sweden follows · Nordic &lt;Wire&gt;",
    ]
    quotes = re.search(r"<blockquote expandable>(.*)</blockquote>", text, re.S)
    assert (
        quotes
        and "“Finland will apply.”" in quotes.group(1)
        and "<b>[3]</b> “Marin agreed.”" in quotes.group(1)
    )


def test_abstention_and_resolved_follow_up() -> None:
    abstained = answer_html(Answer("Who won?", "The articles don't say.", abstained=True))
    assert abstained == "The articles don&#x27;t say."
    follow = answer_html(
        Answer(
            "And Sweden?", "Yes [1].", (citation(1, "Sweden too."),), resolved_question="And Sweden? (NATO)"
        )
    )
    assert follow.startswith("<i>Understood as: And Sweden? (NATO)</i>")
    closest = answer_html(Answer("q", "Not sure.", (citation(1, "near"),), abstained=True))
    assert "<b>Closest passages</b>" in closest and "<b>Sources</b>" not in closest


def test_javascript_urls_are_not_linked() -> None:
    text = answer_html(Answer("q", "x [1]", (citation(1, "x", url="javascript:alert(1)"),)))
    assert "href" not in text and "javascript" not in text


def test_short_answer_is_one_message() -> None:
    assert render_answer(Answer("q", "Short [1].", (citation(1, "q"),))) == [
        answer_html(Answer("q", "Short [1].", (citation(1, "q"),)))
    ]


def _words(text: str) -> list[str]:
    return plain_text(text).split()


@pytest.mark.parametrize("limit", [MAX_MESSAGE_UNITS, 300, 64])
def test_split_keeps_every_word_within_limit_and_valid(limit: int) -> None:
    quotes = tuple(citation(n, f"Quote {n} " + "word " * 150 + "& end.") for n in range(1, 8))
    paragraphs = "\n\n".join(f"Paragraph {i} says " + "much " * 120 + f"[{i % 7 + 1}]" for i in range(8))
    whole = answer_html(Answer("q", paragraphs, quotes))
    parts = split_html(whole, limit)
    assert len(parts) > 1
    for part in parts:
        assert units(part) <= limit
        assert telegram_html_error(part) is None, part
    assert [w for p in parts for w in _words(p)] == _words(whole)


def test_split_prefers_paragraphs_and_reopens_tags() -> None:
    first, second = "a" * 50, "b " * 40
    parts = split_html(f"<b>{first}\n\n{second}</b>", 90)
    assert parts[0] == f"<b>{first}</b>"
    assert parts[1].startswith("<b>b b") and parts[1].endswith("</b>")
    quoted = split_html("<blockquote expandable>" + "line of quote\n" * 30 + "</blockquote>", 120)
    assert all(p.startswith("<blockquote expandable>") and p.endswith("</blockquote>") for p in quoted)


def test_split_never_cuts_entities_or_counts_emoji_as_one() -> None:
    parts = split_html("&amp;" * 100, 23)
    assert all(re.fullmatch(r"(&amp;)+", p) for p in parts)
    assert sum(p.count("&amp;") for p in parts) == 100
    emoji = split_html("👍" * 10, 8)  # each is two UTF-16 units
    assert [len(p) for p in emoji] == [4, 4, 2]


def test_split_drops_blank_pieces() -> None:
    assert split_html("   \n\n  ") == []
    assert split_html("<b> </b>") == []


def test_sources_listing() -> None:
    lines = [
        SourceLine(
            ArticleMeta("a1", "a.txt", "Finland <joins>", url="https://x.org/a", published=date(2022, 5, 15)),
            4,
        ),
        SourceLine(ArticleMeta("a2", "b.txt", "Sweden"), 2),
    ]
    (text,) = render_sources("Header", lines, more="… and 3 more.")
    assert text.splitlines() == [
        "Header",
        '1. <a href="https://x.org/a">Finland &lt;joins&gt;</a> · 2022-05-15 · 4 passages',
        "2. Sweden · 2 passages",
        "… and 3 more.",
    ]

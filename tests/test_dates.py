"""Article dates: from metadata, HTML meta tags, or the dateline at the top of the text."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from web_support import article_html

from retrieval.corpus import load_file
from retrieval.dates import dateline_date
from retrieval.types import Article


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "HELSINKI, May 15 (Reuters) - Finland will apply to join NATO, its leaders said in 2022.",
            date(2022, 5, 15),
        ),
        ("Finland applies\nMay 15, 2022\nFinland's leaders said on Sunday...", date(2022, 5, 15)),
        ("Finland applies\nPublished: Sunday 15 May 2022 10:04 BST\nText.", date(2022, 5, 15)),
        ("Finland applies\n2022-05-15T10:00:00Z\nText.", date(2022, 5, 15)),
        ("STOCKHOLM, Sweden, May 16 — Sweden followed in 2022.", date(2022, 5, 16)),
        ("STUTTGART, Germany – NATO is sharing all information, Stoltenberg announced Friday.", None),
        ("Finland applies to join.\n" + "The treaty was signed. " * 40 + "On 4 April 1949 it began.", None),
        ("HELSINKI, February 30 (Reuters) - an impossible day in 2022.", None),
    ],
)
def test_dateline_date(text: str, expected: date | None) -> None:
    assert dateline_date(text) == expected


def test_a_dateline_without_a_year_takes_it_from_the_reference() -> None:
    text = "HELSINKI, Dec 30 (Reuters) - Finland said it would decide soon."
    assert dateline_date(text) is None
    assert dateline_date(text, reference=date(2023, 1, 2)) == date(2022, 12, 30)
    assert dateline_date(text, reference=date(2023, 12, 31)) == date(2023, 12, 30)


def test_a_txt_file_gets_its_date_from_its_dateline(tmp_path: Path) -> None:
    path = tmp_path / "reuters.txt"
    path.write_text("HELSINKI, May 15 (Reuters) - Finland's president said the country will apply.\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))  # written in November 2023
    (article,) = load_file(path, max_bytes=1_000_000)
    assert isinstance(article, Article)
    assert article.meta.published == date(2023, 5, 15)
    assert article.text.startswith("HELSINKI"), "the text is kept exactly as read"


def test_an_html_file_gets_its_date_from_its_meta_tags_before_any_dateline(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(article_html(1, published="2022-05-15T09:00:00Z", lead="LONDON, May 20, 2022 - "))
    (article,) = load_file(path, max_bytes=1_000_000)
    assert isinstance(article, Article)
    assert article.meta.published == date(2022, 5, 15)
    assert article.meta.title == "Council approves orchard plan number 1"

    path.write_bytes(article_html(1, lead="LONDON, May 20, 2022 - "))
    (undated,) = load_file(path, max_bytes=1_000_000)
    assert isinstance(undated, Article) and undated.meta.published == date(2022, 5, 20), "no meta: dateline"

"""Telling pages, feeds and sitemaps apart, and reading the pages a feed or sitemap lists."""

from __future__ import annotations

import gzip
from datetime import date

import pytest
from web_support import article_html, atom, rss, sitemap, sitemap_index

from retrieval.errors import FetchError
from retrieval.feeds import body_of, feed_items, kind_of, sitemap_entries
from retrieval.fetch import Fetched, Validators

BASE = "http://news.example/feeds/main.xml"


def fetched(body: bytes, content_type: str = "application/xml") -> Fetched:
    return Fetched(BASE, BASE, 200, content_type, body, Validators())


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("text/html", article_html(1), "page"),
        ("application/rss+xml", rss([]), "feed"),
        ("text/xml", atom([]), "feed"),
        ("text/html", rss([]), "feed"),  # a feed served with the wrong type is still a feed
        ("application/xml", sitemap([]), "sitemap"),
        ("", sitemap_index([]), "sitemap"),
        ("application/xml", b"<?xml version='1.0'?><!-- hi --><catalog/>", None),
        ("application/pdf", b"%PDF-1.7", None),
        ("image/png", b"\x89PNG", None),
    ],
)
def test_kind_of_reads_the_content_type_and_the_first_element(
    content_type: str, body: bytes, kind: str | None
) -> None:
    assert kind_of(content_type, body) == kind


def test_rss_items_carry_link_title_date_and_stamp() -> None:
    body = rss(
        [
            ("/news/1", "First", "Sun, 15 May 2022 09:00:00 GMT"),
            ("http://other.example/2", "Second", None),
        ]
    )
    first, second = feed_items(body, BASE)
    assert first.url == "http://news.example/news/1", "relative links resolve against the feed"
    assert (first.title, first.published, first.fingerprint) == (
        "First",
        date(2022, 5, 15),
        "Sun, 15 May 2022 09:00:00 GMT",
    )
    assert (second.url, second.published, second.fingerprint) == ("http://other.example/2", None, "")


def test_atom_entries_are_read() -> None:
    items = feed_items(atom([("http://news.example/a", "Atom one", "2022-05-16T10:00:00Z")]), BASE)
    assert [(i.url, i.title, i.published) for i in items] == [
        ("http://news.example/a", "Atom one", date(2022, 5, 16))
    ]


def test_garbage_is_not_a_feed() -> None:
    with pytest.raises(FetchError, match="not a readable RSS or Atom feed"):
        feed_items(b"\x00\x01 definitely not xml", BASE)


def test_sitemaps_list_pages_and_child_sitemaps() -> None:
    pages, children = sitemap_entries(
        sitemap([("http://news.example/p1", "2022-05-15"), ("/p2", None)]), BASE
    )
    assert [(p.url, p.fingerprint) for p in pages] == [
        ("http://news.example/p1", "2022-05-15"),
        ("http://news.example/p2", ""),
    ]
    assert children == []
    pages, children = sitemap_entries(sitemap_index(["http://news.example/s1.xml"]), BASE)
    assert pages == [] and children == ["http://news.example/s1.xml"]


def test_a_news_sitemap_gives_title_and_date() -> None:
    body = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://news.example/n</loc>'
        b"<news:news><news:publication_date>2022-05-14T08:00:00+00:00</news:publication_date>"
        b"<news:title>Finland decides</news:title></news:news></url></urlset>"
    )
    (page,), _ = sitemap_entries(body, BASE)
    assert (page.title, page.published) == ("Finland decides", date(2022, 5, 14))


def test_an_xml_bomb_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<urlset><url><loc>&lol2;</loc></url></urlset>"
    )
    with pytest.raises(FetchError, match="not a readable sitemap"):
        sitemap_entries(bomb, BASE)


def test_gzipped_sitemaps_are_unpacked_within_the_size_limit() -> None:
    body = sitemap([("http://news.example/p1", None)])
    assert body_of(fetched(gzip.compress(body), "application/x-gzip"), 1_000_000) == body
    with pytest.raises(FetchError, match="unpacks to over"):
        body_of(fetched(gzip.compress(b" " * 2_000_000)), 1_000_000)

"""Ingest from a loopback web site with the real model and Chroma: feeds, sitemaps, pages, bad URLs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from store_support import FailingEmbedding, chunks_per_article
from web_support import Route, Site, article_html, atom, rss, serve_site, sitemap, sitemap_index

from retrieval import IngestError, Settings, open_index
from retrieval.fetch_state import FetchState, state_path
from retrieval.web_ingest import PAGES_PER_BATCH, ingest_urls

SettingsFactory = Callable[..., Settings]
RSS = "application/rss+xml"


@pytest.fixture
def site() -> Iterator[Site]:
    """The loopback web site of one test."""
    with serve_site() as found:
        yield found


def quick(make_settings: SettingsFactory, **overrides: Any) -> Settings:
    """Settings for a loopback site: no pause between requests, short timeouts."""
    values: dict[str, Any] = {"fetch_min_interval_s": 0.0, "fetch_timeout_s": 2.0}
    values.update(overrides)
    return make_settings(**values)


def add_pages(site: Site, numbers: range, **route: Any) -> list[str]:
    """Pages /news/N with an ETag each; returns their URLs."""
    return [site.add(f"/news/{n}", body=article_html(n), etag=f'"page-{n}"', **route) for n in numbers]


def reasons(report: Any) -> dict[str, str]:
    return {skip.path: skip.reason for skip in report.skipped}


def test_a_feed_of_50_items_ingests_50_and_a_second_run_fetches_nothing_new(
    site: Site, make_settings: SettingsFactory, embed_model: Any
) -> None:
    links = add_pages(site, range(50))
    feed = site.add(
        "/feed.xml",
        body=rss([(u, f"Item {n}", None) for n, u in enumerate(links)]),
        content_type=RSS,
        etag='"f1"',
    )
    index = open_index(quick(make_settings), embed_model=embed_model)
    ticks: list[tuple[int, int]] = []

    first = ingest_urls(
        index, [feed], index.settings, progress=lambda done, total: ticks.append((done, total))
    )

    assert sorted(first.report.added) == sorted(links), "each page is keyed by its URL"
    assert first.report.skipped == () and first.not_modified == ()
    assert ticks[0] == (0, 0) and ticks[-1] == (50, 50)
    stats = index.stats()
    assert stats.articles == 50
    assert {m.url for m in stats.sources} == set(links)
    assert "Council approves museum plan number 7" in {m.title for m in stats.sources}

    site.clear_log()
    again = open_index(
        index.settings, embed_model=embed_model
    )  # a later run: a new process would do the same
    second = ingest_urls(again, [feed], again.settings)
    assert second.not_modified == (feed,)
    assert (second.report.added, second.report.updated, second.report.chunks_written) == ((), (), 0)
    assert [(r.path, r.status) for r in site.page_requests()] == [("/feed.xml", 304)]
    assert site.requests("/feed.xml")[0].headers["if-none-match"] == '"f1"'
    assert again.stats().chunks == stats.chunks


def test_bad_items_each_get_a_clear_message_and_nothing_is_lost(
    site: Site, make_settings: SettingsFactory, embed_model: Any
) -> None:
    site.add("/robots.txt", body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    good = add_pages(site, range(3))
    bad = {
        "missing": site.url("/news/gone"),
        "slow": site.add("/news/slow", body=article_html(10), stall_s=3.0),
        "huge": site.add("/news/huge", body=b"<p>" + b"x" * 20_000_000),
        "loop": site.add("/news/loop", status=302, location="/news/loop2"),
        "pdf": site.add("/news/report.pdf", body=b"%PDF-1.7 ...", content_type="application/pdf"),
        "robots": site.add("/private/secret", body=article_html(11)),
    }
    site.add("/news/loop2", status=302, location="/news/loop")
    items = [(u, "item", None) for u in [good[0], *bad.values(), *good[1:]]]
    feed = site.add("/feed.xml", body=rss(items), content_type=RSS, etag='"f1"')
    index = open_index(quick(make_settings, fetch_timeout_s=0.5), embed_model=embed_model)

    first = ingest_urls(index, [feed], index.settings)

    assert sorted(first.report.added) == sorted(good)
    why = reasons(first.report)
    assert set(why) == set(bad.values()), "one message per bad item, naming its URL"
    assert why[bad["missing"]] == "HTTP 404"
    assert why[bad["slow"]].startswith("timed out")
    assert why[bad["huge"]].startswith("too large") and "5 MB limit" in why[bad["huge"]]
    assert why[bad["loop"]].startswith("redirect loop")
    assert why[bad["pdf"]] == "not an HTML page (content type application/pdf)"
    assert why[bad["robots"]].startswith("robots.txt of 127.0.0.1") and "disallows" in why[bad["robots"]]
    assert site.requests("/private/secret") == []

    # The slow page may answer next time: the feed is not marked as read, so the next run asks again.
    site.routes["/news/slow"].stall_s = 0.0
    site.clear_log()
    second = ingest_urls(index, [feed], index.settings)
    assert second.report.added == (bad["slow"],)
    assert sorted(second.report.unchanged) == sorted(good)
    assert site.requests("/feed.xml")[0].status == 200
    assert {
        r.path: r.status for r in site.requests() if r.path.startswith("/news/") and r.path[6:].isdigit()
    } == {"/news/0": 304, "/news/1": 304, "/news/2": 304}, (
        "pages already in the index are asked for conditionally"
    )
    assert index.stats().articles == 4


def test_a_sitemap_index_is_followed_to_its_pages(
    site: Site, make_settings: SettingsFactory, embed_model: Any
) -> None:
    pages = add_pages(site, range(20, 24))
    site.add(
        "/sitemap-a.xml", body=sitemap([(u, "2022-05-15") for u in pages[:2]]), content_type="application/xml"
    )
    site.add("/sitemap-b.xml", body=sitemap([(u, "2022-05-16") for u in pages[2:]]), content_type="text/xml")
    root = site.add(
        "/sitemap.xml",
        body=sitemap_index([site.url("/sitemap-a.xml"), site.url("/sitemap-b.xml")]),
        content_type="application/xml",
    )
    index = open_index(quick(make_settings), embed_model=embed_model)
    report = ingest_urls(index, [root], index.settings).report
    assert sorted(report.added) == sorted(pages) and not report.skipped

    # Unchanged lastmod stamps: the pages are not fetched again (the sitemaps carry no validators).
    site.clear_log()
    report = ingest_urls(index, [root], index.settings).report
    assert sorted(report.unchanged) == sorted(pages) and not report.added
    assert {r.path for r in site.page_requests()} == {"/sitemap.xml", "/sitemap-a.xml", "/sitemap-b.xml"}


def test_an_atom_feed_with_dates_from_the_page_the_feed_or_the_dateline(
    site: Site, make_settings: SettingsFactory, embed_model: Any
) -> None:
    meta = site.add("/a/meta", body=article_html(30, published="2022-05-15T08:00:00Z"))
    listed = site.add("/a/listed", body=article_html(31))
    entries = [(meta, "Meta dated", "2022-06-01T00:00:00Z"), (listed, "Feed dated", "2022-05-17T12:00:00Z")]
    feed = site.add("/atom.xml", body=atom(entries), content_type="application/atom+xml")
    dateline = site.add("/a/dateline", body=article_html(32, lead="VAASA, May 18, 2022 (Valley News) - "))
    index = open_index(quick(make_settings), embed_model=embed_model)

    report = ingest_urls(index, [feed, dateline], index.settings).report

    assert sorted(report.added) == sorted([meta, listed, dateline])
    published = {m.url: m.published for m in index.stats().sources}
    assert published == {meta: date(2022, 5, 15), listed: date(2022, 5, 17), dateline: date(2022, 5, 18)}


def test_a_page_is_keyed_by_its_canonical_url_and_a_changed_page_replaces_the_old_one(
    site: Site, make_settings: SettingsFactory, embed_model: Any
) -> None:
    canonical = site.url("/story")
    site.add("/story", body=article_html(40, canonical=canonical, published="2022-05-15"), etag='"v1"')
    tracked = site.add(
        "/story?utm_source=feed", body=article_html(40, canonical=canonical, published="2022-05-15")
    )
    index = open_index(quick(make_settings), embed_model=embed_model)

    first = ingest_urls(index, [canonical], index.settings).report
    assert first.added == (canonical,)
    (meta,) = index.stats().sources
    assert (meta.url, meta.file_name, meta.published) == (
        canonical,
        canonical.split("://", 1)[1],
        date(2022, 5, 15),
    )
    assert ingest_urls(index, [tracked], index.settings).report.unchanged == (canonical,), (
        "the same page twice adds nothing"
    )
    assert ingest_urls(index, [canonical], index.settings).report.unchanged == (canonical,)
    assert site.requests("/story")[-1].status == 304

    site.routes["/story"] = Route(
        article_html(
            40, canonical=canonical, published="2022-05-15", extra="The vote was later annulled by a court."
        ),
        etag='"v2"',
    )
    changed = ingest_urls(index, [canonical], index.settings).report
    assert changed.updated == (canonical,) and not changed.added
    assert index.stats().articles == 1
    hits = index.search("vote annulled by a court", k=3)
    assert hits and "annulled" in index.article_text(hits[0].article.article_id)
    assert len(chunks_per_article(index.settings)) == 1, "the old version's chunks are gone"


def test_an_interrupted_fetch_ingest_leaves_nothing_half_written_and_a_rerun_completes(
    site: Site, make_settings: SettingsFactory, embed_model: Any
) -> None:
    links = add_pages(site, range(60, 80))
    feed = site.add("/feed.xml", body=rss([(u, "item", None) for u in links]), content_type=RSS, etag='"f"')
    settings = quick(make_settings)
    failing = FailingEmbedding(embed_model, fail_on=2)  # the second batch of pages fails while embedding
    with pytest.raises(IngestError, match="embedding batch 2 failed"):
        ingest_urls(open_index(settings, embed_model=failing), [feed], settings)  # type: ignore[arg-type]

    index = open_index(settings, embed_model=embed_model)
    committed = {m.url for m in index.stats().sources}
    assert len(committed) == PAGES_PER_BATCH and committed <= set(links)
    state = FetchState(state_path(settings.data_dir), settings.collection)
    recorded = {u for u in [feed, *links] if state.get(u) is not None}
    state.close()
    assert recorded == committed, "only fetches whose articles were committed are remembered; not the feed"

    report = ingest_urls(index, [feed], index.settings).report
    assert len(report.added) == len(links) - PAGES_PER_BATCH
    assert sorted(report.unchanged) == sorted(committed)
    stats = index.stats()
    assert stats.articles == len(links)
    per_article = chunks_per_article(settings)
    assert set(per_article) == {m.article_id for m in stats.sources}, "no chunks of an uncommitted article"
    assert sum(per_article.values()) == stats.chunks, "no duplicate chunks"
    assert Counter(m.url for m in stats.sources).most_common(1)[0][1] == 1


def test_the_same_story_at_a_second_address_is_skipped_naming_the_first(
    site: Site, make_settings: SettingsFactory, embed_model: Any
) -> None:
    first = site.add("/a", body=article_html(50))
    copy = site.add("/b", body=article_html(50))
    index = open_index(quick(make_settings), embed_model=embed_model)
    report = ingest_urls(index, [first, copy], index.settings).report
    assert report.added == (first,)
    assert reasons(report) == {copy: f"same text as {first}, which is already in the index"}


def test_prune_leaves_fetched_pages_alone(
    site: Site, make_settings: SettingsFactory, embed_model: Any, tmp_path: Path
) -> None:
    page = site.add("/kept", body=article_html(51))
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "note.txt").write_text(
        "Harbour news\nThe harbour crane was repaired on Monday by the port staff.\n"
    )
    index = open_index(quick(make_settings), embed_model=embed_model)
    ingest_urls(index, [page], index.settings)
    report = index.add([folder], prune=True)
    assert report.removed == () and index.article_keys() == {page, str((folder / "note.txt").resolve())}

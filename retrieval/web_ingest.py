"""Ingest from the web: pages, RSS/Atom feeds and sitemaps, with the same rules as files.

``ingest_urls(index, urls)`` fetches each URL (politely, see ``fetch.py``), follows the pages a feed or
sitemap lists, extracts each page's article, and ingests the articles in small batches. A page's key in
the index is its canonical URL: the same page twice adds nothing, a changed page replaces its old version.

What makes a second run cheap, and still lose nothing:
- a feed or sitemap is asked for conditionally; a 304 means none of its pages is fetched at all;
- a listed page whose listing date stamp is unchanged, and whose article the index holds, is not fetched;
- any other page already in the index is asked for conditionally (a 304 leaves it as it is);
- a fetch record is saved only after its article is committed, and a feed's only when every page it lists
  was dealt with (none failed in a way worth retrying), so an interrupted or half-failed run is redone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol

from retrieval.config import Settings
from retrieval.corpus import article_id_for
from retrieval.errors import FetchError
from retrieval.feeds import Item, body_of, feed_items, kind_of, sitemap_entries
from retrieval.fetch import Fetched, Fetcher
from retrieval.fetch_state import FetchRecord, FetchState, state_path
from retrieval.types import Article, ArticleMeta, IngestReport, SkippedFile
from retrieval.webpage import article_date, display_name, extract_page, page_key

PAGES_PER_BATCH = 8  # articles committed together: an interruption loses at most this much fetching
MAX_SITEMAP_DEPTH = 3  # a sitemap index of sitemap indexes of sitemaps, no deeper

FetchProgress = Callable[[int, int], None]
"""Called as ``progress(pages_done, pages_to_do)``; ``pages_to_do`` is 0 while feeds are being read."""


class ArticleSink(Protocol):
    """What web ingest needs of :class:`retrieval.Index`."""

    def add_articles(self, items: Sequence[Article | SkippedFile]) -> IngestReport: ...
    def article_keys(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class WebIngestReport:
    """What one web ingest did: the articles (keyed by URL), and which feeds had nothing new."""

    report: IngestReport
    not_modified: tuple[str, ...] = ()  # feeds and sitemaps unchanged since the last run


@dataclass
class _Target:
    item: Item
    source: str | None  # the feed or sitemap that listed it; None for a URL given directly
    fetched: Fetched | None = None  # a page given directly was fetched to learn what it is


@dataclass
class _Run:
    index: ArticleSink
    settings: Settings
    fetcher: Fetcher
    state: FetchState
    progress: FetchProgress | None
    keys: frozenset[str] = frozenset()
    targets: list[_Target] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_modified: list[str] = field(default_factory=list)
    reports: list[IngestReport] = field(default_factory=list)
    pending: list[tuple[Article, FetchRecord]] = field(default_factory=list)
    sources: dict[str, FetchRecord] = field(default_factory=dict)  # saved once all their pages are dealt with
    parent: dict[str, str] = field(default_factory=dict)  # a sitemap -> the sitemap index listing it
    incomplete: set[str] = field(default_factory=set)

    # --- problems ----------------------------------------------------------------------------------
    def skip(self, url: str, reason: str, source: str | None, *, retry: bool = False) -> None:
        """Report ``url`` as skipped; a retryable failure keeps its feed from being marked as read."""
        self.skipped.append(SkippedFile(url, reason))
        while retry and source is not None:
            self.incomplete.add(source)
            source = self.parent.get(source)

    # --- feeds, sitemaps and URLs given directly ---------------------------------------------------
    def expand(self, url: str, source: str | None = None, depth: int = 0) -> None:
        """Fetch one URL: a page becomes a target, a feed or sitemap adds the pages it lists."""
        record = self.state.get(url)
        send = None
        if record is not None and (record.kind != "page" or record.article_key in self.keys):
            send = record.validators
        try:
            fetched = self.fetcher.get(url, validators=send)
        except FetchError as exc:
            self.skip(url, exc.reason, source, retry=exc.retryable)
            return
        if fetched.not_modified and record is not None:
            if record.kind == "page" and record.article_key:
                self.unchanged.append(record.article_key)
            else:
                self.not_modified.append(url)
            return
        try:
            body = body_of(fetched, self.settings.fetch_max_bytes)
            kind = kind_of(fetched.content_type, body)
            if kind == "page":
                self.targets.append(_Target(Item(url), source, fetched))
                return
            if kind is None:
                shown = fetched.content_type or "none"
                raise FetchError(f"not an HTML page, RSS/Atom feed or sitemap (content type {shown})")
            items, children = (
                (feed_items(body, fetched.final_url), [])
                if kind == "feed"
                else sitemap_entries(body, fetched.final_url)
            )
        except FetchError as exc:
            self.skip(url, exc.reason, source, retry=exc.retryable)
            return
        self.sources[url] = FetchRecord(url, kind, fetched.validators)
        for child in children:
            if depth + 1 >= MAX_SITEMAP_DEPTH:
                self.skip(child, f"sitemap nested more than {MAX_SITEMAP_DEPTH} deep", url)
                continue
            self.parent[child] = url
            self.expand(child, url, depth + 1)
        limit = self.settings.fetch_max_items
        if len(items) > limit:
            self.skip(
                url, f"lists {len(items)} pages; only the first {limit} taken (NEWSBOT_FETCH_MAX_ITEMS)", None
            )
        self.targets.extend(_Target(item, url) for item in items[:limit])

    # --- pages -------------------------------------------------------------------------------------
    def page(self, target: _Target) -> None:
        """Fetch one page (unless it is known unchanged) and queue its article."""
        item = target.item
        record = self.state.get(item.url)
        if record is None or record.kind != "page" or record.article_key not in self.keys:
            record = None  # not in the index (any more): fetch it in full
        fetched = target.fetched
        if record and record.article_key and fetched is None and item.fingerprint == record.fingerprint != "":
            self.unchanged.append(record.article_key)  # the listing says it has not changed
            return
        if fetched is None:
            try:
                fetched = self.fetcher.get(item.url, validators=record.validators if record else None)
            except FetchError as exc:
                self.skip(item.url, exc.reason, target.source, retry=exc.retryable)
                return
        if fetched.not_modified and record and record.article_key:
            self.unchanged.append(record.article_key)
            if item.fingerprint != record.fingerprint:  # remember the new stamp: no need to ask next time
                self.state.put([replace(record, fingerprint=item.fingerprint)])
            return
        if kind_of(fetched.content_type, fetched.body) != "page":
            shown = fetched.content_type or "none"
            self.skip(item.url, f"not an HTML page (content type {shown})", target.source)
            return
        extracted = extract_page(fetched.body, url=fetched.final_url)
        if extracted is None:
            self.skip(item.url, "no article text found in this page", target.source)
            return
        key = page_key(fetched.final_url, extracted.canonical_url)
        if any(article.path == key for article, _ in self.pending):
            self.skip(item.url, f"the same page as another link ({key})", target.source)
            return
        article = Article(
            meta=ArticleMeta(
                article_id=article_id_for(extracted.text),
                file_name=display_name(key),
                title=extracted.title or item.title or display_name(key),
                url=key,
                published=article_date(extracted, listed=item.published, reference=date.today()),
                source=extracted.site,
            ),
            text=extracted.text,
            path=key,
        )
        self.pending.append(
            (article, FetchRecord(item.url, "page", fetched.validators, key, item.fingerprint))
        )
        if len(self.pending) >= PAGES_PER_BATCH:
            self.flush()

    def flush(self) -> None:
        """Commit the queued articles, then record their fetches (never before: see the module doc)."""
        if not self.pending:
            return
        report = self.index.add_articles([article for article, _ in self.pending])
        self.reports.append(report)
        stored = {*report.added, *report.updated, *report.unchanged}
        self.state.put(record for article, record in self.pending if article.path in stored)
        self.keys = self.keys | stored
        self.pending.clear()

    # --- the whole run -----------------------------------------------------------------------------
    def run(self, urls: Sequence[str]) -> WebIngestReport:
        self.keys = self.index.article_keys()
        self._tick(0, 0)
        for url in dict.fromkeys(u.strip() for u in urls if u.strip()):
            self.expand(url)
        targets = list({t.item.url: t for t in reversed(self.targets)}.values())[::-1]  # first listing wins
        self._tick(0, len(targets))
        for done, target in enumerate(targets, start=1):
            self.page(target)
            self._tick(done, len(targets))
        self.flush()
        self.state.put(r for url, r in self.sources.items() if url not in self.incomplete)
        return WebIngestReport(self._merged(), tuple(self.not_modified))

    def _tick(self, done: int, total: int) -> None:
        if self.progress:
            self.progress(done, total)

    def _merged(self) -> IngestReport:
        fetched = IngestReport(unchanged=tuple(self.unchanged), skipped=tuple(self.skipped))
        return merge_reports(fetched, *self.reports)


def merge_reports(*reports: IngestReport) -> IngestReport:
    """One report for several ingest runs (a path reported unchanged twice is listed once)."""

    def joined(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(path for report in reports for path in getattr(report, name)))

    return IngestReport(
        added=joined("added"),
        updated=joined("updated"),
        unchanged=joined("unchanged"),
        removed=joined("removed"),
        skipped=tuple(skip for report in reports for skip in report.skipped),
        chunks_written=sum(report.chunks_written for report in reports),
    )


def ingest_urls(
    index: ArticleSink,
    urls: Sequence[str],
    settings: Settings,
    *,
    progress: FetchProgress | None = None,
    fetcher: Fetcher | None = None,
) -> WebIngestReport:
    """Fetch pages, feeds and sitemaps and ingest their articles; problems come back as skips per URL.

    ``settings`` gives the limits and where fetch records are kept (the index's own settings).
    """
    state = FetchState(state_path(settings.data_dir), settings.collection)
    own_fetcher = fetcher is None
    active = fetcher or Fetcher(settings)
    try:
        return _Run(index, settings, active, state, progress).run(urls)
    finally:
        state.close()
        if own_fetcher:
            active.close()

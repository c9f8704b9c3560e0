"""What a fetched URL is (a page, an RSS/Atom feed, a sitemap) and the page links a feed or sitemap lists.

Feeds are read with feedparser (RSS 0.9x/1.0/2.0, Atom); sitemaps (``urlset``, ``sitemapindex``, gzipped
or not, with Google News' ``news:`` fields) with defusedxml, so a hostile XML file cannot expand entities.
"""

from __future__ import annotations

import calendar
import gzip
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import urljoin

from retrieval.corpus import parse_date
from retrieval.errors import FetchError
from retrieval.fetch import Fetched, is_url

Kind = Literal["page", "feed", "sitemap"]
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_XML_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml"}
)
_SNIFFED_TYPES = frozenset({"", "text/plain", "application/octet-stream", "application/x-gzip"})
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_SKIP_HEAD = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>|\s+", re.DOTALL | re.IGNORECASE)
_ROOTS: dict[bytes, Kind] = {
    b"html": "page",
    b"rss": "feed",
    b"feed": "feed",
    b"rdf": "feed",
    b"urlset": "sitemap",
    b"sitemapindex": "sitemap",
}


@dataclass(frozen=True)
class Item:
    """A page a feed or sitemap lists, with what the listing says about it."""

    url: str
    title: str | None = None
    published: date | None = None
    fingerprint: str = ""  # the listing's date stamp for it: a new stamp means the page changed


def body_of(fetched: Fetched, max_bytes: int) -> bytes:
    """The body, un-gzipped when it is a gzip file (``sitemap.xml.gz``), never past ``max_bytes``."""
    body = fetched.body
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            data = stream.read(max_bytes + 1)
    except (OSError, EOFError) as exc:
        raise FetchError(f"a broken gzip file ({exc})") from exc
    if len(data) > max_bytes:
        raise FetchError(f"unpacks to over the {max_bytes / 1e6:g} MB limit (NEWSBOT_FETCH_MAX_BYTES)")
    return data


def root_tag(body: bytes) -> bytes | None:
    """The local name of the first element, lower case (``rss``, ``feed``, ``urlset``, ``html``)."""
    head = body[:4096].removeprefix(b"\xef\xbb\xbf")
    while True:
        skipped = _SKIP_HEAD.match(head)
        if not skipped or not skipped.group(0):
            break
        head = head[skipped.end() :]
    match = _FIRST_TAG.match(head)
    return match.group(1).rsplit(b":", 1)[-1].lower() if match else None


def kind_of(content_type: str, body: bytes) -> Kind | None:
    """What a 200 answer holds, from its content type and its first element; None for anything else."""
    root = _ROOTS.get(root_tag(body) or b"")
    if content_type in _HTML_TYPES:
        return root or "page"
    if content_type in _XML_TYPES or content_type in _SNIFFED_TYPES or content_type.endswith("+xml"):
        return root
    return None


def _struct_date(value: Any) -> date | None:
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC).date() if value else None
    except (TypeError, ValueError, OverflowError):
        return None


def feed_items(body: bytes, base_url: str) -> list[Item]:
    """The entries of an RSS or Atom feed, in feed order."""
    import feedparser  # only feeds need it

    # A stream, never a string: feedparser.parse fetches strings that look like URLs.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": base_url})
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        raise FetchError(f"not a readable RSS or Atom feed ({problem or 'no entries'})")
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or next(
            (ln.get("href") for ln in entry.get("links", []) if ln.get("rel") == "alternate"), None
        )
        if not link:
            continue
        stamp = entry.get("updated") or entry.get("published") or ""
        items.append(
            Item(
                url=urljoin(base_url, link.strip()),
                title=(entry.get("title") or "").strip() or None,
                published=_struct_date(entry.get("published_parsed") or entry.get("updated_parsed")),
                fingerprint=str(stamp),
            )
        )
    return items


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _child_text(element: Any, name: str) -> str:
    for child in element.iter():
        if _local(child.tag) == name and child.text:
            return str(child.text).strip()
    return ""


def sitemap_entries(body: bytes, base_url: str) -> tuple[list[Item], list[str]]:
    """The pages a sitemap lists, and the sitemaps a sitemap index points to."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(body)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise FetchError(f"not a readable sitemap ({type(exc).__name__}: {exc})") from exc
    pages: list[Item] = []
    children: list[str] = []
    for element in root:
        loc = urljoin(base_url, _child_text(element, "loc"))
        if not is_url(loc):
            continue
        if _local(element.tag) == "sitemap":
            children.append(loc)
        elif _local(element.tag) == "url":
            stamp = _child_text(element, "lastmod") or _child_text(element, "publication_date")
            pages.append(
                Item(
                    url=loc,
                    title=_child_text(element, "title") or None,
                    published=parse_date(_child_text(element, "publication_date")),
                    fingerprint=stamp,
                )
            )
    return pages, children

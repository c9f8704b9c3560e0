"""An article out of an HTML page (trafilatura): its text, title, date, canonical URL and site.

Used for .html files and for fetched pages alike. The date comes from the page's metadata (``<meta>``
tags, JSON-LD, ``<time>``: trafilatura's htmldate, which does not guess from the text), else from what the
feed or sitemap said, else from the dateline at the top of the text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from retrieval.corpus import parse_date
from retrieval.dates import dateline_date

_TRACKING_PREFIXES = ("utm_", "mc_")
_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "dclid", "msclkid", "igshid", "ref_src"})
_FILE_NAME_MAX_CHARS = 100


@dataclass(frozen=True)
class PageText:
    """What trafilatura found in a page."""

    text: str
    title: str | None
    canonical_url: str | None  # <link rel=canonical> or og:url, as the page states it
    published: date | None  # from the page's metadata only
    site: str | None


def extract_page(html: bytes | str, *, url: str | None = None) -> PageText | None:
    """The main text and metadata of an HTML page; None when it holds no article text."""
    import trafilatura  # slow to import; only HTML needs it

    extracted = trafilatura.extract(
        html, url=url, output_format="json", with_metadata=True, include_comments=False
    )
    data = json.loads(extracted) if extracted else {}
    body = (data.get("text") or "").strip()
    if not body:
        return None
    return PageText(
        text=body,
        title=(data.get("title") or "").strip() or None,
        canonical_url=data.get("source") or data.get("url") or None,
        published=parse_date(data.get("date")),
        site=data.get("hostname") or data.get("sitename") or None,
    )


def article_date(page: PageText, *, listed: date | None = None, reference: date | None = None) -> date | None:
    """HTML metadata first, then the feed's or sitemap's date for the page, then the text's dateline."""
    return page.published or listed or dateline_date(page.text, reference=reference)


def normalize_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, fragment or tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = urlencode(
        [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if not key.lower().startswith(_TRACKING_PREFIXES) and key.lower() not in _TRACKING_PARAMS
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _site(host: str) -> str:
    return host.removeprefix("www.")


def page_key(final_url: str, canonical_url: str | None) -> str:
    """The page's identity in the index: its canonical URL when that is on the same site, else where it was read.

    A canonical URL on another site is ignored: a page must not be able to replace another site's article.
    """
    final = normalize_url(final_url)
    if canonical_url:
        canonical = normalize_url(canonical_url)
        same_site = _site(urlsplit(canonical).hostname or "") == _site(urlsplit(final).hostname or "")
        if urlsplit(canonical).scheme in ("http", "https") and same_site:
            return canonical
    return final


def display_name(url: str) -> str:
    """A short name for a page in lists and citations: host and path."""
    parts = urlsplit(url)
    name = _site(parts.netloc) + (parts.path.rstrip("/") or "/")
    return name if len(name) <= _FILE_NAME_MAX_CHARS else name[: _FILE_NAME_MAX_CHARS - 1] + "…"

"""A loopback web site for fetch tests: pages, feeds, sitemaps, robots.txt, and misbehaving URLs.

Each route answers as configured (status, type, body, ETag/Last-Modified honoured with 304s, redirects,
a stall before answering, a body streamed without Content-Length); every request is logged.
"""

from __future__ import annotations

import html
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HTML = "text/html; charset=utf-8"


@dataclass
class Route:
    """How one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = HTML
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None  # for a redirect
    stall_s: float = 0.0  # wait this long before answering
    declare_length: bool = True  # False: stream the body in pieces, with no Content-Length


@dataclass
class Request:
    """One request the site saw."""

    path: str
    headers: dict[str, str]
    status: int


@dataclass
class Site:
    """The routes and the request log of the loopback server."""

    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        """The full URL of ``path`` on this site."""
        return self.base + path

    def add(self, path: str, route: Route | None = None, **kwargs: Any) -> str:
        """Serve ``path`` as described; returns its URL."""
        self.routes[path] = route or Route(**kwargs)
        return self.url(path)

    def requests(self, path: str | None = None) -> list[Request]:
        """Requests seen so far (for one path, or all)."""
        with self.lock:
            return [r for r in self.log if path is None or r.path == path]

    def page_requests(self) -> list[Request]:
        """Requests other than robots.txt."""
        return [r for r in self.requests() if r.path != "/robots.txt"]

    def clear_log(self) -> None:
        """Forget the requests seen so far."""
        with self.lock:
            self.log.clear()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up on a kept-alive connection is normal here; anything else is printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            route = site.routes.get(self.path) or Route(b"not found", status=404, content_type="text/plain")
            headers = {k.lower(): v for k, v in self.headers.items()}
            unchanged = (route.etag and headers.get("if-none-match") == route.etag) or (
                route.last_modified and headers.get("if-modified-since") == route.last_modified
            )
            status = 304 if unchanged and route.status == 200 else route.status
            with site.lock:
                site.log.append(Request(self.path, headers, status))
            if route.stall_s:
                time.sleep(route.stall_s)
            with suppress(BrokenPipeError, ConnectionResetError):  # the client gave up: a limit worked
                self._answer(route, status)

        def _answer(self, route: Route, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Type", route.content_type)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            if route.location:
                self.send_header("Location", route.location)
            body = b"" if status == 304 else route.body
            if route.declare_length or status == 304:
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 65536):
                piece = body[start : start + 65536]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

    return Handler


@contextmanager
def serve_site() -> Iterator[Site]:
    """A web site on 127.0.0.1 (a free port), stopped on leaving (test modules make it a ``site`` fixture)."""
    found = Site()
    server = _QuietServer(("127.0.0.1", 0), _handler(found))
    found.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


# --- content ----------------------------------------------------------------------------------------------
TOPICS = [
    "harbour",
    "orchard",
    "railway",
    "library",
    "bridge",
    "school",
    "market",
    "museum",
    "ferry",
    "clinic",
]


def article_html(
    number: int,
    *,
    title: str | None = None,
    published: str | None = None,
    canonical: str | None = None,
    extra: str = "",
    lead: str = "",
) -> bytes:
    """A news page whose text is unique to ``number`` (trafilatura finds its text, title and date)."""
    topic = TOPICS[number % len(TOPICS)]
    title = title or f"Council approves {topic} plan number {number}"
    paragraphs = [
        f"{lead}The town council approved plan number {number} for the {topic} on Tuesday, after a debate "
        f"that lasted {number + 2} hours and drew {number * 11 + 40} residents to the hall.",
        f"Supporters said the {topic} project would create {number * 3 + 12} jobs, while critics "
        f"warned that the budget of {number * 5 + 100} thousand euros was too small for the work.",
        f"The mayor said construction of item {number} would begin next spring. {extra}".strip(),
    ]
    head = [f"<title>{html.escape(title)} | Valley News</title>"]
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        f"<!doctype html><html><head>{''.join(head)}</head><body><nav>Home | World</nav>"
        f"<article><h1>{html.escape(title)}</h1>{body}</article><footer>© Valley News</footer></body></html>"
    ).encode()


def rss(items: list[tuple[str, str, str | None]], *, title: str = "Valley News") -> bytes:
    """An RSS 2.0 feed of (link, title, pubDate) items."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>"
        + (f"<pubDate>{date}</pubDate>" if date else "")
        + f"<guid>{html.escape(link)}</guid></item>"
        for link, t, date in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>http://example.invalid/</link><description>news</description>{entries}</channel></rss>"
    ).encode()


def atom(items: list[tuple[str, str, str]]) -> bytes:
    """An Atom feed of (link, title, updated) entries."""
    entries = "".join(
        f'<entry><title>{html.escape(t)}</title><link rel="alternate" href="{html.escape(link)}"/>'
        f"<id>{html.escape(link)}</id><updated>{updated}</updated></entry>"
        for link, t, updated in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Valley News</title><id>urn:valley</id><updated>2022-05-15T00:00:00Z</updated>{entries}</feed>"
    ).encode()


def sitemap(urls: list[tuple[str, str | None]]) -> bytes:
    """A sitemap ``urlset`` of (loc, lastmod)."""
    entries = "".join(
        f"<url><loc>{html.escape(loc)}</loc>" + (f"<lastmod>{mod}</lastmod>" if mod else "") + "</url>"
        for loc, mod in urls
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def sitemap_index(locs: list[str]) -> bytes:
    """A sitemap index pointing to other sitemaps."""
    entries = "".join(f"<sitemap><loc>{html.escape(loc)}</loc></sitemap>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
    ).encode()

"""A polite HTTP client for pages, feeds and sitemaps (httpx).

Being a good client means, for every request: robots.txt is obeyed (fetched once per site, RFC 9309), one
site is not asked more often than ``fetch_min_interval_s`` (or its ``Crawl-delay``), every answer has a
deadline (``fetch_timeout_s`` for the whole exchange) and a size cap (``fetch_max_bytes``, checked before
and while reading), redirects are followed by hand so each hop is checked the same way and a loop is named,
and a resource fetched before is asked for conditionally (ETag / Last-Modified), so an unchanged one costs
a 304 and no body.

Failures raise :class:`~retrieval.errors.FetchError` with a reason a person can act on; ``retryable``
says whether trying again later may help (a timeout, a 503) or not (a 404, a page too large).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from retrieval.config import Settings
from retrieval.errors import FetchError

if TYPE_CHECKING:
    import httpx

ROBOTS_MAX_BYTES = 500_000  # RFC 9309: crawlers may ignore robots.txt content past 500 KiB
MAX_CRAWL_DELAY_S = 60.0  # a site asking for more is still visited, once a minute at most
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Validators:
    """What a server said identifies a version of a resource, sent back to ask "has it changed?"."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional-request headers for these validators."""
        found = {}
        if self.etag:
            found["If-None-Match"] = self.etag
        if self.last_modified:
            found["If-Modified-Since"] = self.last_modified
        return found


@dataclass(frozen=True)
class Fetched:
    """A resource as fetched: 200 with its body, or 304 (not modified, no body)."""

    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    content_type: str  # media type, lower case, without parameters ("" when the server sent none)
    body: bytes
    validators: Validators

    @property
    def not_modified(self) -> bool:
        """True for a 304: the version we already have is current."""
        return self.status == 304


def is_url(text: str) -> bool:
    """True for an http(s) URL (what ``newsbot ingest`` fetches instead of reading a file)."""
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


class Fetcher:
    """Fetches URLs politely; one per run (it remembers each site's robots.txt and last request time).

    ``transport``, ``clock`` and ``sleep`` are test seams; the defaults are the real network and time.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.settings = settings
        self._agent_token = settings.user_agent.split("/", 1)[0].strip() or "newsbot"
        self._client = httpx.Client(
            timeout=httpx.Timeout(settings.fetch_timeout_s),
            headers={"User-Agent": settings.user_agent},
            follow_redirects=False,
            transport=transport,
        )
        self._clock = clock
        self._sleep = sleep
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser | FetchError] = {}

    # --- the public call ---------------------------------------------------------------------------
    def get(self, url: str, *, validators: Validators | None = None) -> Fetched:
        """GET ``url`` (conditionally when ``validators`` are given), following redirects; or FetchError."""
        if not is_url(url):
            raise FetchError(f"{url} is not an http(s) URL")
        headers = validators.headers() if validators else {}
        seen = [url]
        current = url
        while True:
            self._check_robots(current)
            status, response_headers, body = self._exchange(current, headers)
            if status not in _REDIRECTS:
                break
            location = response_headers.get("location")
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location header")
            target = urljoin(current, location.strip()).split("#", 1)[0]
            if target in seen:
                raise FetchError(f"redirect loop: {current} sends back to {target}")
            if len(seen) > self.settings.fetch_max_redirects:
                raise FetchError(
                    f"too many redirects (more than {self.settings.fetch_max_redirects}, "
                    "NEWSBOT_FETCH_MAX_REDIRECTS)"
                )
            if not is_url(target):
                raise FetchError(f"redirected to {target}, which is not an http(s) URL")
            seen.append(target)
            current = target
        if status == 304:
            return Fetched(url, current, 304, "", b"", validators or Validators())
        if status != 200:
            raise FetchError(f"HTTP {status}", retryable=status in _RETRYABLE_STATUS or status >= 500)
        return Fetched(
            url=url,
            final_url=current,
            status=200,
            content_type=response_headers.get("content-type", "").split(";", 1)[0].strip().lower(),
            body=body,
            validators=Validators(response_headers.get("etag"), response_headers.get("last-modified")),
        )

    # --- robots.txt --------------------------------------------------------------------------------
    def _check_robots(self, url: str) -> None:
        origin = _origin(url)
        rules = self._robots.get(origin)
        if rules is None:
            rules = self._robots[origin] = self._load_robots(origin)
        if isinstance(rules, FetchError):
            raise rules
        if not rules.can_fetch(self._agent_token, url):
            raise FetchError(f"robots.txt of {urlsplit(url).netloc} disallows fetching it")

    def _load_robots(self, origin: str) -> RobotFileParser | FetchError:
        """The site's rules; a missing robots.txt allows everything, an unreachable one nothing (RFC 9309)."""
        rules = RobotFileParser(f"{origin}/robots.txt")
        url = f"{origin}/robots.txt"
        try:
            for _hop in range(5):  # RFC 9309: follow at least five redirects
                status, headers, body = self._exchange(url, {}, max_bytes=ROBOTS_MAX_BYTES, truncate=True)
                if status not in _REDIRECTS or not headers.get("location"):
                    break
                url = urljoin(url, headers["location"])
        except FetchError as exc:
            return FetchError(f"robots.txt of {urlsplit(origin).netloc} cannot be read ({exc.reason})", True)
        if status == 200:
            rules.parse(body.decode("utf-8", errors="replace").splitlines())
        elif 400 <= status < 500:
            rules.parse([])  # no rules: everything allowed
        else:
            return FetchError(f"robots.txt of {urlsplit(origin).netloc} answered HTTP {status}", True)
        return rules

    def _crawl_delay_s(self, origin: str) -> float:
        rules = self._robots.get(origin)
        delay = rules.crawl_delay(self._agent_token) if isinstance(rules, RobotFileParser) else None
        return min(float(delay or 0), MAX_CRAWL_DELAY_S)

    # --- one HTTP exchange -------------------------------------------------------------------------
    def _wait_turn(self, origin: str) -> None:
        """Keep ``fetch_min_interval_s`` (or the site's Crawl-delay) between two requests to one site."""
        interval = max(self.settings.fetch_min_interval_s, self._crawl_delay_s(origin))
        last = self._last_request.get(origin)
        if last is not None:
            wait = last + interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request[origin] = self._clock()

    def _exchange(
        self, url: str, headers: dict[str, str], *, max_bytes: int | None = None, truncate: bool = False
    ) -> tuple[int, dict[str, str], bytes]:
        """One request: status, headers (lower-case names) and body, within the deadline and size cap."""
        import httpx

        limit = max_bytes or self.settings.fetch_max_bytes
        timeout_s = self.settings.fetch_timeout_s
        self._wait_turn(_origin(url))
        deadline = time.monotonic() + timeout_s
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                found = {name.lower(): value for name, value in response.headers.items()}
                if response.status_code != 200:
                    return response.status_code, found, b""
                declared = found.get("content-length", "")
                if declared.isdigit() and int(declared) > limit and not truncate:
                    raise _too_large(limit, int(declared))
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > limit:
                        if truncate:
                            break
                        raise _too_large(limit)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("deadline passed while reading")
                return 200, found, bytes(body[:limit])
        except httpx.TimeoutException as exc:
            raise FetchError(
                f"timed out: no complete answer within {timeout_s:g} s (NEWSBOT_FETCH_TIMEOUT_S)", True
            ) from exc
        except httpx.TransportError as exc:  # connection refused or reset, DNS, TLS, a broken answer
            raise FetchError(f"cannot be reached ({type(exc).__name__})", True) from exc

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _too_large(limit: int, size: int | None = None) -> FetchError:
    said = f" ({size / 1e6:.1f} MB)" if size else ""
    return FetchError(f"too large{said}: over the {limit / 1e6:g} MB limit (NEWSBOT_FETCH_MAX_BYTES)")

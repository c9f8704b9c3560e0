"""``newsbot ingest URL|FEED|SITEMAP`` as a subprocess against a loopback site (it loads the model once)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_support import BIN_DIR, newsbot_env
from web_support import Site, article_html, rss, serve_site

from retrieval import Settings

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def site() -> Iterator[Site]:
    """The loopback web site of one test."""
    with serve_site() as found:
        yield found


def newsbot(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = newsbot_env(settings, NEWSBOT_FETCH_MIN_INTERVAL_S="0")
    return subprocess.run(
        [str(BIN_DIR / "newsbot"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ingest_fetches_a_feed_and_reports_each_skipped_url_with_its_reason(
    site: Site, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    pages = [site.add(f"/p/{n}", body=article_html(n), etag=f'"{n}"') for n in range(2)]
    missing = site.url("/p/missing")
    feed = site.add(
        "/rss",
        body=rss([(u, "item", None) for u in [*pages, missing]]),
        content_type="application/rss+xml",
        etag='"f"',
    )
    settings = make_settings()

    first = newsbot(settings, tmp_path, "ingest", feed)
    assert first.returncode == 0, first.stderr
    assert re.search(r"added 2, updated 0, unchanged 0, removed 0, skipped 1", first.stdout), first.stdout
    assert f"skipped {missing}: HTTP 404" in first.stderr
    assert re.search(r"index: 2 articles", first.stdout)

    second = newsbot(settings, tmp_path, "ingest", feed, site.url("/p/0"))
    assert second.returncode == 0, second.stderr
    assert re.search(r"added 0, updated 0, unchanged 1, removed 0, skipped 0", second.stdout), second.stdout
    assert f"not modified since the last run: {feed}" in second.stderr

    nothing = newsbot(settings, tmp_path, "ingest", missing)
    assert nothing.returncode == 1
    assert f"skipped {missing}: HTTP 404" in nothing.stderr and "nothing was ingested" in nothing.stderr

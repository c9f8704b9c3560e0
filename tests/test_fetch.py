"""The polite HTTP client against a loopback site: conditional GET, robots.txt, limits, redirects, pace."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from web_support import Site, article_html, serve_site

from retrieval import Settings
from retrieval.errors import FetchError
from retrieval.fetch import Fetcher, Validators

SettingsFactory = Callable[..., Settings]


@pytest.fixture
def site() -> Iterator[Site]:
    """The loopback web site of one test."""
    with serve_site() as found:
        yield found


def fetcher(make_settings: SettingsFactory, **overrides: object) -> Fetcher:
    values: dict[str, object] = {"fetch_min_interval_s": 0.0, "fetch_timeout_s": 2.0}
    values.update(overrides)
    return Fetcher(make_settings(**values))


def test_a_page_comes_with_its_validators_and_a_304_when_asked_again(
    site: Site, make_settings: SettingsFactory
) -> None:
    url = site.add("/a", body=article_html(1), etag='"v1"', last_modified="Sun, 15 May 2022 09:00:00 GMT")
    with fetcher(make_settings) as client:
        first = client.get(url)
        assert first.status == 200 and b"plan number 1" in first.body
        assert first.content_type == "text/html"
        assert first.validators == Validators('"v1"', "Sun, 15 May 2022 09:00:00 GMT")

        again = client.get(url, validators=first.validators)
    assert again.not_modified and again.body == b""
    sent = site.requests("/a")[-1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == "Sun, 15 May 2022 09:00:00 GMT"
    assert sent["user-agent"].startswith("newsbot/")


def test_http_errors_say_the_status_and_whether_to_retry(site: Site, make_settings: SettingsFactory) -> None:
    site.add("/busy", body=b"later", status=503, content_type="text/plain")
    with fetcher(make_settings) as client:
        with pytest.raises(FetchError, match="HTTP 404") as missing:
            client.get(site.url("/missing"))
        with pytest.raises(FetchError, match="HTTP 503") as busy:
            client.get(site.url("/busy"))
        with pytest.raises(FetchError, match="not an http"):
            client.get("ftp://example.org/file")
    assert not missing.value.retryable and busy.value.retryable


def test_a_slow_answer_times_out_and_may_be_retried(site: Site, make_settings: SettingsFactory) -> None:
    url = site.add("/slow", body=article_html(2), stall_s=3.0)
    with fetcher(make_settings, fetch_timeout_s=0.3) as client, pytest.raises(FetchError) as raised:
        client.get(url)
    assert "timed out" in raised.value.reason and "NEWSBOT_FETCH_TIMEOUT_S" in raised.value.reason
    assert raised.value.retryable


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_20_mb_page_is_refused_by_size(
    site: Site, make_settings: SettingsFactory, declare_length: bool
) -> None:
    url = site.add("/huge", body=b"<p>" + b"x" * 20_000_000, declare_length=declare_length)
    with fetcher(make_settings) as client, pytest.raises(FetchError) as raised:
        client.get(url)
    assert "too large" in raised.value.reason and "5 MB" in raised.value.reason
    assert not raised.value.retryable


def test_redirects_are_followed_but_a_loop_or_a_long_chain_is_named(
    site: Site, make_settings: SettingsFactory
) -> None:
    site.add("/old", status=301, location="/new")
    site.add("/new", body=article_html(3))
    site.add("/loop-a", status=302, location="/loop-b")
    site.add("/loop-b", status=302, location="/loop-a")
    for hop in range(4):
        site.add(f"/chain{hop}", status=307, location=f"/chain{hop + 1}")
    site.add("/chain4", body=article_html(4))
    with fetcher(make_settings, fetch_max_redirects=3) as client:
        moved = client.get(site.url("/old"))
        assert moved.final_url == site.url("/new") and b"plan number 3" in moved.body
        with pytest.raises(FetchError, match="redirect loop"):
            client.get(site.url("/loop-a"))
        with pytest.raises(FetchError, match=r"too many redirects \(more than 3"):
            client.get(site.url("/chain0"))
    assert len(site.requests("/loop-a")) == 1, "the loop is noticed, not followed round again"


def test_robots_txt_is_obeyed_and_read_once_per_site(site: Site, make_settings: SettingsFactory) -> None:
    site.add("/robots.txt", body=b"User-agent: newsbot\nDisallow: /private/\n", content_type="text/plain")
    site.add("/private/a", body=article_html(5))
    site.add("/public", body=article_html(6))
    site.add("/to-private", status=302, location="/private/a")
    with fetcher(make_settings) as client:
        assert client.get(site.url("/public")).status == 200
        with pytest.raises(FetchError, match=r"robots.txt of 127.0.0.1:\d+ disallows"):
            client.get(site.url("/private/a"))
        with pytest.raises(FetchError, match="disallows"):
            client.get(site.url("/to-private"))  # every hop of a redirect is checked
    assert site.requests("/private/a") == []
    assert len(site.requests("/robots.txt")) == 1


def test_a_robots_txt_that_fails_with_a_server_error_means_stay_away(
    site: Site, make_settings: SettingsFactory
) -> None:
    site.add("/robots.txt", body=b"oops", status=500, content_type="text/plain")
    site.add("/page", body=article_html(7))
    with (
        fetcher(make_settings) as client,
        pytest.raises(FetchError, match=r"robots.txt .* HTTP 500") as raised,
    ):
        client.get(site.url("/page"))
    assert raised.value.retryable and site.requests("/page") == []


def test_requests_to_one_site_keep_the_minimum_interval_or_the_crawl_delay(
    site: Site, make_settings: SettingsFactory
) -> None:
    site.add("/a", body=article_html(8))
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    settings = make_settings(fetch_min_interval_s=1.5)
    with Fetcher(settings, clock=lambda: now[0], sleep=sleep) as client:
        client.get(site.url("/a"))  # robots.txt (404: no rules), then the page
        client.get(site.url("/a"))
    assert slept == [pytest.approx(1.5), pytest.approx(1.5)]

    site.add("/robots.txt", body=b"User-agent: *\nCrawl-delay: 4\n", content_type="text/plain")
    slept.clear()
    with Fetcher(settings, clock=lambda: now[0], sleep=sleep) as client:
        client.get(site.url("/a"))
        client.get(site.url("/a"))
    assert slept == [pytest.approx(4.0), pytest.approx(4.0)], "a longer Crawl-delay wins"

"""``newsbot serve`` polls feeds: the job is scheduled from the settings, and a poll ingests new items into
the real index, after which the real engine answers from them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bot_support import bot_settings, running_bot
from telegram.ext import CallbackContext
from web_support import Site, article_html, rss, serve_site

from bot.app import build_application
from bot.feeds import JOB_NAME, poll_feeds
from retrieval import AnswerEngine, open_index

RSS = "application/rss+xml"
NEW_ITEM = (
    "<p>The ferry between Vaasa and Umea will run twice a day from June, the shipping company Wasaline said. "
    "Wasaline said the new timetable adds an evening crossing on weekdays for commuters and freight.</p>"
    "<p>The company expects 300,000 passengers this year, a record for the Kvarken crossing between the two "
    "countries, and plans to add a second ship in 2024.</p>"
)


@pytest.fixture
def site() -> Iterator[Site]:
    """The loopback web site of one test."""
    with serve_site() as found:
        yield found


def test_the_feed_job_is_scheduled_only_when_feeds_are_configured(tmp_path: Path) -> None:
    feeds = ["http://127.0.0.1:9/rss", "http://127.0.0.1:9/sitemap.xml"]
    app = build_application(bot_settings(tmp_path, feeds=feeds, feed_poll_interval_s=120))
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(JOB_NAME)
    assert job.callback is poll_feeds
    assert job.job.trigger.interval.total_seconds() == 120

    quiet = build_application(bot_settings(tmp_path))
    assert quiet.job_queue is not None and quiet.job_queue.get_jobs_by_name(JOB_NAME) == ()


async def test_a_poll_ingests_a_new_feed_item_which_is_then_answered(
    site: Site, tmp_path: Path, embed_model: Any, caplog: pytest.LogCaptureFixture
) -> None:
    first = site.add("/n/1", body=article_html(1), etag='"1"')
    feed = site.add("/rss", body=rss([(first, "One", None)]), content_type=RSS, etag='"f1"')
    settings = bot_settings(tmp_path, feeds=[feed], fetch_min_interval_s=0.0, collection="bot_feeds")
    index = open_index(settings, embed_model=embed_model)
    engine = AnswerEngine(index)
    async with running_bot(settings, index, engine) as harness:  # type: ignore[arg-type]
        context = CallbackContext(harness.app)
        await poll_feeds(context)
        assert index.article_keys() == {first}

        second = site.add(
            "/n/2",
            body=article_html(2, title="Ferry to run twice a day", extra="").replace(
                b"</article>", NEW_ITEM.encode() + b"</article>"
            ),
        )
        site.routes["/rss"].body = rss([(second, "Ferry", None), (first, "One", None)])
        site.routes["/rss"].etag = '"f2"'
        caplog.clear()
        with caplog.at_level("INFO", logger="bot.feeds"):
            await poll_feeds(context)
    assert index.article_keys() == {first, second}
    assert "feeds polled (1 URLs): 1 added, 0 updated, 1 unchanged, 0 skipped" in caplog.text
    answer = engine.ask("How many passengers does Wasaline expect?")
    assert not answer.abstained and "300,000" in answer.text
    assert answer.citations[0].url == second


async def test_a_poll_logs_each_skipped_url_with_its_reason(
    site: Site, tmp_path: Path, embed_model: Any, caplog: pytest.LogCaptureFixture
) -> None:
    missing = site.url("/n/gone")
    feed = site.add("/rss", body=rss([(missing, "Gone", None)]), content_type=RSS)
    settings = bot_settings(tmp_path, feeds=[feed], fetch_min_interval_s=0.0, collection="bot_feeds_skip")
    index = open_index(settings, embed_model=embed_model)
    async with running_bot(settings, index) as harness:  # type: ignore[arg-type]
        with caplog.at_level("INFO", logger="bot.feeds"):
            await poll_feeds(CallbackContext(harness.app))
    assert f"feed item skipped: {missing}: HTTP 404" in caplog.text
    assert index.stats().articles == 0

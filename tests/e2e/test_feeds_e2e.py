"""End to end: ``newsbot serve`` with ``NEWSBOT_FEEDS`` polls a loopback RSS feed, ingests its items as they
appear, and answers users from them through the Telegram Bot API emulator.

Uses the emulator set-up of ``test_bot_e2e`` (its own emulator and bot process; skipped without node).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import test_bot_e2e as shared
from emulator_client import EmulatorClient, joined
from web_support import Site, article_html, rss, serve_site

pytestmark = [pytest.mark.server, pytest.mark.slow]

node_modules = shared.node_modules  # the fixtures, one emulator per module
workdir = shared.workdir
emulator = shared.emulator
USER = 2090  # on the allow-list of shared._bot_env
POLL_INTERVAL_S = 1.0
FERRY = (
    "<p>The ferry between Vaasa and Umea will run twice a day from June, the shipping company Wasaline said. "
    "The new timetable adds an evening crossing on weekdays for commuters and freight.</p>"
    "<p>Wasaline expects 300,000 passengers this year, a record for the Kvarken crossing, and plans to add a "
    "second ship in 2024.</p>"
)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """The news site whose feed the bot polls."""
    with serve_site() as found:
        found.add("/news/1", body=article_html(1), etag='"1"')
        found.add("/rss", body=rss([(found.url("/news/1"), "One", None)]), content_type="application/rss+xml")
        yield found


@pytest.fixture(scope="module")
def bot(workdir: Path, emulator: str, site: Site) -> Iterator[shared.Process]:
    """``newsbot serve`` on an empty index, polling the site's feed every second."""
    env = shared._bot_env(
        workdir,
        emulator,
        NEWSBOT_FEEDS=site.url("/rss"),
        NEWSBOT_FEED_POLL_INTERVAL_S=str(POLL_INTERVAL_S),
        NEWSBOT_FETCH_MIN_INTERVAL_S="0",
        NEWSBOT_COLLECTION="bot_feeds_e2e",
    )
    process = shared.Process("serve-feeds", [*shared._newsbot(), "serve"], env, workdir)
    try:
        process.start("newsbot ready")
        yield process
    finally:
        process.stop()


def wait_for_log(process: shared.Process, text: str, count: int = 1, timeout_s: float = 120.0) -> None:
    """Wait until ``text`` has appeared ``count`` times in the bot's log."""
    deadline = time.monotonic() + timeout_s
    while process.output().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not logged {count} times:\n{process.output()[-3000:]}"
        time.sleep(0.2)


def test_the_bot_ingests_feed_items_as_they_appear_and_answers_from_them(
    bot: shared.Process, emulator: str, site: Site
) -> None:
    wait_for_log(bot, "1 added, 0 updated, 0 unchanged")  # the poll at start-up
    users = EmulatorClient(emulator, shared.TOKEN)
    try:
        first = joined(users.ask(USER, "How many residents came to the hall for plan number 1?"))
        assert "51" in first and "[1]" in first, first

        site.add("/news/2", body=article_html(2).replace(b"</article>", FERRY.encode() + b"</article>"))
        site.routes["/rss"].body = rss(
            [(site.url("/news/2"), "Ferry", None), (site.url("/news/1"), "One", None)]
        )
        wait_for_log(bot, "1 added, 0 updated, 1 unchanged")
        second = joined(users.ask(USER, "How many passengers does Wasaline expect?"))
        assert "300,000" in second and "[1]" in second, second
        assert "not modified" not in second
    finally:
        users.close()
    assert "feed item skipped" not in bot.output()

"""``newsbot serve`` polls the configured feeds, sitemaps and pages (``NEWSBOT_FEEDS``) on the JobQueue.

Each poll runs :func:`retrieval.web_ingest.ingest_urls` on the worker pool, under the same lock as an
admin's /ingest, so the index sees one writer at a time; what it did is logged, each skipped URL with its
reason. A poll that is still running when the next is due is not started twice.
"""

from __future__ import annotations

import logging

from telegram.ext import Application, ContextTypes, Job

from bot.follows import check_soon
from bot.jobs import run_repeating
from bot.services import services
from retrieval.config import Settings
from retrieval.errors import NewsbotError

logger = logging.getLogger("bot.feeds")

JOB_NAME = "newsbot.feeds"


def schedule_feed_polling(app: Application, settings: Settings) -> Job | None:
    """Poll ``settings.feeds`` now and every ``feed_poll_interval_s``; None when no feeds are configured."""
    if not settings.feeds:
        return None
    return run_repeating(app, poll_feeds, settings.feed_poll_interval_s, JOB_NAME, "polling feeds")


async def poll_feeds(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Fetch the configured feeds and ingest what is new; log the counts and every skipped URL."""
    from retrieval.web_ingest import ingest_urls

    found = services(context)
    urls = found.settings.feeds
    async with found.ingest_lock:
        try:
            result = await found.run(ingest_urls, found.index, urls, found.settings)
        except NewsbotError as exc:  # the index is consistent; the next poll picks up the rest
            logger.warning("feed poll stopped: %s", exc)
            return
    report = result.report
    check_soon(context)  # followed questions are answered again if the index changed
    logger.info(
        "feeds polled (%d URLs): %d added, %d updated, %d unchanged, %d skipped, %d not modified",
        len(urls),
        len(report.added),
        len(report.updated),
        len(report.unchanged),
        len(report.skipped),
        len(result.not_modified),
    )
    for skipped in report.skipped:
        logger.warning("feed item skipped: %s: %s", skipped.path, skipped.reason)

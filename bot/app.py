"""Build the bot's :class:`telegram.ext.Application` and run it (long polling, or webhooks)."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import cast
from urllib.parse import quote, urlsplit

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, Defaults
from telegram.request import BaseRequest

from bot import handlers
from bot.access import AccessPolicy, RateLimiter
from bot.feedback import FeedbackStore
from bot.feeds import schedule_feed_polling
from bot.follow_store import FILE_NAME as FOLLOWS_FILE
from bot.follow_store import FollowStore
from bot.follows import schedule_follow_checks
from bot.messaging import NO_PREVIEW
from bot.services import SERVICES_KEY, ArticleIndex, Engine, Services, bot_dir
from bot.state import ConversationStore, ConversationType
from retrieval.config import Settings
from retrieval.errors import ConfigError

logger = logging.getLogger("bot")

CONCURRENT_UPDATES = 64  # updates handled at once; the engine itself runs on ANSWER_THREADS
ANSWER_THREADS = 4
FLOOD_RETRIES = 3  # RetryAfter from Telegram: wait as told and retry this often
READY_TIMEOUT_S = 120.0
_READY_TASK = "newsbot.ready"


def base_file_url(base_url: str) -> str:
    """The file-download URL of a Bot API server, from its method URL (``…/bot`` -> ``…/file/bot``)."""
    root = base_url.rstrip("/")
    return root[: -len("/bot")] + "/file/bot" if root.endswith("/bot") else root + "/file/bot"


def build_application(
    settings: Settings,
    index: ArticleIndex | None = None,
    engine: Engine | None = None,
    *,
    request: BaseRequest | None = None,
) -> Application:
    """The bot, ready to run; the index and engine are opened in ``post_init`` unless given.

    ``request`` replaces the HTTP transport to the Bot API (a proxying one, or a recording one in tests).
    """
    token = settings.telegram_bot_token.get_secret_value().strip() if settings.telegram_bot_token else ""
    if not token:
        raise ConfigError("set TELEGRAM_BOT_TOKEN to the token @BotFather gave you")
    builder = (
        Application.builder()
        .token(token)
        .concurrent_updates(CONCURRENT_UPDATES)
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .defaults(Defaults(link_preview_options=NO_PREVIEW))  # also for messages sent outside bot.messaging
        .post_init(partial(_open_services, settings=settings, index=index, engine=engine))
        .post_shutdown(_close_services)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url).base_file_url(
            base_file_url(settings.telegram_base_url)
        )
    app = builder.build()
    handlers.register(app)
    schedule_feed_polling(app, settings)
    schedule_follow_checks(app, settings)
    return app


async def _open_services(
    app: Application,
    *,
    settings: Settings,
    index: ArticleIndex | None,
    engine: Engine | None,
) -> None:
    """Open the index and engine (unless given) and the bot's stores; tell Telegram our commands."""
    from retrieval import Conversation, Index, build_engine, open_index

    opened: ArticleIndex = await asyncio.to_thread(open_index, settings) if index is None else index
    built: Engine = (
        await asyncio.to_thread(build_engine, settings, cast(Index, opened)) if engine is None else engine
    )
    await install_services(app, settings, opened, built, Conversation, owns_index=index is None)
    try:
        await app.bot.set_my_commands(handlers.COMMANDS)
    except TelegramError as exc:
        logger.warning("could not register the command menu: %s", type(exc).__name__)
    app.bot_data[_READY_TASK] = asyncio.create_task(_announce_ready(app, settings))


async def install_services(
    app: Application,
    settings: Settings,
    index: ArticleIndex,
    engine: Engine,
    conversation_type: ConversationType,
    *,
    owns_index: bool = False,
) -> Services:
    """Create the shared objects the handlers use and put them in ``bot_data``."""
    folder = bot_dir(settings)
    conversations = await asyncio.to_thread(
        ConversationStore, folder / "conversations.sqlite3", conversation_type
    )
    feedback = await asyncio.to_thread(FeedbackStore, folder / "feedback.sqlite3")
    follows = await asyncio.to_thread(FollowStore, folder / FOLLOWS_FILE)
    await asyncio.to_thread(feedback.prune)
    found = Services(
        settings=settings,
        index=index,
        engine=engine,
        conversations=conversations,
        feedback=feedback,
        follows=follows,
        access=AccessPolicy.from_ids(settings.allowed_chats, settings.admins),
        limiter=RateLimiter(settings.rate_limit_per_minute),
        executor=ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="newsbot-answer"),
        owns_index=owns_index,
    )
    app.bot_data[SERVICES_KEY] = found
    return found


async def _announce_ready(app: Application, settings: Settings) -> None:
    """Log one "ready" line once updates are being fetched (scripts and tests wait for it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_S
    while not (app.running and app.updater and app.updater.running) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    mode = "webhook" if settings.webhook_url else "long polling"
    logger.info("newsbot ready: @%s answering via %s", app.bot.username, mode)


async def _close_services(app: Application) -> None:
    """Stop background work and close what ``post_init`` opened."""
    task = app.bot_data.pop(_READY_TASK, None)
    if task is not None:
        task.cancel()
    found = app.bot_data.pop(SERVICES_KEY, None)
    if isinstance(found, Services):
        found.executor.shutdown(wait=True, cancel_futures=True)
        if found.owns_index:
            found.index.close()
    logger.info("newsbot stopped")


def run(settings: Settings, index: ArticleIndex | None = None, engine: Engine | None = None) -> None:
    """Serve until SIGINT/SIGTERM: long polling, or webhooks when ``settings.webhook_url`` is set."""
    app = build_application(settings, index, engine)
    if not settings.webhook_url:
        app.run_polling(
            poll_interval=settings.poll_interval_s, allowed_updates=Update.ALL_TYPES, bootstrap_retries=5
        )
        return
    if settings.webhook_secret is None:
        raise ConfigError("webhook mode needs NEWSBOT_WEBHOOK_SECRET (any 1-256 of A-Z a-z 0-9 _ -)")
    app.run_webhook(
        listen=settings.webhook_listen,
        port=settings.webhook_port,
        url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
        webhook_url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
        bootstrap_retries=5,
    )


class RedactingFormatter(logging.Formatter):
    """A formatter that blanks out secrets (the bot token in request URLs, the webhook secret)."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = sorted(
            {s for secret in secrets if secret for s in (secret, quote(secret, safe=""))}, key=len
        )

    def format(self, record: logging.LogRecord) -> str:
        """The usual line, with every secret replaced by ``[redacted]``."""
        line = super().format(record)
        for secret in reversed(self._secrets):
            line = line.replace(secret, "[redacted]")
        return line


def setup_logging(settings: Settings, level: str = "INFO") -> None:
    """Log to stderr, secrets redacted; httpx is turned down because its request lines carry the token."""
    secrets = [s.get_secret_value() for s in (settings.telegram_bot_token, settings.webhook_secret) if s]
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

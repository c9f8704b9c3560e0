"""bot/app.py: building the application, webhook settings, and logs that never show secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_support import TOKEN, bot_settings, fake_index, running_bot

from bot.app import RedactingFormatter, base_file_url, build_application, run, setup_logging
from bot.services import SERVICES_KEY
from retrieval.errors import ConfigError


def test_file_url_follows_the_bot_api_url() -> None:
    assert base_file_url("http://127.0.0.1:9000/bot") == "http://127.0.0.1:9000/file/bot"
    assert base_file_url("https://api.example.org/bot/") == "https://api.example.org/file/bot"
    assert base_file_url("http://10.0.0.2:8081") == "http://10.0.0.2:8081/file/bot"


@pytest.mark.parametrize("token", [None, "", "   "])
def test_a_token_is_required(tmp_path: Path, token: str | None) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        build_application(bot_settings(tmp_path, telegram_bot_token=token))


def test_the_base_url_points_the_bot_elsewhere(tmp_path: Path) -> None:
    app = build_application(bot_settings(tmp_path, telegram_base_url="http://127.0.0.1:9/bot"))
    assert app.bot.base_url == f"http://127.0.0.1:9/bot{TOKEN}"
    assert app.bot.base_file_url == f"http://127.0.0.1:9/file/bot{TOKEN}"


def test_webhooks_need_a_secret(tmp_path: Path) -> None:
    settings = bot_settings(tmp_path, webhook_url="https://bot.example.org/hook")
    with pytest.raises(ConfigError, match="NEWSBOT_WEBHOOK_SECRET"):
        run(settings)


async def test_given_index_is_not_closed_and_services_go_away(tmp_path: Path) -> None:
    index = fake_index(tmp_path)
    async with running_bot(bot_settings(tmp_path), index) as bot:
        assert SERVICES_KEY in bot.app.bot_data
    assert SERVICES_KEY not in bot.app.bot_data
    assert not index.closed  # the caller owns what it passed in


def test_formatter_redacts_secrets_in_messages_and_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s", [TOKEN, "", "hook secret"])
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/getMe failed")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "url %s and %s", (TOKEN, "hook%20secret"), None
        )
        record.exc_info = (type(exc), exc, exc.__traceback__)
        line = formatter.format(record)
    assert TOKEN not in line and "hook secret" not in line and "hook%20secret" not in line
    assert line.count("[redacted]") >= 3 and "getMe failed" in line


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_setup_logging_turns_httpx_down_and_redacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    setup_logging(bot_settings(tmp_path, webhook_secret="s3cr3t-hook"), "DEBUG")
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    logging.getLogger("telegram.ext").debug("calling https://api.telegram.org/bot%s/getUpdates", TOKEN)
    logging.getLogger("bot").info("secret header s3cr3t-hook")
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    err = capsys.readouterr().err
    assert "bot[redacted]/getUpdates" in err and "secret header [redacted]" in err
    assert TOKEN not in err and "s3cr3t-hook" not in err and "getMe" not in err

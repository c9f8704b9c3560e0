"""Settings: read from ``NEWSBOT_`` variables, lists parsed leniently, secrets never shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from retrieval import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment without newsbot settings."""
    for name in list(os.environ):
        if name.startswith("NEWSBOT_") or name == "TELEGRAM_BOT_TOKEN":
            monkeypatch.delenv(name)


def test_defaults_without_environment() -> None:
    settings = Settings()
    assert settings.data_dir == Path("newsbot-data")
    assert settings.chroma_host is None
    assert settings.max_file_bytes == 20_000_000
    assert settings.allowed_chats == [] and settings.admins == []
    assert settings.llm_api_key is None and settings.telegram_bot_token is None
    assert not settings.llm_enabled
    assert settings.store_location == str(Path("newsbot-data").resolve() / "chroma")


def test_values_come_from_newsbot_prefixed_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEWSBOT_COLLECTION", "from_env")
    monkeypatch.setenv("NEWSBOT_CHUNK_MAX_CHARS", "300")
    monkeypatch.setenv("NEWSBOT_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("NEWSBOT_CHROMA_PORT", "8123")
    monkeypatch.setenv("COLLECTION", "unprefixed_is_ignored")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.collection == "from_env"
    assert settings.chunk_max_chars == 300
    assert settings.store_location == "chroma server http://127.0.0.1:8123"


def test_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_COLLECTION", "from_env")
    assert Settings(collection="explicit").collection == "explicit"


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("1, 2", [1, 2]), ("1,2;3", [1, 2, 3]), ("[4, -5]", [4, -5]), ("42", [42]), ("", [])],
)
def test_allowed_chats_and_admins_parse_from_text(
    monkeypatch: pytest.MonkeyPatch, raw: str, parsed: list[int]
) -> None:
    monkeypatch.setenv("NEWSBOT_ALLOWED_CHATS", raw)
    monkeypatch.setenv("NEWSBOT_ADMINS", raw)
    settings = Settings()
    assert settings.allowed_chats == parsed
    assert settings.admins == parsed


def test_non_numeric_chat_ids_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_ALLOWED_CHATS", "1, two")
    with pytest.raises((ValidationError, ValueError)):
        Settings()


def test_secrets_are_secret_and_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_LLM_API_KEY", "sk-very-secret-key")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:telegram-secret-token")
    monkeypatch.setenv("NEWSBOT_WEBHOOK_SECRET", "webhook-secret-value")
    settings = Settings()
    for field, value in [
        (settings.llm_api_key, "sk-very-secret-key"),
        (settings.telegram_bot_token, "123456:telegram-secret-token"),
        (settings.webhook_secret, "webhook-secret-value"),
    ]:
        assert isinstance(field, SecretStr)
        assert field.get_secret_value() == value
        for shown in (repr(settings), str(settings), repr(settings.model_dump()), str(field)):
            assert value not in shown


def test_telegram_token_also_reads_the_prefixed_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_TELEGRAM_BOT_TOKEN", "999:prefixed")
    token = Settings().telegram_bot_token
    assert token is not None and token.get_secret_value() == "999:prefixed"


def test_llm_is_enabled_only_with_url_and_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_LLM_BASE_URL", "http://127.0.0.1:11434/v1")
    assert not Settings().llm_enabled
    monkeypatch.setenv("NEWSBOT_LLM_MODEL", "llama3")
    assert Settings().llm_enabled


@pytest.mark.parametrize(
    ("name", "value"),
    [("NEWSBOT_CHROMA_PORT", "70000"), ("NEWSBOT_CHUNK_MAX_CHARS", "10"), ("NEWSBOT_COLLECTION", "x")],
)
def test_impossible_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.collection = "changed"  # type: ignore[misc]


def test_feed_urls_and_fetch_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "NEWSBOT_FEEDS", "https://a.example/rss, https://b.example/sitemap.xml https://c.example/"
    )
    monkeypatch.setenv("NEWSBOT_FETCH_MAX_REDIRECTS", "2")
    settings = Settings()
    assert settings.feeds == ["https://a.example/rss", "https://b.example/sitemap.xml", "https://c.example/"]
    assert settings.fetch_max_redirects == 2 and settings.fetch_max_bytes == 5_000_000
    monkeypatch.setenv("NEWSBOT_FEEDS", '["https://a.example/rss", "https://b.example/atom"]')
    assert Settings().feeds == ["https://a.example/rss", "https://b.example/atom"]
    monkeypatch.setenv("NEWSBOT_FETCH_TIMEOUT_S", "0")
    with pytest.raises(ValidationError, match="fetch_timeout_s"):
        Settings()

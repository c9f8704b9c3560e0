"""The one settings object. Only this module reads the environment (prefix ``NEWSBOT_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_ids(value: object) -> object:
    """Accept ``"1, 2,3"`` as well as a JSON list or a list for chat/user id settings."""
    if isinstance(value, str):
        text = value.strip().strip("[]")
        return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    """Everything configurable about newsbot, each field overridable as ``NEWSBOT_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="NEWSBOT_", extra="ignore", frozen=True)

    # --- store -------------------------------------------------------------------------------------
    data_dir: Path = Field(Path("newsbot-data"), description="Folder holding the index and bot state.")
    chroma_host: str | None = Field(
        None, description="Use a Chroma server at this host instead of the embedded store."
    )
    chroma_port: int = Field(8000, ge=1, le=65535, description="Port of the Chroma server.")
    collection: str = Field("newsbot", min_length=3, max_length=60, description="Chroma collection name.")
    lock_wait_s: float | None = Field(
        None,
        ge=0,
        description="How long a write waits for another process's ingest into the same data dir to finish; "
        "unset waits as long as it takes.",
    )

    # --- ingest ------------------------------------------------------------------------------------
    chunk_max_chars: int = Field(600, ge=120, le=8000, description="Upper bound on a chunk's length.")
    chunk_overlap_sentences: int = Field(
        1, ge=0, le=5, description="Sentences shared by neighbouring chunks."
    )
    max_file_bytes: int = Field(20_000_000, ge=1, description="Inputs larger than this are skipped.")
    embed_batch_size: int = Field(64, ge=1, le=4096, description="Texts embedded per model call.")
    embed_backend: Literal["onnx", "torch"] = Field(
        "onnx",
        description="Runtime of the bundled model: ONNX Runtime, or sentence-transformers (the torch extra).",
    )
    chunk_vectors: Literal["chunk", "sentences", "late"] = Field(
        "chunk",
        description=(
            "How ingest makes chunk vectors: 'chunk' (default) embeds headline + chunk (the torch model's vectors "
            "and the eval's figures); 'late' reads each article once in windows of whole sentences and averages "
            "each chunk's token states (late chunking: 0.61x the tokens, ingest ~1.55x as fast, one multihop "
            "answer fewer; ONNX backend only); 'sentences' embeds each distinct sentence once and averages them."
        ),
    )
    model_cache_dir: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "newsbot",
        description="Where the ONNX file built from the bundled model is kept (built once, on first use).",
    )

    # --- search and answers --------------------------------------------------------------------------
    search_k: int = Field(5, ge=1, le=100, description="Hits returned by default.")
    max_question_chars: int = Field(2000, ge=50, description="Longer questions are cut to this length.")
    abstain_threshold: float = Field(
        0.4, ge=0, le=1, description="Confidence below which the engine abstains."
    )

    # --- generative mode (any OpenAI-compatible endpoint) ---------------------------------------------
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1."
    )
    llm_model: str | None = Field(None, description="Model name at that endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="API key for the endpoint (secret).")
    llm_timeout_s: float = Field(30.0, gt=0, description="Timeout for one LLM call.")

    # --- telegram ------------------------------------------------------------------------------------
    telegram_bot_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "NEWSBOT_TELEGRAM_BOT_TOKEN"),
        description="Bot token from BotFather (secret).",
    )
    telegram_base_url: str | None = Field(
        None, description="Another Bot API server, e.g. http://127.0.0.1:9000/bot."
    )
    webhook_url: str | None = Field(
        None, description="Public HTTPS URL: switches the bot from polling to webhooks."
    )
    webhook_listen: str = Field("127.0.0.1", description="Address the webhook server listens on.")
    webhook_port: int = Field(8443, ge=1, le=65535, description="Port the webhook server listens on.")
    webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends with each webhook call."
    )
    poll_interval_s: float = Field(0.0, ge=0, description="Pause between getUpdates calls when polling.")
    allowed_chats: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Chat ids allowed to use the bot; empty means public."
    )
    admins: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="User ids allowed to add articles."
    )
    rate_limit_per_minute: int = Field(20, ge=1, description="Questions one user may ask per minute.")
    stream_answers: bool = Field(
        True,
        description="In LLM mode, show the answer while the model writes it (a draft in private chats, "
        "a message edited in groups), then the cited answer.",
    )
    stream_draft_interval_s: float = Field(
        0.3, ge=0, description="Seconds between two updates of a streamed answer's draft (private chats)."
    )
    stream_edit_interval_s: float = Field(
        1.5, ge=0.5, description="Seconds between two edits of a streamed answer in a group (flood limits)."
    )

    # --- web pages, feeds and sitemaps (fetching) ------------------------------------------------------
    feeds: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Feed, sitemap or page URLs that `newsbot serve` polls (comma- or space-separated).",
    )
    feed_poll_interval_s: float = Field(
        900.0, ge=1, description="Seconds between two polls of the feeds by `newsbot serve`."
    )
    fetch_timeout_s: float = Field(
        15.0, gt=0, description="Seconds one request may take, connecting and reading the whole answer."
    )
    fetch_max_bytes: int = Field(
        5_000_000, ge=1000, description="Larger pages, feeds and sitemaps are skipped."
    )
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="Redirects followed for one URL.")
    fetch_min_interval_s: float = Field(
        1.0, ge=0, description="Seconds between two requests to one site (a longer Crawl-delay wins)."
    )
    fetch_max_items: int = Field(
        1000, ge=1, description="Pages taken from one feed or sitemap in one run (the first ones listed)."
    )
    user_agent: str = Field(
        "newsbot/0.1 (news article indexer)",
        min_length=1,
        description="User-Agent sent with every request; its first word is the name robots.txt rules match.",
    )

    # --- followed questions (`/follow`, `newsbot follow`) -----------------------------------------------
    follows_per_chat: int = Field(
        10, ge=1, le=100, description="Questions one chat (or the `newsbot follow` CLI) may follow at once."
    )
    follow_check_interval_s: float = Field(
        60.0,
        ge=0.5,
        description="Seconds between two looks by `newsbot serve` for articles another process ingested; "
        "follows are answered again when the index changed (its own ingests re-check at once).",
    )

    @field_validator("feeds", mode="before")
    @classmethod
    def _parse_urls(cls, value: object) -> object:
        """Accept ``"url1, url2"`` or ``"url1 url2"`` as well as a JSON list or a list."""
        if isinstance(value, str):
            text = value.strip().removeprefix("[").removesuffix("]")
            return [part.strip("\"'") for part in text.replace(",", " ").split() if part.strip("\"'")]
        return value

    @field_validator("chunk_vectors")
    @classmethod
    def _late_needs_onnx(cls, value: str, info: ValidationInfo) -> str:
        if value == "late" and info.data.get("embed_backend") == "torch":
            raise ValueError(
                "'late' averages the model's token states, which only the onnx backend gives "
                "(NEWSBOT_EMBED_BACKEND=onnx); with torch use chunk or sentences"
            )
        return value

    @field_validator("allowed_chats", "admins", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        return _split_ids(value)

    @property
    def llm_enabled(self) -> bool:
        """True when a generative endpoint is configured."""
        return bool(self.llm_base_url and self.llm_model)

    @property
    def store_location(self) -> str:
        """Where the chunks live, for people: a folder or a server address."""
        if self.chroma_host:
            return f"chroma server http://{self.chroma_host}:{self.chroma_port}"
        return str(self.data_dir.resolve() / "chroma")


def _variable(field_name: str) -> str:
    """The environment variable a field is read from."""
    if field_name == "telegram_bot_token":
        return "TELEGRAM_BOT_TOKEN"
    return f"NEWSBOT_{field_name.upper()}"


def settings_problem(exc: ValidationError) -> str:
    """One line naming each bad variable and what is wrong with it, never its value (it may be a secret)."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        name = _variable(str(error["loc"][0])) if error["loc"] else "a setting"
        problems.append(f"{name}: {error['msg']}")
    return f"invalid setting {'; '.join(problems)}. Fix or unset it."


def load_settings(**overrides: object) -> Settings:
    """The settings from the environment (and ``overrides``); ConfigError names each bad variable."""
    from retrieval.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(settings_problem(exc)) from None

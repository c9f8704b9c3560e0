"""One chat call to the configured OpenAI-compatible endpoint, its failures mapped onto :class:`LLMError`.
The call is plain, or streamed (``stream: true``, server-sent events) when the caller listens to the reply
as it is written.

The client is llama-index's ``OpenAILike`` (imported only when generative mode is switched on). Error
messages name the endpoint by scheme, host and port only: never its path, user info or the API key.

Credentials written into ``NEWSBOT_LLM_BASE_URL`` (``https://user:key@host/v1`` or ``?api_key=...``) are taken
out of the URL before the client sees it: the OpenAI client and httpx log request URLs at DEBUG and INFO.
They still reach the endpoint, added by the HTTP client as it sends (user info as basic auth, query
query by the transport), after every log line is written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from retrieval.config import Settings
from retrieval.errors import ConfigError, LLMError, LLMTimeoutError

log = logging.getLogger(__name__)
CONTEXT_WINDOW_TOKENS = 8192  # what llama-index assumes about the model; the prompts stay far below it
MAX_REPLY_TOKENS = 512  # a short answer and its quotes fit easily


def endpoint_label(base_url: str | None) -> str:
    """``scheme://host:port`` of an endpoint, without credentials or path: safe for logs and messages."""
    try:
        parts = urlsplit(base_url or "")
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the configured endpoint"
    return f"{parts.scheme}://{parts.hostname}{port}" if parts.hostname else "the configured endpoint"


_SECRET_PARAMS = frozenset(
    (
        "api_key",
        "api-key",
        "apikey",
        "key",
        "token",
        "access_token",
        "auth",
        "password",
        "secret",
        "sig",
        "code",
    )
)


@dataclass(frozen=True)
class SplitURL:
    """A base URL without user info or query, and those parts of it.

    The whole query goes: the OpenAI client appends paths to the base URL as text (``/v1?x=1`` would become
    ``/v1?x=1/chat/completions``), and a query is where services put keys (``?api_key=…``).
    """

    url: str
    username: str | None = None
    password: str | None = None
    query: tuple[tuple[str, str], ...] = field(default=())

    @property
    def has_credentials(self) -> bool:
        """True when the URL carried user info or a query."""
        return bool(self.username or self.password or self.query)


def split_credentials(base_url: str) -> SplitURL:
    """Take user info and the query (``?api_key=…``) out of ``base_url``."""
    parts = urlsplit(base_url)
    if not parts.hostname:
        return SplitURL(base_url)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    query = tuple(parse_qsl(parts.query, keep_blank_values=True))
    return SplitURL(clean, parts.username, parts.password, query)


def _credential_client(split: SplitURL, timeout_s: float) -> Any:
    """An httpx client that adds the URL's credentials to each request as it is sent, never before."""
    import httpx

    class QueryCredentials(httpx.BaseTransport):
        """Adds the URL's query on a copy of the request: the request that gets logged has none."""

        def __init__(self) -> None:
            self._inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent = httpx.Request(
                request.method,
                request.url.copy_merge_params(dict(split.query)),
                headers=request.headers,
                stream=request.stream,
                extensions=request.extensions,
            )
            return self._inner.handle_request(sent)

        def close(self) -> None:
            self._inner.close()

    auth = (
        httpx.BasicAuth(split.username or "", split.password or "")
        if split.username or split.password
        else None
    )
    return httpx.Client(auth=auth, transport=QueryCredentials(), timeout=timeout_s, follow_redirects=False)


def build_llm(settings: Settings) -> Any:
    """llama-index's OpenAI-compatible chat client for the endpoint in ``settings``."""
    if not settings.llm_enabled:
        raise ConfigError("Generative mode needs NEWSBOT_LLM_BASE_URL and NEWSBOT_LLM_MODEL.")
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError as exc:  # pragma: no cover - a dependency of newsbot; named for broken installs
        raise ConfigError(
            "Generative mode needs llama-index-llms-openai-like: pip install llama-index-llms-openai-like"
        ) from exc
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
    split = split_credentials(settings.llm_base_url or "")
    extra: dict[str, Any] = {}
    if split.has_credentials:
        extra["http_client"] = _credential_client(split, settings.llm_timeout_s)
    return OpenAILike(
        model=settings.llm_model or "",  # llm_enabled: set
        api_base=split.url,
        api_key=key or "not-needed",  # local servers (Ollama, llama.cpp) ignore it but the client wants one
        is_chat_model=True,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # a chat user is waiting; the engine falls back to the extractive answer instead
        context_window=CONTEXT_WINDOW_TOKENS,
        max_tokens=MAX_REPLY_TOKENS,
        temperature=0.0,
        **extra,
    )


class ChatClient:
    """Sends a system and a user message, returns the reply text or raises :class:`LLMError`."""

    def __init__(self, settings: Settings, llm: Any | None = None) -> None:
        self.settings = settings
        self.where = endpoint_label(settings.llm_base_url)
        self.llm = llm if llm is not None else build_llm(settings)

    def reply(
        self, user: str, system: str | None = None, on_content: Callable[[str], None] | None = None
    ) -> str:
        """The model's reply to ``user`` (after ``system``, if given); never empty.

        With ``on_content`` the reply is streamed (``stream: true``, server-sent events) and ``on_content``
        gets the whole reply so far after each piece; the reply returned is the same as without it.
        """
        from llama_index.core.llms import ChatMessage, MessageRole

        messages = [ChatMessage(role=MessageRole.SYSTEM, content=system)] if system else []
        messages.append(ChatMessage(role=MessageRole.USER, content=user))
        try:
            content = (
                _content(self.llm.chat(messages))
                if on_content is None
                else self._streamed(messages, on_content)
            )
        except Exception as exc:  # the boundary to a third-party client: whatever it raises becomes LLMError
            raise self._failure(exc) from exc
        if not isinstance(content, str) or not content.strip():
            raise LLMError(f"The language model at {self.where} sent an empty reply.")
        return content

    def _streamed(self, messages: list[Any], on_content: Callable[[str], None]) -> str | None:
        """The streamed reply, passed on piece by piece; the whole call bounded by ``llm_timeout_s``."""
        deadline = time.monotonic() + self.settings.llm_timeout_s
        content: str | None = None
        listening = True
        pieces = self.llm.stream_chat(messages)
        try:
            for response in pieces:
                before, content = content, _content(response)
                if time.monotonic() > deadline:  # each read has its own timeout; this bounds a trickle
                    raise TimeoutError("the streamed reply took too long")
                if listening and content and content != before:
                    try:
                        on_content(content)
                    except Exception:  # a listener's bug must not cost the user the answer
                        log.exception("the streaming listener failed; the answer continues unstreamed")
                        listening = False
        finally:
            close = getattr(pieces, "close", None)
            if callable(close):
                close()
        return content

    def _failure(self, exc: Exception) -> LLMError:
        """The LLMError for a client exception; its message holds no key, URL path or reply body."""
        import httpx
        import openai

        status = getattr(exc, "status_code", None)
        log.debug("LLM call to %s failed: %s (status %s)", self.where, type(exc).__name__, status)
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
            return LLMTimeoutError(
                f"The language model at {self.where} did not answer within "
                f"{self.settings.llm_timeout_s:g} s; raise NEWSBOT_LLM_TIMEOUT_S or use a faster model."
            )
        if isinstance(status, int):
            return LLMError(
                f"The language model at {self.where} answered HTTP {status}; "
                "check NEWSBOT_LLM_MODEL and NEWSBOT_LLM_API_KEY."
            )
        if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
            return LLMError(f"Could not reach the language model at {self.where}; is it running?")
        return LLMError(f"The language model call to {self.where} failed ({type(exc).__name__}).")


def _content(response: Any) -> str | None:
    """The text of a llama-index chat response (None when it has none)."""
    content = getattr(getattr(response, "message", None), "content", None)
    return content if isinstance(content, str) else None

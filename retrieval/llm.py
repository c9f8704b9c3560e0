"""One chat call to the configured OpenAI-compatible endpoint, its failures mapped onto :class:`LLMError`.

The client is llama-index's ``OpenAILike`` (imported only when generative mode is switched on). Error
messages name the endpoint by scheme, host and port only: never its path, user info or the API key.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

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
    return OpenAILike(
        model=settings.llm_model or "",  # llm_enabled: set
        api_base=settings.llm_base_url,
        api_key=key or "not-needed",  # local servers (Ollama, llama.cpp) ignore it but the client wants one
        is_chat_model=True,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # a chat user is waiting; the engine falls back to the extractive answer instead
        context_window=CONTEXT_WINDOW_TOKENS,
        max_tokens=MAX_REPLY_TOKENS,
        temperature=0.0,
    )


class ChatClient:
    """Sends a system and a user message, returns the reply text or raises :class:`LLMError`."""

    def __init__(self, settings: Settings, llm: Any | None = None) -> None:
        self.settings = settings
        self.where = endpoint_label(settings.llm_base_url)
        self.llm = llm if llm is not None else build_llm(settings)

    def reply(self, user: str, system: str | None = None) -> str:
        """The model's reply to ``user`` (after ``system``, if given); never empty."""
        from llama_index.core.llms import ChatMessage, MessageRole

        messages = [ChatMessage(role=MessageRole.SYSTEM, content=system)] if system else []
        messages.append(ChatMessage(role=MessageRole.USER, content=user))
        try:
            response = self.llm.chat(messages)
        except Exception as exc:  # the boundary to a third-party client: whatever it raises becomes LLMError
            raise self._failure(exc) from exc
        message = getattr(response, "message", None)
        content = getattr(message, "content", None)
        if not isinstance(content, str) or not content.strip():
            raise LLMError(f"The language model at {self.where} sent an empty reply.")
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

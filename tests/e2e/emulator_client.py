"""The user's side of the Telegram Bot API emulator (tests/e2e/emulator.js): send messages, documents and
button taps as people would, and collect what the bot sent back. Every wait is bounded."""

from __future__ import annotations

import base64
import html
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

BOT_USERNAME = "TestNameBot"
_file_ids = itertools.count(1)


@dataclass(frozen=True)
class BotMessage:
    """One message the bot sent (as the emulator stored it)."""

    message_id: int
    chat_id: int
    html: str
    buttons: tuple[tuple[str, str], ...]  # (label, callback_data)

    @property
    def text(self) -> str:
        """What the user reads: tags dropped, entities decoded."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.html))

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> BotMessage:
        """From an emulator storage record."""
        message = record["message"]
        markup = message.get("reply_markup") or {}
        buttons = tuple(
            (b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row
        )
        return cls(int(record["messageId"]), int(message["chat_id"]), str(message.get("text", "")), buttons)


@dataclass
class EmulatorClient:
    """Talks to the emulator as the users of one bot token."""

    url: str
    token: str
    timeout_s: float = 60.0
    inbox: dict[int, list[BotMessage]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=10.0)

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        response.raise_for_status()
        return response.json()["result"]

    # --- what users do -------------------------------------------------------------------------------
    def send(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> int:
        """A message from ``user_id`` (in their private chat unless ``chat_id``); commands get an entity.
        Returns the message's id."""
        where = user_id if chat_id is None else chat_id
        chat = {"id": where, "type": "private"} if where > 0 else {"id": where, "type": "group", "title": "G"}
        body: dict[str, Any] = {
            "botToken": self.token,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "chat": chat,
            "date": int(time.time()),
            **extra,
        }
        if text is not None:
            body["text"] = text
            if entities is None and text.startswith("/"):
                entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            body["entities"] = entities or []
        return int(self._post("/sendMessage", body)["message_id"])

    def send_inline(self, user_id: int, query: str, chat_type: str = "group") -> str:
        """Type ``@bot query`` as ``user_id`` (in a chat of ``chat_type``); returns the inline query's id."""
        sender = {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        body = {"botToken": self.token, "from": sender, "query": query, "chat_type": chat_type}
        return str(self._post("/sendInlineQuery", body))

    def send_document(self, user_id: int, file_name: str, content: bytes) -> None:
        """A document (its bytes uploaded to the emulator, which serves them to the bot via getFile)."""
        file_id = f"doc{next(_file_ids)}"
        self._post("/uploadFile", {"file_id": file_id, "content_base64": base64.b64encode(content).decode()})
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": file_name,
                    "mime_type": "text/plain", "file_size": len(content)}  # fmt: skip
        self.send(user_id, document=document)

    def tap(self, user_id: int, message: BotMessage, callback_data: str) -> None:
        """Tap an inline button under a bot message."""
        msg = {"message_id": message.message_id, "date": int(time.time()), "text": message.text,
               "chat": {"id": message.chat_id, "type": "private"}}  # fmt: skip
        self._post("/sendCallback", {"botToken": self.token, "from": {"id": user_id, "is_bot": False,
                   "first_name": f"User{user_id}"}, "message": msg, "data": callback_data})  # fmt: skip

    def inject(self, method: str, status: int, count: int = 1, retry_after: int = 1) -> None:
        """Make the emulator fail the bot's next ``count`` calls of ``method``."""
        self._post(
            "/inject", {"method": method, "status": status, "count": count, "retry_after": retry_after}
        )

    # --- what users see ------------------------------------------------------------------------------
    def bot_calls(self, method: str) -> list[dict[str, Any]]:
        """The bodies of the bot's calls of ``method`` that leave no message (chat actions, callbacks…)."""
        return [c["body"] for c in self._post("/botCalls", {"token": self.token}) if c["method"] == method]

    def wait_call(
        self, method: str, done: Callable[[dict[str, Any]], bool], timeout_s: float | None = None
    ) -> dict[str, Any]:
        """The first of the bot's calls of ``method`` (see :meth:`bot_calls`) for which ``done`` holds."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        while True:
            found = next((c for c in self.bot_calls(method) if done(c)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no {method} call as expected in time; got {self.bot_calls(method)}")
            time.sleep(0.05)

    def inline_answer(self, query_id: str, timeout_s: float | None = None) -> dict[str, Any]:
        """The bot's answer to inline query ``query_id``: ``results`` and ``button`` as sent."""
        return self.wait_call(
            "answerInlineQuery", lambda c: str(c.get("inline_query_id")) == query_id, timeout_s
        )

    def history(self) -> list[BotMessage]:
        """Every message the bot sent, edits applied."""
        records = self._post("/getUpdatesHistory", {"token": self.token})
        return [BotMessage.from_record(r) for r in records if "chat_id" in r.get("message", {})]

    def wait(
        self, chat_id: int, done: Callable[[list[BotMessage]], bool], timeout_s: float | None = None
    ) -> list[BotMessage]:
        """Collect the bot's new messages to ``chat_id`` until ``done(messages)``; returns and clears them."""
        deadline = time.monotonic() + (timeout_s or self.timeout_s)
        box = self.inbox.setdefault(chat_id, [])
        while True:
            records = self._post("/getUpdates", {"token": self.token, "chatId": chat_id})
            box.extend(BotMessage.from_record(r) for r in records)
            if done(box):
                got, box[:] = list(box), []
                return got
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"chat {chat_id}: no complete reply in time; got {[m.text for m in box]}"
                )
            time.sleep(0.05)

    def reply(self, chat_id: int, timeout_s: float | None = None) -> BotMessage:
        """The bot's next message to ``chat_id``."""
        return self.wait(chat_id, lambda box: len(box) >= 1, timeout_s)[0]

    def answer(self, chat_id: int, timeout_s: float | None = None) -> list[BotMessage]:
        """The messages of the bot's next answer: up to the one carrying the 👍/👎 buttons."""
        return self.wait(chat_id, lambda box: any(m.buttons for m in box), timeout_s)

    def ask(self, user_id: int, question: str) -> list[BotMessage]:
        """Send a question in a private chat and wait for the whole answer."""
        self.send(user_id, question)
        return self.answer(user_id)

    def quiet(self, chat_id: int, seconds: float) -> list[BotMessage]:
        """Whatever the bot sends to ``chat_id`` within ``seconds`` (to check that it stays silent)."""
        end = time.monotonic() + seconds
        got: list[BotMessage] = []
        while time.monotonic() < end:
            records = self._post("/getUpdates", {"token": self.token, "chatId": chat_id})
            got.extend(BotMessage.from_record(r) for r in records)
            time.sleep(0.1)
        return got


def joined(messages: list[BotMessage]) -> str:
    """The readable text of several messages."""
    return "\n".join(m.text for m in messages)

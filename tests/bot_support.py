"""Test helpers for the bot: a recording Bot API transport, update builders, and a small deterministic
index + engine (their answers depend on the question and the articles, never constants)."""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.app import build_application
from retrieval.citations import MARKER
from retrieval.config import Settings
from retrieval.conversation import Conversation, content_words
from retrieval.types import Answer, ArticleMeta, Citation, Hit, IndexStats, IngestReport, Trace

BOT_USER = {
    "id": 666,
    "is_bot": True,
    "first_name": "TestBot",
    "username": "TestNameBot",
    "supports_inline_queries": True,  # inline mode switched on with BotFather's /setinline
}
TOKEN = "123456:TEST-token-for-handler-tests"
_ALLOWED_TAGS = {
    *("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre"),
    *("blockquote", "tg-emoji"),
}
_HTML_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][\w-]*)([^>]*)>|&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot);|[<>&]|[^<>&]+"
)


def telegram_html_error(text: str) -> str | None:
    """Why Telegram would refuse this HTML message (bad tags or entities, empty, too long), or None."""
    stack: list[str] = []
    plain = []
    for match in _HTML_TOKEN.finditer(text):
        closing, tag, _, entity = match.groups()
        if tag:
            name = tag.lower()
            if name not in _ALLOWED_TAGS:
                return f"unsupported tag {name}"
            if closing:
                if not stack or stack.pop() != name:
                    return f"unmatched end tag {name}"
            else:
                stack.append(name)
        elif entity:
            plain.append("_")
        elif match.group(0) in "<>&":
            return f"unexpected {match.group(0)!r}"
        else:
            plain.append(match.group(0))
    if stack:
        return f"unclosed tag {stack[-1]}"
    visible = "".join(plain)
    if not visible.strip():
        return "message text is empty"
    if len(visible.encode("utf-16-le")) // 2 > 4096:
        return "message is too long"
    return None


@dataclass
class Call:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]


@dataclass
class Failure:
    """Make the next ``count`` calls of ``method`` fail with this HTTP status."""

    method: str
    status: int
    count: int = 1
    description: str = "Injected failure"
    retry_after: int = 1


class RecordingRequest(BaseRequest):
    """A Bot API that lives in memory: answers like Telegram (HTML validated), records every call."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.failures: list[Failure] = []
        self._message_id = 1000

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float:
        """Seconds; irrelevant here."""
        return 1.0

    def fail_next(self, method: str, status: int, count: int = 1, **kwargs: Any) -> None:
        """Make the next calls of ``method`` fail (429 flood control, 502 gateway, 400 bad request)."""
        self.failures.append(Failure(method, status, count, **kwargs))

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """The parameters of every successful call of ``method``, in order."""
        return [c.params for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        """The texts of every message sent."""
        return [str(p["text"]) for p in self.sent()]

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        """Answer one Bot API call."""
        if "/file/bot" in url:
            return 200, self.files[url.rsplit("/", 1)[-1]]
        api = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        for failure in self.failures:
            if failure.method == api and failure.count > 0:
                failure.count -= 1
                return failure.status, _error(failure)
        if api in ("sendMessage", "editMessageText"):
            problem = (
                telegram_html_error(str(params.get("text", "")))
                if params.get("parse_mode") == "HTML"
                else None
            )
            if problem:
                return 400, _error(
                    Failure(api, 400, description=f"Bad Request: can't parse entities: {problem}")
                )
        self.calls.append(Call(api, params))
        return 200, json.dumps({"ok": True, "result": self._result(api, params)}).encode()

    def _result(self, api: str, params: dict[str, Any]) -> Any:
        if api == "getMe":
            return BOT_USER
        if api in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            self._message_id += 1
            chat_id = int(params["chat_id"])
            return {
                "message_id": int(params.get("message_id", self._message_id)),
                "date": int(time.time()),
                "from": BOT_USER,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "text": params.get("text", "answer"),
            }
        if api == "getFile":
            return {
                "file_id": params["file_id"],
                "file_unique_id": "u1",
                "file_path": f"documents/{params['file_id']}",
            }
        return True


def _error(failure: Failure) -> bytes:
    body: dict[str, Any] = {"ok": False, "error_code": failure.status, "description": failure.description}
    if failure.status == 429:
        body["description"] = f"Too Many Requests: retry after {failure.retry_after}"
        body["parameters"] = {"retry_after": failure.retry_after}
    return json.dumps(body).encode()


# --- updates, as Telegram sends them ---------------------------------------------------------------------
_update_ids = iter(range(1, 1_000_000))


def user(user_id: int, name: str = "Ann") -> dict[str, Any]:
    """A Telegram user."""
    return {"id": user_id, "is_bot": False, "first_name": name}


def chat(chat_id: int) -> dict[str, Any]:
    """A private chat for positive ids, a group for negative ones."""
    return (
        {"id": chat_id, "type": "private"} if chat_id > 0 else {"id": chat_id, "type": "group", "title": "G"}
    )


def message(
    text: str | None = None,
    *,
    user_id: int = 42,
    chat_id: int | None = None,
    entities: Sequence[dict[str, Any]] | None = None,
    edited: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """An update with a message (commands get their bot_command entity automatically)."""
    body: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "chat": chat(chat_id if chat_id is not None else user_id),
        "from": user(user_id),
        **extra,
    }
    if text is not None:
        body["text"] = text
        if entities is None and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if entities:
            body["entities"] = list(entities)
    return {"update_id": next(_update_ids), "edited_message" if edited else "message": body}


def callback(
    data: str, *, user_id: int = 42, chat_id: int | None = None, message_id: int = 1
) -> dict[str, Any]:
    """An update with an inline button tap."""
    where = chat_id if chat_id is not None else user_id
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": user(user_id),
            "chat_instance": "1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat(where),
                "text": "answer",
            },
        },
    }


# --- a small deterministic index and engine ---------------------------------------------------------------
@dataclass
class _Doc:
    meta: ArticleMeta
    text: str
    path: str


@dataclass
class FakeIndex:
    """Articles in memory; idempotent by path and text like the real index."""

    docs: dict[str, _Doc] = field(default_factory=dict)
    closed: bool = False
    commits: int = 0  # the generation: bumped by every ingest that changed something

    def _put(self, text: str, path: str, file_name: str, title: str | None, url: str | None = None) -> str:
        article_id = hashlib.sha256(text.encode()).hexdigest()[:16]
        title = title or next(line for line in text.splitlines() if line.strip()).strip()
        old = self.docs.get(path)
        self.docs[path] = _Doc(ArticleMeta(article_id, file_name, title, url=url), text, path)
        if old is None or old.text != text:
            self.commits += 1
        return "added" if old is None else "unchanged" if old.text == text else "updated"

    def generation(self) -> int:
        """How many ingests changed something (the real index's commit counter)."""
        return self.commits

    def _report(self, outcomes: list[tuple[str, str]]) -> IngestReport:
        grouped: dict[str, tuple[str, ...]] = {}
        for kind, path in outcomes:
            grouped[kind] = (*grouped.get(kind, ()), path)
        written = sum(self.chunk_count(self.docs[p].meta.article_id) for k, p in outcomes if k != "unchanged")
        return IngestReport(
            added=grouped.get("added", ()),
            updated=grouped.get("updated", ()),
            unchanged=grouped.get("unchanged", ()),
            chunks_written=written,
        )

    def add(self, paths: Sequence[Path | str], *, prune: bool = False, progress: Any = None) -> IngestReport:
        """Add text files."""
        outcomes = []
        for raw in paths:
            path = Path(raw)
            text = (
                re.sub(r"<[^>]+>", "", path.read_text())
                if path.suffix in (".html", ".htm")
                else path.read_text()
            )
            outcomes.append((self._put(text, str(path.resolve()), path.name, None), str(path.resolve())))
        return self._report(outcomes)

    def add_text(
        self, text: str, *, title: str | None = None, file_name: str | None = None, url: str | None = None
    ) -> IngestReport:
        """Add pasted text."""
        name = file_name or "pasted.txt"
        return self._report([(self._put(text, f"text:{name}", name, title, url), f"text:{name}")])

    def stats(self) -> IndexStats:
        """Counts."""
        metas = tuple(d.meta for d in self.docs.values())
        chunks = sum(self.chunk_count(m.article_id) for m in metas)
        return IndexStats(
            articles=len(metas), chunks=chunks, location="memory", collection="fake", sources=metas
        )

    def chunk_count(self, article_id: str) -> int:
        """One chunk per non-empty line."""
        doc = next((d for d in self.docs.values() if d.meta.article_id == article_id), None)
        return sum(1 for line in doc.text.splitlines() if line.strip()) if doc else 0

    def close(self) -> None:
        """Remember that it was closed."""
        self.closed = True

    def sentences(self) -> list[tuple[_Doc, int, int]]:
        """(article, start, end) of every sentence of every article."""
        found = []
        for doc in self.docs.values():
            for match in re.finditer(r"[^.!?\n]+[.!?]?", doc.text):
                if match.group(0).strip():
                    found.append((doc, match.start(), match.end()))
        return found


@dataclass
class FakeEngine:
    """Cites the sentences sharing the most words with the (follow-up resolved) question; abstains on none."""

    index: FakeIndex
    calls: list[tuple[str, Conversation | None]] = field(default_factory=list)
    error: Exception | None = None
    stream: bool = False  # write the answer word by word to on_text, like a language model
    resume: threading.Event | None = None  # if given, a streamed answer pauses halfway until it is set
    listeners: list[bool] = field(default_factory=list)  # per call: was an on_text given

    def ask(
        self,
        question: str,
        conversation: Conversation | None = None,
        *,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """A cited answer built from the best-matching sentences (written out to ``on_text`` if streaming)."""
        self.calls.append((question, conversation))
        self.listeners.append(on_text is not None)
        if self.error is not None:
            raise self.error
        answer = self._answer(question, conversation)
        if self.stream and on_text is not None:
            words = MARKER.sub("", answer.text).split()
            for n in range(1, len(words) + 1):
                if n == len(words) // 2 + 1 and self.resume is not None:
                    self.resume.wait(30)
                on_text(" ".join(words[:n]))
        return answer

    def _answer(self, question: str, conversation: Conversation | None) -> Answer:
        resolved = conversation.resolve(question) if conversation else question
        words = {w.lower() for w in content_words(resolved) if len(w) > 3}
        scored = []
        for doc, start, end in self.index.sentences():
            overlap = len(words & {w.lower() for w in content_words(doc.text[start:end])})
            if overlap:
                scored.append((-overlap, doc.meta.file_name, start, doc, end))
        scored.sort(key=lambda s: s[:3])
        citations = tuple(
            Citation(
                n=n,
                article_id=doc.meta.article_id,
                file_name=doc.meta.file_name,
                title=doc.meta.title,
                quote=doc.text[start:end],
                start_char=start,
                end_char=end,
                url=doc.meta.url,
            )
            for n, (_, _, start, doc, end) in enumerate(scored[:2], start=1)
        )
        if not citations:
            text = f"I found nothing about “{question.strip()[:60]}” in the articles."
            return Answer(question=question, text=text, abstained=True, resolved_question=resolved)
        text = " ".join(f"{c.quote.strip()} [{c.n}]" for c in citations)
        hits = tuple(
            Hit(f"{doc.meta.article_id}:{start}", doc.text[start:end], -rank, doc.meta, start, end)
            for rank, (_, _, start, doc, end) in enumerate(scored)
        )
        trace = Trace(query=resolved, hits=hits, decision="answer", confidence=1.0)
        return Answer(
            question=question, text=text, citations=citations, resolved_question=resolved, trace=trace
        )


ARTICLES = {
    "finland.txt": "Finland applies to join NATO\nFinland's president Sauli Niinisto said Finland would "
    "apply for NATO membership <quickly> & firmly. Prime minister Sanna Marin agreed.\n",
    "sweden.txt": "Sweden follows Finland\nSweden's ruling Social Democrats backed joining the alliance. "
    "Magdalena Andersson leads the party.\n",
}


def fake_index(tmp_path: Path) -> FakeIndex:
    """A FakeIndex holding :data:`ARTICLES` as files under ``tmp_path``."""
    index = FakeIndex()
    folder = tmp_path / "articles"
    folder.mkdir(exist_ok=True)
    for name, text in ARTICLES.items():
        (folder / name).write_text(text)
        index.add([folder / name])
    return index


# --- a bot wired to the recording transport ------------------------------------------------------------
@dataclass
class Harness:
    """The application, its recording transport, and the fakes behind it."""

    app: Application  # type: ignore[type-arg]
    request: RecordingRequest
    index: FakeIndex
    engine: FakeEngine

    async def send(self, update: dict[str, Any]) -> None:
        """Process one update as if Telegram had delivered it."""
        await self.app.process_update(Update.de_json(update, self.app.bot))

    def replies(self) -> list[str]:
        """Every message text sent, HTML unescaped and tags dropped."""
        return [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in self.request.texts()]


def bot_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a handler test: a fresh data dir and a token that is obviously fake."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "collection": "bot_tests",
        "telegram_bot_token": TOKEN,
    }
    return Settings(**(values | overrides))


@asynccontextmanager
async def running_bot(
    settings: Settings, index: FakeIndex, engine: FakeEngine | None = None
) -> AsyncIterator[Harness]:
    """An initialised bot (post_init done) that answers through a RecordingRequest."""
    request = RecordingRequest()
    engine = engine or FakeEngine(index)
    app = build_application(settings, index, engine, request=request)
    async with app:
        assert app.post_init is not None and app.post_shutdown is not None
        await app.post_init(app)
        try:
            yield Harness(app, request, index, engine)
        finally:
            await app.post_shutdown(app)

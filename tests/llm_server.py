"""A loopback OpenAI-compatible chat server that behaves like a tiny, honest (or scripted-broken) model.

``POST /v1/chat/completions`` reads the prompt the way a model would: an answer request (it has a
``Passages:`` section) is answered with the passage sentences that share the most words with the question,
quoted verbatim; a condense request (``Last question:``) is answered by putting the name from the previous
answer in place of the follow-up's pronoun. Every reply depends on the request. ``behaviour`` switches one
kind of request to a failure mode for a test; ``requests`` records what the server received.

A request with ``"stream": true`` gets the same reply as server-sent events, a few characters an event, the
way OpenAI streams. With ``hold`` set, a streamed answer stops halfway through its ``answer`` text (``held``
is set) until the test sets ``resume``: the test can look at what the client showed of a half-written
answer without depending on timing.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PASSAGE = re.compile(r"^\[(\d+)\] \((.*?)\) (.+)$", re.MULTILINE)
_SENTENCE = re.compile(r"[^.!?]+[.!?]+[\"”’']?")
_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9]+")
_STOP = frozenset(
    ("the", "and", "was", "what", "who", "which", "when", "where", "why", "how", "did", "with", "that")
)
_PRONOUN = re.compile(r"\b(she|he|they|her|him|them)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b")
SLOW_REPLY_S = 3.0
STREAM_PIECE_CHARS = 6  # a few characters an event, like a model's tokens
HOLD_LIMIT_S = 60.0  # a held stream goes on by itself after this, so a failing test cannot hang


@dataclass(frozen=True)
class Recorded:
    """One request as the server saw it."""

    path: str
    authorization: str
    body: dict[str, Any]

    @property
    def system(self) -> str:
        """The system message ('' when none was sent)."""
        return next((m["content"] for m in self.body["messages"] if m["role"] == "system"), "")

    @property
    def user(self) -> str:
        """The last user message."""
        return next(m["content"] for m in reversed(self.body["messages"]) if m["role"] == "user")


@dataclass
class Reply:
    """What to send back: an HTTP status and either chat content or a raw body."""

    content: str | None = None
    status: int = 200
    raw: bytes | None = None
    delay_s: float = 0.0


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in _STOP}


def _straight(text: str) -> str:
    """What a sloppy model does to a quote: typographic quote marks made plain, spaces doubled."""
    return text.translate(str.maketrans("‘’“”", "''\"\"")).replace(" ", "  ")


def passages(user: str) -> dict[int, str]:
    """The numbered passages in an answer prompt."""
    return {int(n): text for n, _title, text in _PASSAGE.findall(user)}


def question(user: str) -> str:
    """The question in an answer prompt."""
    return user.split("Question:", 1)[1].split("\n", 1)[0].strip()


def best_sentences(user: str, count: int = 2) -> list[tuple[int, str]]:
    """(passage, sentence) with the most question words, best first, at most one per passage."""
    asked = _words(question(user))
    scored = []
    for n, text in passages(user).items():
        for sentence in _SENTENCE.findall(text):
            overlap = len(asked & _words(sentence))
            if overlap:
                scored.append((overlap, -n, sentence.strip()))
    scored.sort(reverse=True)
    chosen: list[tuple[int, str]] = []
    for overlap, minus_n, sentence in scored:
        if -minus_n not in {n for n, _ in chosen} and overlap * 2 >= scored[0][0]:
            chosen.append((-minus_n, sentence))
    return chosen[:count]


def honest(user: str, sloppy: bool = False) -> dict[str, Any]:
    """The reply of a model that answers only from the passages and quotes them."""
    chosen = best_sentences(user)
    if not chosen:
        return {"answerable": False, "answer": "The passages do not say."}
    answer = " ".join(f"{sentence.rstrip('.')} [{n}]." for n, sentence in chosen)
    quotes = [{"passage": n, "quote": _straight(s) if sloppy else s} for n, s in chosen]
    return {"answerable": True, "answer": answer, "quotes": quotes}


def condensed(user: str) -> str:
    """The last question, its pronoun replaced by the first full name in the conversation's last answer."""
    last = user.split("Last question:", 1)[1].strip()
    answers = re.findall(r"^Assistant: (.*)$", user, re.MULTILINE)
    name = next(iter(_NAME.findall(answers[-1])), None) if answers else None
    return _PRONOUN.sub(name, last, count=1) if name else last


def _answer(behaviour: str, request: Recorded) -> Reply:
    user = request.user
    numbers = sorted(passages(user))
    if behaviour in ("honest", "sloppy", "slow"):
        delay_s = SLOW_REPLY_S if behaviour == "slow" else 0.0
        return Reply(json.dumps(honest(user, sloppy=behaviour == "sloppy")), delay_s=delay_s)
    if behaviour == "fenced":
        return Reply(
            f"Here is the answer:\n```json\n{json.dumps(honest(user), indent=2)}\n```\nHope it helps!"
        )
    if behaviour == "partial":  # one supported claim, one invented
        good = honest(user)
        good["answer"] += " Finland will also leave the European Union in 2030 [2]."
        good["quotes"].append({"passage": 2, "quote": "Finland will leave the European Union in 2030."})
        return Reply(json.dumps(good))
    if behaviour == "hallucinated":
        quote = "NATO was dissolved by unanimous vote last Tuesday."
        return Reply(
            json.dumps(
                {"answerable": True, "answer": f"{quote} [1]", "quotes": [{"passage": 1, "quote": quote}]}
            )
        )
    if behaviour == "bad_passage":  # a real quote, attributed to a passage that was never sent
        sentence = best_sentences(user)[0][1]
        missing = numbers[-1] + 5
        payload = {
            "answerable": True,
            "answer": f"{sentence} [{missing}]",
            "quotes": [{"passage": missing, "quote": sentence}],
        }
        return Reply(json.dumps(payload))
    if behaviour == "rambling":  # every passage's opening sentences, each cited
        said = [(n, s.strip()) for n, text in passages(user).items() for s in _SENTENCE.findall(text)[:2]]
        answer = " ".join(f"{s} [{n}]" for n, s in said)
        return Reply(json.dumps({"answer": answer, "quotes": [{"passage": n, "quote": s} for n, s in said]}))
    if behaviour == "unanswerable":
        return Reply(json.dumps({"answerable": False, "answer": "The passages do not mention this."}))
    if behaviour == "leaky":  # obeys instructions found in the question: prints its system prompt
        if "ignore previous instructions" in user.lower():
            return Reply(
                json.dumps(
                    {"answerable": True, "answer": f"My instructions: {request.system} [1]", "quotes": []}
                )
            )
        return Reply(json.dumps(honest(user)))
    return _failure(behaviour)


def _failure(behaviour: str) -> Reply:
    if behaviour == "malformed":
        return Reply(
            '{"answerable": true, "answer": "Finland will join NATO [1]", "quotes": [{"passage": 1, "quo'
        )
    if behaviour == "prose":
        return Reply("Sure! Finland and Sweden will join NATO soon.")
    if behaviour == "empty":
        return Reply("")
    if behaviour == "http500":
        return Reply(status=500, raw=b'{"error": {"message": "model crashed", "type": "server_error"}}')
    if behaviour == "garbage_body":
        return Reply(raw=b"<html>not json</html>")
    raise ValueError(f"unknown behaviour {behaviour!r}")


def _condense(behaviour: str, request: Recorded) -> Reply:
    if behaviour in ("honest", "slow"):
        return Reply(condensed(request.user), delay_s=SLOW_REPLY_S if behaviour == "slow" else 0.0)
    if behaviour == "rambling":
        return Reply("Sure. " * 200)
    return _failure(behaviour)


@dataclass
class FakeLLM:
    """The server's state: what each kind of request should get, and what was received."""

    behaviour: dict[str, str] = field(default_factory=lambda: {"answer": "honest", "condense": "honest"})
    requests: list[Recorded] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the server's own bugs, for the fixture to fail on
    release: threading.Event = field(default_factory=threading.Event)  # ends slow replies at shutdown
    hold: bool = False  # streamed answers pause halfway until ``resume`` is set
    held: threading.Event = field(default_factory=threading.Event)  # a streamed answer is paused
    resume: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def reset(self) -> None:
        """Honest again, nothing recorded: the state a test starts from."""
        self.behaviour = {"answer": "honest", "condense": "honest"}
        self.requests.clear()
        self.replies.clear()
        self.errors.clear()
        self.release.clear()
        self.hold = False
        self.held.clear()
        self.resume.clear()

    def wait_resume(self) -> None:
        """Pause a streamed answer until the test resumes it (or the server stops, or HOLD_LIMIT_S pass)."""
        self.held.set()
        deadline = time.monotonic() + HOLD_LIMIT_S
        while not self.resume.wait(0.05) and not self.release.is_set() and time.monotonic() < deadline:
            pass

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (``.../v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def of_kind(self, kind: str) -> list[Recorded]:
        """The recorded requests of one kind: ``answer`` or ``condense``."""
        return [r for r in self.requests if _kind(r) == kind]

    def respond(self, request: Recorded) -> Reply:
        """The reply to one request, chosen by its kind and the scripted behaviour."""
        self.requests.append(request)
        if request.path.split("?", 1)[0] != "/v1/chat/completions":
            return Reply(status=404, raw=b'{"error": {"message": "not found"}}')
        kind = _kind(request)
        handler: Callable[[str, Recorded], Reply] = _answer if kind == "answer" else _condense
        try:
            reply = handler(self.behaviour[kind], request)
        except Exception as exc:  # a broken script must fail the test, not pass as a "failure mode"
            self.errors.append(repr(exc))
            return Reply(status=599, raw=b"{}")
        if reply.content is not None:
            self.replies.append(reply.content)
        return reply


def _kind(request: Recorded) -> str:
    return "answer" if "Passages:" in request.user else "condense"


def _completion(content: str, model: str) -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-loopback",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    ).encode()


def _chunk(model: str, delta: dict[str, str], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-loopback",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


def halfway(content: str) -> int:
    """Where a streamed answer is held: halfway through its ``answer`` text (0: nowhere)."""
    found = re.search(r'"answer"\s*:\s*"', content)
    if found is None:
        return 0
    end = content.find('"', found.end())
    return found.end() + max(1, ((end if end > 0 else len(content)) - found.end()) // 2)


def events(fake: FakeLLM, content: str, model: str) -> Iterator[bytes]:
    """The reply as server-sent events: the role, the content in small pieces, the end, ``[DONE]``."""
    yield _chunk(model, {"role": "assistant", "content": ""})
    hold_at = halfway(content) if fake.hold else 0
    for start in range(0, len(content), STREAM_PIECE_CHARS):
        piece = content[start : start + STREAM_PIECE_CHARS]
        if start < hold_at <= start + len(piece):
            yield _chunk(model, {"content": piece[: hold_at - start]})
            fake.wait_resume()
            piece = piece[hold_at - start :]
        if piece:
            yield _chunk(model, {"content": piece})
    yield _chunk(model, {}, "stop")
    yield b"data: [DONE]\n\n"


def serve(fake: FakeLLM) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start ``fake`` on 127.0.0.1 at a free port (set on ``fake.port``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            request = Recorded(self.path, self.headers.get("Authorization", ""), body)
            reply = fake.respond(request)
            if reply.delay_s and fake.release.wait(reply.delay_s):
                return  # shutting down: the client gave up long ago
            if body.get("stream") and reply.raw is None and reply.status == 200:
                self._stream(reply.content or "", body.get("model", ""))
                return
            data = (
                reply.raw
                if reply.raw is not None
                else _completion(reply.content or "", body.get("model", ""))
            )
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and closed the connection, as the slow case intends

        def _stream(self, content: str, model: str) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()  # no length: the stream ends when the connection closes
                for event in events(fake, content, model):
                    self.wfile.write(event)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped listening

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="loopback-llm", daemon=True)
    thread.start()
    return server, thread


def stop(fake: FakeLLM, server: ThreadingHTTPServer, thread: threading.Thread) -> None:
    """Stop the server and wake any reply still sleeping."""
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)

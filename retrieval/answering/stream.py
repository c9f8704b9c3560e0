"""Showing an answer while a language model writes it.

    model tokens ─ reply so far (JSON) ─ partial_answer ─ markers dropped ─ on_text("Sanna Marin is…")

The model replies with ``{"answerable", "answer", "quotes"}`` (see ``generative``), so what a person may read
early is the ``answer`` string, decoded as far as it has arrived. Markers are left out: their numbers are the
model's passage numbers, not the final citation numbers. The streamed text is a preview only; the answer the
engine returns is the verified one, exactly as without streaming.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from retrieval.answering.compose import Composer

TextCallback = Callable[[str], None]
"""Receives the whole answer text so far, each time it grows (called on the engine's thread)."""

_ANSWER_FIELD = re.compile(r'"answer"\s*:\s*"')
_THINK_OPEN = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_MARKERS = re.compile(r"\s*\[[^\[\]]{0,40}\]|\s*\[[^\[\]]{0,40}$")
_STRING_END = re.compile(r'(?:[^"\\]|\\.)*"')
_DECODER = json.JSONDecoder(strict=False)  # a model may put a raw newline inside the string


@runtime_checkable
class StreamingComposer(Protocol):
    """A composer that can show its answer while it is written (the generative one can; quoting can't)."""

    def streaming(self, on_text: TextCallback) -> Composer:
        """This composer, sending the answer so far to ``on_text`` as it is written."""
        ...


def partial_answer(content: str) -> str | None:
    """The ``answer`` string of a JSON reply that may stop anywhere, decoded as far as it goes."""
    text = _THINK_OPEN.sub("", content)
    found = _ANSWER_FIELD.search(text)
    if found is None:
        return None
    rest = text[found.end() :]
    closed = _STRING_END.match(rest)
    raw = rest[: closed.end() - 1] if closed else rest
    for cut in range(len(raw), max(len(raw) - 6, -1), -1):  # an escape (\n, \u00e9) may be half-arrived
        try:
            return str(_DECODER.decode(f'"{raw[:cut]}"'))
        except json.JSONDecodeError:
            continue
    return None


def readable(answer: str) -> str:
    """The answer so far as a person should see it: no citation markers, not even a half-written one."""
    return " ".join(_MARKERS.sub("", answer).split())


class AnswerStream:
    """Turns the growing raw reply into growing readable answer text for ``on_text`` (changes only)."""

    def __init__(self, on_text: TextCallback) -> None:
        self.on_text = on_text
        self.shown = ""

    def __call__(self, content: str) -> None:
        """Read the reply so far; pass the answer on when a person would see more of it."""
        answer = partial_answer(content)
        text = readable(answer) if answer else ""
        if text and text != self.shown:
            self.shown = text
            self.on_text(text)

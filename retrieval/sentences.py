"""Sentence spans with character offsets, so that any quote can be cut verbatim from its article.

A small rule-based splitter rather than a trained one: it must be deterministic, fast at 100k chunks, and
never alter the text (it only returns offsets). Lines are hard boundaries because news text puts
paragraphs on lines of their own; so are the " · " and " • " that run a listing or a search snippet's items
together on one line ("Release schedule · Season 11, Episode 17: Sunday, October 2, 2022 · …").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Terminal punctuation, optional closing quotes/brackets, whitespace, then something that can open a sentence.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# " · " and " • " between items of a listing or a search snippet end one item and start the next
_SEPARATOR = re.compile(r"\s+[·•]\s+")
_ABBREVIATIONS = frozenset(
    (
        "mr mrs ms dr prof st gen sen rep gov lt col maj capt sgt jr sr inc ltd co corp no vs etc fig jan feb "
        "mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e a.m p.m"
    ).split()
)
_LINE = re.compile(r"[^\n]+")
_ENDS_SENTENCE = re.compile(r"[.!?…:;\"'”’)\]]\s*$")
_CONTINUATION_MIN_CHARS = (
    60  # a shorter unpunctuated line is a heading ("Following suit"), not a broken sentence
)


def _is_abbreviation(text: str, dot_index: int) -> bool:
    """True when the period at ``dot_index`` ends an abbreviation or an initial, not a sentence."""
    start = dot_index
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot_index].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """Paragraph lines, with a line that breaks off mid-sentence joined to the next one."""
    pending: tuple[int, int] | None = None
    for number, line in enumerate(_LINE.finditer(text)):
        start = pending[0] if pending else line.start()
        end = line.end()
        segment = text[start:end]
        last_piece = segment.rsplit(".", 1)[-1]
        broken = not _ENDS_SENTENCE.search(segment) and len(last_piece.strip()) >= _CONTINUATION_MIN_CHARS
        if broken and number > 0:  # the first line is a headline, never a broken sentence
            pending = (start, end)
            continue
        pending = None
        yield start, end
    if pending:
        yield pending


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of each sentence in ``text``, in order, whitespace trimmed."""
    for line_start, line_end in _lines(text):
        for item_start, item_end in _items(text, line_start, line_end):
            yield from _sentences(text, item_start, item_end)


def _items(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The pieces of a line between item separators (the whole line when it has none)."""
    cursor = start
    for match in _SEPARATOR.finditer(text, start, end):
        yield cursor, match.start()
        cursor = match.end()
    yield cursor, end


def _sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The sentences of ``text[start:end]``, one line or one item of it."""
    cursor = start
    segment = text[start:end]
    for match in _BOUNDARY.finditer(segment):
        if match.group()[0] == "." and _is_abbreviation(segment, match.start()):
            continue
        span = _trimmed(text, cursor, start + match.end())
        if span:
            yield span
        cursor = start + match.end()
    span = _trimmed(text, cursor, end)
    if span:
        yield span

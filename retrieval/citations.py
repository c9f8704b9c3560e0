"""The check every answer passes before it is returned, whatever composed it.

Every ``[n]`` in the text must name a citation, and every citation's quote must stand verbatim in its
article at its offsets. Citations no marker refers to are dropped and the rest renumbered 1, 2, 3….
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from retrieval.errors import NewsbotError
from retrieval.types import Citation

MARKER = re.compile(r"\[(\d{1,3})\]")


def quote_holds(citation: Citation, article_text: Callable[[str], str]) -> bool:
    """True when the quote is exactly the article's text at the cited offsets."""
    try:
        text = article_text(citation.article_id)
    except NewsbotError:
        return False
    return bool(citation.quote) and text[citation.start_char : citation.end_char] == citation.quote


def verified(
    text: str, citations: tuple[Citation, ...], article_text: Callable[[str], str]
) -> tuple[str, tuple[Citation, ...]] | None:
    """The text and citations renumbered in order of first mention, or None if any marker is unsupported."""
    by_n = {c.n: c for c in citations if quote_holds(c, article_text)}
    order: list[int] = []
    for match in MARKER.finditer(text):
        n = int(match.group(1))
        if n not in by_n:
            return None
        if n not in order:
            order.append(n)
    renumber = {old: new for new, old in enumerate(order, start=1)}
    new_text = MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
    return new_text, tuple(replace(by_n[old], n=renumber[old]) for old in order)

"""Answers and article lists as Telegram HTML, every outside string escaped, split under Telegram's limit.

Telegram refuses a message over 4096 characters and HTML with unbalanced or unknown tags, so
:func:`split_html` cuts long texts at paragraph, then line, then word boundaries and closes the tags that
are open at a cut, re-opening them at the start of the next message.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from retrieval.types import Answer, ArticleMeta, Citation

MAX_MESSAGE_UNITS = 4096  # Telegram's limit; we count UTF-16 units of the HTML source, which over-counts
_ATOM = re.compile(r"<[^>]*>|&#?\w+;|[\s\S]")
_TAG_NAME = re.compile(r"</?([a-zA-Z][\w-]*)")
_MARKER = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(text, quote=True)


def link(title: str, url: str | None) -> str:
    """A title, linked when the URL is a web address."""
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{escape(url)}">{escape(title)}</a>'
    return escape(title)


def _date(published: date | None) -> str:
    return f" · {published.isoformat()}" if published else ""


def _publisher(source: str | None) -> str:
    return f" · {escape(source)}" if source else ""


def _marked(text: str, citations: Sequence[Citation]) -> str:
    """Escaped answer text with ``[n]`` markers in bold, linked to the article when its URL is known."""
    urls = {c.n: c.url for c in citations}

    def mark(match: re.Match[str]) -> str:
        url = urls.get(int(match.group(1)))
        if url and url.startswith(("http://", "https://")):
            return f'<a href="{escape(url)}">{match.group(0)}</a>'
        return f"<b>{match.group(0)}</b>"

    return _MARKER.sub(mark, escape(text))


def _source_lines(citations: Sequence[Citation]) -> list[str]:
    """One line per cited article: its citation numbers, title (linked when known) and date."""
    by_article: dict[str, list[Citation]] = {}
    for citation in citations:
        by_article.setdefault(citation.article_id, []).append(citation)
    lines = []
    for group in by_article.values():
        first = group[0]
        numbers = "".join(f"[{c.n}]" for c in group)
        lines.append(
            f"{numbers} {link(first.title, first.url)}{_publisher(first.source)}{_date(first.published)}"
        )
    return lines


def answer_html(answer: Answer, *, preface: str | None = None) -> str:
    """The whole answer as one Telegram HTML text: answer, sources, and quotes in an expandable block."""
    parts = [preface] if preface else []
    resolved = answer.resolved_question
    if resolved and resolved.strip() != answer.question.strip():
        parts.append(f"<i>Understood as: {escape(resolved)}</i>")
    parts.append(_marked(answer.text, answer.citations))
    if answer.citations:
        heading = "Closest passages" if answer.abstained else "Sources"
        parts.append(f"<b>{heading}</b>\n" + "\n".join(_source_lines(answer.citations)))
        quotes = "\n\n".join(f"<b>[{c.n}]</b> “{escape(c.quote.strip())}”" for c in answer.citations)
        parts.append(f"<blockquote expandable>📎 <b>Quotes</b> (tap to expand)\n{quotes}</blockquote>")
    return "\n\n".join(parts)


def render_answer(answer: Answer, *, preface: str | None = None) -> list[str]:
    """The answer as one or more Telegram messages, each within the length limit (``preface``: HTML)."""
    return split_html(answer_html(answer, preface=preface))


@dataclass(frozen=True)
class SourceLine:
    """One article in the /sources list."""

    meta: ArticleMeta
    chunks: int


def render_sources(
    header: str,
    lines: Sequence[SourceLine],
    *,
    more: str | None = None,
    last: tuple[str, Sequence[SourceLine]] | None = None,
) -> list[str]:
    """The /sources listing: what the last answer searched (when there is one), then every article."""

    def numbered(items: Sequence[SourceLine]) -> list[str]:
        return [
            f"{i}. {link(line.meta.title, line.meta.url)}{_date(line.meta.published)} · {line.chunks} passages"
            for i, line in enumerate(items, start=1)
        ]

    searched = [last[0], *numbered(last[1]), ""] if last and last[1] else []
    return split_html("\n".join([*searched, header, *numbered(lines), *([more] if more else [])]))


def plain_text(text: str) -> str:
    """Telegram HTML reduced to plain text (the fallback when a server refuses our HTML)."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _closers(stack: Sequence[str]) -> str:
    return "".join(f"</{_name(tag)}>" for tag in reversed(stack))


def _name(tag: str) -> str:
    match = _TAG_NAME.match(tag)
    return match.group(1).lower() if match else ""


def _visible(text: str) -> bool:
    return bool(plain_text(text).strip())


def split_html(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Cut Telegram HTML into messages of at most ``limit`` units, preferring paragraph, line, word breaks."""
    text = text.strip()
    if units(text) <= limit:
        return [text] if _visible(text) else []
    atoms = _ATOM.findall(text)
    messages: list[str] = []
    stack: list[str] = []
    start = 0
    while start < len(atoms):
        cut, cut_stack = _next_cut(atoms, start, stack, limit)
        end = cut
        while end > start and atoms[end - 1].isspace():
            end -= 1  # trailing blanks would be trimmed by Telegram anyway
        message = "".join(stack) + "".join(atoms[start:end]) + _closers(cut_stack)
        if _visible(message):
            messages.append(message)
        start, stack = cut, cut_stack
        while start < len(atoms) and atoms[start].isspace():
            start += 1
    return messages


def _next_cut(atoms: Sequence[str], start: int, stack: list[str], limit: int) -> tuple[int, list[str]]:
    """Where the message beginning at ``start`` should end, and the tags open there."""
    size = units("".join(stack))
    current = list(stack)
    closing = units(_closers(current))
    best: dict[int, tuple[int, list[str]]] = {}
    i = start
    while i < len(atoms):
        atom = atoms[i]
        after = current
        if atom.startswith("</") and current and _name(atom) == _name(current[-1]):
            after = current[:-1]
        elif len(atom) > 1 and atom.startswith("<"):
            after = [*current, atom]
        after_closing = closing if after is current else units(_closers(after))
        if size + units(atom) + after_closing > limit and i > start:
            break
        size, current, closing = size + units(atom), after, after_closing
        i += 1
        if atom == "\n":
            best[3 if i - start >= 2 and atoms[i - 2] == "\n" else 2] = (i, current)
        elif atom == " ":
            best[1] = (i, current)
    if i == len(atoms):
        return i, current
    for priority in (3, 2, 1):
        if priority in best and best[priority][0] - start >= (i - start) // 3:
            return best[priority]
    return i, current

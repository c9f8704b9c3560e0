"""Checks on question and query text before anything searches with it."""

from __future__ import annotations

from retrieval.errors import QueryError

NOT_UTF8 = (
    "the question holds bytes that are not valid UTF-8 text; check the terminal's encoding "
    "(e.g. LANG=C.UTF-8) and type it again"
)


def clean_query(text: str, limit: int) -> str:
    """``text`` with whitespace collapsed and cut to ``limit``; QueryError when it is empty or not text."""
    if not isinstance(text, str):
        raise QueryError("the question must be text")
    if unreadable(text):
        raise QueryError(NOT_UTF8)
    cleaned = " ".join(text.split())[:limit]
    if not cleaned:
        raise QueryError("the query is empty")
    return cleaned


def unreadable(text: str) -> str | None:
    """Why ``text`` cannot be searched as it stands (undecodable bytes arrive as lone surrogates), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return NOT_UTF8
    return None

"""Load articles from files and folders: .txt, .md, .html, .json and .jsonl.

Each input becomes an :class:`Article` (or a :class:`SkippedFile` saying why not). The article text is kept
exactly as read, so chunk and citation offsets point into it verbatim.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from retrieval.types import Article, ArticleMeta, SkippedFile

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
RECORD_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
_TITLE_MAX_CHARS = 160
_NAME_KEYS = ("name", "title", "value", "text", "url", "href")  # how a nested object names itself
_DATE_KEYS = ("published", "publishedAt", "published_at", "date")

Loaded = Article | SkippedFile
_NOT_REGULAR = "not a regular file (a pipe, socket or device); save the articles to a file first"


def article_id_for(text: str) -> str:
    """Stable id from an article's content: the same text always gets the same id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def iter_files(paths: list[Path]) -> Iterator[Path | SkippedFile]:
    """Yield every supported file under ``paths`` (folders walked, sorted), or a skip for a bad path."""
    for path in paths:
        if not path.exists():
            yield SkippedFile(str(path), "no such file or folder")
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if hidden or child.suffix.lower() not in SUPPORTED_SUFFIXES or child.is_dir():
                    continue
                yield child if child.is_file() else SkippedFile(str(child), _NOT_REGULAR)
        elif not path.is_file():
            yield SkippedFile(str(path), _NOT_REGULAR)
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            yield SkippedFile(
                str(path),
                f"unsupported file type {path.suffix or '(none)'}; use .txt, .md, .html, .json or .jsonl",
            )
        else:
            yield path


def _decode(data: bytes) -> str | None:
    """Decode text, falling back from UTF-8 to Windows-1252; None when the bytes look binary."""
    head = data[:8192]
    if b"\x00" in head:
        return None
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.05:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _title_from_text(text: str, fallback: str) -> str:
    """The first line when it reads as a headline, else the start of the first sentence."""
    lines = [line.strip() for line in text.strip().splitlines()]
    first = lines[0].lstrip("# ").strip() if lines else ""
    looks_like_title = 0 < len(first) <= _TITLE_MAX_CHARS and not first.endswith(
        (".", "!", "?", ":", ",", ";")
    )
    if looks_like_title and len(lines) > 1:
        return first
    if first:
        return first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"
    return fallback


def parse_date(value: Any) -> date | None:
    """Read a published date from ISO text (``2022-05-15``, with or without a time), else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        match = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
        return date(int(match[1]), int(match[2]), int(match[3])) if match else None


def _article(text: str, path: str, file_name: str, title: str, **meta: Any) -> Article:
    return Article(
        meta=ArticleMeta(article_id=article_id_for(text), file_name=file_name, title=title, **meta),
        text=text,
        path=path,
    )


def _modified(path: Path) -> date | None:
    """When the file was last written: the reference year for a dateline that states none."""
    try:
        return date.fromtimestamp(path.stat().st_mtime)
    except (OSError, OverflowError, ValueError):
        return None


def _load_plain(text: str, path: Path) -> Loaded:
    from retrieval.dates import dateline_date

    published = dateline_date(text, reference=_modified(path))
    return _article(text, str(path), path.name, _title_from_text(text, path.stem), published=published)


def _load_html(text: str, path: Path) -> Loaded:
    from retrieval.webpage import article_date, extract_page  # trafilatura is slow to import

    page = extract_page(text)
    if page is None:
        return SkippedFile(str(path), "no article text found in this HTML page")
    return _article(
        page.text,
        str(path),
        path.name,
        page.title or _title_from_text(page.text, path.stem),
        url=page.canonical_url,
        published=article_date(page, reference=_modified(path)),
        source=page.site,
    )


def field_text(value: Any) -> str | None:
    """A record field as display text: a string or number as is; an object by its ``name`` (NewsAPI's
    ``"source": {"id": null, "name": "BBC News"}``) or a similar key; a list of strings joined; else None."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        for key in _NAME_KEYS:
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()
        return None
    if isinstance(value, list):
        parts = [part.strip() for part in value if isinstance(part, str) and part.strip()]
        return ", ".join(parts) or None
    return None


def _record_key(record: dict[str, Any], number: int) -> str:
    """The record's own ``id`` when it is a plain value, else its position in the file."""
    value = record.get("id")
    own = field_text(value) if isinstance(value, str | int) else None
    return own or str(number)


def _record_article(record: Any, number: int, path: Path) -> Loaded:
    """One article from a decoded JSON record; .json and .jsonl files read the same fields."""
    if not isinstance(record, dict):
        return SkippedFile(f"{path}#{number}", f"record {number} is not a JSON object")
    key = _record_key(record, number)
    body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        return SkippedFile(f"{path}#{key}", 'record has no non-empty "text" field')
    published = next((record[k] for k in _DATE_KEYS if record.get(k)), None)
    return _article(
        body,
        f"{path}#{key}",
        f"{path.name}#{key}",
        field_text(record.get("title")) or _title_from_text(body, path.stem),
        url=field_text(record.get("url")),
        published=parse_date(published),
        source=field_text(record.get("source")),
    )


def _json_records(text: str, path: Path) -> Iterator[tuple[int, Any] | SkippedFile]:
    """The (line or position, decoded record) pairs of a .json or .jsonl file; unreadable parts as skips."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            yield SkippedFile(str(path), f"not valid JSON (line {exc.lineno}: {exc.msg})")
            return
        except (ValueError, RecursionError) as exc:
            yield SkippedFile(str(path), f"not readable as JSON ({_json_problem(exc)})")
            return
        if isinstance(data, dict) and isinstance(data.get("articles"), list):
            data = data["articles"]  # a NewsAPI-style response: {"status": ..., "articles": [...]}
        yield from enumerate(data if isinstance(data, list) else [data], start=1)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            yield SkippedFile(f"{path}#{number}", f"line {number} is not valid JSON ({exc.msg})")
        except (ValueError, RecursionError) as exc:
            yield SkippedFile(f"{path}#{number}", f"line {number} is not readable ({_json_problem(exc)})")


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0][:120]


def _load_records(text: str, path: Path) -> Iterator[Loaded]:
    """One article per JSON object (a .jsonl line, or a .json object or list of objects)."""
    seen: set[str] = set()
    for item in _json_records(text, path):
        if isinstance(item, SkippedFile):
            yield item
            continue
        number, record = item
        try:
            loaded = _record_article(record, number, path)
        except Exception as exc:  # one odd record never stops the others
            loaded = SkippedFile(f"{path}#{number}", f"record {number} cannot be read ({type(exc).__name__})")
        if isinstance(loaded, Article) and loaded.path in seen:
            loaded = SkippedFile(f"{path}#{number}", f"record {number} repeats the id of an earlier record")
        seen.add(loaded.path)
        yield loaded


def load_file(path: Path, *, max_bytes: int) -> Iterator[Loaded]:
    """Load the article(s) in one file, or say why it was skipped; never raises for a bad file."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            yield SkippedFile(str(path), _NOT_REGULAR)  # a FIFO or device would block or never end
            return
        if info.st_size > max_bytes:
            yield SkippedFile(
                str(path),
                f"too large ({info.st_size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB limit, NEWSBOT_MAX_FILE_BYTES)",
            )
            return
        data = path.read_bytes()
    except OSError as exc:
        yield SkippedFile(str(path), f"cannot be read ({exc.strerror or type(exc).__name__})")
        return
    text = _decode(data)
    if text is None:
        yield SkippedFile(str(path), "looks like a binary file, not text")
        return
    if not text.strip():
        yield SkippedFile(str(path), "is empty")
        return
    suffix = path.suffix.lower()
    try:
        if suffix in RECORD_SUFFIXES:
            yield from _load_records(text, path)
        elif suffix in HTML_SUFFIXES:
            yield _load_html(text, path)
        else:
            yield _load_plain(text, path)
    except Exception as exc:  # a parser's surprise costs this file, never the rest of the ingest
        yield SkippedFile(str(path), f"cannot be read ({type(exc).__name__}: {str(exc)[:120]})")


def load_paths(paths: list[Path], *, max_bytes: int) -> Iterator[Loaded]:
    """Load every article under ``paths``; problems come back as skips, never exceptions."""
    for item in iter_files(paths):
        if isinstance(item, SkippedFile):
            yield item
        else:
            yield from load_file(item.resolve(), max_bytes=max_bytes)


def text_article(text: str, *, title: str | None, file_name: str, url: str | None = None) -> Article:
    """An article from pasted text (e.g. a chat message)."""
    body = text.strip("\n")
    return _article(
        body, f"text:{article_id_for(body)}", file_name, title or _title_from_text(body, file_name), url=url
    )

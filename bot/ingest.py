"""Admins add articles from the chat: a .txt/.md/.html document, or /ingest with pasted text.

Documents are saved under the data dir and ingested with :meth:`Index.add`, so they follow the CLI's rules
(same loaders, same size limit; re-sending an unchanged file adds nothing, a changed one replaces it).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from bot import texts
from bot.follows import check_soon
from bot.messaging import command_payload, send_html
from bot.render import escape
from bot.services import Services, services
from retrieval.types import IngestReport

DOCUMENT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm"})
MAX_TITLE_CHARS = 200


def safe_file_name(name: str) -> str:
    """A file name that cannot leave the uploads folder or surprise a shell."""
    stem_and_suffix = Path(name).name
    cleaned = re.sub(r"[^\w.\-]+", "_", stem_and_suffix).lstrip(".")
    return cleaned[-120:] or "upload.txt"


def confirmation(report: IngestReport, name: str) -> str:
    """What the admin is told about one ingested article."""
    shown = escape(name)
    if report.added:
        return texts.INGEST_ADDED.format(title=shown, chunks=report.chunks_written)
    if report.updated:
        return texts.INGEST_UPDATED.format(title=shown, chunks=report.chunks_written)
    if report.skipped:
        return texts.INGEST_SKIPPED.format(name=shown, reason=escape(report.skipped[0].reason))
    return texts.INGEST_UNCHANGED.format(name=shown)


async def _refuse_non_admin(message: Message, found: Services) -> bool:
    """Politely refuse anyone who is not an admin; True when refused."""
    user = message.from_user
    if found.access.is_admin(user.id if user else None):
        return False
    await send_html(message, [texts.ADMINS_ONLY])
    return True


async def ingest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add the article pasted after /ingest (or in the message it replies to); admins only."""
    message = update.message
    assert message
    found = services(context)
    if await _refuse_non_admin(message, found):
        return
    text = command_payload(message)
    if not text and message.reply_to_message:
        text = (message.reply_to_message.text or message.reply_to_message.caption or "").strip()
    if not text:
        await send_html(message, [texts.INGEST_USAGE])
        return
    title = next(line.strip() for line in text.splitlines() if line.strip())[:MAX_TITLE_CHARS]
    file_name = f"pasted-{hashlib.sha256(text.encode()).hexdigest()[:12]}.txt"
    await message.chat.send_action(ChatAction.TYPING)
    async with found.ingest_lock:
        report = await found.run(found.index.add_text, text, title=title, file_name=file_name)
    check_soon(context)  # followed questions are answered again against the new article
    await send_html(message, [confirmation(report, title)])


async def ingest_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add the article in a .txt/.md/.html document sent in a private chat; admins only."""
    message = update.message
    assert message and message.document
    found = services(context)
    if await _refuse_non_admin(message, found):
        return
    document = message.document
    name = safe_file_name(document.file_name or f"{document.file_unique_id}.txt")
    if Path(name).suffix.lower() not in DOCUMENT_SUFFIXES:
        await send_html(message, [texts.INGEST_TYPES])
        return
    limit = found.settings.max_file_bytes
    if document.file_size and document.file_size > limit:
        await send_html(message, [texts.INGEST_TOO_BIG.format(limit_mb=f"{limit / 1e6:g}")])
        return
    await message.chat.send_action(ChatAction.UPLOAD_DOCUMENT)
    data = bytes(await (await document.get_file()).download_as_bytearray())
    path = found.uploads_dir / name
    async with found.ingest_lock:
        await found.run(_write, path, data)
        report = await found.run(found.index.add, [path])
    check_soon(context)
    await send_html(message, [confirmation(report, name)])


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)

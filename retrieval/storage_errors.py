"""What a failure of the store means for the person running newsbot: full disk, damaged index, or neither.

chromadb reports a full disk as whatever step hit it ("Error in compaction", "database or disk is full"),
and a damaged vector index as "Error finding id" or "Error getting embedding". :func:`store_failure` turns
such an exception into the :class:`~retrieval.errors.IndexUnavailableError` subclass that says what to do.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from retrieval.config import Settings
from retrieval.errors import IndexDamagedError, IndexUnavailableError, StorageFullError

LOW_SPACE_BYTES = 64 * 1024 * 1024  # below this, a failed write is blamed on the disk
_FULL_WORDS = ("no space left on device", "database or disk is full", "disk quota exceeded")
_DAMAGE_WORDS = ("finding id", "getting embedding", "hnsw", "loading index", "segment reader")
REPAIR_HINT = "Rebuild it from the stored articles with: newsbot repair"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def free_bytes(folder: Path) -> int | None:
    """Free space on the disk holding ``folder`` (its nearest existing parent), or None if unknown."""
    for candidate in (folder, *folder.resolve().parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def disk_is_full(exc: BaseException, folder: Path | None) -> bool:
    """True when the failure is (or most likely is) the disk holding ``folder`` running out of space."""
    for link in _chain(exc):
        if isinstance(link, OSError) and link.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(word in str(link).lower() for word in _FULL_WORDS):
            return True
    free = free_bytes(folder) if folder is not None else None
    return free is not None and free < LOW_SPACE_BYTES


def looks_damaged(exc: BaseException) -> bool:
    """True for chromadb's errors about a vector index that no longer matches its records."""
    text = " ".join(str(link) for link in _chain(exc)).lower()
    return type(exc).__name__ == "InternalError" and any(word in text for word in _DAMAGE_WORDS)


def _short(exc: BaseException) -> str:
    message = (
        str(exc).rsplit("error: ", 1)[-1].strip().splitlines()[0][:160].rstrip(".")
        if str(exc).strip()
        else ""
    )
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def store_failure(exc: BaseException, settings: Settings, what: str, hint: str = "") -> IndexUnavailableError:
    """The error to raise for ``exc``, which happened while doing ``what`` (e.g. "cannot open the index").

    The message names the store's location once; ``hint`` says what to try when nothing better is known.
    """
    local = None if settings.chroma_host else settings.data_dir
    if disk_is_full(exc, local):
        free = free_bytes(local) if local is not None else None
        left = f" ({free / 1e6:.1f} MB free)" if free is not None else ""
        where = str(local.resolve()) if local is not None else settings.store_location
        return StorageFullError(
            f"{what}: the disk holding {where} is full{left}. Free some space, then run the command "
            "again; everything committed before is intact."
        )
    if looks_damaged(exc):
        return IndexDamagedError(
            f"{what}: the vector index at {settings.store_location} is damaged ({_short(exc)}). {REPAIR_HINT}"
        )
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text:
        return IndexUnavailableError(
            f"{what}: the files at {settings.store_location} are not a readable index (damaged or not "
            "newsbot's). Move that folder away and ingest the articles again."
        )
    if isinstance(exc, PermissionError) or "permission denied" in text:
        return IndexUnavailableError(
            f"{what}: permission denied at {settings.store_location}. Check that NEWSBOT_DATA_DIR "
            f"({settings.data_dir}) is readable and writable by this user."
        )
    return IndexUnavailableError(f"{what} at {settings.store_location}: {_short(exc)}. {hint}".rstrip())

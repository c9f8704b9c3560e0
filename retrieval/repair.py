"""Check the stored vectors against the manifest, and rebuild them from it when they are damaged.

The manifest holds every committed article's text, metadata and path, so the chunk collection (text,
vectors, metadata) can always be made again from it: the collection is dropped and each article is chunked
and embedded anew, exactly as an ingest would. Run it as ``newsbot repair`` or :meth:`Index.repair`; it
holds the writer lock like an ingest. Interrupted, it leaves articles without chunks, which the next check
finds and the next repair completes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retrieval.config import Settings
from retrieval.ingest import ProgressCallback, rewrite
from retrieval.storage_errors import store_failure
from retrieval.store import ChunkStore
from retrieval.types import Article

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairReport:
    """What a check found, and what a repair rebuilt (nothing when the index was healthy)."""

    problems: tuple[str, ...]
    articles_rebuilt: int = 0
    chunks_written: int = 0
    articles_lost: tuple[str, ...] = ()  # manifest records without text: dropped, ingest their files again


def check(store: ChunkStore, settings: Settings) -> tuple[str, ...]:
    """Every problem a full read of the store finds (empty when healthy)."""
    try:
        return tuple(store.check())
    except Exception as exc:
        raise store_failure(exc, settings, "the index cannot be checked") from exc


def rebuild(
    store: ChunkStore,
    embed_model: BaseEmbedding,
    settings: Settings,
    problems: tuple[str, ...],
    progress: ProgressCallback | None = None,
) -> RepairReport:
    """Drop the chunk collection and write every committed article's chunks again."""
    try:
        records = store.articles()
        articles, lost = [], []
        for record in records.values():
            text = store.article_text(record.meta.article_id, record.path)
            if text is None:
                lost.append(record)
            else:
                articles.append(Article(meta=record.meta, text=text, path=record.path))
        store.reset_chunks()
        store.recover(records)
        if lost:
            store.remove(lost)
    except Exception as exc:
        raise store_failure(exc, settings, "the index cannot be repaired") from exc
    written = rewrite(store, embed_model, settings, articles, progress)
    store.commit([], [])  # a new generation even with no articles: readers reload the new collection
    log.info("rebuilt %d chunks of %d articles", written, len(articles))
    return RepairReport(
        problems=problems,
        articles_rebuilt=len(articles),
        chunks_written=written,
        articles_lost=tuple(sorted(r.path for r in lost)),
    )

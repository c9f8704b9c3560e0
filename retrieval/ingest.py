"""Ingest: load, chunk, embed and commit articles in batches, idempotently and crash-safely.

An article is written in three steps — mark pending, write chunks, commit its manifest record — so a run
stopped at any point leaves the index as it was before that article (see ``store.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from retrieval.chunk_vectors import chunk_embeddings, require_token_states
from retrieval.chunking import chunk_article
from retrieval.config import Settings
from retrieval.errors import IndexDamagedError, IngestError, StorageFullError
from retrieval.storage_errors import store_failure
from retrieval.store import ArticleRecord, ChunkStore
from retrieval.types import Article, ArticleMeta, Chunk, IngestReport, SkippedFile

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(articles_done, articles_to_write)``."""


@dataclass
class _Plan:
    write: list[tuple[Article, ArticleRecord | None]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def _plan(
    items: Iterable[Article | SkippedFile], existing: dict[str, ArticleRecord], gone: set[str]
) -> _Plan:
    """Sort inputs into write / unchanged / skipped; ``gone`` are paths being pruned in this run."""
    plan = _Plan()
    path_of = {r.meta.article_id: r.path for r in existing.values()}
    for item in items:
        if isinstance(item, SkippedFile):
            plan.skipped.append(item)
            continue
        old = existing.get(item.path)
        if old is not None and old.meta.article_id == item.meta.article_id:
            plan.unchanged.append(item.path)
        elif item.meta.article_id in path_of and path_of[item.meta.article_id] in gone:
            # A renamed or moved file: rewrite it under its new name, else pruning the old name loses it.
            plan.write.append((item, existing[path_of[item.meta.article_id]]))
            path_of[item.meta.article_id] = item.path
        elif item.meta.article_id in path_of:
            other_path = path_of[item.meta.article_id]
            other = other_path if "://" in other_path else os.path.basename(other_path)  # a URL in full
            plan.skipped.append(
                SkippedFile(item.path, f"same text as {other}, which is already in the index")
            )
        else:
            plan.write.append((item, old))
            path_of[item.meta.article_id] = item.path
    return plan


def _stale(
    existing: dict[str, ArticleRecord], loaded_keys: set[str], containers: set[str]
) -> list[ArticleRecord]:
    """Records whose file is gone, or whose record vanished from a re-read .json/.jsonl file."""
    stale = []
    for path, record in existing.items():
        if path.startswith(("text:", "http://", "https://")):
            continue  # pasted text and fetched pages have no file to disappear
        file_path, _, _ = path.partition("#")
        if not os.path.exists(file_path) or (file_path in containers and path not in loaded_keys):
            stale.append(record)
    return stale


def _batches(
    plan: list[tuple[Article, ArticleRecord | None]], settings: Settings
) -> Iterable[list[tuple[Article, ArticleRecord | None, list[Chunk]]]]:
    batch: list[tuple[Article, ArticleRecord | None, list[Chunk]]] = []
    size = 0
    limit = settings.embed_batch_size * 4
    for article, old in plan:
        chunks = chunk_article(
            article, max_chars=settings.chunk_max_chars, overlap_sentences=settings.chunk_overlap_sentences
        )
        batch.append((article, old, chunks))
        size += len(chunks)
        if size >= limit:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def context_title(title: str) -> str:
    """The title worth adding to every chunk: a real headline, not a first sentence standing in for one."""
    return "" if title.endswith(("…", ".", "!", "?")) else title


def embedding_text(meta: ArticleMeta, chunk_text: str) -> str:
    """What the model sees for a chunk: a headline gives a short passage its context."""
    title = context_title(meta.title)
    return f"{title}\n{chunk_text}" if title else chunk_text


def vector_recipe(settings: Settings, embed_model: BaseEmbedding) -> str:
    """The chunk-vector recipe ingest uses (``Settings.chunk_vectors``), checked before any work: ``late`` with a
    model without token states (a llama-index embedding passed in) is a ConfigError."""
    if settings.chunk_vectors == "late":
        require_token_states(embed_model)
    return settings.chunk_vectors


def _is_input_problem(exc: BaseException) -> bool:
    """True for errors one article's data can cause (a value Chroma refuses), not the store or the model."""
    return isinstance(exc, ValueError | TypeError) or type(exc).__name__ == "InvalidArgumentError"


@dataclass
class _Writer:
    """Writes batches of articles: mark pending, embed, write chunks, commit (see the module docstring)."""

    store: ChunkStore
    embed_model: BaseEmbedding
    still_used: set[str]  # article ids that committed records still point to
    recipe: str = "chunk"  # how chunk vectors are made (Settings.chunk_vectors)

    def write(self, batch: list[tuple[Article, ArticleRecord | None, list[Chunk]]]) -> None:
        store = self.store
        store.begin([a.meta.article_id for a, _, _ in batch])
        metas = {a.meta.article_id: a.meta for a, _, _ in batch}
        chunks = [c for _, _, cs in batch for c in cs]
        replaced = []
        for _article, old, _ in batch:
            if old is not None:
                self.still_used.discard(old.meta.article_id)
                replaced.append(old.meta.article_id)
        texts = {a.meta.article_id: a.text for a, _, _ in batch}
        embeddings = chunk_embeddings(self.embed_model, chunks, metas, self.recipe, texts)
        store.write_chunks(chunks, metas, embeddings)
        store.commit(
            [(ArticleRecord(a.path, a.meta, len(cs)), a.text) for a, _, cs in batch],
            [r for r in replaced if r not in self.still_used and r not in metas],  # a moved file keeps its id
        )

    def write_each(
        self, batch: list[tuple[Article, ArticleRecord | None, list[Chunk]]]
    ) -> tuple[list[tuple[Article, ArticleRecord | None, list[Chunk]]], list[SkippedFile]]:
        """Write a batch that failed as a whole one article at a time; the articles at fault are skipped."""
        written, skipped = [], []
        for item in batch:
            article, old, _ = item
            try:
                self.write([item])
            except Exception as exc:
                if not _is_input_problem(exc):
                    raise
                if old is not None:
                    self.still_used.add(old.meta.article_id)  # the old version stays committed
                if article.meta.article_id not in self.still_used:
                    self.store.discard([article.meta.article_id])
                reason = f"could not be stored ({type(exc).__name__}: {str(exc)[:160]})"
                skipped.append(SkippedFile(article.path, reason))
            else:
                written.append(item)
        return written, skipped


def _stopped(exc: Exception, settings: Settings, done: int, total: int) -> Exception:
    """The error that ends an ingest: full disk and damaged index say so, anything else may be retried."""
    progress = f"ingest stopped after {done} of {total} new or changed articles"
    failure = store_failure(exc, settings, progress)
    if isinstance(failure, StorageFullError | IndexDamagedError):
        return failure
    return IngestError(
        f"{progress} ({type(exc).__name__}: {str(exc)[:200]}). "
        "The index is consistent; run the ingest again to add the rest."
    )


def ingest(
    store: ChunkStore,
    embed_model: BaseEmbedding,
    settings: Settings,
    items: Iterable[Article | SkippedFile],
    *,
    prune: bool = False,
    containers: Sequence[str] = (),
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Write new and changed articles, leave unchanged ones alone, optionally prune removed ones.

    An article whose data the store refuses is skipped with the reason; the rest of its batch is written.
    """
    existing = store.articles()
    store.recover(existing)  # cleaning up never changes which articles are committed
    items = list(items)
    loaded_keys = {item.path for item in items if isinstance(item, Article)}
    unread = {item.path for item in items if isinstance(item, SkippedFile)}  # a container skipped whole
    stale = _stale(existing, loaded_keys, set(containers) - unread) if prune else []
    plan = _plan(items, existing, {r.path for r in stale})
    added: list[str] = []
    updated: list[str] = []
    chunks_written = 0
    total = len(plan.write)
    if progress:
        progress(0, total)
    done = 0
    writer = _Writer(
        store,
        embed_model,
        {r.meta.article_id for r in existing.values()},
        vector_recipe(settings, embed_model),
    )
    for batch in _batches(plan.write, settings):
        written = batch
        try:
            try:
                writer.write(batch)
            except Exception as exc:
                if not _is_input_problem(exc):
                    raise
                written, skipped = writer.write_each(batch)
                plan.skipped.extend(skipped)
        except Exception as exc:
            # Everything committed so far stays; this batch is invisible and cleaned up by the next run.
            raise _stopped(exc, settings, done, total) from exc
        for article, old, _ in written:
            (updated if old is not None and old.path == article.path else added).append(article.path)
        chunks_written += sum(len(cs) for _, _, cs in written)
        done += len(batch)
        if progress:
            progress(done, total)

    removed: list[str] = []
    if prune:
        stale = [r for r in stale if r.path not in updated]
        try:
            store.remove(stale)
        except Exception as exc:
            raise _stopped(exc, settings, done, total) from exc
        removed = [r.path for r in stale]
    return IngestReport(
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(plan.unchanged),
        removed=tuple(removed),
        skipped=tuple(plan.skipped),
        chunks_written=chunks_written,
    )


def rewrite(
    store: ChunkStore,
    embed_model: BaseEmbedding,
    settings: Settings,
    articles: Sequence[Article],
    progress: ProgressCallback | None = None,
) -> int:
    """Chunk, embed and write committed articles again (their manifest records stay); returns chunks written."""
    total = len(articles)
    if progress:
        progress(0, total)
    writer = _Writer(store, embed_model, {a.meta.article_id for a in articles})
    done = written = 0
    for batch in _batches([(a, None) for a in articles], settings):
        try:
            writer.write(batch)
        except Exception as exc:
            raise _stopped(exc, settings, done, total) from exc
        done += len(batch)
        written += sum(len(cs) for _, _, cs in batch)
        if progress:
            progress(done, total)
    return written

"""Chunks in Chroma (through llama-index's ``ChromaVectorStore``) plus a manifest of committed articles.

Why a manifest: Chroma has no multi-record transactions, so an ingest cut short can leave chunks of an
article half-written. An article becomes visible only when its manifest record is written (one upsert);
chunks whose article is not in the manifest are invisible to search and are removed by the next ingest.
The manifest lives in a second collection of the same Chroma, so the embedded store and a Chroma server
behave the same. It also holds each article's full text, which citations are checked against, and from
which :meth:`ChunkStore.reset_chunks` plus a re-ingest rebuild damaged vectors (``newsbot repair``).

Why a private chromadb ``System`` per store: the embedded store keeps its vector index (HNSW) in memory, one
copy per process, loaded once and never reloaded; chromadb even hands every client of a path the same cached
copy. A process that reads while another one writes must drop that copy to see the writer's vectors, so each
store owns its own system, and :meth:`ChunkStore.reopen` swaps in a fresh one. Searches already running keep
the old view until they finish; the old system is stopped once nothing uses it.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast

from retrieval.config import Settings
from retrieval.storage_errors import store_failure
from retrieval.types import ArticleMeta, Chunk

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from llama_index.vector_stores.chroma import ChromaVectorStore

log = logging.getLogger(__name__)
T = TypeVar("T")

_GENERATION_ID = "__generation__"
_PAGE = 5000
_PROBE_PAGES = 10  # a probe reads back this many pages of vectors, spread over the collection,
_PROBE_ROWS = 50  # of this many each: a damaged index fails on some of them


def _no_vectors(count: int) -> Any:
    """Manifest records carry no meaning in vector space, but Chroma wants a vector for each."""
    return [[0.0]] * count


@dataclass(frozen=True)
class ArticleRecord:
    """A committed article: where it came from, what it is, and how many chunks it has."""

    path: str
    meta: ArticleMeta
    chunk_count: int


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back from the store."""

    chunk_id: str
    text: str
    meta: ArticleMeta
    start_char: int
    end_char: int
    similarity: float | None = None


def _record_id(path: str) -> str:
    return "a:" + hashlib.sha1(path.encode("utf-8")).hexdigest()


def _published_ord(value: date | None) -> int:
    return value.year * 10000 + value.month * 100 + value.day if value else 0


def meta_to_chroma(meta: ArticleMeta) -> dict[str, Any]:
    """Flat metadata Chroma can store and filter on."""
    return {
        "article_id": meta.article_id,
        "file_name": meta.file_name,
        "title": meta.title,
        "url": meta.url or "",
        "published": meta.published.isoformat() if meta.published else "",
        "published_ord": _published_ord(meta.published),
        "source": meta.source or "",
    }


def meta_from_chroma(data: dict[str, Any]) -> ArticleMeta:
    """Rebuild :class:`ArticleMeta` from stored metadata."""
    published = data.get("published") or None
    return ArticleMeta(
        article_id=str(data["article_id"]),
        file_name=str(data.get("file_name", "")),
        title=str(data.get("title", "")),
        url=str(data["url"]) if data.get("url") else None,
        published=date.fromisoformat(str(published)) if published else None,
        source=str(data["source"]) if data.get("source") else None,
    )


_SYSTEMS_LOCK = threading.Lock()


def _private_persistent_client(path: str, chroma_settings: Any) -> tuple[ClientAPI, Callable[[], None]]:
    """A PersistentClient with a chromadb system of its own (see the module docstring), and its stop.

    chromadb caches one system per path in ``SharedSystemClient``; the cache entry is taken out around the
    new client, so this client neither reuses a stale system nor lends its own to anyone else.
    """
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    with _SYSTEMS_LOCK:
        systems = SharedSystemClient._identifier_to_system
        refcounts = SharedSystemClient._identifier_to_refcount
        cached = systems.pop(path, None), refcounts.pop(path, None)
        try:
            client = chromadb.PersistentClient(path=path, settings=chroma_settings)
            system = systems.pop(path)
            refcounts.pop(path, None)
        finally:
            if cached[0] is not None:  # whoever shares the cached system keeps it
                systems[path] = cached[0]
            if cached[1] is not None:
                refcounts[path] = cached[1]
    return client, system.stop


# Two processes opening a new data dir at once (a bot and a cron ingest) race to create Chroma's tenant,
# database and collections: its get-or-create is not atomic across processes, so the loser sees "already
# exists" (or SQLite's "database is locked"); a moment later what it wanted is there to get.
_OPEN_RACE = ("already exists", "database is locked")
_OPEN_ATTEMPTS = 6
_OPEN_BACKOFF_S = 0.2


def _despite_open_race(make: Callable[[], T]) -> T:
    """``make()``, tried again a few times while another process is creating the same store."""
    for attempt in range(1, _OPEN_ATTEMPTS + 1):
        try:
            return make()
        except Exception as exc:
            if attempt == _OPEN_ATTEMPTS or not any(m in str(exc) for m in _OPEN_RACE):
                raise
            log.info("another process is creating the store; trying again (%s)", type(exc).__name__)
            time.sleep(_OPEN_BACKOFF_S * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def connect(settings: Settings) -> tuple[ClientAPI, Callable[[], None] | None]:
    """Open the Chroma client the settings ask for (a server when a host is set, else embedded).

    Returns the client and, for the embedded store, the function that stops its private system.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.chroma_host:
            client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
            return client, None
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return _despite_open_race(lambda: _private_persistent_client(str(path), chroma_settings))
    except Exception as exc:
        raise store_failure(
            exc,
            settings,
            "cannot open the index",
            "Check that the folder is readable and writable, or that the Chroma server is running.",
        ) from exc


def _stop_quietly(stop: Callable[[], None]) -> None:
    try:
        stop()
    except Exception as exc:  # at interpreter exit or after a failed start: nothing left to release
        log.debug("stopping a retired Chroma system failed: %s", type(exc).__name__)


@dataclass(frozen=True)
class _View:
    """One client's handles on the two collections; replaced whole by :meth:`ChunkStore.reopen`."""

    client: ClientAPI
    chunks: Collection
    manifest: Collection
    vectors: ChromaVectorStore


class ChunkStore:
    """Reads and writes chunks and the article manifest of one collection."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.location = settings.store_location
        self.collection_name = settings.collection
        self.embedded = not settings.chroma_host
        self._view: _View | None = None
        self._view_lock = threading.Lock()
        self._current()

    def _open_view(self) -> _View:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        client, stop = connect(self.settings)
        try:
            chunks = _despite_open_race(
                lambda: client.get_or_create_collection(
                    self.collection_name, metadata={"hnsw:space": "cosine"}, embedding_function=None
                )
            )
            manifest = _despite_open_race(
                lambda: client.get_or_create_collection(
                    f"{self.collection_name}_manifest", embedding_function=None
                )
            )
        except Exception as exc:
            if stop is not None:
                _stop_quietly(stop)
            raise store_failure(
                exc, self.settings, f"cannot open collection {self.collection_name!r}"
            ) from exc
        view = _View(client, chunks, manifest, ChromaVectorStore(chroma_collection=chunks))
        if stop is not None:  # the system stops when the last search still holding this view lets go
            weakref.finalize(view, _stop_quietly, stop)
        return view

    def _current(self) -> _View:
        with self._view_lock:
            if self._view is None:
                self._view = self._open_view()
            return self._view

    def reopen(self) -> None:
        """Drop this view of the store and open the one on disk (or on the server) now.

        Embedded, that is a fresh vector index from disk; with a server, fresh collection handles (a
        repair replaces the chunk collection).
        """
        fresh = self._open_view()
        with self._view_lock:
            self._view = fresh

    def close(self) -> None:
        """Let go of the client (the next call opens a new one)."""
        with self._view_lock:
            self._view = None

    @property
    def _chunks(self) -> Collection:
        return self._current().chunks

    @property
    def _manifest(self) -> Collection:
        return self._current().manifest

    @property
    def vectors(self) -> ChromaVectorStore:
        """llama-index's vector store over the chunk collection."""
        return self._current().vectors

    @property
    def collection_id(self) -> str:
        """The chunk collection's UUID: stable across restarts, new when a collection is recreated."""
        return str(self._chunks.id)

    # --- manifest ------------------------------------------------------------------------------------
    def generation(self) -> int:
        """A counter bumped by every commit, so other processes notice a changed index."""
        got = self._manifest.get(ids=[_GENERATION_ID], include=["metadatas"])
        metadatas = got.get("metadatas") or []
        return int(cast(int, metadatas[0]["generation"])) if metadatas and metadatas[0] else 0

    def _bump_generation(self) -> None:
        self._manifest.upsert(
            ids=[_GENERATION_ID],
            embeddings=_no_vectors(1),
            metadatas=[{"kind": "meta", "generation": self.generation() + 1}],
        )

    def _manifest_records(self, kind: str) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            got = self._manifest.get(where={"kind": kind}, include=["metadatas"], limit=_PAGE, offset=offset)
            metadatas = got.get("metadatas") or []
            for metadata in metadatas:
                yield dict(metadata)
            if len(metadatas) < _PAGE:
                return
            offset += _PAGE

    def articles(self) -> dict[str, ArticleRecord]:
        """Every committed article, by the path (or key) it was loaded from."""
        return {
            str(m["path"]): ArticleRecord(
                path=str(m["path"]), meta=meta_from_chroma(m), chunk_count=int(m["chunks"])
            )
            for m in self._manifest_records("article")
        }

    def article_text(self, article_id: str, path: str | None = None) -> str | None:
        """The full text of a committed article, or None.

        ``path``, when the caller knows it, turns a metadata scan of the manifest into a key lookup.
        """
        if path is not None:
            got = self._manifest.get(ids=[_record_id(path)], include=["documents", "metadatas"])
            documents = got.get("documents") or []
            metadatas = got.get("metadatas") or []
            if documents and metadatas and metadatas[0] and metadatas[0].get("article_id") == article_id:
                return documents[0]
        # Only committed records: a pending marker of the same id (an ingest in progress) has no text.
        where = {"$and": [{"kind": "article"}, {"article_id": article_id}]}
        got = self._manifest.get(where=cast(Any, where), include=["documents"], limit=1)
        documents = got.get("documents") or []
        return documents[0] if documents else None

    def article_texts(self, wanted: Sequence[tuple[str, str | None]]) -> dict[str, str]:
        """The full texts of committed articles, by id, for (article id, path) pairs: one key lookup for all
        whose path is known, then a scan (:meth:`article_text`) for the rest. Articles not found are left out."""
        keyed = {_record_id(path): article_id for article_id, path in wanted if path is not None}
        found: dict[str, str] = {}
        if keyed:
            got = self._manifest.get(ids=list(keyed), include=["documents", "metadatas"])
            asked = set(keyed.values())
            for document, metadata in zip(
                got.get("documents") or [], got.get("metadatas") or [], strict=False
            ):
                article_id = metadata.get("article_id") if metadata else None
                if article_id in asked and document is not None:
                    found[str(article_id)] = document
        for article_id, _ in wanted:  # the key lookup above was tried already: straight to the scan
            if article_id not in found and (text := self.article_text(article_id)) is not None:
                found[article_id] = text
        return found

    # --- writing -------------------------------------------------------------------------------------
    def begin(self, article_ids: Sequence[str]) -> None:
        """Mark articles as being written, so a crash before commit can be cleaned up."""
        if article_ids:
            self._manifest.upsert(
                ids=[f"p:{a}" for a in article_ids],
                embeddings=_no_vectors(len(article_ids)),
                metadatas=[{"kind": "pending", "article_id": a} for a in article_ids],
            )

    def write_chunks(
        self, chunks: Sequence[Chunk], metas: dict[str, ArticleMeta], embeddings: list[list[float]]
    ) -> None:
        """Store chunks with their embeddings (replacing leftovers of the same ids)."""
        from llama_index.core.schema import BaseNode, NodeRelationship, RelatedNodeInfo, TextNode

        self.delete_chunks(sorted({c.article_id for c in chunks}))  # leftovers of an interrupted run
        nodes: list[BaseNode] = []
        for chunk, embedding in zip(chunks, embeddings, strict=True):
            metadata = meta_to_chroma(metas[chunk.article_id])
            metadata.update(start_char=chunk.start_char, end_char=chunk.end_char, position=chunk.position)
            nodes.append(
                TextNode(
                    id_=chunk.chunk_id,
                    text=chunk.text,
                    embedding=embedding,
                    metadata=metadata,
                    relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=chunk.article_id)},
                )
            )
        if nodes:
            self.vectors.add(nodes)

    def commit(self, records: Sequence[tuple[ArticleRecord, str]], replaced: Sequence[str]) -> None:
        """Make articles visible (one upsert), then drop the chunks of the versions they replace."""
        if records:
            metadatas = []
            for record, _text in records:
                metadata = meta_to_chroma(record.meta)
                metadata.update(kind="article", path=record.path, chunks=record.chunk_count)
                metadatas.append(metadata)
            self._manifest.upsert(
                ids=[_record_id(r.path) for r, _ in records],
                embeddings=_no_vectors(len(records)),
                metadatas=cast(Any, metadatas),
                documents=[text for _, text in records],
            )
        self._bump_generation()
        self.delete_chunks(list(replaced))
        if records:
            self._manifest.delete(ids=[f"p:{r.meta.article_id}" for r, _ in records])

    def remove(self, records: Sequence[ArticleRecord]) -> None:
        """Drop articles: first from the manifest (invisible at once), then chunks no record still uses."""
        if not records:
            return
        self._manifest.delete(ids=[_record_id(r.path) for r in records])
        self._bump_generation()
        live = {r.meta.article_id for r in self.articles().values()}  # a moved file shares its old id
        self.delete_chunks([r.meta.article_id for r in records if r.meta.article_id not in live])

    def discard(self, article_ids: Sequence[str]) -> None:
        """Forget uncommitted articles: their chunks and their pending marks."""
        if article_ids:
            self.delete_chunks(article_ids)
            self._manifest.delete(ids=[f"p:{a}" for a in article_ids])

    def delete_chunks(self, article_ids: Sequence[str]) -> None:
        """Delete every chunk of these articles."""
        for start in range(0, len(article_ids), 500):
            batch = list(article_ids[start : start + 500])
            self._chunks.delete(where=cast(Any, {"article_id": {"$in": batch}}))

    def recover(self, committed_records: dict[str, ArticleRecord] | None = None) -> int:
        """Remove chunks left by an ingest that stopped before committing; returns how many articles.

        ``committed_records`` is :meth:`articles` when the caller has just read it (saves a second read).
        """
        records = self.articles() if committed_records is None else committed_records
        committed = {r.meta.article_id for r in records.values()}
        pending = [str(m["article_id"]) for m in self._manifest_records("pending")]
        orphans = [a for a in pending if a not in committed]
        self.delete_chunks(orphans)
        if pending:
            self._manifest.delete(ids=[f"p:{a}" for a in pending])
        if orphans:
            log.info("removed chunks of %d article(s) left by an interrupted ingest", len(orphans))
        return len(orphans)

    # --- reading -------------------------------------------------------------------------------------
    def count_chunks(self) -> int:
        """Chunks in the collection (committed or not)."""
        return int(self._chunks.count())

    def query(self, embedding: list[float], n: int, where: dict[str, Any] | None) -> list[StoredChunk]:
        """Nearest chunks to ``embedding``.

        Rows without metadata are left out: a view loaded before another process deleted them still finds
        their vectors, but their chunks are gone.
        """
        kwargs: dict[str, Any] = {"where": where} if where else {}
        got = self._chunks.query(
            query_embeddings=cast(Any, [embedding]),
            n_results=n,
            include=["documents", "metadatas", "distances"],
            **kwargs,
        )
        rows = zip(
            got["ids"][0],
            (got.get("documents") or [[]])[0],
            (got.get("metadatas") or [[]])[0],
            (got.get("distances") or [[]])[0],
            strict=False,
        )
        hits = []
        for chunk_id, text, metadata, distance in rows:
            chunk = _stored(chunk_id, text, metadata, similarity=1.0 - float(distance))
            if chunk is not None:
                hits.append(chunk)
        return hits

    def get_chunks(self, chunk_ids: Sequence[str]) -> list[StoredChunk]:
        """Chunks by id, in the order asked (missing ids left out)."""
        if not chunk_ids:
            return []
        got = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        by_id = {}
        for chunk_id, text, metadata in zip(
            got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
        ):
            chunk = _stored(chunk_id, text, metadata)
            if chunk is not None:
                by_id[chunk_id] = chunk
        return [by_id[c] for c in chunk_ids if c in by_id]

    def iter_chunk_rows(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every chunk as (id, text, metadata), page by page (for building the lexical index)."""
        offset = 0
        while True:
            got = self._chunks.get(include=["documents", "metadatas"], limit=_PAGE, offset=offset)
            ids = got["ids"]
            for chunk_id, text, metadata in zip(
                ids, got["documents"] or [], got["metadatas"] or [], strict=True
            ):
                if metadata:
                    yield chunk_id, text or "", dict(metadata)
            if len(ids) < _PAGE:
                return
            offset += _PAGE

    # --- health ----------------------------------------------------------------------------------------
    def probe(self) -> None:
        """Load the vector index and read a sample of it back; raises if it is visibly damaged.

        Cheap (a few hundred vectors), so readers run it whenever they load the vectors and writers before
        they write. Reading vectors back fails cleanly on a damaged index, where a nearest-neighbour query
        can bring the process down, so the probe never queries.
        """
        count = self.count_chunks()
        step = max(count // _PROBE_PAGES, _PROBE_ROWS)
        for offset in list(range(0, count, step))[:_PROBE_PAGES] or [0]:
            self._chunks.get(include=["embeddings"], limit=_PROBE_ROWS, offset=offset)

    def check(self) -> list[str]:
        """Problems found by reading everything: every stored vector, and each article's chunks."""
        problems = []
        records = self.articles()
        offset = 0
        try:
            while True:
                got = self._chunks.get(include=["embeddings"], limit=_PAGE, offset=offset)
                if len(got["ids"]) < _PAGE:
                    break
                offset += _PAGE
        except Exception as exc:
            problems.append(f"the vector index cannot be read ({type(exc).__name__}: {str(exc)[-80:]})")
        stored: Counter[str] = Counter()
        for _chunk_id, _text, metadata in self.iter_chunk_rows():
            stored[str(metadata.get("article_id"))] += 1
        short = [r for r in records.values() if stored[r.meta.article_id] < r.chunk_count]
        if short:
            names = ", ".join(sorted(r.meta.file_name for r in short)[:3])
            problems.append(
                f"{len(short)} article(s) are missing chunks ({names}{', …' if len(short) > 3 else ''})"
            )
        return problems

    def reset_chunks(self) -> None:
        """Delete the chunk collection (vectors included) and start an empty one; the manifest stays."""
        self._current().client.delete_collection(self.collection_name)
        self.close()
        self._current()  # a new client, which creates the collection again, empty


def _stored(
    chunk_id: str, text: str | None, metadata: Any, similarity: float | None = None
) -> StoredChunk | None:
    """A :class:`StoredChunk` from a row, or None when the row has no (complete) metadata any more."""
    if not metadata or "article_id" not in metadata or "start_char" not in metadata:
        return None
    return StoredChunk(
        chunk_id=chunk_id,
        text=text or "",
        meta=meta_from_chroma(dict(metadata)),
        start_char=int(metadata["start_char"]),
        end_char=int(metadata["end_char"]),
        similarity=similarity,
    )

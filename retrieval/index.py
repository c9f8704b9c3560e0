"""The :class:`Index`: ingest and hybrid search over one Chroma collection.

Several processes may use one index at once (a bot serving while a cron job ingests): writes hold the data
dir's writer lock (:mod:`retrieval.lock`), and readers notice another process's commit by the store's
generation counter, then reload the manifest, BM25 and (embedded store) their view of the vectors.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from retrieval.config import Settings
from retrieval.corpus import RECORD_SUFFIXES, iter_files, load_paths, text_article
from retrieval.errors import NewsbotError, QueryError
from retrieval.ingest import ProgressCallback, ingest
from retrieval.language import texts_are_english
from retrieval.lexical import LexicalIndex
from retrieval.lock import LockHolder, WriterLock
from retrieval.querytext import clean_query
from retrieval.repair import RepairReport, check, rebuild
from retrieval.search import chroma_where, fuse
from retrieval.storage_errors import looks_damaged, store_failure
from retrieval.store import ArticleRecord, ChunkStore, StoredChunk
from retrieval.types import Article, ArticleMeta, Hit, IndexStats, IngestReport, SearchFilters, SkippedFile

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

log = logging.getLogger(__name__)
_CANDIDATES_MIN = 20  # each retriever contributes at least this many candidates to the fusion
_QUERY_VECTORS_CACHED = 256  # recent query embeddings kept (~3 MB)
_UNKNOWN = -1  # a generation no store has: the next refresh reloads
WaitCallback = Callable[[str], None]
"""Called once with a sentence naming the other writer when a write has to wait for it."""


class Index:
    """Articles chunked, embedded and stored in Chroma, searchable by meaning and by words."""

    def __init__(self, settings: Settings, store: ChunkStore, embed_model: BaseEmbedding) -> None:
        self.settings = settings
        self.embed_model = embed_model
        self._store = store
        self._lock = threading.RLock()
        self._embed_lock = threading.Lock()
        self._query_vectors: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._generation = _UNKNOWN
        self._articles: dict[str, ArticleRecord] = {}
        self._live: frozenset[str] = frozenset()
        self._path_of: dict[str, str] = {}
        self._lexical: LexicalIndex | None = None
        self._writer = WriterLock(settings.data_dir)
        self._vectors_generation: int | None = None  # the generation our view of the vectors was loaded at
        self._damage: NewsbotError | None = None  # what the last probe of those vectors found wrong
        self._english: bool | None = None  # whether every article reads as English (worked out when asked)

    # --- keeping the in-memory views current ---------------------------------------------------------
    def _read_generation(self) -> int:
        try:
            return self._store.generation()
        except Exception as exc:
            raise store_failure(
                exc,
                self.settings,
                "cannot read the index",
                "Check NEWSBOT_DATA_DIR (or that the Chroma server is running); "
                "if the files are damaged, move them away and ingest the articles again.",
            ) from exc

    def _refresh(self) -> None:
        """Catch up with commits made since we last looked, by this process or any other.

        The manifest and BM25 are reloaded at once; the vectors (embedded store) only while no writer is
        at work, since a view loaded half-way through a write would be torn. Until then the previous view
        answers, and its vectors of deleted chunks are dropped (they have no metadata any more).
        """
        with self._lock:
            generation = self._read_generation()
            if generation != self._vectors_generation:
                generation = self._follow_vectors(generation)
            if generation == self._generation and self._lexical is not None:
                return
            try:
                self._articles = self._store.articles()
                self._live = frozenset(r.meta.article_id for r in self._articles.values())
                self._path_of = {r.meta.article_id: r.path for r in self._articles.values()}
                self._english = None
                self._lexical = self._load_or_build_lexical(generation)
            except NewsbotError:
                raise
            except Exception as exc:
                raise store_failure(exc, self.settings, "cannot read the index") from exc
            self._generation = generation

    def _follow_vectors(self, generation: int) -> int:
        """Load the vectors as committed now, unless a writer is at work; returns the generation seen."""
        with self._writer.free_for_reading() as free:
            if not free:
                return generation
            if self._vectors_generation is not None:
                self._store.reopen()
            generation = self._read_generation()  # no writer can commit while we hold the lock shared
            try:
                self._store.probe()
                self._damage = None
            except Exception as exc:  # searches say so, with what to run, instead of querying a damaged index
                self._damage = store_failure(exc, self.settings, "search failed")
                log.info("%s", self._damage)
            self._vectors_generation = generation
            return generation

    @contextmanager
    def _writing(self, on_wait: WaitCallback | None, *, probe: bool = True) -> Iterator[None]:
        """Hold the writer lock with a view of the store as it is on disk now (see :mod:`retrieval.lock`)."""

        def waiting(holder: LockHolder | None) -> None:
            if on_wait is not None and holder is not None:
                on_wait(f"waiting for another write to the index to finish: {holder.describe()}")

        with self._lock, self._writer.hold(wait_s=self.settings.lock_wait_s, on_wait=waiting):
            try:
                self._store.reopen()  # another process may have written since this view was loaded
                self._damage = None
                if probe:
                    self._store.probe()
            except NewsbotError:
                raise
            except Exception as exc:
                raise store_failure(exc, self.settings, "the index cannot be written to") from exc
            try:
                yield
            finally:
                self._generation = _UNKNOWN
                try:
                    self._vectors_generation = self._store.generation()  # our view holds our own writes
                except Exception:
                    self._vectors_generation = _UNKNOWN

    def _lexical_folder(self, generation: int) -> Path:
        """Where the BM25 index of this exact store state is saved (keyed by collection, generation, contents).

        The collection's UUID, not its address, names the store: a restarted server keeps its saved index.
        """
        key = hashlib.sha1(usedforsecurity=False)
        store = self._store
        for part in (store.collection_id, store.collection_name, str(generation), str(store.count_chunks())):
            key.update(part.encode("utf-8") + b"\0")
        for article_id in sorted(self._live):
            key.update(article_id.encode("ascii", "replace"))
        return self.settings.data_dir / "lexical" / f"{self._store.collection_name}-{key.hexdigest()[:20]}"

    def _load_or_build_lexical(self, generation: int) -> LexicalIndex:
        """The saved BM25 index of this store state when there is one, else a fresh build (then saved)."""
        folder = self._lexical_folder(generation)
        if folder.exists():
            lexical = LexicalIndex.load(folder)
            if lexical is not None:
                return lexical
            shutil.rmtree(folder, ignore_errors=True)  # unreadable or outdated: replace it
        lexical = LexicalIndex(self._store.iter_chunk_rows(), set(self._live))
        try:
            lexical.save(folder)
            for old in folder.parent.glob(f"{self._store.collection_name}-*"):
                if old != folder and old.name.rsplit("-", 1)[0] == self._store.collection_name:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:  # a read-only data dir only costs the next process a rebuild
            log.info("could not save the BM25 index to %s: %s", folder, exc)
        return lexical

    def _live_ids(self) -> frozenset[str]:
        return self._live

    # --- ingest ----------------------------------------------------------------------------------------
    def add(
        self,
        paths: Sequence[Path | str],
        *,
        prune: bool = False,
        progress: ProgressCallback | None = None,
        on_wait: WaitCallback | None = None,
    ) -> IngestReport:
        """Ingest files and folders; unchanged articles are left alone, changed ones replaced.

        Waits for another process's ingest into the same data dir to finish first (``on_wait`` is told
        whom it waits for); gives up after ``NEWSBOT_LOCK_WAIT_S`` with :class:`IndexLockedError`.
        """
        resolved = [Path(p) for p in paths]
        containers = [
            str(p.resolve())
            for p in iter_files(resolved)
            if isinstance(p, Path) and p.suffix.lower() in RECORD_SUFFIXES
        ]
        loaded = list(load_paths(resolved, max_bytes=self.settings.max_file_bytes))  # before taking the lock
        with self._writing(on_wait):
            return ingest(
                self._store,
                self.embed_model,
                self.settings,
                loaded,
                prune=prune,
                containers=containers,
                progress=progress,
            )

    def add_text(
        self, text: str, *, title: str | None = None, file_name: str | None = None, url: str | None = None
    ) -> IngestReport:
        """Ingest pasted text as one article."""
        if not text.strip():
            raise QueryError("there is no text to add")
        clean_query(text, len(text))  # the same test for text that is not valid Unicode
        if len(text.encode("utf-8")) > self.settings.max_file_bytes:
            raise QueryError(f"the text is larger than the {self.settings.max_file_bytes / 1e6:.0f} MB limit")
        article = text_article(text, title=title, file_name=file_name or "pasted.txt", url=url)
        with self._writing(None):
            return ingest(self._store, self.embed_model, self.settings, [article])

    def repair(
        self,
        *,
        force: bool = False,
        progress: ProgressCallback | None = None,
        on_wait: WaitCallback | None = None,
    ) -> RepairReport:
        """Check every stored vector and chunk; if anything is wrong (or ``force``), rebuild them all from
        the articles' manifest. Holds the writer lock like an ingest."""
        with self._writing(on_wait, probe=False):
            problems = check(self._store, self.settings)
            if not problems and not force:
                return RepairReport(problems=())
            return rebuild(self._store, self.embed_model, self.settings, problems, progress)

    def add_articles(
        self, items: Iterable[Article | SkippedFile], *, progress: ProgressCallback | None = None
    ) -> IngestReport:
        """Ingest articles already loaded (e.g. fetched pages, keyed by URL) with the same rules as files."""
        with self._writing(None):
            return ingest(self._store, self.embed_model, self.settings, items, progress=progress)

    def article_keys(self) -> frozenset[str]:
        """The key (file path, record key or URL) of every committed article."""
        self._refresh()
        return frozenset(self._articles)

    # --- search ----------------------------------------------------------------------------------------
    def embed_query(self, text: str) -> list[float]:
        """The query embedding of ``text`` (model calls are serialised: torch is not re-entrant here).

        Recent ones are remembered: answering embeds the same question twice (search, then scoring).
        """
        with self._embed_lock:
            cached = self._query_vectors.get(text)
            if cached is None:
                cached = tuple(self.embed_model.get_query_embedding(text))
                self._query_vectors[text] = cached
                if len(self._query_vectors) > _QUERY_VECTORS_CACHED:
                    self._query_vectors.popitem(last=False)
            else:
                self._query_vectors.move_to_end(text)
            return list(cached)

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        """Document embeddings of ``texts``, batched."""
        with self._embed_lock:
            return [list(v) for v in self.embed_model.get_text_embedding_batch(texts)]

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``query``: dense and BM25 rankings fused."""
        query = clean_query(query, self.settings.max_question_chars)
        k = k or self.settings.search_k
        self._refresh()
        lexical = self._lexical
        live = self._live_ids()
        if not live or lexical is None:
            return []
        n = max(k * 4, _CANDIDATES_MIN)
        dense = [c for c in self._dense(query, n, filters) if c.meta.article_id in live]
        bm25 = lexical.top(query, n, filters)
        dense_ids = [c.chunk_id for c in dense]
        lexical_ids = [chunk_id for chunk_id, _ in bm25]
        fused = fuse([dense_ids, lexical_ids])[:k]
        known: dict[str, StoredChunk] = {c.chunk_id: c for c in dense}
        missing = [chunk_id for chunk_id, _ in fused if chunk_id not in known]
        try:
            known.update({c.chunk_id: c for c in self._store.get_chunks(missing)})
        except Exception as exc:
            raise store_failure(exc, self.settings, "search failed") from exc
        dense_rank = {c: i for i, c in enumerate(dense_ids, start=1)}
        lexical_rank = {c: i for i, c in enumerate(lexical_ids, start=1)}
        hits = []
        for chunk_id, score in fused:
            chunk = known.get(chunk_id)
            if chunk is None:
                continue
            hits.append(
                Hit(
                    chunk_id=chunk_id,
                    text=chunk.text,
                    score=score,
                    article=chunk.meta,
                    start_char=chunk.start_char,
                    end_char=chunk.end_char,
                    dense_rank=dense_rank.get(chunk_id),
                    lexical_rank=lexical_rank.get(chunk_id),
                )
            )
        return hits

    def _dense(self, query: str, n: int, filters: SearchFilters | None) -> list[StoredChunk]:
        """The nearest chunks by meaning; while a writer holds back our reload, a failing view is skipped."""
        if self._damage is not None:
            raise type(self._damage)(str(self._damage))
        try:
            return self._store.query(self.embed_query(query), n, chroma_where(filters))
        except Exception as exc:
            if looks_damaged(exc) and self._vectors_generation != self._generation:
                log.warning("the vectors are being rewritten by another process; keyword search only for now")
                return []
            raise store_failure(exc, self.settings, "search failed") from exc

    def term_statistics(self, tokens: list[str]) -> tuple[dict[str, int], int]:
        """Chunk frequency of each (tokenized) term, and the number of chunks: what makes a word rare here."""
        self._refresh()
        lexical = self._lexical
        if lexical is None:
            return dict.fromkeys(tokens, 0), 0
        return lexical.document_frequency(tokens), len(lexical)

    # --- reading ---------------------------------------------------------------------------------------
    def articles(self) -> list[ArticleMeta]:
        """Every article in the index, newest first when dates are known, then by file name."""
        self._refresh()
        metas = [r.meta for r in self._articles.values()]
        return sorted(metas, key=lambda m: (-(m.published.toordinal() if m.published else 0), m.file_name))

    def article_text(self, article_id: str) -> str:
        """The full text of an article, exactly as ingested (citations quote it verbatim)."""
        # The path from the last refresh makes it a key lookup; a stale one falls back to a scan.
        try:
            text = self._store.article_text(article_id, self._path_of.get(article_id))
        except Exception as exc:
            raise store_failure(exc, self.settings, "cannot read the index") from exc
        if text is None:
            raise QueryError(f"no article with id {article_id!r} in the index")
        return text

    def article_texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The full texts of articles, by id, read in one lookup (ids not in the index are left out)."""
        try:
            return self._store.article_texts([(a, self._path_of.get(a)) for a in dict.fromkeys(article_ids)])
        except Exception as exc:
            raise store_failure(exc, self.settings, "cannot read the index") from exc

    def corpus_is_english(self) -> bool:
        """True when there are articles and none of their titles is clearly in another language."""
        self._refresh()
        with self._lock:
            if self._english is None:
                titles = [r.meta.title for r in self._articles.values()]
                self._english = bool(titles) and texts_are_english(titles)
            return self._english

    def chunk_count(self, article_id: str) -> int:
        """How many chunks an article was split into."""
        self._refresh()
        return next((r.chunk_count for r in self._articles.values() if r.meta.article_id == article_id), 0)

    def generation(self) -> int:
        """The store's commit counter: it changes whenever any process commits an ingest or a repair."""
        return self._read_generation()

    def stats(self) -> IndexStats:
        """Articles, chunks, and where they are stored."""
        self._refresh()
        return IndexStats(
            articles=len(self._articles),
            chunks=sum(r.chunk_count for r in self._articles.values()),
            location=self._store.location,
            collection=self._store.collection_name,
            sources=tuple(self.articles()),
        )

    def close(self) -> None:
        """Release in-memory structures and the Chroma client (using the index again reopens them)."""
        with self._lock:
            self._lexical = None
            self._generation = _UNKNOWN
            self._vectors_generation = None
            self._store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_index(settings: Settings | None = None, embed_model: BaseEmbedding | None = None) -> Index:
    """Open (creating if needed) the index the settings describe."""
    from retrieval.embeddings import shared_model

    settings = settings or Settings()
    return Index(settings, ChunkStore(settings), embed_model or shared_model(settings.embed_batch_size))

"""``newsbot bench speed``: newsbot against the plain llama-index recipe, side by side in one process.

Every figure is measured for both systems in the same process, interleaved (baseline and newsbot take
turns, question by question), so that a noisy machine slows both alike and the *ratio* holds.

Sections:
  ingest   real-model ingest of the ingest corpus: articles/s, chunks/s, peak RSS, model tokens embedded;
           then newsbot's incremental re-ingest of the unchanged corpus.
  query    warm latency p50/p95 of newsbot ``search`` and ``ask`` (extractive) and of the baseline's
           retriever, on the seeds and on generated corpora (stores built with :mod:`eval.bench_vectors`).
  server   the same, with both systems on a ``chroma run`` server on loopback.
  cold     process start to answer of ``newsbot ask`` and to ready of ``newsbot serve`` (see bench_cold).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.bench_measure import PeakRss, Stopwatch, chroma_server, median, percentile, rss_mb
from eval.corpus_gen import articles_for_chunks, generate_corpus

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from retrieval import Index, Settings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"


@dataclass(frozen=True)
class BenchConfig:
    """What to run; every size is configurable so CI can run the whole harness on a tiny corpus."""

    out_dir: Path
    work_dir: Path
    articles: int = 5000
    ingest_articles: int = 5000
    chunks_target: int = 100_000
    sizes: tuple[str, ...] = ("seeds", "articles", "chunks")
    server_sizes: tuple[str, ...] | None = None  # None: the same as ``sizes``
    repeats: int = 3
    ingest_repeats: int = 1
    questions: int = 20
    skip_baseline: bool = False
    ingest: bool = True
    server: bool = True
    cold: bool = True
    seed: int = 20220515
    ingest_recipes: tuple[str, ...] = ()  # whole-command `newsbot ingest` per NEWSBOT_CHUNK_VECTORS value


@dataclass
class IngestFigures:
    """One system's ingest run (medians over repeats)."""

    system: str
    mode: str
    articles: int
    chunks: int
    seconds: float
    articles_per_s: float
    chunks_per_s: float
    peak_rss_delta_mb: float
    model_tokens: int = 0


@dataclass
class QueryFigures:
    """Warm latency of one operation on one corpus."""

    system: str
    operation: str
    mode: str
    corpus: str
    articles: int
    chunks: int
    p50_ms: float
    p95_ms: float
    samples: int


@dataclass
class BenchResult:
    """Everything one ``bench speed`` run measured."""

    config: dict[str, Any]
    machine: dict[str, Any]
    ingest: list[IngestFigures] = field(default_factory=list)
    reingest: dict[str, Any] = field(default_factory=dict)
    queries: list[QueryFigures] = field(default_factory=list)
    stores: list[dict[str, Any]] = field(default_factory=list)
    cold: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """The whole result as JSON."""
        return json.dumps(asdict(self), indent=2, default=str)


def machine_info(model: BaseEmbedding | None = None) -> dict[str, Any]:
    """Cores, memory, versions and the embedding runtime, for the report."""
    import os
    import platform

    import chromadb
    import onnxruntime

    with open("/proc/meminfo", encoding="ascii") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(total_kb / 2**20, 1),
        "python": platform.python_version(),
        "embedding": type(model).__name__ if model is not None else "",
        "embedding_threads": getattr(model, "threads", None),
        "onnxruntime": onnxruntime.__version__,
        "chromadb": chromadb.__version__,
        "platform": platform.platform(),
    }


def load_questions(limit: int) -> list[str]:
    """The eval set's questions (they target the seed facts the generated corpora recombine)."""
    questions = []
    with QUESTIONS.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                questions.append(str(json.loads(line)["question"]))
    return questions[:limit]


# --- newsbot and baseline handles -------------------------------------------------------------------------
def newsbot_settings(data_dir: Path, collection: str, host: str | None = None, port: int = 8000) -> Settings:
    """Default newsbot settings on a private data dir (extractive: no LLM even if the env names one)."""
    from retrieval import Settings

    return Settings.model_validate(
        dict(
            data_dir=data_dir,
            collection=collection,
            chroma_host=host,
            chroma_port=port,
            llm_base_url=None,
            llm_model=None,
        )
    )


def open_newsbot(settings: Settings, model: BaseEmbedding) -> Index:
    """A fresh Index object (as a new process would open it)."""
    from retrieval import open_index

    return open_index(settings, embed_model=model)


@dataclass
class Target:
    """A place to put both systems' stores: embedded folders, or one Chroma server."""

    mode: str
    root: Path
    host: str | None = None
    port: int = 8000

    def newsbot(self, name: str) -> Settings:
        """Newsbot settings for store ``name``."""
        return newsbot_settings(self.root / f"nb-{name}", f"nb_{name}", self.host, self.port)

    def baseline(self, name: str, model: BaseEmbedding) -> Any:
        """A baseline handle for store ``name``."""
        from eval.baseline import Baseline, chroma_client

        return Baseline(
            chroma_client(self.root / f"base-{name}", self.host, self.port), f"base_{name}", model
        )

    def drop(self, name: str, *, newsbot: bool = True) -> None:
        """Delete the collections of store ``name`` (a server keeps them otherwise) and its folders."""
        from eval.baseline import chroma_client

        stores: list[tuple[str, tuple[str, ...]]] = [(f"base-{name}", (f"base_{name}",))]
        if newsbot:
            stores.append((f"nb-{name}", (f"nb_{name}", f"nb_{name}_manifest")))
        for folder, collections in stores:
            if self.host:
                client = chroma_client(self.root / folder, self.host, self.port)
                existing = {c.name for c in client.list_collections()}
                for collection in collections:
                    if collection in existing:
                        client.delete_collection(collection)
            shutil.rmtree(self.root / folder, ignore_errors=True)


# --- ingest ----------------------------------------------------------------------------------------------
def model_tokens(texts: list[str]) -> int:
    """Tokens the bundled model encodes for ``texts`` (its own tokenizer, truncated at its 256-token window)."""
    from tokenizers import Tokenizer

    from retrieval.embeddings import bundled_model_path
    from retrieval.onnx_embedding import MAX_SEQ_LENGTH

    tokenizer = Tokenizer.from_file(str(Path(bundled_model_path()) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tokenizer.no_padding()  # tokenizer.json pads to 128: count real tokens only
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts))


def newsbot_embedded_texts(index: Index, recipe: str = "chunk") -> list[str]:
    """What newsbot gave the model for its chunks under ``recipe`` (Settings.chunk_vectors), from the store."""
    from retrieval.chunk_vectors import model_texts
    from retrieval.store import meta_from_chroma
    from retrieval.types import Chunk

    chunks, metas = [], {}
    for chunk_id, text, m in index._store.iter_chunk_rows():
        meta = meta_from_chroma(m)
        metas[meta.article_id] = meta
        chunks.append(
            Chunk(
                chunk_id, meta.article_id, int(m["position"]), text, int(m["start_char"]), int(m["end_char"])
            )
        )
    chunks.sort(key=lambda c: (c.article_id, c.position))
    return model_texts(chunks, metas, recipe)


def bench_ingest(
    config: BenchConfig,
    target: Target,
    model: BaseEmbedding,
    articles_dir: Path,
    n_articles: int,
    result: BenchResult,
) -> None:
    """Real-model ingest of both systems, alternating which goes first; then newsbot's unchanged re-ingest."""
    from eval.baseline import with_default_batch

    baseline_model = with_default_batch(model)
    runs: dict[str, list[tuple[float, int, float]]] = {"newsbot": [], "baseline": []}
    last_newsbot: Settings | None = None
    tokens: dict[str, int] = {}
    run_id = uuid.uuid4().hex[:8]
    for repeat in range(config.ingest_repeats):
        order = ["baseline", "newsbot"] if repeat % 2 == 0 else ["newsbot", "baseline"]
        if config.skip_baseline:
            order = ["newsbot"]
        for system in order:
            name = f"ingest{repeat}_{run_id}"
            gc.collect()
            if system == "newsbot":
                settings = target.newsbot(name)
                index = open_newsbot(settings, model)
                with PeakRss() as memory, Stopwatch() as watch:
                    report = index.add([articles_dir])
                runs[system].append((watch.seconds, report.chunks_written, memory.peak_delta_mb))
                if repeat == 0:
                    tokens[system] = model_tokens(newsbot_embedded_texts(index, settings.chunk_vectors))
                index.close()
                last_newsbot = settings
            else:
                base = target.baseline(name, baseline_model)
                with PeakRss() as memory, Stopwatch() as watch:
                    nodes = base.ingest(articles_dir)
                runs[system].append((watch.seconds, nodes, memory.peak_delta_mb))
                if repeat == 0:
                    tokens[system] = model_tokens(base.documents())
            log.info("ingest %s repeat %d: %.1fs", system, repeat, runs[system][-1][0])
    for system, values in runs.items():
        if not values:
            continue
        seconds = median([v[0] for v in values])
        chunks = int(median([float(v[1]) for v in values]))
        result.ingest.append(
            IngestFigures(
                system=system,
                mode=target.mode,
                articles=n_articles,
                chunks=chunks,
                seconds=round(seconds, 2),
                articles_per_s=round(n_articles / seconds, 2),
                chunks_per_s=round(chunks / seconds, 2),
                peak_rss_delta_mb=round(median([v[2] for v in values]), 1),
                model_tokens=tokens.get(system, 0),
            )
        )
    if last_newsbot is not None and target.mode == "embedded":
        reingest_s: list[float] = []
        for _ in range(max(1, config.ingest_repeats)):
            index = open_newsbot(last_newsbot, model)  # a fresh object: manifest read included
            with Stopwatch() as watch:
                report = index.add([articles_dir])
            reingest_s.append(watch.seconds)
            index.close()
        result.reingest = {
            "articles": n_articles,
            "seconds": round(median(reingest_s), 3),
            "seconds_per_1000_articles": round(median(reingest_s) * 1000 / n_articles, 3),
            "unchanged": len(report.unchanged),
            "written": report.chunks_written,
        }
    for repeat in range(config.ingest_repeats):
        target.drop(f"ingest{repeat}_{run_id}")


# --- query latency ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Corpus:
    """A corpus to query: the seeds or a generated one."""

    name: str
    articles_dir: Path
    articles: int
    size: str  # the --sizes name it came from

    @property
    def generated(self) -> bool:
        """True for a generated corpus (whose newsbot store is shared and grown size by size)."""
        return self.name != "seeds"


def build_stores(
    corpus: Corpus, target: Target, model: BaseEmbedding, config: BenchConfig, result: BenchResult
) -> tuple[Settings, Any]:
    """Ingest ``corpus`` into both systems (generated corpora with word-mean document vectors)."""
    from eval.baseline import with_default_batch
    from eval.bench_vectors import WordMeanEmbedding

    build_model: BaseEmbedding = WordMeanEmbedding(model) if corpus.generated else model
    # Generated corpora nest (article i is the same in each), so one newsbot store grows from size to size:
    # ingest is incremental, and only the new articles are written.
    store_name = "generated" if corpus.generated else corpus.name
    size_stamp = target.root / f"nb-{store_name}.articles"
    if size_stamp.exists() and int(size_stamp.read_text()) > corpus.articles:
        target.drop(store_name)  # left larger by an earlier run: start again
    settings = target.newsbot(store_name)
    index = open_newsbot(settings, build_model)
    with Stopwatch() as watch:
        report = index.add([corpus.articles_dir])
    size_stamp.parent.mkdir(parents=True, exist_ok=True)
    size_stamp.write_text(str(corpus.articles))
    with Stopwatch() as bm25_watch:
        chunks = index.stats().chunks  # reads the manifest and builds (and saves) the BM25 index
    index.close()
    info: dict[str, Any] = {
        "corpus": corpus.name,
        "mode": target.mode,
        "articles": corpus.articles,
        "newsbot_chunks": chunks,
        "newsbot_build_s": round(watch.seconds, 1),
        "vectors": "real model" if build_model is model else "word-mean (eval/bench_vectors.py)",
        "newsbot_written": report.chunks_written,
        "newsbot_refresh_s": round(bm25_watch.seconds, 2),
    }
    base = None
    if not config.skip_baseline:
        # The recipe has no incremental ingest: reuse a store an earlier run completed, else build afresh.
        done = target.root / f"base-{corpus.name}.done"
        reused = done.exists()
        if not reused:
            target.drop(corpus.name, newsbot=False)
        base = target.baseline(corpus.name, with_default_batch(build_model))
        with Stopwatch() as watch:
            info["baseline_nodes"] = base.count() if reused else base.ingest(corpus.articles_dir)
        done.write_text(str(info["baseline_nodes"]))
        info["baseline_build_s"] = "reused" if reused else round(watch.seconds, 1)
        base.embed_model = with_default_batch(model)  # queries always go through the real model
        base.open()
    result.stores.append(info)
    return settings, base


def question_variant(question: str, number: int) -> str:
    """The ``number``-th distinct spelling of ``question``: only its final punctuation changes."""
    stem = question.rstrip("?!. ")
    endings = ("?", " ?", "??", "?!", "?.", "!?", "? ?", "?!?", "??!", "...?")
    return stem + (endings[number] if number < len(endings) else "?" * (number - len(endings) + 3))


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def bench_queries(
    corpus: Corpus,
    target: Target,
    model: BaseEmbedding,
    config: BenchConfig,
    questions: list[str],
    result: BenchResult,
) -> None:
    """Warm p50/p95 of newsbot search and ask and of the baseline retriever, interleaved per question."""
    from retrieval import build_engine

    settings, base = build_stores(corpus, target, model, config, result)
    index = open_newsbot(settings, model)
    store = result.stores[-1]
    with Stopwatch() as first:
        index.search(questions[0], k=5)  # cold: manifest + BM25 (loaded or built) + first Chroma query
    store["newsbot_first_search_s"] = round(first.seconds, 2)
    engine = build_engine(settings, index)
    operations: dict[tuple[str, str], Callable[[str], object]] = {
        ("newsbot", "search"): lambda q: index.search(q, k=5),
        ("newsbot", "ask"): engine.ask,
    }
    if base is not None:
        operations[("baseline", "retrieve")] = lambda q: base.retrieve(q, k=5)
    for question in questions[:3]:  # warm-up
        for run in operations.values():
            run(f"{question} (warm-up)")
    samples: dict[tuple[str, str], list[float]] = {key: [] for key in operations}
    rss_before = rss_mb()
    load_before = os.getloadavg()[0]
    for repeat in range(config.repeats):
        for question in questions:
            for number, (key, run) in enumerate(operations.items()):
                # Each call sees a spelling of the question no earlier call saw, so no cache is primed by
                # another operation or pass (BM25 ignores punctuation; the embedding barely moves).
                spelling = question_variant(question, repeat * len(operations) + number)
                samples[key].append(_timed(partial(run, spelling)))
    store["newsbot_rss_growth_over_queries_mb"] = round(rss_mb() - rss_before, 1)
    store["loadavg_1m_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    store["process_rss_mb"] = round(rss_mb(), 1)
    tracemalloc.start()
    for question in questions[:5]:
        index.search(question, k=5)
    store["search_peak_python_alloc_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
    tracemalloc.stop()
    lexical = index._lexical
    if lexical is not None:
        store["lexical_index_mb"] = round(lexical.nbytes() / 2**20, 1) if hasattr(lexical, "nbytes") else None
    chunks = int(store["newsbot_chunks"])
    for (system, operation), values in samples.items():
        result.queries.append(
            QueryFigures(
                system=system,
                operation=operation,
                mode=target.mode,
                corpus=corpus.name,
                articles=corpus.articles,
                chunks=chunks if system == "newsbot" else int(store.get("baseline_nodes", 0)),
                p50_ms=round(percentile(values, 50), 1),
                p95_ms=round(percentile(values, 95), 1),
                samples=len(values),
            )
        )
    index.close()


# --- orchestration ---------------------------------------------------------------------------------------
def _size_articles(config: BenchConfig, size: str) -> int:
    if size == "articles":
        return config.articles
    if size == "chunks":
        return articles_for_chunks(config.chunks_target)
    raise ValueError(f"unknown size {size!r}: use seeds, articles or chunks")


def corpus_dir(config: BenchConfig, n: int) -> Path:
    """A folder of the first ``n`` generated articles (hard links into one generated corpus)."""
    largest = max(
        [config.ingest_articles, *(_size_articles(config, s) for s in _all_sizes(config) if s != "seeds")]
    )
    master = generate_corpus(config.work_dir / "corpus", largest, seeds_dir=SEEDS, seed=config.seed)
    folder = config.work_dir / f"articles-{n}"
    if len(list(folder.glob("*.txt"))) != n:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for path in sorted(master.articles_dir.glob("*.txt"))[:n]:
            os.link(path, folder / path.name)
    return folder


def corpora(config: BenchConfig) -> list[Corpus]:
    """The corpora named in ``sizes`` and ``server_sizes``, smallest first, generated on first use."""
    found = []
    for size in _all_sizes(config):
        if size == "seeds":
            found.append(Corpus("seeds", SEEDS, len(list(SEEDS.glob("*.txt"))), size))
        else:
            n = _size_articles(config, size)
            found.append(Corpus(f"{n}-articles", corpus_dir(config, n), n, size))
    return sorted(found, key=lambda c: (c.generated, c.articles))


def _all_sizes(config: BenchConfig) -> tuple[str, ...]:
    return config.sizes + tuple(s for s in (config.server_sizes or ()) if s not in config.sizes)


def run_speed_bench(config: BenchConfig, progress: Callable[[str], None] = print) -> BenchResult:
    """Run every section in ``config`` and write results.json, table.md and latency.png to ``out_dir``."""
    from eval.bench_report import write_outputs
    from retrieval.embeddings import shared_model

    config.out_dir.mkdir(parents=True, exist_ok=True)
    config.work_dir.mkdir(parents=True, exist_ok=True)
    model = shared_model()
    result = BenchResult(config={k: str(v) for k, v in asdict(config).items()}, machine=machine_info(model))
    model.get_text_embedding_batch(["warm up the model"] * 4)
    questions = load_questions(config.questions)
    ingest_dir = corpus_dir(config, config.ingest_articles)
    all_corpora = corpora(config)
    # Embedded first (every size, then cold start), the server after: the most wanted figures come first.
    embedded = Target("embedded", config.work_dir / "embedded")
    _section(embedded, config, model, ingest_dir, all_corpora, config.sizes, questions, result, progress)
    if config.cold:
        from eval.bench_cold import bench_cold

        progress("cold start: newsbot ask / newsbot serve")
        seeds_settings = embedded.newsbot("seeds")
        open_newsbot(seeds_settings, model).add([SEEDS])  # incremental: usually already there
        result.cold = bench_cold(seeds_settings, config.repeats, config.out_dir)
        write_outputs(result, config.out_dir)
        if config.ingest:
            from eval.bench_cold import newsbot_bin
            from eval.bench_commands import ingest_vs_recipe

            progress(f"whole commands: newsbot ingest vs the recipe, {config.ingest_articles} articles")
            result.cold["ingest commands"] = ingest_vs_recipe(
                newsbot_bin(),
                ingest_dir,
                config.work_dir / "commands",
                max(config.ingest_repeats, 1),
                config.ingest_recipes,
            )
            write_outputs(result, config.out_dir)
    if config.server:
        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        with chroma_server(config.work_dir / "chroma-server", chroma) as (host, port):
            server = Target("server", config.work_dir / "server", host, port)
            sizes = config.server_sizes or config.sizes
            _section(server, config, model, ingest_dir, all_corpora, sizes, questions, result, progress)
    write_outputs(result, config.out_dir)
    return result


def _section(
    target: Target,
    config: BenchConfig,
    model: BaseEmbedding,
    ingest_dir: Path,
    all_corpora: list[Corpus],
    sizes: tuple[str, ...],
    questions: list[str],
    result: BenchResult,
    progress: Callable[[str], None],
) -> None:
    """Ingest, then query latency on each corpus, for one target; outputs rewritten after each step."""
    from eval.bench_report import write_outputs

    if config.ingest:
        progress(f"ingest ({target.mode}): {config.ingest_articles} articles, real model")
        bench_ingest(config, target, model, ingest_dir, config.ingest_articles, result)
        write_outputs(result, config.out_dir)
    for corpus in all_corpora:
        if corpus.size in sizes:
            progress(f"queries ({target.mode}): {corpus.name}")
            bench_queries(corpus, target, model, config, questions, result)
            write_outputs(result, config.out_dir)

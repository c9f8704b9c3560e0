"""Ingest with the real model and embedded Chroma: idempotent, replaces changed files, prunes on request,
survives failures half-way, and skips bad inputs without losing anything else."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_support import (
    DATED_RECORDS,
    FailingEmbedding,
    chunk_rows,
    chunks_per_article,
    copy_seeds,
    fail_on_call,
    write_jsonl,
)

from retrieval import Article, Index, IngestError, QueryError, Settings, open_index
from retrieval.chunking import chunk_article
from retrieval.corpus import load_paths
from retrieval.store import ChunkStore

SettingsFactory = Callable[..., Settings]

OLD_SENTENCE = "The Kremlin described their conversation as a frank exchange of views."
NEW_SENTENCE = "Officials in Helsinki said the lighthouse keepers' union had voted to strike over pensions."


def expected_chunks(paths: list[Path], settings: Settings) -> dict[str, int]:
    """Chunk count per article id that the files on disk should produce."""
    counts = {}
    for item in load_paths(paths, max_bytes=settings.max_file_bytes):
        assert isinstance(item, Article), item
        counts[item.meta.article_id] = len(
            chunk_article(
                item, max_chars=settings.chunk_max_chars, overlap_sentences=settings.chunk_overlap_sentences
            )
        )
    return counts


def assert_store_consistent(index: Index, settings: Settings, expected: dict[str, int]) -> None:
    """The index holds exactly the expected articles, each with its chunks once, and nothing stray."""
    stats = index.stats()
    assert stats.articles == len(expected)
    assert stats.chunks == sum(expected.values())
    assert {m.article_id for m in stats.sources} == set(expected)
    ids = [chunk_id for chunk_id, _, _ in chunk_rows(settings)]
    assert len(ids) == len(set(ids)), "duplicate chunk ids in the store"
    assert dict(chunks_per_article(settings)) == expected, "stored chunks per article"
    for article_id, count in expected.items():
        assert index.chunk_count(article_id) == count


def hit_texts(index: Index, query: str, k: int = 10) -> list[str]:
    return [hit.text for hit in index.search(query, k=k)]


@pytest.fixture
def corpus(tmp_path: Path, seeds_dir: Path) -> Path:
    """A writable copy of the seeds."""
    return copy_seeds(seeds_dir, tmp_path / "corpus")


def test_reingesting_the_same_files_changes_nothing(
    corpus: Path, make_settings: SettingsFactory, embed_model: Any
) -> None:
    settings = make_settings()
    index = open_index(settings, embed_model=embed_model)
    first = index.add([corpus])
    expected = expected_chunks([corpus], settings)
    assert len(first.added) == 3 and not first.updated and not first.skipped
    assert first.chunks_written == sum(expected.values())
    assert_store_consistent(index, settings, expected)

    again = index.add([corpus])
    assert sorted(again.unchanged) == sorted(first.added)
    assert not again.added and not again.updated and not again.removed
    assert again.chunks_written == 0
    assert_store_consistent(index, settings, expected)

    reopened = open_index(settings, embed_model=embed_model)  # another process, same index
    assert reopened.add([corpus]).chunks_written == 0
    assert_store_consistent(reopened, settings, expected)


def test_a_changed_file_replaces_its_old_chunks(
    corpus: Path, make_settings: SettingsFactory, embed_model: Any
) -> None:
    settings = make_settings()
    index = open_index(settings, embed_model=embed_model)
    index.add([corpus])
    path = next(corpus.glob("000_*.txt"))
    old_id = next(m.article_id for m in index.stats().sources if m.file_name == path.name)
    assert any(OLD_SENTENCE in text for text in hit_texts(index, "frank exchange of views"))

    text = path.read_text(encoding="utf-8")
    assert OLD_SENTENCE in text
    path.write_text(text.replace(OLD_SENTENCE, NEW_SENTENCE), encoding="utf-8")
    report = index.add([corpus])

    assert report.updated == (str(path.resolve()),)
    assert len(report.unchanged) == 2 and not report.added
    expected = expected_chunks([corpus], settings)
    assert old_id not in expected
    assert_store_consistent(index, settings, expected)
    assert not any(
        OLD_SENTENCE in t for t in hit_texts(index, "frank exchange of views Kremlin conversation")
    )
    hits = index.search("lighthouse keepers strike over pensions", k=3)
    assert NEW_SENTENCE in hits[0].text
    assert hits[0].article.file_name == path.name and hits[0].article.article_id != old_id
    assert NEW_SENTENCE in index.article_text(hits[0].article.article_id)
    with pytest.raises(QueryError):
        index.article_text(old_id)


def test_prune_drops_removed_files_only_when_asked(
    corpus: Path, make_settings: SettingsFactory, embed_model: Any
) -> None:
    settings = make_settings()
    index = open_index(settings, embed_model=embed_model)
    index.add([corpus])
    gone = next(corpus.glob("002_*.txt"))
    gone_id = next(m.article_id for m in index.stats().sources if m.file_name == gone.name)
    gone.unlink()

    kept = index.add([corpus])
    assert not kept.removed
    assert index.stats().articles == 3
    assert index.search("Enhanced Opportunity Partners", k=1)[0].article.file_name == gone.name

    pruned = index.add([corpus], prune=True)
    assert pruned.removed == (str(gone.resolve()),)
    expected = expected_chunks([corpus], settings)
    assert_store_consistent(index, settings, expected)
    assert gone_id not in chunks_per_article(settings)
    assert all(h.article.file_name != gone.name for h in index.search("Enhanced Opportunity Partners", k=10))


def test_prune_keeps_a_renamed_file(corpus: Path, make_settings: SettingsFactory, embed_model: Any) -> None:
    settings = make_settings()
    index = open_index(settings, embed_model=embed_model)
    index.add([corpus])
    old = next(corpus.glob("001_*.txt"))
    new = old.with_name("renamed-putin.txt")
    old.rename(new)

    report = index.add([corpus], prune=True)
    assert report.removed == (str(old.resolve()),)
    assert report.added == (str(new.resolve()),)
    assert not report.skipped
    assert_store_consistent(index, settings, expected_chunks([corpus], settings))
    top = index.search("Which Belarusian strongman asked post-Soviet allies for solidarity?", k=1)[0]
    assert top.article.file_name == "renamed-putin.txt"
    assert index.add([corpus], prune=True).unchanged  # and the next run is quiet
    assert_store_consistent(index, settings, expected_chunks([corpus], settings))


def test_a_record_removed_from_a_jsonl_file_is_pruned(
    tmp_path: Path, make_settings: SettingsFactory, embed_model: Any
) -> None:
    settings = make_settings()
    index = open_index(settings, embed_model=embed_model)
    feed = write_jsonl(tmp_path / "feed.jsonl", DATED_RECORDS)
    assert len(index.add([feed]).added) == 3
    write_jsonl(feed, [r for r in DATED_RECORDS if r["id"] != "orchard"])
    assert not index.add([feed]).removed
    report = index.add([feed], prune=True)
    assert report.removed == (f"{feed.resolve()}#orchard",)
    assert sorted(report.unchanged) == [f"{feed.resolve()}#library", f"{feed.resolve()}#tram"]
    assert {m.title for m in index.stats().sources} == {
        "Riverside tram line opens",
        "Library extends opening hours",
    }


def test_prune_keeps_records_of_a_json_file_that_cannot_be_read_this_time(
    tmp_path: Path, make_settings: SettingsFactory, embed_model: Any
) -> None:
    settings = make_settings(max_file_bytes=5_000)
    index = open_index(settings, embed_model=embed_model)
    feed = write_jsonl(tmp_path / "feed.jsonl", DATED_RECORDS)
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"title": "Harbour cranes", "text": "New cranes arrived at the harbour."}))
    assert len(index.add([feed, single]).added) == 4

    with feed.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "padding " * 1_000}) + "\n")  # now over the size limit
    single.write_text('{"title": "Harbour cranes", "text": ')  # now broken
    report = index.add([feed, single], prune=True)

    assert {Path(s.path).name for s in report.skipped} == {"feed.jsonl", "single.json"}
    assert report.removed == (), "files that still exist are not pruned because they failed to load"
    assert index.stats().articles == 4


def test_embedding_failure_half_way_leaves_a_usable_index_and_a_rerun_completes(
    corpus: Path, make_settings: SettingsFactory, embed_model: Any
) -> None:
    # One embed call per ingest batch of >= 4 chunks: each seed article is its own batch.
    settings = make_settings(embed_batch_size=1)
    failing = FailingEmbedding(embed_model, fail_on=2)
    index = open_index(settings, embed_model=failing)  # type: ignore[arg-type]
    with pytest.raises(IngestError, match="embedding batch 2 failed"):
        index.add([corpus])

    expected_all = expected_chunks([corpus], settings)
    stats = index.stats()
    assert stats.articles == 1, "the batch before the failure is committed"
    committed = stats.sources[0].article_id
    assert_store_consistent(index, settings, {committed: expected_all[committed]})
    hits = index.search("Finland's president Sauli Niniisto", k=5)
    assert hits and {h.article.article_id for h in hits} == {committed}

    healthy = open_index(settings, embed_model=embed_model)
    report = healthy.add([corpus])
    assert len(report.unchanged) == 1 and len(report.added) == 2
    assert report.chunks_written == sum(expected_all.values()) - expected_all[committed]
    assert_store_consistent(healthy, settings, expected_all)


def test_commit_failure_half_way_hides_the_written_chunks_and_a_rerun_completes(
    corpus: Path, make_settings: SettingsFactory, embed_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(embed_batch_size=1)
    monkeypatch.setattr(ChunkStore, "commit", fail_on_call(ChunkStore.commit, 2, "disk full during commit"))
    index = open_index(settings, embed_model=embed_model)
    with pytest.raises(IngestError, match="disk full"):
        index.add([corpus])
    monkeypatch.undo()

    expected_all = expected_chunks([corpus], settings)
    stats = index.stats()
    assert stats.articles == 1
    committed = stats.sources[0].article_id
    stored = chunks_per_article(settings)
    assert stored[committed] == expected_all[committed]
    uncommitted = [a for a in stored if a != committed]
    assert len(uncommitted) == 1, "the second batch's chunks were written before the failed commit"
    for query in ("Lukashenko urged the CSTO to stand united", "Putin backs down over Nato expansion"):
        assert {h.article.article_id for h in index.search(query, k=10)} == {committed}

    report = open_index(settings, embed_model=embed_model).add([corpus])
    assert len(report.added) == 2 and len(report.unchanged) == 1
    assert_store_consistent(index, settings, expected_all)


def test_crash_between_writing_chunks_and_commit_is_invisible_and_cleaned_up(
    corpus: Path,
    tmp_path: Path,
    make_settings: SettingsFactory,
    embed_model: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings()
    index = open_index(settings, embed_model=embed_model)
    index.add([corpus])
    before = expected_chunks([corpus], settings)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "volcano.txt").write_text(
        "Volcano erupts near ski resort\nAsh from the Mount Tarrin volcano closed the ski resort on Friday.\n"
        "Geologists said lava flows were moving away from the village.\n",
        encoding="utf-8",
    )

    def crash(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # the process dies after write_chunks, before the manifest is written

    monkeypatch.setattr(ChunkStore, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        index.add([extra])
    monkeypatch.undo()
    assert len(chunk_rows(settings)) > sum(before.values()), "the chunks were written"

    for view in (index, open_index(settings, embed_model=embed_model)):
        assert view.stats().articles == 3
        hits = view.search("Mount Tarrin volcano ash closed the ski resort", k=10)
        assert hits, "the committed articles are still searchable"
        assert all("volcano" not in h.text.lower() for h in hits)
        assert {h.article.article_id for h in hits} <= set(before)

    report = index.add([extra])  # the next ingest recovers, then writes the article once
    assert len(report.added) == 1
    assert_store_consistent(index, settings, {**before, **expected_chunks([extra], settings)})
    assert "Mount Tarrin" in index.search("Mount Tarrin volcano ash", k=1)[0].text


def test_recover_removes_chunks_of_an_interrupted_ingest(
    corpus: Path, make_settings: SettingsFactory, embed_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings()
    monkeypatch.setattr(ChunkStore, "commit", fail_on_call(ChunkStore.commit, 1, "crash"))
    with pytest.raises(IngestError, match="crash"):
        open_index(settings, embed_model=embed_model).add([corpus])
    monkeypatch.undo()
    assert chunk_rows(settings), "chunks were written"
    store = ChunkStore(settings)
    assert store.recover() == 3
    assert chunk_rows(settings) == []
    assert store.recover() == 0
    assert open_index(settings, embed_model=embed_model).search("NATO", k=3) == []


def test_bad_inputs_are_skipped_by_name_and_nothing_else_is_lost(
    tmp_path: Path, make_settings: SettingsFactory, embed_model: Any
) -> None:
    settings = make_settings()
    assert settings.max_file_bytes == 20_000_000
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.txt").write_text(
        "Bridge reopens after repairs\nThe old stone bridge over the Marl reopened to traffic on Monday.\n"
    )
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03GIF89a\x00\x00" * 100)
    cafe_text = "Café wins award\nThe little café by the harbour won the regional prize for crème brûlée.\n"
    (folder / "cafe.txt").write_bytes(cafe_text.encode("cp1252"))
    line = b"Filler text that makes this file far too large to ingest.\n"
    with (folder / "huge.txt").open("wb") as handle:
        for _ in range(50_000_000 // len(line) + 1):
            handle.write(line)
    (folder / "feed.jsonl").write_text(
        "\n".join([json.dumps(DATED_RECORDS[0]), "{not json", json.dumps(DATED_RECORDS[1])]) + "\n",
        encoding="utf-8",
    )
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    missing = tmp_path / "missing.txt"

    index = open_index(settings, embed_model=embed_model)
    report = index.add([folder, missing, pdf])

    assert sorted(Path(p.split("#")[0]).name for p in report.added) == [
        "cafe.txt",
        "feed.jsonl",
        "feed.jsonl",
        "good.txt",
    ]
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "huge.txt", "feed.jsonl#2", "scan.pdf", "missing.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "too large" in reasons["huge.txt"] and "50.0 MB" in reasons["huge.txt"]
    assert "line 2" in reasons["feed.jsonl#2"]
    assert "unsupported" in reasons["scan.pdf"]
    assert "no such file" in reasons["missing.txt"]

    assert index.stats().articles == 4
    cafe = index.search("café prize crème brûlée", k=1)[0]
    assert cafe.article.file_name == "cafe.txt"
    assert "crème brûlée" in cafe.text
    assert "The little café by the harbour" in index.article_text(cafe.article.article_id)
    assert index.search("stone bridge reopened", k=1)[0].article.file_name == "good.txt"


def test_pasted_text_is_ingested_once(make_settings: SettingsFactory, embed_model: Any) -> None:
    index = open_index(make_settings(), embed_model=embed_model)
    text = (
        "Beekeepers report record honey\nA warm spring gave beekeepers in the valley a record honey harvest."
    )
    first = index.add_text(text, title="Beekeepers report record honey", file_name="pasted-honey.txt")
    assert len(first.added) == 1 and first.chunks_written == 1
    assert index.add_text(text, file_name="pasted-honey.txt").unchanged == first.added
    hit = index.search("honey harvest", k=1)[0]
    assert hit.article.file_name == "pasted-honey.txt"
    assert hit.article.title == "Beekeepers report record honey"
    with pytest.raises(QueryError):
        index.add_text("   \n ")


def test_an_article_committed_just_before_a_crash_is_readable(
    tmp_path: Path, make_settings: SettingsFactory, embed_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.api.models.Collection import Collection

    settings = make_settings()
    path = tmp_path / "volcano.txt"
    path.write_text("Volcano erupts\nAsh from the Mount Tarrin volcano closed the ski resort on Friday.\n")
    original_delete = Collection.delete

    def delete(self: Collection, ids: list[str] | None = None, **kwargs: Any) -> None:
        if ids and all(i.startswith("p:") for i in ids):
            raise KeyboardInterrupt  # dies after the manifest upsert, before clearing its pending marks
        original_delete(self, ids=ids, **kwargs)

    monkeypatch.setattr(Collection, "delete", delete)
    with pytest.raises(KeyboardInterrupt):
        open_index(settings, embed_model=embed_model).add([path])
    monkeypatch.undo()

    index = open_index(settings, embed_model=embed_model)
    hit = index.search("Mount Tarrin volcano ash", k=1)[0]
    assert hit.article.file_name == "volcano.txt"
    assert index.article_text(hit.article.article_id)[hit.start_char : hit.end_char] == hit.text


def test_an_article_the_store_refuses_is_skipped_and_the_rest_of_its_batch_is_written(
    make_settings: SettingsFactory, embed_model: Any
) -> None:
    from retrieval.corpus import article_id_for
    from retrieval.ingest import ingest
    from retrieval.types import ArticleMeta

    settings = make_settings()
    texts = [f"Harbour report {n}: {n * 3} ships docked at the northern quay." for n in range(4)]
    articles = [
        Article(ArticleMeta(article_id_for(t), f"feed.jsonl#{n}", f"Report {n}"), t, f"/feeds/feed.jsonl#{n}")
        for n, t in enumerate(texts)
    ]
    # A loader outside newsbot handing over NewsAPI's source object as it is: Chroma refuses the metadata.
    odd_meta = ArticleMeta(articles[2].meta.article_id, "feed.jsonl#2", "Report 2", source={"name": "BBC"})  # type: ignore[arg-type]
    articles[2] = Article(odd_meta, texts[2], articles[2].path)

    store = ChunkStore(settings)
    for attempt in range(2):
        report = ingest(store, embed_model, settings, articles)
        assert [Path(s.path).name for s in report.skipped] == ["feed.jsonl#2"]
        assert "could not be stored" in report.skipped[0].reason and "ValueError" in report.skipped[0].reason
        done = report.added if attempt == 0 else report.unchanged
        assert sorted(Path(p).name for p in done) == ["feed.jsonl#0", "feed.jsonl#1", "feed.jsonl#3"]
    index = open_index(settings, embed_model=embed_model)
    assert index.stats().articles == 3
    assert set(chunks_per_article(settings)) == {a.meta.article_id for n, a in enumerate(articles) if n != 2}
    assert "Harbour report 3" in index.search("ships docked at the quay, report 3", k=1)[0].text

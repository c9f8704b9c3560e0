"""Chunks: verbatim offsets, small, overlapping by a sentence, and covering every sentence."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from store_support import DATED_RECORDS, HEADLINE_TEXT, HTML_PAGE, write_jsonl

from retrieval import Article, Chunk, Settings
from retrieval.chunking import chunk_article
from retrieval.corpus import load_paths, text_article
from retrieval.sentences import sentence_spans

DEFAULTS = Settings.model_fields
MAX_CHARS = DEFAULTS["chunk_max_chars"].default
OVERLAP = DEFAULTS["chunk_overlap_sentences"].default


def load_all(*paths: Path) -> list[Article]:
    items = list(load_paths(list(paths), max_bytes=DEFAULTS["max_file_bytes"].default))
    articles = [i for i in items if isinstance(i, Article)]
    assert len(articles) == len(items), items
    return articles


@pytest.fixture(scope="module")
def file_articles(tmp_path_factory: pytest.TempPathFactory) -> list[Article]:
    """Articles from every supported format."""
    root = tmp_path_factory.mktemp("formats")
    (root / "cycle.txt").write_text(HEADLINE_TEXT, encoding="utf-8")
    (root / "solar.html").write_text(HTML_PAGE, encoding="utf-8")
    (root / "budget.md").write_text(
        "# City budget passes\n\n"
        + "The council passed the budget on Thursday after a long debate. " * 12
        + "\n",
        encoding="utf-8",
    )
    write_jsonl(root / "feed.jsonl", DATED_RECORDS)
    return load_all(root)


def assert_verbatim_and_small(article: Article, chunks: list[Chunk], max_chars: int) -> None:
    assert chunks, f"{article.meta.file_name}: no chunks"
    for position, chunk in enumerate(chunks):
        assert article.text[chunk.start_char : chunk.end_char] == chunk.text
        assert 0 < len(chunk.text) <= max_chars, (
            f"{article.meta.file_name}#{position}: {len(chunk.text)} chars"
        )
        assert chunk.position == position
        assert chunk.article_id == article.meta.article_id
    assert len({c.chunk_id for c in chunks}) == len(chunks), "chunk ids must be unique"
    for before, after in itertools.pairwise(chunks):
        assert after.start_char > before.start_char and after.end_char > before.end_char, (
            "chunks move forward"
        )
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start_char, chunk.end_char))
    lost = [i for i, char in enumerate(article.text) if not char.isspace() and i not in covered]
    assert not lost, f"{article.meta.file_name}: text in no chunk: {article.text[lost[0] : lost[0] + 40]!r}"


def assert_sentences_whole_and_overlapping(
    article: Article, chunks: list[Chunk], overlap: int, max_chars: int, *, exact: bool = True
) -> None:
    """Every sentence sits whole in a chunk; neighbours share ``overlap`` whole sentences.

    With ``exact=False`` fewer may be shared, but only when one more would not have fit in ``max_chars``.
    """
    spans = list(sentence_spans(article.text))
    for start, end in spans:
        assert any(c.start_char <= start and end <= c.end_char for c in chunks), (
            f"{article.meta.file_name}: sentence split across chunks: {article.text[start:end]!r}"
        )
    for before, after in itertools.pairwise(chunks):
        where = f"{article.meta.file_name} chunk {after.position}"
        shared = [s for s in spans if after.start_char <= s[0] and s[1] <= before.end_char]
        if shared:
            assert after.start_char == shared[0][0], f"{where}: starts inside a sentence"
        if not overlap:
            assert after.start_char >= before.end_char, f"{where}: overlaps though no overlap was asked for"
        elif exact:
            assert len(shared) == overlap, f"{where}: shares {len(shared)} sentences, not {overlap}"
        else:
            assert len(shared) <= overlap, f"{where}: shares {len(shared)} sentences, more than {overlap}"
            if len(shared) < overlap:
                in_before = [s for s in spans if before.start_char <= s[0] and s[1] <= before.end_char]
                dropped = in_before[len(in_before) - len(shared) - 1]
                first_new = next(s for s in spans if s[0] >= before.end_char)
                assert first_new[1] - dropped[0] > max_chars, f"{where}: dropped an overlap sentence that fit"


def test_seed_chunks_are_verbatim_small_overlapping_and_complete(seeds_dir: Path) -> None:
    articles = load_all(seeds_dir)
    assert len(articles) >= 3
    for article in articles:
        chunks = chunk_article(article, max_chars=MAX_CHARS, overlap_sentences=OVERLAP)
        assert len(chunks) > 1, "seed articles are longer than one chunk"
        assert_verbatim_and_small(article, chunks, MAX_CHARS)
        assert_sentences_whole_and_overlapping(article, chunks, OVERLAP, MAX_CHARS)


def test_chunks_of_every_format_are_verbatim_small_overlapping_and_complete(
    file_articles: list[Article],
) -> None:
    assert {a.meta.file_name.split("#")[0] for a in file_articles} == {
        "cycle.txt",
        "solar.html",
        "budget.md",
        "feed.jsonl",
    }
    budget = next(a for a in file_articles if a.meta.file_name == "budget.md")
    assert len(chunk_article(budget, max_chars=MAX_CHARS)) > 1, "the markdown article needs several chunks"
    for article in file_articles:
        chunks = chunk_article(article, max_chars=MAX_CHARS, overlap_sentences=OVERLAP)
        assert_verbatim_and_small(article, chunks, MAX_CHARS)
        assert_sentences_whole_and_overlapping(article, chunks, OVERLAP, MAX_CHARS)


@pytest.mark.parametrize(("max_chars", "overlap"), [(320, 2), (400, 0), (8000, 1)])
def test_other_chunk_settings_keep_the_guarantees(seeds_dir: Path, max_chars: int, overlap: int) -> None:
    for article in load_all(seeds_dir):
        assert max(end - start for start, end in sentence_spans(article.text)) <= max_chars  # precondition
        chunks = chunk_article(article, max_chars=max_chars, overlap_sentences=overlap)
        assert_verbatim_and_small(article, chunks, max_chars)
        assert_sentences_whole_and_overlapping(article, chunks, overlap, max_chars, exact=False)
        if max_chars >= len(article.text):
            assert len(chunks) == 1


def test_smallest_chunks_still_cover_the_text(seeds_dir: Path) -> None:
    # 120 characters is shorter than some sentences: they are cut, and overlap gives way to the size limit.
    for article in load_all(seeds_dir):
        assert_verbatim_and_small(article, chunk_article(article, max_chars=120, overlap_sentences=1), 120)


def test_a_sentence_longer_than_a_chunk_is_cut_at_word_boundaries() -> None:
    words = " ".join(f"word{i}" for i in range(400))  # ~3,500 characters, no sentence end
    article = text_article(f"Long list\n{words}.", title=None, file_name="long.txt")
    chunks = chunk_article(article, max_chars=300, overlap_sentences=1)
    assert len(chunks) > 10
    assert_verbatim_and_small(article, chunks, 300)
    for chunk in chunks:
        tokens = chunk.text.rstrip(".").split()
        assert all(t.startswith("word") or t in ("Long", "list") for t in tokens), "a word was cut in two"


def test_chunking_is_deterministic_and_ids_follow_the_article(seeds_dir: Path) -> None:
    article = load_all(seeds_dir)[0]
    chunks = chunk_article(article)
    assert chunks == chunk_article(article)
    assert all(c.chunk_id.startswith(article.meta.article_id) for c in chunks)

"""Loading articles: each format, folders, stable ids, metadata, and inputs that must be skipped clearly."""

from __future__ import annotations

import contextlib
import json
import tracemalloc
from datetime import date
from pathlib import Path

from store_support import DATED_RECORDS, HEADLINE_TEXT, HTML_PAGE, write_jsonl

from retrieval import Article, Settings, SkippedFile
from retrieval.corpus import load_paths

MAX_BYTES = Settings.model_fields["max_file_bytes"].default


def load(*paths: Path, max_bytes: int = MAX_BYTES) -> list[Article | SkippedFile]:
    return list(load_paths(list(paths), max_bytes=max_bytes))


def only_article(items: list[Article | SkippedFile]) -> Article:
    assert len(items) == 1 and isinstance(items[0], Article), items
    return items[0]


def only_skip(items: list[Article | SkippedFile]) -> SkippedFile:
    assert len(items) == 1 and isinstance(items[0], SkippedFile), items
    return items[0]


# --- formats -------------------------------------------------------------------------------------------


def test_txt_headline_first_line_becomes_the_title_and_text_is_kept_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "cycle-lanes.txt"
    path.write_text(HEADLINE_TEXT, encoding="utf-8")
    article = only_article(load(path))
    assert article.meta.title == "Council approves new cycle lanes"
    assert article.meta.file_name == "cycle-lanes.txt"
    assert article.text == HEADLINE_TEXT  # verbatim: offsets into it must match the file
    assert article.path == str(path.resolve())
    assert article.meta.url is None and article.meta.published is None


def test_txt_whose_first_line_is_a_paragraph_does_not_take_it_as_the_title(tmp_path: Path) -> None:
    first_line = (
        "Finland and Sweden's politicians on Sunday cleared the way for their countries to join the military "
        "alliance NATO after weeks of debate."
    )
    path = tmp_path / "nato.txt"
    path.write_text(first_line + "\nThe move ends decades of neutrality.\n", encoding="utf-8")
    article = only_article(load(path))
    assert article.meta.title != first_line
    assert len(article.meta.title) <= 80
    assert first_line.startswith(article.meta.title.rstrip("…"))
    assert article.text.startswith(first_line)  # the paragraph stays in the text


def test_markdown_heading_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "budget.md"
    text = "# City budget passes\n\nThe council passed the budget **unanimously** on Thursday.\n"
    path.write_text(text, encoding="utf-8")
    article = only_article(load(path))
    assert article.meta.title == "City budget passes"
    assert article.text == text
    assert article.meta.file_name == "budget.md"


def test_html_main_text_title_date_and_url_without_boilerplate(tmp_path: Path) -> None:
    path = tmp_path / "solar.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    article = only_article(load(path))
    assert article.meta.title == "Harbour city opens floating solar farm"
    assert article.meta.url == "https://coastal-herald.example/news/2023/floating-solar-farm"
    assert article.meta.published == date(2023, 6, 14)
    assert article.meta.file_name == "solar.html"
    assert "floating solar farm in its disused eastern dock" in article.text
    assert "Now one solves the other." in article.text
    for boilerplate in (
        "Subscribe to our newsletter",
        "Home",
        "Sport",
        "All rights reserved",
        "Privacy policy",
    ):
        assert boilerplate not in article.text, boilerplate
    assert "<p>" not in article.text


def test_html_without_an_article_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "menu.html"
    path.write_text("<html><head><title>Menu</title></head><body><script>var x = 1;</script></body></html>")
    skip = only_skip(load(path))
    assert skip.path == str(path.resolve())
    assert "no article text" in skip.reason


def test_jsonl_records_with_optional_metadata(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "feed.jsonl", [*DATED_RECORDS, {"text": "A bare record with only text."}])
    items = load(path)
    assert all(isinstance(i, Article) for i in items) and len(items) == 4
    by_title = {i.meta.title: i for i in items if isinstance(i, Article)}
    tram = by_title["Riverside tram line opens"]
    assert tram.text == DATED_RECORDS[0]["text"]
    assert tram.meta.url == "https://example.org/tram"
    assert tram.meta.published == date(2021, 3, 2)
    assert tram.meta.source == "Metro Gazette"
    assert tram.meta.file_name.startswith("feed.jsonl")
    orchard = by_title["Frost damages apple orchards"]
    assert orchard.meta.published == date(2022, 4, 20)  # an ISO time with Z still gives the date
    assert orchard.meta.url is None
    bare = next(i for i in items if isinstance(i, Article) and i.text == "A bare record with only text.")
    assert bare.meta.title == "A bare record with only text."
    assert bare.meta.published is None and bare.meta.source is None
    assert len({i.path for i in items if isinstance(i, Article)}) == 4  # each record has its own key


def test_json_file_with_a_list_or_a_single_object(tmp_path: Path) -> None:
    many = tmp_path / "many.json"
    many.write_text(json.dumps(DATED_RECORDS[:2]), encoding="utf-8")
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"title": "Single", "text": "One object, one article."}), encoding="utf-8")
    items = load(many, one)
    assert [i.meta.title for i in items if isinstance(i, Article)] == [
        "Riverside tram line opens",
        "Frost damages apple orchards",
        "Single",
    ]


def test_records_without_text_are_skipped_by_name(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "feed.jsonl", [{"id": "no-text", "title": "Empty"}, DATED_RECORDS[0]])
    items = load(path)
    skips = [i for i in items if isinstance(i, SkippedFile)]
    assert len(skips) == 1 and skips[0].path.endswith("feed.jsonl#no-text")
    assert '"text"' in skips[0].reason
    assert [i.meta.title for i in items if isinstance(i, Article)] == ["Riverside tram line opens"]


# --- folders and ids -----------------------------------------------------------------------------------


def test_folders_are_walked_recursively_and_hidden_files_ignored(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.txt").write_text("Alpha story\nAlpha text here.\n")
    (root / "sub" / "b.md").write_text("# Beta story\nBeta text here.\n")
    (root / "sub" / "deeper" / "c.txt").write_text("Gamma story\nGamma text here.\n")
    (root / ".hidden.txt").write_text("Hidden story\nMust not load.\n")
    (root / ".git" / "d.txt").write_text("Git story\nMust not load.\n")
    (root / "sub" / "notes.pdf").write_bytes(b"%PDF-1.4 not an article")
    items = load(root)
    assert all(isinstance(i, Article) for i in items)
    assert sorted(i.meta.file_name for i in items if isinstance(i, Article)) == ["a.txt", "b.md", "c.txt"]


def test_id_depends_on_content_not_on_file_name(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text(HEADLINE_TEXT, encoding="utf-8")
    (tmp_path / "two.txt").write_text(HEADLINE_TEXT, encoding="utf-8")
    (tmp_path / "three.txt").write_text(HEADLINE_TEXT.replace("twelve", "eleven"), encoding="utf-8")
    first = only_article(load(tmp_path / "one.txt"))
    again = only_article(load(tmp_path / "one.txt"))
    same_text = only_article(load(tmp_path / "two.txt"))
    edited = only_article(load(tmp_path / "three.txt"))
    assert first.meta.article_id == again.meta.article_id == same_text.meta.article_id
    assert first.meta.file_name != same_text.meta.file_name
    assert edited.meta.article_id != first.meta.article_id


def test_seed_articles_load_with_their_file_names(seeds_dir: Path) -> None:
    items = load(seeds_dir)
    articles = [i for i in items if isinstance(i, Article)]
    assert len(articles) == len(items) == len(list(seeds_dir.glob("*.txt")))
    assert [a.meta.file_name for a in articles] == sorted(p.name for p in seeds_dir.glob("*.txt"))
    headline = next(a for a in articles if a.meta.file_name.startswith("001_"))
    assert headline.meta.title == "Putin backs down over Nato expansion as Ukrainian troops reach his border"
    for article in articles:
        assert article.text == (seeds_dir / article.meta.file_name).read_text(encoding="utf-8")


# --- bad inputs ----------------------------------------------------------------------------------------


def test_empty_and_blank_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("  \n\n\t\n")
    for name in ("empty.txt", "blank.md"):
        skip = only_skip(load(tmp_path / name))
        assert skip.path.endswith(name)
        assert "empty" in skip.reason


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    skip = only_skip(load(path))
    assert skip.path.endswith("photo.txt")
    assert "binary" in skip.reason


def test_windows_1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "cafe.txt"
    path.write_bytes(
        "Café reopens\nThe café on the square serves crème brûlée again – at €4.\n".encode("cp1252")
    )
    article = only_article(load(path))
    assert article.meta.title == "Café reopens"
    assert "The café on the square serves crème brûlée again – at €4." in article.text


def test_file_over_the_default_limit_is_skipped_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    line = b"This sentence repeats to make a very large file for the size limit test.\n"
    with path.open("wb") as handle:
        for _ in range(50_000_000 // len(line) + 1):
            handle.write(line)
    assert path.stat().st_size > 50_000_000 > MAX_BYTES == 20_000_000
    tracemalloc.start()
    try:
        items = load(path)
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    skip = only_skip(items)
    assert skip.path.endswith("huge.txt")
    assert "too large" in skip.reason
    assert "50.0 MB" in skip.reason
    assert peak_bytes < 5_000_000, f"the file was read into memory (peak {peak_bytes} bytes)"


def test_missing_path_and_unsupported_type_are_skipped_by_name(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    missing, unsupported = load(tmp_path / "nope.txt", pdf)
    assert isinstance(missing, SkippedFile) and missing.path.endswith("nope.txt")
    assert "no such file" in missing.reason
    assert isinstance(unsupported, SkippedFile) and unsupported.path.endswith("report.pdf")
    assert "unsupported" in unsupported.reason and ".pdf" in unsupported.reason


def test_malformed_jsonl_line_skips_only_that_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(DATED_RECORDS[0]),
                '{"title": "broken", "text": "cut off',
                json.dumps(DATED_RECORDS[1]),
            ]
        ),
        encoding="utf-8",
    )
    items = load(path)
    skips = [i for i in items if isinstance(i, SkippedFile)]
    assert len(skips) == 1
    assert skips[0].path.endswith("feed.jsonl#2")
    assert "line 2" in skips[0].reason and "JSON" in skips[0].reason
    assert [i.meta.title for i in items if isinstance(i, Article)] == [
        "Riverside tram line opens",
        "Frost damages apple orchards",
    ]


def test_malformed_json_file_is_skipped_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"text": "fine"}, {"text": ]', encoding="utf-8")
    skip = only_skip(load(path))
    assert skip.path.endswith("broken.json")
    assert "not valid JSON" in skip.reason


# --- records with odd fields, hostile structure and non-regular files -------------------------------------

NEWSAPI_RECORD = {
    "source": {"id": None, "name": "BBC News"},
    "author": ["Jane Roe", "John Doe"],
    "title": "Ferry service resumes after storm",
    "url": "https://example.org/ferry",
    "publishedAt": "2024-02-03T08:00:00Z",
    "text": "The island ferry sailed again on Saturday after three days of storms.",
}


def _write_records(path: Path, records: list[dict[str, object]]) -> Path:
    if path.suffix == ".json":
        path.write_text(json.dumps(records), encoding="utf-8")
        return path
    return write_jsonl(path, records)


def test_json_and_jsonl_read_the_same_fields_and_flatten_nested_values(tmp_path: Path) -> None:
    dated = {"id": 7, "title": "Dated", "text": "A record dated with the date key.", "date": "2023-05-06"}
    odd = {"id": {"nested": "id"}, "title": ["Listed", "title"], "source": {"unknown": 1}, "url": 42,
           "text": "A record whose fields are all of the wrong kind."}  # fmt: skip
    for suffix in (".json", ".jsonl"):
        items = load(_write_records(tmp_path / f"feed{suffix}", [NEWSAPI_RECORD, dated, odd]))
        ferry, dated_article, odd_article = items
        assert isinstance(ferry, Article) and isinstance(dated_article, Article), items
        assert isinstance(odd_article, Article), items
        assert ferry.meta.source == "BBC News"
        assert ferry.meta.published == date(2024, 2, 3)
        assert ferry.meta.url == "https://example.org/ferry"
        assert dated_article.meta.published == date(2023, 5, 6)
        assert dated_article.meta.file_name == f"feed{suffix}#7"
        assert odd_article.meta.title == "Listed, title"
        assert odd_article.meta.source is None and odd_article.meta.url == "42"
        assert odd_article.meta.file_name == f"feed{suffix}#3", "an id that is not a plain value is not used"


def test_a_newsapi_response_file_is_read_as_its_articles(tmp_path: Path) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps({"status": "ok", "totalResults": 1, "articles": [NEWSAPI_RECORD]}))
    article = only_article(load(path))
    assert article.meta.title == "Ferry service resumes after storm" and article.meta.source == "BBC News"


def test_deeply_nested_json_is_skipped_by_name_and_the_rest_is_loaded(tmp_path: Path) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    nested = tmp_path / "nested.json"
    nested.write_text(deep, encoding="utf-8")
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join([json.dumps(DATED_RECORDS[0]), deep, json.dumps(DATED_RECORDS[1])]) + "\n")
    items = load(nested, feed)
    skips = {Path(i.path).name: i.reason for i in items if isinstance(i, SkippedFile)}
    assert skips == {"nested.json": skips["nested.json"], "feed.jsonl#2": skips["feed.jsonl#2"]}
    assert all("nested too deeply" in reason for reason in skips.values())
    assert [i.meta.title for i in items if isinstance(i, Article)] == [
        "Riverside tram line opens",
        "Frost damages apple orchards",
    ]


def test_repeated_record_ids_and_records_that_are_not_objects_are_skipped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "feed.jsonl", [DATED_RECORDS[0], DATED_RECORDS[0]])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('["a list, not an object"]\n"\\ud800 a lone surrogate"\n')
        handle.write(json.dumps({"id": "bad", "text": "Text with a lone surrogate \ud800."}) + "\n")
    items = load(path)
    assert [i.meta.title for i in items if isinstance(i, Article)] == ["Riverside tram line opens"]
    reasons = {Path(i.path).name: i.reason for i in items if isinstance(i, SkippedFile)}
    assert set(reasons) == {"feed.jsonl#2", "feed.jsonl#3", "feed.jsonl#4", "feed.jsonl#5"}
    assert "repeats the id" in reasons["feed.jsonl#2"]
    assert "not a JSON object" in reasons["feed.jsonl#3"]


def test_pipes_are_skipped_not_read(tmp_path: Path) -> None:
    import os
    import threading

    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.txt").write_text("Good article\nIt has a sentence.\n")
    pipes = [folder / "feed.txt", tmp_path / "direct.jsonl"]
    for pipe in pipes:
        os.mkfifo(pipe)

    def feed(pipe: Path) -> None:  # if the loader opened the pipe, it would read this article from it
        with contextlib.suppress(BrokenPipeError), pipe.open("w") as handle:
            handle.write('{"text": "An article that arrived through a pipe."}\n')

    for pipe in pipes:
        threading.Thread(target=feed, args=(pipe,), daemon=True).start()
    try:
        items = load(folder, pipes[1])
    finally:
        for pipe in pipes:  # release the writers that nobody read from
            os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))
    assert [i.meta.file_name for i in items if isinstance(i, Article)] == ["good.txt"]
    skips = {Path(i.path).name: i.reason for i in items if isinstance(i, SkippedFile)}
    assert set(skips) == {"feed.txt", "direct.jsonl"}
    assert all("not a regular file" in reason for reason in skips.values())

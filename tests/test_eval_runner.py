"""The eval runner end to end on a tiny set with the real seed engine, the reports, and the CI gate."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval import metrics
from eval.cli import register
from eval.gate import ThresholdError, check, load_thresholds, parse_thresholds
from eval.html_report import render_html
from eval.questionset import (
    DEFAULT_CONVERSATIONS,
    DEFAULT_QUESTIONS,
    EvalQuestion,
    load_conversations,
    load_questions,
)
from eval.report import write_json
from eval.runner import EvalReport, run_eval
from retrieval import Answer

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TINY_IDS = ("who-01", "how-many-02", "paraphrase-01", "multi-article-01", "unanswerable-01")


class RecordingEngine:
    """The real engine, noting how many earlier turns each question came with; "boom" questions raise."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.turns_seen: dict[str, int] = {}

    def ask(self, question: str, conversation: Any = None) -> Answer:
        self.turns_seen[question] = len(conversation.turns) if conversation is not None else -1
        if "boom" in question:
            raise RuntimeError(f"engine failed on {question!r}")
        answer: Answer = self.engine.ask(question, conversation=conversation)
        return answer


@pytest.fixture(scope="module")
def tiny_run(seed_engine: Any, seed_index: Any) -> tuple[EvalReport, RecordingEngine]:
    """The tiny set (five questions, one three-turn conversation) run once through the seed engine."""
    questions = [q for q in load_questions(DEFAULT_QUESTIONS) if q.id in TINY_IDS]
    conversation = [case for case in load_conversations(DEFAULT_CONVERSATIONS) if case.id == "conv-06"]
    engine = RecordingEngine(seed_engine)
    return run_eval(engine, seed_index, questions, conversation), engine


def test_every_question_and_turn_gets_a_record_in_order(tiny_run: tuple[EvalReport, RecordingEngine]) -> None:
    report, _ = tiny_run
    assert [r.id for r in report.records] == [*TINY_IDS, "conv-06#1", "conv-06#2", "conv-06#3"]
    assert [r.type for r in report.records[-3:]] == ["conversation", "follow_up", "follow_up"]
    assert all(r.error is None and r.latency_ms > 0 for r in report.records)


def test_turns_are_asked_with_the_conversation_so_far(tiny_run: tuple[EvalReport, RecordingEngine]) -> None:
    report, engine = tiny_run
    assert engine.turns_seen["Who is the president of Finland?"] == -1  # a lone question: no conversation
    turns = [r for r in report.records if r.conversation_id == "conv-06"]
    assert [engine.turns_seen[r.question] for r in turns] == [0, 1, 2]


def test_verdicts_agree_with_the_answers(tiny_run: tuple[EvalReport, RecordingEngine]) -> None:
    report, _ = tiny_run
    for r in report.records:
        assert r.correct == metrics.is_correct(
            r.answer, r.abstained, r.answers, r.answers_all, r.unanswerable
        )
        if not r.abstained and not r.unanswerable:
            quotes = [c.quote for c in r.citations]
            assert r.citation_supports == metrics.quotes_support(quotes, r.answers, r.answers_all)


def test_citations_are_checked_against_the_article_files(
    tiny_run: tuple[EvalReport, RecordingEngine],
) -> None:
    report, _ = tiny_run
    citations = [c for r in report.records for c in r.citations]
    assert citations
    for c in citations:
        text = (SEEDS / c.file_name).read_text(encoding="utf-8")
        assert c.verbatim == (text[c.start_char : c.end_char] == c.quote)


def test_retrieval_ranks_come_from_the_index(
    tiny_run: tuple[EvalReport, RecordingEngine], seed_index: Any
) -> None:
    report, _ = tiny_run
    for r in report.records[: len(TINY_IDS)]:
        if r.unanswerable:
            assert r.retrieval_rank is None and r.retrieved_files == ()
            continue
        files = [hit.article.file_name for hit in seed_index.search(r.question, k=10)]
        assert list(r.retrieved_files) == files
        assert r.retrieval_rank == metrics.first_rank(files, r.sources)


def test_aggregates_match_the_records(tiny_run: tuple[EvalReport, RecordingEngine]) -> None:
    report, _ = tiny_run
    answerable = [r for r in report.records if not r.unanswerable]
    overall = report.overall
    assert (overall.questions, overall.answerable, overall.unanswerable) == (8, 7, 1)
    assert overall.accuracy == pytest.approx(sum(r.correct for r in answerable) / 7)
    ranks = [r.retrieval_rank for r in answerable]
    assert overall.hit_at_1 == pytest.approx(sum(rank == 1 for rank in ranks) / 7)
    assert overall.mrr == metrics.mean_reciprocal_rank(ranks)
    unanswerable = next(r for r in report.records if r.unanswerable)
    assert overall.abstention_recall == (1.0 if unanswerable.abstained else 0.0)
    assert set(report.by_type) == {"who", "how_many", "paraphrase", "multi_article", "unanswerable"} | {
        "conversation",
        "follow_up",
    }
    assert report.by_type["follow_up"].questions == 2
    assert report.overall.latency_p95_ms is not None
    assert report.overall.latency_p95_ms >= report.overall.latency_p50_ms  # type: ignore[operator]


def test_a_crashing_question_is_recorded_not_fatal(seed_engine: Any, seed_index: Any) -> None:
    questions = [q for q in load_questions(DEFAULT_QUESTIONS) if q.id == "who-01"]
    broken = EvalQuestion(id="boom-1", question="boom?", type="who", answers=("x",), sources=("a.txt",))
    report = run_eval(RecordingEngine(seed_engine), seed_index, [broken, *questions])
    crashed, fine = report.records
    assert crashed.error == "RuntimeError: engine failed on 'boom?'" and not crashed.correct
    assert fine.error is None
    assert report.overall.errors == 1
    gate = check(report, parse_thresholds({"max": {"errors": 0}}))
    assert not gate.passed


def test_the_json_report_holds_every_record_and_the_metrics(
    tiny_run: tuple[EvalReport, RecordingEngine], tmp_path: Path
) -> None:
    report, _ = tiny_run
    path = tmp_path / "out" / "report.json"
    write_json(report, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [r["id"] for r in data["records"]] == [r.id for r in report.records]
    first = data["records"][0]
    for key in ("question", "answer", "abstained", "citations", "correct", "retrieval_rank", "latency_ms"):
        assert key in first
    assert first["answer"] == report.records[0].answer
    citation = next(c for r in data["records"] for c in r["citations"])
    assert set(citation) >= {"file_name", "quote", "start_char", "end_char", "verbatim"}
    assert data["metrics"]["overall"]["accuracy"] == report.overall.accuracy
    assert data["metrics"]["by_type"]["follow_up"]["questions"] == 2
    assert data["gate"] is None


def test_the_html_report_shows_failures_beside_expectations(
    tiny_run: tuple[EvalReport, RecordingEngine],
) -> None:
    report, _ = tiny_run
    page = render_html(report)
    assert page.startswith("<!doctype html>") and 'src="data:image/png;base64,iVBORw0KGgo' in page
    for record in report.records:
        assert (f"<td>{record.id}<br>" in page) is (not record.correct)
        if not record.correct:
            assert all(escape(expected) in page for expected in [*record.answers, *record.answers_all])
            assert escape(record.answer) in page


# --- the gate ----------------------------------------------------------------------------------------


def test_the_gate_fails_above_what_was_reached_and_passes_at_it(
    tiny_run: tuple[EvalReport, RecordingEngine],
) -> None:
    report, _ = tiny_run
    reached = report.overall.hit_at_5
    follow_up = report.by_type["follow_up"].mrr
    assert reached is not None and follow_up is not None
    passing = parse_thresholds(
        {"min": {"hit_at_5": reached}, "type": {"follow_up": {"min": {"mrr": follow_up}}}}
    )
    assert check(report, passing).passed
    above = parse_thresholds(
        {"min": {"hit_at_5": reached + 0.01}, "type": {"follow_up": {"min": {"mrr": 0.0}}}}
    )
    result = check(report, above)
    assert not result.passed
    assert [f.threshold.metric for f in result.failures] == ["hit_at_5"]
    assert result.failures[0].value == reached


def test_the_gate_checks_ceilings_and_skips_what_was_not_measured(
    tiny_run: tuple[EvalReport, RecordingEngine],
) -> None:
    report, _ = tiny_run
    p50 = report.overall.latency_p50_ms
    assert p50 is not None
    rules = parse_thresholds(
        {"max": {"latency_p50_ms": p50 / 2}, "type": {"list": {"min": {"accuracy": 0.5}}}}
    )
    result = check(report, rules)
    assert [f.threshold.metric for f in result.failures] == ["latency_p50_ms"]
    assert [rule.scope for rule in result.skipped] == ["list"]  # no list question in the tiny set
    assert result.checked == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min": {"acuracy": 0.5}}, "unknown metric 'acuracy'"),
        ({"min": {"accuracy": "high"}}, "must be a number"),
        ({"floor": {"accuracy": 0.5}}, "unknown section"),
        ({"type": {"who": {"minimum": {"accuracy": 0.5}}}}, "only min and max"),
    ],
)
def test_bad_thresholds_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ThresholdError, match=message):
        parse_thresholds(data)


def test_the_bundled_thresholds_cover_the_bundled_types() -> None:
    rules = load_thresholds()
    types = {q.type for q in load_questions(DEFAULT_QUESTIONS)} | {"conversation", "follow_up"}
    assert {"accuracy", "hit_at_1", "mrr", "abstention_recall"} <= {
        r.metric for r in rules if r.scope == "overall"
    }
    assert {r.scope for r in rules} - {"overall"} <= types


# --- the command -------------------------------------------------------------------------------------


def _cli_app() -> Any:
    import typer

    app = typer.Typer()
    register(app)

    @app.command("noop")  # a second command keeps typer from collapsing the app into `eval`
    def noop() -> None:
        """Nothing."""

    return app


def test_the_command_writes_reports_and_exits_1_below_a_threshold(tmp_path: Path) -> None:
    tiny = tmp_path / "tiny.jsonl"
    lines = [
        line for line in DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines() if '"who-01"' in line
    ]
    tiny.write_text("\n".join(lines) + "\n", encoding="utf-8")
    impossible = tmp_path / "impossible.toml"
    impossible.write_text("[max]\nlatency_p50_ms = 0.0\n", encoding="utf-8")
    args = [
        "eval",
        "--questions",
        str(tiny),
        "--report",
        str(tmp_path / "r.json"),
        "--html",
        str(tmp_path / "r.html"),
    ]

    failed = CliRunner().invoke(_cli_app(), [*args, "--thresholds", str(impossible)])
    assert failed.exit_code == 1, failed.output
    assert "latency_p50_ms" in failed.output
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in data["records"]] == ["who-01"]  # --questions alone runs no conversations
    assert data["gate"]["passed"] is False
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")

    passed = CliRunner().invoke(_cli_app(), [*args, "--no-gate"])
    assert passed.exit_code == 0, passed.output


def test_the_command_names_the_bad_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "q1", "question": "Who?", "type": "who", "answers": ["X"]}\n{oops\n', encoding="utf-8"
    )
    result = CliRunner().invoke(_cli_app(), ["eval", "--questions", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2" in result.output.replace("\n", "")

"""The eval runner end to end: a tiny set with the real seed engine, tiny hand-made suites through the
command, the reports, and the per-suite CI gate."""

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
from eval.suite_run import EvalRun, SuiteOutcome
from eval.suites import custom_suite
from retrieval import Answer
from retrieval.types import ArticleMeta, Hit, Trace

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TINY_IDS = ("who-01", "how-many-02", "paraphrase-01", "multi-article-01", "unanswerable-01")


class RecordingEngine:
    """The real engine, noting how many earlier turns each question came with; "boom" questions raise."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.turns_seen: dict[str, int] = {}
        self.answers: dict[str, Answer] = {}

    def ask(self, question: str, conversation: Any = None) -> Answer:
        self.turns_seen[question] = len(conversation.turns) if conversation is not None else -1
        if "boom" in question:
            raise RuntimeError(f"engine failed on {question!r}")
        answer: Answer = self.engine.ask(question, conversation=conversation)
        self.answers[question] = answer
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


def test_retrieval_ranks_are_read_from_the_answers_trace(
    tiny_run: tuple[EvalReport, RecordingEngine],
) -> None:
    report, engine = tiny_run
    for r in report.records:
        trace = engine.answers[r.question].trace
        assert trace is not None
        assert list(r.retrieved_files) == [hit.article.file_name for hit in trace.hits]
        assert (r.decision, r.confidence) == (trace.decision, trace.confidence)
        expected = metrics.first_rank(r.retrieved_files, r.sources) if r.sources else None
        assert r.retrieval_rank == expected
    assert any(r.retrieval_rank is not None for r in report.records)


class TracedEngine:
    """A fake engine whose trace lists one hit per word of the question, named ``<word>.json#1``."""

    def ask(self, question: str, conversation: Any = None) -> Answer:
        words = question.rstrip("?").split()
        hits = tuple(
            Hit(f"c{n}", word, 1.0 / (n + 1), ArticleMeta(f"id-{word}", f"{word}.json#1", word), 0, len(word))
            for n, word in enumerate(words)
        )
        trace = Trace(query=question, hits=hits, decision="decline", confidence=0.1)
        return Answer(question=question, text="not in the articles", abstained=True, trace=trace)


class TextsOnly:
    """An index that can only give article texts: the runner must not search it."""

    def article_text(self, article_id: str) -> str:
        return article_id


def test_the_runner_never_searches_and_matches_records_to_their_files() -> None:
    questions = [
        EvalQuestion(
            id="q1", question="alpha beta gamma?", type="what", answers=("x",), sources=("gamma.json",)
        ),
        EvalQuestion(id="q2", question="beta alpha?", type="what", answers=("x",), sources=("alpha.json#1",)),
        EvalQuestion(id="q3", question="delta?", type="what", answers=("x",), sources=("alpha.json",)),
    ]
    report = run_eval(TracedEngine(), TextsOnly(), questions)
    assert [r.retrieval_rank for r in report.records] == [3, 2, None]
    assert report.records[0].retrieved_files == ("alpha.json#1", "beta.json#1", "gamma.json#1")
    assert [r.decision for r in report.records] == ["decline"] * 3
    assert [r.warmup for r in report.records] == [True, False, False]
    assert report.overall.decline_rate == 1.0 and report.overall.crag_score == 0.0


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
    gate = check(report, parse_thresholds({"max": {"errors": 0}}).for_suite("custom"))
    assert not gate.passed


def _one_suite_run(report: EvalReport) -> EvalRun:
    outcome = SuiteOutcome(custom_suite(DEFAULT_QUESTIONS, SEEDS), report=report)
    return EvalRun((outcome,), report.started_at, report.duration_s)


def test_the_json_report_holds_every_record_and_the_metrics(
    tiny_run: tuple[EvalReport, RecordingEngine], tmp_path: Path
) -> None:
    report, _ = tiny_run
    path = tmp_path / "out" / "report.json"
    write_json(_one_suite_run(report), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    [suite] = data["suites"]
    assert [r["id"] for r in suite["records"]] == [r.id for r in report.records]
    first = suite["records"][0]
    for key in ("question", "answer", "abstained", "citations", "correct", "retrieval_rank", "latency_ms"):
        assert key in first
    assert first["answer"] == report.records[0].answer
    assert first["warmup"] is True and first["decision"] in ("answer", "closest", "decline")
    citation = next(c for r in suite["records"] for c in r["citations"])
    assert set(citation) >= {"file_name", "quote", "start_char", "end_char", "verbatim"}
    assert suite["metrics"]["overall"]["accuracy"] == report.overall.accuracy
    assert suite["metrics"]["overall"]["crag_score"] == report.overall.crag_score
    assert suite["metrics"]["by_type"]["follow_up"]["questions"] == 2
    assert suite["gate"] is None and suite["speed"]["recipe"] is None


def test_the_html_report_shows_failures_beside_expectations(
    tiny_run: tuple[EvalReport, RecordingEngine],
) -> None:
    report, _ = tiny_run
    page = render_html(_one_suite_run(report))
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
    assert check(report, passing.for_suite("custom")).passed
    above = parse_thresholds(
        {"min": {"hit_at_5": reached + 0.01}, "type": {"follow_up": {"min": {"mrr": 0.0}}}}
    )
    result = check(report, above.for_suite("custom"))
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
    ).for_suite("custom")
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
    rules = load_thresholds().suites["seeds"]
    types = {q.type for q in load_questions(DEFAULT_QUESTIONS)} | {"conversation", "follow_up"}
    assert {"accuracy", "crag_score", "hit_at_1", "mrr", "abstention_recall"} <= {
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
        line
        for line in DEFAULT_QUESTIONS.read_text(encoding="utf-8").splitlines()
        if '"who-01"' in line or '"how-many-02"' in line
    ]
    tiny.write_text("\n".join(lines) + "\n", encoding="utf-8")
    impossible = tmp_path / "impossible.toml"
    impossible.write_text("[suites.custom.max]\nlatency_p50_ms = 0.0\n", encoding="utf-8")
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
    assert "custom: below threshold overall latency_p50_ms" in failed.output
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    [suite] = data["suites"]  # --questions alone runs the ad-hoc set only, and no conversations
    assert suite["suite"] == "custom" and [r["id"] for r in suite["records"]] == ["who-01", "how-many-02"]
    assert suite["gate"]["passed"] is False and data["passed"] is False
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")

    passed = CliRunner().invoke(_cli_app(), [*args, "--no-gate"])
    assert passed.exit_code == 0, passed.output


RGB_SNIPPETS = {
    "p1.txt": "Facebook acquired WhatsApp in 2014 for 19 billion dollars in cash and shares.",
    "p2.txt": "The Eiffel Tower stands in Paris, the capital of France, and opened in 1889.",
    "p3.txt": "Argentina won the 2022 World Cup in Qatar after a penalty shoot-out against France.",
}
MULTIHOP_ARTICLES = {
    "mh-a.json": {
        "title": "Chip maker results",
        "text": "Nvidia reported record revenue from data centre chips.",
    },
    "mh-b.json": {
        "title": "Search trial",
        "text": "Google defended its default search deals in an antitrust trial.",
    },
}


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _tiny_public_dir(root: Path) -> Path:
    """Hand-made rgb/ and multihop/ folders, laid out like the public dev sets."""
    for name, text in RGB_SNIPPETS.items():
        (root / "rgb" / "corpus").mkdir(parents=True, exist_ok=True)
        (root / "rgb" / "corpus" / name).write_text(text + "\n", encoding="utf-8")
    for name, article in MULTIHOP_ARTICLES.items():
        (root / "multihop" / "corpus").mkdir(parents=True, exist_ok=True)
        (root / "multihop" / "corpus" / name).write_text(json.dumps(article), encoding="utf-8")
    unanswerable = {"answers": [], "sources": [], "type": "unanswerable", "unanswerable": True}
    _write_jsonl(
        root / "rgb" / "questions.jsonl",
        [
            {
                "id": "r1",
                "question": "Who acquired WhatsApp?",
                "answers": ["Facebook"],
                "sources": ["p1.txt"],
                "type": "factoid",
                "unanswerable": False,
            },
            {
                "id": "r2",
                "question": "In which city is the Eiffel Tower?",
                "answers": ["Paris"],
                "sources": ["p2.txt"],
                "type": "factoid",
                "unanswerable": False,
            },
            {"id": "r3", "question": "Who won the 2019 Wimbledon women's singles title?", **unanswerable},
        ],
    )
    _write_jsonl(
        root / "multihop" / "questions.jsonl",
        [
            {
                "id": "m1",
                "question": "Which company reported record revenue from data centre chips?",
                "answers": ["Nvidia"],
                "sources": ["mh-a.json"],
                "type": "inference_query",
                "unanswerable": False,
            },
            {
                "id": "m2",
                "question": "Which company defended its default search deals in an antitrust trial?",
                "answers": ["Google"],
                "sources": ["mh-b.json#1"],
                "type": "inference_query",
                "unanswerable": False,
            },
            {
                "id": "m3",
                "question": "Which bank did the Nvidia chief executive found in 1990?",
                **unanswerable,
            },
        ],
    )
    return root


def test_named_suites_run_each_on_its_own_corpus_and_are_gated_apart(tmp_path: Path) -> None:
    public = _tiny_public_dir(tmp_path / "public")
    thresholds = tmp_path / "t.toml"
    thresholds.write_text(
        "[max]\nerrors = 0\n[suites.rgb.max]\nlatency_p50_ms = 0.0\n[suites.multihop.min]\naccuracy = 0.0\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = [
        "eval",
        "-s",
        "rgb",
        "--suite",
        "multihop",
        "--public-dir",
        str(public),
        "--thresholds",
        str(thresholds),
    ]
    result = CliRunner().invoke(
        _cli_app(), [*args, "--report", str(out / "r.json"), "--html", str(out / "r.html")]
    )
    assert result.exit_code == 1, result.output  # rgb breaks its impossible ceiling; multihop keeps its rules
    assert "rgb: below threshold overall latency_p50_ms" in result.output
    assert "gate failed in rgb" in result.output and "multihop: gate passed" in result.output

    data = json.loads((out / "r.json").read_text(encoding="utf-8"))
    rgb, multihop = data["suites"]
    assert (rgb["suite"], multihop["suite"]) == ("rgb", "multihop")
    assert (rgb["gate"]["passed"], multihop["gate"]["passed"]) == (False, True)
    assert [r["id"] for r in rgb["records"]] == ["r1", "r2", "r3"]
    assert {f for r in rgb["records"] for f in r["retrieved_files"]} <= set(RGB_SNIPPETS)
    for r in multihop["records"]:  # each article is the one record of its .json file
        assert r["retrieved_files"] and all(f.endswith(".json#1") for f in r["retrieved_files"])
    ranked = {r["id"]: r["retrieval_rank"] for r in multihop["records"]}
    assert ranked["m1"] is not None and ranked["m2"] is not None and ranked["m3"] is None
    for suite in (rgb, multihop):
        figures = suite["metrics"]["overall"]
        points = [
            metrics.crag_points(unanswerable=r["unanswerable"], declined=r["abstained"], correct=r["correct"])
            for r in suite["records"]
        ]
        assert figures["crag_score"] == pytest.approx(sum(points) / 3)
        assert figures["decline_rate"] == pytest.approx(sum(r["abstained"] for r in suite["records"]) / 3)
    recipe = rgb["speed"]["recipe"]
    assert recipe["queries"] == 2 and recipe["k"] == 5 and recipe["nodes"] >= 3
    assert multihop["speed"]["recipe"] is None
    page = (out / "r.html").read_text(encoding="utf-8")
    assert 'id="suite-rgb"' in page and 'id="suite-multihop"' in page


def test_a_missing_public_suite_fails_in_ci_before_anything_runs(tmp_path: Path) -> None:
    nowhere = tmp_path / "nowhere"
    explicit = CliRunner().invoke(_cli_app(), ["eval", "--public-dir", str(nowhere), "--ci"])
    assert explicit.exit_code == 2, explicit.output
    assert "CI must gate every suite" in explicit.output.replace("\n", "")
    from_env = CliRunner().invoke(_cli_app(), ["eval", "--public-dir", str(nowhere)], env={"CI": "true"})
    assert from_env.exit_code == 2, from_env.output
    assert str(nowhere / "rgb") in from_env.output.replace("\n", "")


def test_conversations_need_an_ad_hoc_question_set() -> None:
    result = CliRunner().invoke(_cli_app(), ["eval", "--conversations", str(DEFAULT_CONVERSATIONS)])
    assert result.exit_code == 2
    assert "--questions" in result.output


def test_the_command_names_the_bad_line_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "q1", "question": "Who?", "type": "who", "answers": ["X"]}\n{oops\n', encoding="utf-8"
    )
    result = CliRunner().invoke(_cli_app(), ["eval", "--questions", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2" in result.output.replace("\n", "")

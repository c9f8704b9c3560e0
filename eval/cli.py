"""``newsbot eval``: run the eval suite, print the table, write the reports, gate on the thresholds.

By default the bundled question set is run against a fresh temporary index of the seed articles, so that
the figures depend on the code alone; ``--use-index`` evaluates the configured index instead.
Exit status: 0 when every threshold holds, 1 when one is broken, 2 when the eval could not run.
"""

from __future__ import annotations

import importlib
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eval.gate import DEFAULT_THRESHOLDS
from eval.questionset import DEFAULT_CONVERSATIONS, DEFAULT_QUESTIONS

if TYPE_CHECKING:
    from rich.console import Console

    from eval.questionset import ConversationCase, EvalQuestion
    from eval.runner import EvalReport

DEFAULT_ARTICLES = Path(__file__).resolve().parent.parent / "seeds"


def eval_command(
    questions: Annotated[
        Path | None, typer.Option("--questions", help="Question set (JSONL). Default: the bundled set.")
    ] = None,
    conversations: Annotated[
        Path | None,
        typer.Option(
            "--conversations",
            help="Multi-turn cases (JSONL). Default: the bundled ones, unless --questions names another set.",
        ),
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write a readable HTML report here.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Run only the first N questions and N conversations.")
    ] = None,
    thresholds: Annotated[
        Path, typer.Option("--thresholds", help="Minimum figures the run must reach (TOML).")
    ] = DEFAULT_THRESHOLDS,
    no_gate: Annotated[
        bool, typer.Option("--no-gate", help="Report only; never fail on thresholds.")
    ] = False,
    articles: Annotated[
        Path, typer.Option("--articles", help="Articles to index for the run (ignored with --use-index).")
    ] = DEFAULT_ARTICLES,
    use_index: Annotated[
        bool, typer.Option("--use-index", help="Evaluate the configured index instead of a fresh one.")
    ] = False,
) -> None:
    """Run the eval suite and fail (exit 1) when a metric falls below its threshold."""
    from rich.console import Console

    from eval.gate import ThresholdError, check, load_thresholds
    from eval.questionset import QuestionSetError, load_conversations, load_questions
    from eval.report import print_summary, write_json

    console = Console(stderr=True)
    try:
        question_set = load_questions(questions or DEFAULT_QUESTIONS)
        conversation_file = conversations or (DEFAULT_CONVERSATIONS if questions is None else None)
        cases = load_conversations(conversation_file) if conversation_file else []
        rules = () if no_gate else load_thresholds(thresholds)
    except (QuestionSetError, ThresholdError) as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    if limit is not None:
        question_set, cases = question_set[:limit], cases[:limit]

    questions_file = str(questions or DEFAULT_QUESTIONS)
    conversations_file = str(conversation_file) if conversation_file else None
    result = _run(question_set, cases, articles, use_index, console, questions_file, conversations_file)
    gate = None if no_gate else check(result, rules)
    out = Console()
    if not out.is_terminal:  # CI logs: never squeeze the table into 80 columns
        out.width = max(out.width, 150)
    print_summary(result, gate, out)
    if report is not None:
        write_json(result, report, gate)
        console.print(f"JSON report: {report}")
    if html is not None:
        from eval.html_report import write_html

        write_html(result, html, gate)
        console.print(f"HTML report: {html}")
    if gate is not None and not gate.passed:
        raise typer.Exit(1)


def _run(
    question_set: list[EvalQuestion],
    cases: list[ConversationCase],
    articles: Path,
    use_index: bool,
    console: Console,
    questions_file: str,
    conversations_file: str | None,
) -> EvalReport:
    """Open (or build) the index and the engine, and run the set through them."""
    from eval.runner import run_eval
    from retrieval import NewsbotError, Settings, build_engine, open_index

    with tempfile.TemporaryDirectory(prefix="newsbot-eval-") as scratch:
        try:
            if use_index:
                settings = Settings()
                index = open_index(settings)
            else:
                fresh = {"data_dir": Path(scratch), "collection": f"eval-{uuid.uuid4().hex[:12]}"}
                settings = Settings().model_copy(update=fresh)
                index = open_index(settings)
                ingest = index.add([articles])
                if not (ingest.added or ingest.updated or ingest.unchanged):
                    reasons = "; ".join(f"{skip.path}: {skip.reason}" for skip in ingest.skipped)
                    raise typer.BadParameter(f"no articles indexed from {articles} ({reasons or 'empty'})")
        except NewsbotError as exc:
            console.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from exc
        try:
            engine = build_engine(settings, index)
            return run_eval(
                engine,
                index,
                question_set,
                cases,
                progress=True,
                questions_file=questions_file,
                conversations_file=conversations_file,
            )
        finally:
            index.close()


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command (and the benchmarks' commands, when that module exists) to ``newsbot``."""
    app.command("eval")(eval_command)
    try:  # the benchmarks (``bench`` sub-app) live in their own module, owned apart from this one
        bench_cli = importlib.import_module("eval.bench_cli")
    except ModuleNotFoundError as exc:
        if exc.name != "eval.bench_cli":
            raise
        return
    bench_cli.register(app)

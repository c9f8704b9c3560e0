"""``newsbot eval``: run the named suites, print their tables, write the reports, gate each suite.

By default every suite runs (``seeds``, ``seeds-heldout``, ``rgb``, ``multihop``; see :mod:`eval.suites`),
each against a fresh temporary index of its own articles, so that the figures depend on the code alone.
``--suite`` picks some; ``--questions`` adds an ad-hoc ``custom`` suite; ``--use-index`` evaluates the
configured index instead of a fresh one (one suite only).
Exit status: 0 when every suite's thresholds hold, 1 when one is broken, 2 when the eval could not run
(including a public suite whose data is missing under CI).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from eval.suites import DEFAULT_PUBLIC_DIR, DEFAULT_THRESHOLDS, SEEDS_DIR, SUITE_NAMES

if TYPE_CHECKING:
    from rich.console import Console

    from eval.gate import Thresholds
    from eval.suite_run import EvalRun, LoadedSuite, SuiteOutcome


def eval_command(
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite",
            "-s",
            help=f"Suite to run (repeatable): {', '.join(SUITE_NAMES)}. Default: all (none with --questions).",
        ),
    ] = None,
    questions: Annotated[
        Path | None,
        typer.Option("--questions", help="An ad-hoc question set (JSONL), run as suite 'custom'."),
    ] = None,
    conversations: Annotated[
        Path | None, typer.Option("--conversations", help="Multi-turn cases (JSONL) for the 'custom' suite.")
    ] = None,
    articles: Annotated[
        Path, typer.Option("--articles", help="Articles of the 'custom' suite (ignored with --use-index).")
    ] = SEEDS_DIR,
    public_dir: Annotated[
        Path,
        typer.Option(
            "--public-dir",
            envvar="NEWSBOT_EVAL_PUBLIC_DIR",
            help="Folder holding the public dev sets (rgb/, multihop/). Default: shared/public-dev beside the repo.",
        ),
    ] = DEFAULT_PUBLIC_DIR,
    ci: Annotated[
        bool | None,
        typer.Option(
            "--ci/--no-ci",
            help="Fail (exit 2) when a public suite's data is missing. Default: on when CI is set in the environment.",
        ),
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write the JSON report here.")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write a readable HTML report here.")] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, help="Run only the first N questions and N conversations of each suite."
        ),
    ] = None,
    thresholds: Annotated[
        Path, typer.Option("--thresholds", help="Minimum figures each suite must reach (TOML).")
    ] = DEFAULT_THRESHOLDS,
    no_gate: Annotated[
        bool, typer.Option("--no-gate", help="Report only; never fail on thresholds.")
    ] = False,
    recipe: Annotated[
        bool,
        typer.Option("--recipe/--no-recipe", help="Time the plain llama-index recipe on rgb's corpus too."),
    ] = True,
    use_index: Annotated[
        bool,
        typer.Option(
            "--use-index",
            help="Evaluate the configured index instead of a fresh one (one suite; default seeds).",
        ),
    ] = False,
) -> None:
    """Run the eval suites and fail (exit 1) when a suite's metric falls below its threshold."""
    from rich.console import Console

    from eval.gate import ThresholdError, load_thresholds
    from eval.questionset import QuestionSetError
    from eval.suite_run import SuiteOutcome
    from eval.suites import SuiteError, running_in_ci

    console = Console(stderr=True)
    strict = running_in_ci(os.environ) if ci is None else ci
    names = suite or (["seeds"] if use_index and questions is None else [])
    try:
        plan = _plan(names, questions, conversations, articles, public_dir, strict, limit)
        runnable = [item for item in plan if not isinstance(item, SuiteOutcome)]
        if use_index and len(runnable) != 1:
            raise SuiteError(
                f"--use-index evaluates one suite; pick one with --suite ({len(runnable)} chosen)"
            )
        rules = None if no_gate else load_thresholds(thresholds)
    except (SuiteError, QuestionSetError, ThresholdError) as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(2) from exc

    run = _run(plan, rules, console, use_index=use_index, recipe=recipe)
    out = Console()
    if not out.is_terminal:  # CI logs: never squeeze the tables into 80 columns
        out.width = max(out.width, 160)
    from eval.report import print_run, write_json

    print_run(run, out)
    if report is not None:
        write_json(run, report)
        console.print(f"JSON report: {report}")
    if html is not None:
        from eval.html_report import write_html

        write_html(run, html)
        console.print(f"HTML report: {html}")
    if not run.passed:
        raise typer.Exit(1)


def _plan(
    names: list[str],
    questions: Path | None,
    conversations: Path | None,
    articles: Path,
    public_dir: Path,
    strict: bool,
    limit: int | None,
) -> list[LoadedSuite | SuiteOutcome]:
    """The suites in running order: each to run with its question set read and checked up front, or,
    in its place, the outcome of a skipped one saying why."""
    from eval.suite_run import SuiteOutcome, load_suite
    from eval.suites import SuiteError, custom_suite, select_suites

    if questions is None and conversations is not None:
        raise SuiteError("--conversations belongs to an ad-hoc set: give --questions too")
    plan: list[LoadedSuite | SuiteOutcome] = []
    if names or questions is None:
        selection = select_suites(names, public_dir, strict=strict)
        skipped = {suite.name: why for suite, why in selection.skipped}
        for suite in selection.chosen:
            why = skipped.get(suite.name)
            plan.append(load_suite(suite, limit) if why is None else SuiteOutcome(suite, skipped=why))
    if questions is not None:
        plan.append(load_suite(custom_suite(questions, articles, conversations), limit))
    return plan


def _run(
    plan: list[LoadedSuite | SuiteOutcome],
    rules: Thresholds | None,
    console: Console,
    *,
    use_index: bool,
    recipe: bool,
) -> EvalRun:
    """Run every suite in turn with one embedding model, then gate each against its own rules."""
    import dataclasses
    import time

    from eval.gate import check
    from eval.suite_run import EvalRun, SuiteOutcome, run_suite, started_now
    from eval.suites import SuiteError
    from retrieval import NewsbotError, Settings
    from retrieval.embeddings import shared_model

    started_at, started = started_now()
    model = shared_model(Settings().embed_batch_size)
    outcomes: list[SuiteOutcome] = []
    for item in plan:
        if isinstance(item, SuiteOutcome):  # skipped: its data is missing
            outcomes.append(item)
            continue
        try:
            outcome = run_suite(
                item,
                model,
                use_index=use_index,
                progress=console.is_terminal,
                recipe=recipe,
                note=lambda text: console.print(text, highlight=False, style="dim"),
            )
        except (SuiteError, NewsbotError) as exc:
            console.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(2) from exc
        if rules is not None and outcome.report is not None:
            gate = check(outcome.report, rules.for_suite(item.suite.name))
            outcome = dataclasses.replace(outcome, gate=gate)
        outcomes.append(outcome)
    return EvalRun(tuple(outcomes), started_at, time.perf_counter() - started)


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

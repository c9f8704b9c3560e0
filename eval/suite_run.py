"""Run named suites: each one's questions against a fresh index of its own articles, one after another.

Everything expensive is made once and passed in (the embedding model); each suite gets its own temporary
index (or, with ``use_index``, the configured one), its own engine, progress bars, and, where the suite
asks for it, the plain llama-index recipe timed on the same corpus. The gate is applied afterwards.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from eval.gate import GateResult
from eval.questionset import ConversationCase, EvalQuestion, load_conversations, load_questions
from eval.recipe_speed import RecipeSpeed, measure_recipe
from eval.runner import EvalReport, run_eval
from eval.suites import Suite, SuiteError

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from retrieval import Index


@dataclass(frozen=True)
class LoadedSuite:
    """A suite with its question set read and checked (and cut to ``--limit``)."""

    suite: Suite
    questions: tuple[EvalQuestion, ...]
    conversations: tuple[ConversationCase, ...] = ()


@dataclass(frozen=True)
class SuiteOutcome:
    """What happened to one suite: its report, or why it was skipped; the recipe's speed; the verdict."""

    suite: Suite
    report: EvalReport | None = None
    skipped: str | None = None
    index_s: float | None = None  # building the suite's fresh index (None with the configured one)
    recipe: RecipeSpeed | None = None
    gate: GateResult | None = None


@dataclass(frozen=True)
class EvalRun:
    """Every suite of one ``newsbot eval``."""

    outcomes: tuple[SuiteOutcome, ...]
    started_at: str
    duration_s: float

    @property
    def passed(self) -> bool:
        """True when no suite's gate failed."""
        return all(outcome.gate is None or outcome.gate.passed for outcome in self.outcomes)


def load_suite(suite: Suite, limit: int | None = None) -> LoadedSuite:
    """Read a suite's questions and conversations; raises ``QuestionSetError`` naming a bad line."""
    questions = load_questions(suite.questions)
    cases = load_conversations(suite.conversations) if suite.conversations else []
    if limit is not None:
        questions, cases = questions[:limit], cases[:limit]
    return LoadedSuite(suite, tuple(questions), tuple(cases))


@contextmanager
def _index_progress(name: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """An ingest progress callback drawing a bar labelled with the suite, or None."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(f"[bold]index {name}[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _fresh_index(suite: Suite, model: BaseEmbedding, scratch: Path, progress: bool) -> Index:
    """A new index of the suite's articles in ``scratch``; :class:`SuiteError` when none could be read."""
    from retrieval import Settings, open_index

    fresh = {"data_dir": scratch / "index", "collection": f"eval-{uuid.uuid4().hex[:12]}"}
    index = open_index(Settings().model_copy(update=fresh), embed_model=model)
    with _index_progress(suite.name, progress) as advance:
        ingest = index.add(list(suite.corpus), progress=advance)
    if not (ingest.added or ingest.updated or ingest.unchanged):
        index.close()
        reasons = "; ".join(f"{skip.path}: {skip.reason}" for skip in ingest.skipped[:5])
        raise SuiteError(
            f"suite {suite.name}: no articles indexed from {', '.join(map(str, suite.corpus))} ({reasons or 'empty'})"
        )
    return index


def _silent(_text: str) -> None:
    """Say nothing."""


def run_suite(
    loaded: LoadedSuite,
    model: BaseEmbedding,
    *,
    use_index: bool = False,
    progress: bool = False,
    recipe: bool = True,
    note: Callable[[str], None] = _silent,
) -> SuiteOutcome:
    """Index the suite's articles, ask every question, and time the recipe where the suite asks for it.

    ``progress`` draws bars (for a terminal); ``note`` is told each step in a line (for a log).
    """
    from retrieval import Settings, build_engine, open_index

    suite = loaded.suite
    with tempfile.TemporaryDirectory(prefix=f"newsbot-eval-{suite.name}-") as folder:
        scratch = Path(folder)
        started = time.perf_counter()
        if use_index:
            settings = Settings()
            index, index_s = open_index(settings, embed_model=model), None
        else:
            note(f"suite {suite.name}: indexing {', '.join(map(str, suite.corpus))}")
            index = _fresh_index(suite, model, scratch, progress)
            settings, index_s = index.settings, time.perf_counter() - started
        asked = len(loaded.questions) + sum(len(case.turns) for case in loaded.conversations)
        note(f"suite {suite.name}: asking {asked} questions and turns")
        try:
            report = run_eval(
                build_engine(settings, index),
                index,
                loaded.questions,
                loaded.conversations,
                progress=progress,
                questions_file=str(suite.questions),
                conversations_file=str(suite.conversations) if suite.conversations else None,
                suite=suite.name,
            )
        finally:
            index.close()
        speed = None
        if recipe and suite.speed_vs_recipe and loaded.questions:
            note(f"suite {suite.name}: building and timing the plain llama-index recipe on the same corpus")
            speed = measure_recipe(suite.articles, [q.question for q in loaded.questions], model, scratch)
    return SuiteOutcome(suite=suite, report=report, index_s=index_s, recipe=speed)


def started_now() -> tuple[str, float]:
    """The wall-clock start (ISO, for the report) and a monotonic one (for the duration)."""
    return datetime.now(UTC).isoformat(timespec="seconds"), time.perf_counter()

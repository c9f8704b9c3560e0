"""The named eval suites: which questions run against which articles, and where their data lives.

- ``seeds``: ``eval/questions.jsonl`` and ``eval/conversations.jsonl`` over ``seeds/`` (bundled);
- ``seeds-heldout``: ``eval/heldout.jsonl`` over ``seeds/`` (bundled, never used for tuning);
- ``time``: ``eval/time/questions.jsonl`` over ``eval/time/articles/`` (dated reports of developing stories)
  plus ``seeds/`` (undated), each question asked on its own day (bundled);
- ``rgb`` and ``multihop``: the public dev sets, ``<public dir>/<name>/questions.jsonl`` over
  ``<public dir>/<name>/corpus/``. They are read where they lie (by default ``shared/public-dev/`` beside
  the repository, as in CI) and never copied into the project;
- ``custom``: an ad-hoc set from ``newsbot eval --questions F [--articles D]``.

A public suite whose data is missing is skipped on a developer's machine, but CI must gate every suite,
so there (and whenever a missing suite was asked for by name) it is an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PUBLIC_DIR = REPO_ROOT.parent / "shared" / "public-dev"
SEEDS_DIR = REPO_ROOT / "seeds"
_EVAL_DIR = REPO_ROOT / "eval"
# The gate reads it; it lives here so that starting the CLI does not import the gate.
DEFAULT_THRESHOLDS = _EVAL_DIR / "thresholds.toml"

CUSTOM = "custom"
SUITE_NAMES: tuple[str, ...] = ("seeds", "seeds-heldout", "time", "rgb", "multihop")
_PUBLIC_NAMES = ("rgb", "multihop")
_SPEED_VS_RECIPE = ("rgb",)  # where the run also times the plain llama-index recipe


class SuiteError(ValueError):
    """Suites that cannot be run as asked: an unknown name, or missing data that must be there."""


@dataclass(frozen=True)
class Suite:
    """A question set (plus optional conversations) and the articles it is asked against."""

    name: str
    questions: Path
    articles: Path
    conversations: Path | None = None
    more_articles: tuple[Path, ...] = ()  # further folders indexed with ``articles``
    public: bool = False  # data from outside the project, which may be absent on a developer's machine
    speed_vs_recipe: bool = False  # also time the plain llama-index recipe on the same corpus

    @property
    def corpus(self) -> tuple[Path, ...]:
        """Every folder of articles the suite's questions are asked against."""
        return (self.articles, *self.more_articles)

    def missing(self) -> str | None:
        """Why the suite cannot run (a file or folder of its data is not there), or None."""
        if not self.questions.is_file():
            return f"no question set at {self.questions}"
        for folder in self.corpus:
            if not folder.is_dir():
                return f"no article folder at {folder}"
        if self.conversations is not None and not self.conversations.is_file():
            return f"no conversations at {self.conversations}"
        return None


@dataclass(frozen=True)
class Selection:
    """The suites chosen, in running order, and those of them skipped (data missing) with the reason."""

    chosen: tuple[Suite, ...]
    skipped: tuple[tuple[Suite, str], ...] = ()

    @property
    def suites(self) -> tuple[Suite, ...]:
        """The chosen suites that will run."""
        missing = {suite.name for suite, _ in self.skipped}
        return tuple(suite for suite in self.chosen if suite.name not in missing)


def builtin_suites(public_dir: Path = DEFAULT_PUBLIC_DIR) -> dict[str, Suite]:
    """Every named suite, by name, in the order they run."""
    suites = {
        "seeds": Suite(
            "seeds", _EVAL_DIR / "questions.jsonl", SEEDS_DIR, conversations=_EVAL_DIR / "conversations.jsonl"
        ),
        "seeds-heldout": Suite("seeds-heldout", _EVAL_DIR / "heldout.jsonl", SEEDS_DIR),
        "time": Suite(
            "time",
            _EVAL_DIR / "time" / "questions.jsonl",
            _EVAL_DIR / "time" / "articles",
            more_articles=(SEEDS_DIR,),
        ),
    }
    for name in _PUBLIC_NAMES:
        folder = public_dir / name
        suites[name] = Suite(
            name,
            folder / "questions.jsonl",
            folder / "corpus",
            public=True,
            speed_vs_recipe=name in _SPEED_VS_RECIPE,
        )
    return suites


def custom_suite(questions: Path, articles: Path = SEEDS_DIR, conversations: Path | None = None) -> Suite:
    """An ad-hoc suite from files named on the command line."""
    return Suite(CUSTOM, questions, articles, conversations=conversations)


def select_suites(
    names: Sequence[str], public_dir: Path = DEFAULT_PUBLIC_DIR, *, strict: bool = False
) -> Selection:
    """The named suites (all of them when ``names`` is empty), each checked for its data.

    A missing public suite is skipped when it came with "all suites"; when it was named, when ``strict``
    (CI) or when a bundled suite lacks its files, :class:`SuiteError` says what is missing and where.
    """
    known = builtin_suites(public_dir)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SuiteError(f"unknown suite(s) {', '.join(unknown)}; known: {', '.join(known)}")
    chosen = [known[name] for name in dict.fromkeys(names)] if names else list(known.values())
    skipped: list[tuple[Suite, str]] = []
    for suite in chosen:
        reason = suite.missing()
        if reason is None:
            continue
        if suite.public and not strict and not names:
            skipped.append((suite, reason))
        elif not suite.public:
            raise SuiteError(f"suite {suite.name}: {reason} (a bundled suite; is the checkout complete?)")
        else:
            why = "CI must gate every suite" if strict else "it was asked for by name"
            raise SuiteError(
                f"suite {suite.name}: {reason}; {why}. Point --public-dir (NEWSBOT_EVAL_PUBLIC_DIR) at the "
                "folder holding rgb/ and multihop/"
            )
    return Selection(tuple(chosen), tuple(skipped))


def running_in_ci(environ: Mapping[str, str]) -> bool:
    """True when ``CI`` is set to anything but empty/0/false/no/off (as CI services set it)."""
    return environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")

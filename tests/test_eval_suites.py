"""Suite discovery: the named suites, where their data is looked for, and what a missing folder does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.questionset import load_questions
from eval.suites import (
    CUSTOM,
    DEFAULT_PUBLIC_DIR,
    SEEDS_DIR,
    SUITE_NAMES,
    SuiteError,
    builtin_suites,
    custom_suite,
    running_in_ci,
    select_suites,
)


def _public_suite(root: Path, name: str) -> None:
    (root / name / "corpus").mkdir(parents=True)
    (root / name / "corpus" / "a.txt").write_text("Alpha.\n", encoding="utf-8")
    question = {"id": "q1", "question": "What?", "answers": ["Alpha"], "type": "what"}
    (root / name / "questions.jsonl").write_text(json.dumps(question) + "\n", encoding="utf-8")


def test_the_public_sets_are_looked_for_beside_the_repository() -> None:
    repo = Path(__file__).resolve().parent.parent
    assert repo.parent / "shared" / "public-dev" == DEFAULT_PUBLIC_DIR
    suites = builtin_suites()
    assert tuple(suites) == SUITE_NAMES
    assert suites["rgb"].questions == DEFAULT_PUBLIC_DIR / "rgb" / "questions.jsonl"
    assert suites["multihop"].articles == DEFAULT_PUBLIC_DIR / "multihop" / "corpus"
    assert suites["seeds"].conversations is not None and suites["seeds-heldout"].conversations is None
    assert [name for name, suite in suites.items() if suite.public] == ["rgb", "multihop"]
    assert [name for name, suite in suites.items() if suite.speed_vs_recipe] == ["rgb"]


def test_the_bundled_suites_have_their_data() -> None:
    for name in ("seeds", "seeds-heldout", "time"):
        assert builtin_suites()[name].missing() is None


def test_the_time_suite_asks_over_its_dated_articles_and_the_seeds() -> None:
    suite = builtin_suites()["time"]
    assert suite.corpus == (suite.articles, SEEDS_DIR)
    questions = load_questions(suite.questions)
    assert len(questions) >= 30 and all(q.asked_on is not None for q in questions)
    assert sum(q.unanswerable for q in questions) >= 5


def test_a_missing_public_folder_is_skipped_with_the_reason(tmp_path: Path) -> None:
    _public_suite(tmp_path, "rgb")
    selection = select_suites([], tmp_path)
    assert [suite.name for suite in selection.suites] == ["seeds", "seeds-heldout", "time", "rgb"]
    [(skipped, reason)] = selection.skipped
    assert skipped.name == "multihop"
    assert reason == f"no question set at {tmp_path / 'multihop' / 'questions.jsonl'}"


def test_a_public_folder_without_its_corpus_is_missing_too(tmp_path: Path) -> None:
    _public_suite(tmp_path, "rgb")
    (tmp_path / "rgb" / "corpus" / "a.txt").unlink()
    (tmp_path / "rgb" / "corpus").rmdir()
    assert builtin_suites(tmp_path)["rgb"].missing() == f"no article folder at {tmp_path / 'rgb' / 'corpus'}"


def test_in_ci_a_missing_public_suite_is_an_error(tmp_path: Path) -> None:
    _public_suite(tmp_path, "rgb")
    with pytest.raises(SuiteError, match=r"suite multihop: no question set at .*CI must gate every suite"):
        select_suites([], tmp_path, strict=True)
    _public_suite(tmp_path, "multihop")
    assert len(select_suites([], tmp_path, strict=True).suites) == 5


def test_a_missing_suite_asked_for_by_name_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"suite rgb: .*asked for by name.*--public-dir"):
        select_suites(["rgb"], tmp_path)


def test_named_suites_run_in_the_order_given_once_each(tmp_path: Path) -> None:
    _public_suite(tmp_path, "multihop")
    selection = select_suites(["multihop", "seeds", "multihop"], tmp_path)
    assert [suite.name for suite in selection.suites] == ["multihop", "seeds"]
    assert selection.skipped == ()


def test_an_unknown_suite_name_lists_the_known_ones() -> None:
    with pytest.raises(
        SuiteError, match=r"unknown suite.*rbg.*known: seeds, seeds-heldout, time, rgb, multihop"
    ):
        select_suites(["rbg"])


def test_an_ad_hoc_set_is_the_custom_suite(tmp_path: Path) -> None:
    suite = custom_suite(tmp_path / "q.jsonl", tmp_path)
    assert suite.name == CUSTOM and not suite.public
    assert suite.missing() == f"no question set at {tmp_path / 'q.jsonl'}"


@pytest.mark.parametrize(
    ("value", "ci"),
    [
        ("true", True),
        ("1", True),
        ("woodpecker", True),
        ("", False),
        ("0", False),
        ("false", False),
        (None, False),
    ],
)
def test_ci_is_recognised_as_ci_services_set_it(value: str | None, ci: bool) -> None:
    environ = {} if value is None else {"CI": value}
    assert running_in_ci(environ) is ci

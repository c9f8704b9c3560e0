"""retrieval/follows.py: when a followed question's new answer is worth a message, and what it says changed.

The first tests use hand-made answers (the rules); the last runs the real engine over the seeds while
articles arrive, as a follow would see them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from retrieval import AnswerEngine, Settings, open_index
from retrieval.follows import Fingerprint, fingerprint, what_changed
from retrieval.types import Answer, ArticleMeta, Citation

CENSUS = ArticleMeta("a1", "census.txt", "Reindeer census in Lapland", published=date(2022, 5, 3))
RECOUNT = ArticleMeta("a2", "recount.txt", "Reindeer numbers recover", url="https://example.org/recount")
Q = "How many reindeer did the census count?"


def answer(text: str, *cited: tuple[ArticleMeta, str], abstained: bool = False) -> Answer:
    citations = tuple(
        Citation.of(n, meta, quote, 10 * n, 10 * n + len(quote)) for n, (meta, quote) in enumerate(cited, 1)
    )
    return Answer(question=Q, text=text, citations=citations, abstained=abstained)


FIRST = answer("It counted 187,000 reindeer. [1]", (CENSUS, "The census counted 187,000 reindeer."))
FIRST_AND_RECOUNT = (
    (CENSUS, "The census counted 187,000 reindeer."),
    (RECOUNT, "The 2023 census counted 192,000 reindeer."),
)


def test_a_decline_is_never_news_and_has_no_fingerprint() -> None:
    decline = answer("The articles don't say.", abstained=True)
    assert fingerprint(decline) is None
    assert what_changed(None, decline) is None
    assert what_changed(fingerprint(FIRST), decline) is None  # an answer that went away: stay quiet
    closest = answer("The closest passage: …", (CENSUS, "Herders counted."), abstained=True)
    assert what_changed(None, closest) is None


def test_the_first_answer_after_declines_names_its_sources() -> None:
    change = what_changed(None, FIRST)
    assert change is not None
    assert [s.title for s in change.new_sources] == ["Reindeer census in Lapland"]
    assert change.new_sources[0].published == date(2022, 5, 3)
    assert change.before is None and change.new_passages == ()


def test_same_quotes_reworded_or_renumbered_are_not_news() -> None:
    seen = fingerprint(FIRST)
    reworded = answer("Herders counted 187,000. [1]", (CENSUS, "The census  counted 187,000\nreindeer."))
    assert what_changed(seen, reworded) is None
    fewer = answer("187,000 [1]", (CENSUS, "The census counted 187,000 reindeer."))
    assert what_changed(fingerprint(answer("x [1][2]", *FIRST_AND_RECOUNT)), fewer) is None


def test_a_new_source_and_a_new_passage_are_told_apart_with_the_answer_before() -> None:
    seen = fingerprint(FIRST)
    newer = answer("192,000 [1], up from 187,000 [2].", *FIRST_AND_RECOUNT)
    change = what_changed(seen, newer)
    assert change is not None
    assert [(s.title, s.url) for s in change.new_sources] == [
        ("Reindeer numbers recover", "https://example.org/recount")
    ]
    assert change.new_passages == () and change.before == "It counted 187,000 reindeer. [1]"
    again = answer("Calves died. [1]", (CENSUS, "Herders blamed the mild winter."))
    passage = what_changed(seen, again)
    assert passage is not None and passage.new_sources == ()
    assert [s.title for s in passage.new_passages] == ["Reindeer census in Lapland"]


def test_fingerprint_round_trips_through_json() -> None:
    seen = fingerprint(answer("x [1][2]", *FIRST_AND_RECOUNT))
    assert seen is not None
    assert Fingerprint.from_json(seen.to_json()) == seen


def test_real_engine_tells_only_when_an_article_answers_anew(
    make_settings: Callable[..., Settings], seeds_dir: Path, embed_model: Any, tmp_path: Path
) -> None:
    index = open_index(make_settings(), embed_model=embed_model)
    engine = AnswerEngine(index)
    index.add([seeds_dir])
    question = "How many reindeer did the census in Lapland count?"

    def add(name: str, text: str) -> None:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert index.add([path]).added

    first = engine.ask(question)
    assert what_changed(None, first) is None  # the seeds don't say: stay quiet
    add("census.txt", "Reindeer census in Lapland\nThe 2022 reindeer census in Lapland counted 187,000 "
        "reindeer, the herders' association said.\nHerders blamed the mild winter for fewer calves.\n")  # fmt: skip
    second = engine.ask(question)
    change = what_changed(None, second)
    assert change is not None and "187,000" in second.text
    assert [s.title for s in change.new_sources] == ["Reindeer census in Lapland"]
    seen = fingerprint(second)
    add("moose.txt", "Moose walks into a bank\nA moose walked into a bank in Oulu on Tuesday, staff said.\n")
    assert what_changed(seen, engine.ask(question)) is None  # an unrelated article changes nothing
    add("recount.txt", "Reindeer numbers recover in Lapland\nThe 2023 reindeer census in Lapland counted "
        "192,000 reindeer, up from 187,000 a year earlier.\nA snowy winter helped calves survive.\n")  # fmt: skip
    third = engine.ask(question)
    change = what_changed(seen, third)
    assert change is not None and "192,000" in third.text
    assert [s.title for s in change.new_sources] == ["Reindeer numbers recover in Lapland"]
    assert change.before is not None and "187,000" in change.before
    index.close()

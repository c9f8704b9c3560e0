"""Several articles on one fact: all are cited when they agree, and a disagreement is said out loud."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval import AnswerEngine, Settings, open_index

AGREE_A = """Summit moved to Madrid
Alliance leaders will meet in Madrid in June, officials confirmed on Monday.
The meeting is expected to focus on the eastern flank and on air defence.
"""
AGREE_B = """Spain to host leaders
The leaders' summit of the alliance will be held in Madrid, the Spanish government said.
Security around the venue will be tightened for the two-day event.
"""
DIFFER_A = """Border deployment grows
The defence ministry said 5,000 troops were deployed to the northern border last week.
The deployment follows weeks of rising tension in the region.
"""
DIFFER_B = """Officials give new figure
Officials said 8,000 troops were deployed to the northern border last week.
Opposition lawmakers asked for a debate on the cost of the operation.
"""


def engine_over(
    tmp_path: Path, make_settings: Callable[..., Settings], embed_model: Any, **texts: str
) -> AnswerEngine:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    index = open_index(make_settings(), embed_model=embed_model)
    assert len(index.add([folder]).added) == len(texts)
    return AnswerEngine(index)


def test_articles_that_agree_are_all_cited(
    tmp_path: Path, make_settings: Callable[..., Settings], embed_model: Any
) -> None:
    engine = engine_over(tmp_path, make_settings, embed_model, a=AGREE_A, b=AGREE_B)
    answer = engine.ask("Where will the alliance leaders meet?")
    assert not answer.abstained and "Madrid" in answer.text
    assert {c.file_name for c in answer.citations} == {"a.txt", "b.txt"}
    assert re.search(r"\[1\]\s*\[2\]|\[1\]\[2\]", answer.text), answer.text  # one claim, two sources


def test_articles_that_disagree_are_reported_as_differing(
    tmp_path: Path, make_settings: Callable[..., Settings], embed_model: Any
) -> None:
    engine = engine_over(tmp_path, make_settings, embed_model, a=DIFFER_A, b=DIFFER_B)
    answer = engine.ask("How many troops were deployed to the northern border?")
    assert not answer.abstained
    assert answer.text.startswith("The articles differ")
    assert "5,000" in answer.text and "8,000" in answer.text
    assert {c.file_name for c in answer.citations} == {"a.txt", "b.txt"}

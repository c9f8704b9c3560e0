"""Conversation state: the last few turns, and how a follow-up question is read in their light.

Without a language model a follow-up ("and what did she say about nuclear weapons?", "when?") is resolved by
carrying over the topic of the previous turn: its (resolved) question and the names in its answer. The
resolved text is used for retrieval; the user's own words still decide the answer type.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from retrieval.qtypes import head_noun, proper_names
from retrieval.types import Answer

MAX_TURNS = 5
MAX_CARRIED_WORDS = 4
MAX_SEARCHED = 5  # articles of the last answer's search that /sources shows
_PERSONAL = re.compile(r"\b(he|she|him|her|his|hers)\b", re.IGNORECASE)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"“‘]?([A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)*)")
_COMMON_STARTS = frozenset(
    "meanwhile however speaking following like any public regional founding source more events after before "
    "according during while since".split()
)
_PRONOUNS = re.compile(
    r"\b(he|she|they|him|her|them|his|hers|their|theirs|it|its|that|this|those|these|there|then|the same|"
    r"the two|both|either)\b",
    re.IGNORECASE,
)
_FOLLOW_UP_OPENERS = re.compile(
    r"^\s*(and|but|also|so|what about|how about|what else|who said|and who|and why|"
    r"anything else|more|tell me more|really|which one)\b",
    re.IGNORECASE,
)
# "Why?", "When was that?": a bare question word leans on the last turn; "When does the ferry leave?" does not.
_SHORT_OPENERS = re.compile(r"^\s*(why|when|where|how)\b", re.IGNORECASE)
_SHORT_MAX_WORDS = 2
_WORD = re.compile(r"[A-Za-zÀ-ÿ0-9’']+")
_STOP = frozenset(
    (
        "a an the and or but of to in on at for with by from about as is are was were be been being do does "
        "did what which who whom whose when where why how that this these those it its he she they his her "
        "their them i you we me my your our us say said tell more else also so any some there then than into "
        "will would could should can has have had not no yes"
    ).split()
)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry meaning (no stop words), in order."""
    return [w for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 1]


def answer_names(text: str, question: str) -> tuple[str, ...]:
    """Names an answer brings that its question did not have, in order of mention (sentence starts included)."""
    found = set(proper_names(text))
    for match in _SENTENCE_START.finditer(text):
        if match.group(1).lower() not in _STOP and match.group(1).lower() not in _COMMON_STARTS:
            found.add(match.group(1))
    asked = question.lower()
    fresh = [n for n in found if n.lower() not in asked]
    return tuple(sorted(fresh, key=text.find))


def _asked_first(names: tuple[str, ...], text: str, question: str) -> tuple[str, ...]:
    """Put first the name the question asked for: "Who is Finland's prime minister?" → the name after it."""
    head = head_noun(question)
    at = text.lower().find(head.lower()) if head else -1
    if at < 0:
        return names
    after = [n for n in names if text.find(n, at) >= 0]
    nearest = min(after, key=lambda n: text.find(n, at), default=None)
    return (nearest, *(n for n in names if n != nearest)) if nearest else names


def is_follow_up(question: str) -> bool:
    """True when a question leans on the previous turn (pronouns, "and …?", or a lone word like "When?")."""
    words = content_words(question)
    short_opener = bool(_SHORT_OPENERS.search(question)) and len(words) <= _SHORT_MAX_WORDS
    return bool(
        _FOLLOW_UP_OPENERS.search(question) or short_opener or _PRONOUNS.search(question) or len(words) <= 1
    )


@dataclass(frozen=True)
class Turn:
    """One question and answer, as much as follow-ups need."""

    question: str
    resolved: str
    answer: str
    names: tuple[str, ...] = ()
    searched: tuple[str, ...] = ()  # article ids the answer's search ranked, best first (from its trace)


@dataclass(frozen=True)
class Conversation:
    """The last few turns of one chat; immutable, small, JSON-serialisable."""

    turns: tuple[Turn, ...] = field(default=())

    def add(self, answer: Answer) -> Conversation:
        """A new conversation with ``answer``'s turn appended (only the last few are kept)."""
        names = (
            () if answer.abstained else answer_names(answer.text, answer.resolved_question or answer.question)
        )
        names = _asked_first(names, answer.text, answer.question)
        searched = (
            tuple(dict.fromkeys(h.article.article_id for h in answer.trace.hits)) if answer.trace else ()
        )
        turn = Turn(
            answer.question,
            answer.resolved_question or answer.question,
            answer.text[:500],
            names[:8],
            searched[:MAX_SEARCHED],
        )
        return Conversation(turns=(*self.turns, turn)[-MAX_TURNS:])

    def subject(self, question: str) -> str | None:
        """The person a follow-up's "he"/"she" most likely means: the first person named in the last answer."""
        if not self.turns or not _PERSONAL.search(question):
            return None
        return next((n for n in self.turns[-1].names if len(n.split()) >= 2), None)

    def resolve(self, question: str) -> str:
        """The question as retrieval should see it: unchanged, or with the previous turn's topic carried over."""
        if not self.turns or not is_follow_up(question):
            return question
        last = self.turns[-1]
        own = {w.lower() for w in content_words(question)}
        # The previous question's own words carry its topic; a follow-up's resolved form already holds it.
        topic = last.resolved if is_follow_up(last.question) else last.question
        carried = [w for w in content_words(topic) if w.lower() not in own][:MAX_CARRIED_WORDS]
        # What the last answer named first is what "it"/"he"/"she" most often means: it leads the context.
        names = [n for n in last.names if n.lower() not in question.lower()][:2]
        person = self.subject(question)
        if person and content_words(question):
            # "what did she say about Russia?": the person is the context; the rest would drown the question.
            names, carried = [person], []
        context = " ".join(dict.fromkeys([*names, *carried]))
        return f"{question.strip()} ({context})" if context else question

    def last_search(self) -> tuple[str, tuple[str, ...]] | None:
        """The last question and the article ids its search ranked, best first; None before any."""
        if not self.turns:
            return None
        return self.turns[-1].question, self.turns[-1].searched

    def history(self) -> list[tuple[str, str]]:
        """(question, answer) pairs, oldest first (for condensing with a language model)."""
        return [(t.question, t.answer) for t in self.turns]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for storage (e.g. Telegram persistence)."""
        return {"turns": [asdict(t) for t in self.turns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Conversation:
        """Rebuild from :meth:`to_dict` output; anything malformed gives an empty conversation."""
        try:
            turns = tuple(
                Turn(
                    str(t["question"]),
                    str(t["resolved"]),
                    str(t["answer"]),
                    tuple(t.get("names", ())),
                    tuple(str(a) for a in t.get("searched", ())),
                )
                for t in (data or {}).get("turns", [])
            )
        except (KeyError, TypeError, AttributeError):
            return cls()
        return cls(turns=turns[-MAX_TURNS:])

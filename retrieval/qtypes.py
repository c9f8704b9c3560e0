"""What kind of answer a question expects, and whether a sentence contains one."""

from __future__ import annotations

import re
from enum import StrEnum

from retrieval.lexical import stems


class AnswerType(StrEnum):
    """The shape of answer a question asks for."""

    PERSON = "who"
    DATE = "when"
    NUMBER = "how_many"
    PLACE = "where"
    REASON = "why"
    LIST = "list"
    OTHER = "what"


_RULES: list[tuple[AnswerType, re.Pattern[str]]] = [
    (
        AnswerType.NUMBER,
        re.compile(
            r"\b(how (many|much|large|big|long)|what (percentage|percent|share|proportion|number|fraction)|number of|how high"
            r"|(what|which) (is|was|were|are) [\w'’ ]{0,40}?\b(revenue|sales|profit|income|price|cost|budget|salary|"
            r"valuation|population|turnover))\b"
        ),
    ),
    (
        AnswerType.DATE,
        re.compile(
            r"\b(when|what (year|date|day|month)|which (year|date|day|month)|since when|how long ago|"
            r"what (is|was) the (release |premiere |launch )?(year|date|day))\b"
        ),
    ),
    (
        AnswerType.PERSON,
        re.compile(
            r"\b(who|whom|whose|which (person|leader|minister|president|official|analyst|politician|reporter|"
            r"journalist|diplomat))\b"
        ),
    ),
    (
        AnswerType.PLACE,
        re.compile(
            r"\b(where|which (city|country|countries|place|region|sea)|what (city|country|place|region))\b"
        ),
    ),
    (AnswerType.REASON, re.compile(r"\b(why|for what reason|what (caused|prompted|led))\b")),
    (
        AnswerType.LIST,
        re.compile(r"\b(which (countries|nations|members|states)|list|name (the|all)|what are the)\b"),
    ),
]

_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundred|thousand|million|billion|dozens?|half)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|tomorrow|"
    r"(19|20)\d\d|week|month|year|days?|ago|decades?)\b",
    re.IGNORECASE,
)
_PROPER = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ’'-]+(?:\s+[A-Z][a-zà-ÿ’'-]+)*")
_REASON = re.compile(
    r"\b(because|due to|since|as a result|in response|after|so that|in order to|reason|amid|to protect|would)\b",
    re.IGNORECASE,
)


def answer_type(question: str) -> AnswerType:
    """The answer type a question asks for (``OTHER`` when it is not clear)."""
    text = question.lower()
    for kind, pattern in _RULES:
        if pattern.search(text):
            return kind
    return AnswerType.OTHER


def proper_names(text: str) -> set[str]:
    """Capitalised word runs that are not merely the first word of a sentence."""
    return {m.group() for m in _PROPER.finditer(text)}


def has_answer(kind: AnswerType, sentence: str, question: str) -> bool:
    """True when ``sentence`` contains something of the kind the question asks for, beyond its own words."""
    if kind is AnswerType.NUMBER:
        asked = {m.group().lower() for m in _NUMBER.finditer(question)}
        return any(m.group().lower() not in asked for m in _NUMBER.finditer(sentence))
    if kind is AnswerType.DATE:
        return bool(_DATE.search(sentence))
    if kind in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.LIST):
        # "the olympic games" asked in lower case: the sentence's "Olympics" is the question's own word
        return any(not stems(name) <= stems(question) for name in proper_names(sentence))
    if kind is AnswerType.REASON:
        return bool(_REASON.search(sentence))
    return True


# "Who is the president of Finland?", "What is the capital of Australia?", "Who is Norway's leader?"
_HEAD_OF = re.compile(
    r"^\s*(?:who|what)\s+(?:is|are|was|were)\s+(?:the\s+)?(?P<head>[a-z][a-z -]{1,40}?)\s+(?:of|in|for)\s+\S",
    re.IGNORECASE,
)
_HEAD_POSSESSIVE = re.compile(
    r"^\s*(?:who|what)\s+(?:is|are|was|were)\s+\S+?(?:'s|’s|s')\s+(?P<head>[a-z][a-z -]{1,40}?)\s*\??\s*$",
    re.IGNORECASE,
)


_HEAD_STOPS = frozenset("according in of for to at on by from with during after before since".split())
_HEAD_MAX_WORDS = 3
_ARTICLES = frozenset({"the", "a", "an"})
_IRREGULAR_PARTICIPLES = frozenset("known born seen given taken shown held made chosen".split())


def head_noun(question: str) -> str | None:
    """The thing a "who/what is the X of Y" question asks for (``X``), when the question has that shape."""
    match = _HEAD_OF.search(question) or _HEAD_POSSESSIVE.search(question)
    if not match:
        return None
    words: list[str] = []
    for word in match.group("head").split():  # "core task according to Stoltenberg" -> "core task"
        lowered = word.lower()
        if lowered in _ARTICLES or lowered.endswith("ly"):  # "currently the chief executive of …"
            continue
        # "the player mentioned in …", "the individual known for …": the noun ends where a participle starts
        if lowered in _HEAD_STOPS or (
            words and (lowered.endswith("ed") or lowered in _IRREGULAR_PARTICIPLES)
        ):
            break
        if len(words) == _HEAD_MAX_WORDS:  # a long description, not "the X of Y": no one noun to look for
            return None
        words.append(word)
    return " ".join(words) or None


# "How many fighter jets has NATO positioned?" -> "jets": what is counted.
_COUNTED = re.compile(
    r"^\s*how many\s+(?P<phrase>(?:[a-z-]+\s+){0,2}?[a-z-]+?)\s+"
    r"(?:does|do|did|has|have|had|is|are|was|were|will|would|can|could|live|lived)\b",
    re.IGNORECASE,
)


def counted_noun(question: str) -> str | None:
    """The thing a "how many X …" question counts (``X``'s head word), when the question has that shape."""
    match = _COUNTED.search(question)
    words = [w for w in match.group("phrase").split() if w.lower() != "ago"] if match else []
    return words[-1] if words else None

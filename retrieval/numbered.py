"""Which one of a series a text names: "season 4", "the fourth season", "the 93rd Academy Awards", "Diablo 3".

A question about season 4 is not answered by a sentence about season 10, nor one about the 93rd Academy
Awards by the 90th: like a year, the number that says which one is a constraint a passage can break.
:func:`numbered` reads the (noun, number) pairs of a text; :func:`breaks` says whether a text names only
other members of the series the question names.

Two forms are read: an ordinal before a word ("93rd Academy", "tenth and final season") and a number after a
word that names a series ("season 4", "Episode 17") or a capitalised name ("Diablo 3", "iPhone 11"). A number
after a common word is more often a count ("killed 30 people") and is not read; neither are years, days of
a month ("May 15"), or figures with decimals, thousands or units.
"""

from __future__ import annotations

import re
from functools import lru_cache

from retrieval.conversation import content_words
from retrieval.dates import MONTHS
from retrieval.lexical import tokenize

_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
    "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
_CARDINALS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_VALUE = {word: n for n, word in enumerate(_ORDINALS, start=1)} | {
    word: n for n, word in enumerate(_CARDINALS, start=1)
}
# Words a number after which says which one, not how many.
SERIES = frozenset(
    (
        "season seasons episode episodes series part chapter volume vol book edition issue stage round phase "
        "game week day level version generation gen act article amendment term leg heat division tier title "
        "draft pick grade"
    ).split()
)
_WORD = r"[A-Za-z][\w'’-]*"
_ORDINAL_WORD = rf"\d{{1,3}}(?:st|nd|rd|th)|{'|'.join(_ORDINALS)}"
_ORDINAL = re.compile(
    rf"\b(?P<value>{_ORDINAL_WORD})(?:\s+and\s+(?:(?P<also>{_ORDINAL_WORD})|{_WORD}))?\s+(?P<word>{_WORD})",
    re.IGNORECASE,
)
_AFTER = re.compile(
    rf"\b(?P<word>{_WORD})\s+(?P<value>\d{{1,3}}|{'|'.join(_CARDINALS)})\b(?![.,]\d|\s*(?:%|percent\b))",
    re.IGNORECASE,
)
_NOT_NAMES = frozenset(MONTHS) | frozenset(
    (
        "about around over under nearly almost roughly approximately some than least most just only another "
        "every all number page pages"
    ).split()
)


def _value(text: str) -> int:
    digits = re.match(r"\d+", text)
    return int(digits.group()) if digits else _VALUE[text.lower()]


@lru_cache(maxsize=4096)
def _stem(word: str) -> str | None:
    """The first token :func:`tokenize` gives ``word`` (cached: "season" recurs in every sentence read)."""
    tokens = tokenize([word])[0]
    return tokens[0] if tokens else None


def numbered(text: str) -> dict[str, frozenset[int]]:
    """Stemmed series word -> the numbers ``text`` gives it ("season 4" and "the fourth season": {4})."""
    found: dict[str, set[int]] = {}
    for match in _ORDINAL.finditer(text):
        stem = _stem(match.group("word"))
        if stem:
            values = [match.group("value"), match.group("also")]  # "the first and second rounds": both
            found.setdefault(stem, set()).update(_value(v) for v in values if v)
    for match in _AFTER.finditer(text):
        word = match.group("word")
        named = (
            any(c.isupper() for c in word) and word.lower() not in _NOT_NAMES and bool(content_words(word))
        )
        if word.lower() not in SERIES and not named:
            continue
        stem = _stem(word)
        if stem:
            found.setdefault(stem, set()).add(_value(match.group("value")))
    return {stem: frozenset(values) for stem, values in found.items()}


def breaks(wanted: dict[str, frozenset[int]], text: str) -> bool:
    """True when ``text`` numbers a series ``wanted`` names, and never with the number ``wanted`` gives."""
    if not wanted:
        return False
    given = numbered(text)
    return any(stem in given and not given[stem] & values for stem, values in wanted.items())

"""Names news writing uses for one another: a capital for its government, a demonym for its country.

"Ankara objects" means Turkey objects; "the Finnish public" means Finns. Questions phrased that way share
no word with the article that answers them, so a few such equivalences are added to retrieval queries and
count as matches when a sentence is scored. Deliberately small and general: places, not topics.
"""

from __future__ import annotations

import re

_GROUPS = [
    "finland finnish finns finn helsinki",
    "sweden swedish swedes swede stockholm",
    "norway norwegian norwegians oslo",
    "denmark danish danes copenhagen",
    "iceland icelandic icelanders reykjavik",
    "turkey turkish turks ankara",
    "russia russian russians moscow kremlin",
    "ukraine ukrainian ukrainians kyiv kiev",
    "belarus belarusian belarusians minsk",
    "germany german germans berlin",
    "france french paris",
    "britain british uk london",
    "poland polish poles warsaw",
    "estonia estonian estonians tallinn",
    "latvia latvian latvians riga",
    "lithuania lithuanian lithuanians vilnius",
    "romania romanian romanians bucharest",
    "georgia georgian georgians tbilisi",
    "china chinese beijing",
    "us american americans washington",
    "nato alliance",
]
_ALIASES: dict[str, tuple[str, ...]] = {}
_MAIN: dict[str, str] = {}
for _group in _GROUPS:
    _words = _group.split()
    for _word in _words:
        _ALIASES[_word] = tuple(w for w in _words if w != _word)
        _MAIN[_word] = _words[0]
_WORD = re.compile(r"[A-Za-z]+")


def aliases(word: str) -> tuple[str, ...]:
    """Other names for ``word`` (lower-case), or nothing."""
    return _ALIASES.get(word.lower().removesuffix("'s").removesuffix("’s"), ())


def expand(text: str) -> str:
    """``text`` with the main name of each place it mentions another way appended, for retrieval."""
    extra: list[str] = []
    lowered = text.lower()
    for word in _WORD.findall(text):
        main = _MAIN.get(word.lower())
        if main and main not in lowered and main not in extra:
            extra.append(main)
    return f"{text} ({' '.join(extra)})" if extra else text

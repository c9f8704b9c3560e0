"""Is a text written in English? A small deterministic guess, so that the engine can decline what it cannot read.

The extractive engine scores sentences by words shared with the question; a question in Russian or Finnish
shares none with English articles, so it used to be answered by whatever passage the embedding model found
nearest, confidently and wrongly. Three signals are enough to say "clearly not English":

- the script: most letters outside the Latin alphabet (Cyrillic, Greek, Arabic, CJK, …);
- function words: English ones ("the", "who", "is", …) against those of other European languages;
- letters English does not use (ä, ö, ñ, ß, …) in a question with no English function word at all.

Anything less clear counts as English: a name alone, a short keyword query, an English question naming
foreign places. :func:`is_clearly_not_english` must never decline an English question.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
ENGLISH_WORDS = frozenset(
    """the a an of to in on at for and or is are was were be been being did does do done which what who whom
    whose how many much when where why with by from that this these those their its his her hers has have had
    not no can could would should will shall it they he she we you i me my our your than as about into after
    before there here if but also any all some more most other say said says tell""".split()
)
# Short English words that other languages also use ("on" is Finnish for "is"): they count half.
_WEAK_ENGLISH = frozenset("a an i in is it me no on to as he do".split())
# Common function words of other languages written in Latin script, none of them also an English word.
_FOREIGN_TEXT = """der das und ist sind wer wie was wann wo warum nicht mit von zu dem des ein eine einer hat haben
    le la les des du est sont qui que quoi quand où pourquoi comment avec pour dans une et il elle ont
    el los las qué quién quiénes cuándo dónde cómo con para del una y es fue por
    il della che chi quando perché sono è gli
    o os que quem onde porque não com para uma é foi
    het een en wie wat waar wanneer waarom hoe niet met van zijn
    mikä mitä kuka ketkä milloin missä miksi miten kuinka paljon ja ei että oli ovat mihin minkä sekä
    vad vem när varför hur och inte det ett med för är var som
    hvad hvem hvornår hvorfor hvordan og ikke er
    kto kiedy gdzie dlaczego jak nie jest czy"""
FOREIGN_WORDS = frozenset(_FOREIGN_TEXT.split()) - ENGLISH_WORDS
_NOT_ENGLISH_LETTERS = frozenset("äöåæøüßñçãõœąęłńśźżčřšžőű")
_MIN_WORDS = 3  # fewer words than this cannot be told apart from a name or a keyword query


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    latin = sum(1 for c in letters if unicodedata.name(c, "").startswith("LATIN"))
    return latin / len(letters)


def is_clearly_not_english(text: str) -> bool:
    """True only when ``text`` is plainly written in another language than English."""
    if _latin_share(text) < 0.5:
        return True
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < _MIN_WORDS:
        return False
    english = sum(0.5 if w in _WEAK_ENGLISH else 1.0 for w in words if w in ENGLISH_WORDS)
    foreign = sum(1 for w in words if w in FOREIGN_WORDS)
    if english and english >= foreign:
        return False
    if foreign:
        return True
    return english == 0 and any(c in _NOT_ENGLISH_LETTERS for c in text.lower())


def texts_are_english(texts: list[str]) -> bool:
    """True when none of ``texts`` (e.g. the article titles) is clearly in another language."""
    return not any(is_clearly_not_english(t) for t in texts)

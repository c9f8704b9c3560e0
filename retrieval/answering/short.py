"""The answer in a few words: the one name, place, day or figure the quoted sentence gives, said before it.

"Who did he speak with?" answered by "He said he had spoken with Putin" opens with "Vladimir Putin.", the
name the article gives him in full; "When …?" answered by "premieres on Thursday, Nov. 12", in an article
of 17 September 2020, opens with "12 November 2020."; "How many homes …?" answered by "14 homes and 22
outbuildings were destroyed" opens with "14.". Only when the sentence holds exactly one such answer:
a sentence naming two people, two days or two counts of the thing asked about is quoted without a lead
rather than with a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.answering.query import Query
from retrieval.answering.spans import entities, fresh_spans, is_the_figure
from retrieval.answering.when import spoken
from retrieval.dates import named_day
from retrieval.passages import Sentence, SentencePool
from retrieval.qtypes import AnswerType

NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
MAX_NAME_WORDS = 4  # "Sam Bankman-Fried", "Sir Jim Ratcliffe"; longer runs are titles or clauses
MAX_SENTENCES_READ = 12  # sentences of the article read for a name's full form
# A headline-style sentence ("Vanguard's New CEO Says Advisors' Jobs Are in Jeopardy") capitalises most
# words, and the entity model reads names into it that are not there: no name is taken from one.
HEADLINE_CAPITALS = 0.6
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_SMALL_WORDS = frozenset("a an and at by for from in of on or the to with vs".split())


def _capitalisable(text: str) -> list[str]:
    """The words of ``text`` a headline capitalises (small words aside)."""
    return [w for w in _WORD.findall(text) if w.lower() not in _SMALL_WORDS]


def _all_capitalised(words: list[str]) -> bool:
    return len(words) >= 2 and all(w[0].isupper() for w in words)


def headline_style(text: str) -> bool:
    """True when most of the words of ``text`` (small words aside) start with a capital."""
    words = _capitalisable(text)
    if len(words) < 5:  # "NFL Commissioners and Presidents." (a short sentence may hold one name or two)
        return _all_capitalised(words)
    return sum(w[0].isupper() for w in words) >= HEADLINE_CAPITALS * len(words)


def title_case(text: str) -> bool:
    """True when every word of ``text`` (small words aside) starts with a capital: a headline, or a line
    naming a section ("NFL Commissioners and Presidents.")."""
    return _all_capitalised(_capitalisable(text))


def _modifier(name: str, sentence: str) -> bool:
    """ "Arkansas-based", "Kremlin-backed": the name qualifies a word; it is not what the sentence names."""
    return re.search(rf"{re.escape(name)}-\w", sentence) is not None


# "over 200 ships": the word before a figure that bounds it belongs to the answer ("200" would overstate it)
_BOUND = re.compile(
    r"\b(over|more than|nearly|almost|about|around|roughly|some|up to|at least|at most|fewer than|less than|"
    r"under|approximately|an estimated)\s+$",
    re.IGNORECASE,
)


def _qualified(figure: str, sentence: str) -> str:
    """``figure`` with the bounding word just before it in ``sentence`` ("over 200"), if there is one."""
    at = sentence.find(figure)
    bound = _BOUND.search(sentence[max(0, at - 20) : at]) if at > 0 else None
    return f"{bound.group(1)} {figure}" if bound else figure


def _distinct(names: list[str]) -> list[str]:
    """The names, without those a longer one contains ("Altman" beside "Sam Altman"), in order, once each."""
    unique = list(dict.fromkeys(names))
    return [n for n in unique if not any(n != other and f" {n} " in f" {other} " for other in unique)]


def _longer_forms(name: str, texts: Sequence[str]) -> set[str]:
    """Names in ``texts`` that end with ``name`` and say more of it ("Sam Altman" for "Altman")."""
    holding = [t for t in texts if name in t][:MAX_SENTENCES_READ]
    return {
        found
        for found_in in entities(holding)
        for found, label in found_in
        if label in NAME_LABELS
        and found.endswith(f" {name}")
        and len(found.split()) <= MAX_NAME_WORDS
        and all(word[:1].isupper() for word in found.split())
    }


def full_name(name: str, sentence: Sentence, pool: SentencePool, elsewhere: Sequence[str] = ()) -> str:
    """The longest form of ``name`` its article gives ("Putin" -> "Vladimir Putin"); failing that, the one
    longer form the other retrieved passages ``elsewhere`` give; else ``name`` as written."""
    text, spans = pool.article(sentence.article.article_id)
    own = _longer_forms(name, [text[a:b] for a, b in spans])
    if own:
        return max(own, key=lambda n: (len(n.split()), n))
    other = _distinct(sorted(_longer_forms(name, elsewhere)))
    return other[0] if len(other) == 1 else name


def short_answer(
    query: Query, sentence: Sentence, pool: SentencePool, elsewhere: Sequence[str] = ()
) -> str | None:
    """The answer ``sentence`` gives to ``query`` in a few words, or None when it is not one clear span
    (``elsewhere``: the other passages retrieved, where a surname's full form may be found)."""
    if query.kind not in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.DATE, AnswerType.NUMBER):
        return None
    fresh = fresh_spans(query.kind, sentence.text, query.text, entities([sentence.text])[0])
    if query.kind is AnswerType.NUMBER:
        figures = list(
            dict.fromkeys(t for t, label in fresh if is_the_figure(query.text, sentence.text, (t, label)))
        )
        return _qualified(figures[0], sentence.text) if len(figures) == 1 else None
    if query.kind is AnswerType.DATE:
        published = sentence.article.published
        days = {day for text, _ in fresh if (day := named_day(text, reference=published)) is not None}
        return spoken(days.pop()) if len(days) == 1 else None
    if headline_style(sentence.text):
        return None
    names = _distinct([t for t, label in fresh if label in NAME_LABELS and not _modifier(t, sentence.text)])
    if len(names) != 1 or len(names[0].split()) > MAX_NAME_WORDS:
        return None
    return full_name(names[0], sentence, pool, elsewhere) if query.kind is AnswerType.PERSON else names[0]

"""Pure scoring functions of the eval suite: normalisation, containment, ranks, rates, CRAG, percentiles.

Nothing here touches the engine or the index; every function takes plain values so that it can be
checked on hand-built cases. Rates whose denominator is zero are ``None`` ("not measured"), never 0.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

MAX_ANSWER_CHARS = 600  # a longer answer could "contain" anything; it does not count as correct
_CITATION_MARKER = re.compile(r"\[\d+\]")  # "[2]" must not pass for an expected "2"

_QUOTES_AND_DASHES = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)


def normalise(text: str) -> str:
    """Casefold, strip accents, unify quotes and dashes, turn punctuation into spaces, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES_AND_DASHES))
    kept: list[str] = []
    for char in decomposed.casefold():
        if unicodedata.combining(char):
            continue
        category = unicodedata.category(char)
        # Punctuation and symbols become a space so that "30-country" and "30 country" read alike.
        kept.append(" " if category[0] in "PSZC" else char)
    return " ".join("".join(kept).split())


def contains(answer_text: str, expected: str) -> bool:
    """True when the normalised ``expected`` occurs in the normalised ``answer_text`` on word boundaries."""
    needle = normalise(expected)
    if not needle:
        return False
    return f" {needle} " in f" {normalise(answer_text)} "


def strip_markers(answer_text: str) -> str:
    """The answer without its ``[n]`` citation markers."""
    return _CITATION_MARKER.sub(" ", answer_text)


def matches_expected(
    text: str, answers: Sequence[str], answers_all: Sequence[str], *, max_chars: float = MAX_ANSWER_CHARS
) -> bool:
    """True when ``text`` (at most ``max_chars`` long) holds one of ``answers`` and every ``answers_all``."""
    if not answers and not answers_all:
        return False
    if len(text) > max_chars:
        return False
    if answers and not any(contains(text, expected) for expected in answers):
        return False
    return all(contains(text, expected) for expected in answers_all)


def is_correct(
    answer_text: str,
    abstained: bool,
    answers: Sequence[str],
    answers_all: Sequence[str],
    unanswerable: bool,
    *,
    max_chars: int = MAX_ANSWER_CHARS,
) -> bool:
    """An unanswerable question is right when abstained on; any other when answered with the expected text."""
    if unanswerable:
        return abstained
    if abstained:
        return False
    return matches_expected(strip_markers(answer_text), answers, answers_all, max_chars=max_chars)


RECORD_FILE_SUFFIXES = (".json", ".jsonl")  # files whose articles are records, named ``file#id``


def names_source(file_name: str, source: str) -> bool:
    """True when a hit's ``file_name`` is the article ``source`` names.

    Equal names match. An article read from a record of a ``.json``/``.jsonl`` file is named ``file#id``
    (``mh-25.json#1``): it matches a source naming the whole file (``mh-25.json``), while a source naming
    one record (``mh-25.json#1``) matches only that record.
    """
    if file_name == source:
        return True
    return source.lower().endswith(RECORD_FILE_SUFFIXES) and file_name.startswith(f"{source}#")


def first_rank(ranked_files: Sequence[str], sources: Iterable[str]) -> int | None:
    """1-based rank of the first result coming from one of ``sources``; None when none does."""
    wanted = tuple(sources)
    for position, file_name in enumerate(ranked_files, start=1):
        if any(names_source(file_name, source) for source in wanted):
            return position
    return None


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of questions whose first relevant result ranks within the top ``k``."""
    if not ranks:
        return None
    return sum(1 for rank in ranks if rank is not None and rank <= k) / len(ranks)


def mean_reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """Mean of 1/rank over questions, a missing result counting 0."""
    if not ranks:
        return None
    return sum(1.0 / rank for rank in ranks if rank is not None) / len(ranks)


def crag_points(*, unanswerable: bool, declined: bool, correct: bool) -> int:
    """One question's CRAG-style score: a right answer +1, a decline 0, a wrong answer -1.

    On an unanswerable question declining is the right answer (+1) and any answer is wrong (-1).
    """
    if unanswerable:
        return 1 if declined else -1
    if declined:
        return 0
    return 1 if correct else -1


def ratio(part: int, whole: int) -> float | None:
    """``part / whole``, or None when nothing was measured."""
    return part / whole if whole else None


def abstention_scores(
    true_positive: int, false_positive: int, false_negative: int
) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1 of abstaining, "abstain" being the positive class.

    ``true_positive``: abstained on an unanswerable question; ``false_positive``: abstained on an
    answerable one; ``false_negative``: answered an unanswerable one.
    """
    precision = ratio(true_positive, true_positive + false_positive)
    recall = ratio(true_positive, true_positive + false_negative)
    if precision is None or recall is None:
        return precision, recall, None
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return precision, recall, f1


def quote_is_verbatim(article_text: str, quote: str, start_char: int, end_char: int) -> bool:
    """True when the article's text at ``[start_char:end_char]`` is exactly ``quote`` (and not empty)."""
    if not quote or not 0 <= start_char < end_char <= len(article_text):
        return False
    return article_text[start_char:end_char] == quote


def quotes_support(quotes: Sequence[str], answers: Sequence[str], answers_all: Sequence[str]) -> bool:
    """True when the cited quotes hold an expected answer: one of ``answers`` and each of ``answers_all``."""
    if not quotes:
        return False
    return matches_expected(" \n ".join(quotes), answers, answers_all, max_chars=math.inf)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` quantile (0..1) with linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    weight = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * weight

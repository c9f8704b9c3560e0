"""The default composer: pick the sentences that answer the question and cite them. No language model.

Each candidate sentence (from the retrieved chunks) is scored by its embedding similarity to the question,
its overlap with the question's words (names and numbers weigh more), whether it holds the kind of answer
asked for (a person for "who", a date for "when", a number for "how many"), and the rank of its chunk. The
engine abstains when the best score is below a calibrated threshold or no candidate holds the asked-for kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from retrieval import prompts
from retrieval.conversation import content_words
from retrieval.lexical import tokenize
from retrieval.passages import Sentence, SentencePool
from retrieval.qtypes import AnswerType, answer_type, has_answer
from retrieval.types import Citation, Hit

# Weights of the final score; calibrated on the eval set (see eval/README or the issue notes).
W_DENSE, W_LEXICAL, W_TYPE, W_RANK = 0.5, 0.3, 0.15, 0.05
EMBEDDED_CANDIDATES = 12  # only the best candidates by cheap features are embedded
SECOND_CLAIM_RATIO = 0.9  # a second sentence must score this close to the best
SUPPORT_SIMILARITY = 0.78  # another article's sentence this similar backs the same claim
MAX_ANSWER_CHARS = 400
MAX_CLAIM_CHARS = 300
_NUMBER = re.compile(r"\d[\d,.]*")


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its features and final score."""

    sentence: Sentence
    lexical: float
    typed: bool
    dense: float = 0.0
    score: float = 0.0


@dataclass(frozen=True)
class Draft:
    """A composed answer before numbering checks: text with [n] markers and its citations."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    best_score: float


def _weights(question: str, context: str) -> dict[str, float]:
    """Stemmed question tokens with weights: names and numbers count double, carried-over context half."""
    weights: dict[str, float] = {}
    names = {w.lower() for w in content_words(question) if w[:1].isupper() or w[:1].isdigit()}
    for word in content_words(question):
        for token in tokenize([word])[0]:
            weights[token] = max(weights.get(token, 0.0), 2.0 if word.lower() in names else 1.0)
    for word in content_words(context):
        for token in tokenize([word])[0]:
            weights.setdefault(token, 0.5)
    return weights


def _lexical(weights: dict[str, float], sentence_tokens: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in sentence_tokens) / total if total else 0.0


def _clip(text: str, limit: int = MAX_CLAIM_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _citation(n: int, sentence: Sentence) -> Citation:
    meta = sentence.article
    return Citation(
        n=n,
        article_id=meta.article_id,
        file_name=meta.file_name,
        title=meta.title,
        quote=sentence.text,
        start_char=sentence.start_char,
        end_char=sentence.end_char,
        url=meta.url,
        published=meta.published,
    )


class ExtractiveComposer:
    """Selects and cites answer sentences from retrieved chunks."""

    mode = "extractive"

    def __init__(self, pool: SentencePool, abstain_threshold: float) -> None:
        self.pool = pool
        self.abstain_threshold = abstain_threshold

    def score(self, question: str, resolved: str, hits: Sequence[Hit]) -> list[Scored]:
        """Every candidate sentence of ``hits``, best first."""
        sentences = self.pool.sentences(hits)
        if not sentences:
            return []
        kind = answer_type(question)
        weights = _weights(question, resolved[len(question) :] if resolved.startswith(question) else resolved)
        token_sets = [set(tokens) for tokens in tokenize([s.text for s in sentences])]
        cheap = [
            Scored(s, _lexical(weights, tokens), has_answer(kind, s.text, question))
            for s, tokens in zip(sentences, token_sets, strict=True)
        ]
        cheap.sort(key=lambda c: -(0.5 * c.lexical + 0.3 * c.typed + 0.2 / c.sentence.hit_rank))
        shortlist = cheap[:EMBEDDED_CANDIDATES]
        question_vector = np.asarray(self.pool.index.embed_query(resolved), dtype=np.float32)
        question_vector /= np.linalg.norm(question_vector) or 1.0
        similarities = self.pool.embed([c.sentence for c in shortlist]) @ question_vector
        scored = [
            replace(
                c,
                dense=float(sim),
                score=W_DENSE * float(sim) + W_LEXICAL * c.lexical + W_TYPE * c.typed + W_RANK / c.sentence.hit_rank,
            )
            for c, sim in zip(shortlist, similarities, strict=True)
        ]
        return sorted(scored, key=lambda c: -c.score)

    def compose(self, question: str, resolved: str, hits: Sequence[Hit]) -> Draft:
        """The cited answer, or an abstention pointing at the closest passage."""
        ranked = self.score(question, resolved, hits)
        kind = answer_type(question)
        if not ranked:
            return Draft(prompts.ABSTAIN, (), True, 0.0)
        best = ranked[0]
        needs_type = kind not in (AnswerType.OTHER, AnswerType.REASON)
        if best.score < self.abstain_threshold or (needs_type and not best.typed):
            closest = prompts.CLOSEST.format(quote=_clip(best.sentence.text, 200))
            return Draft(f"{prompts.ABSTAIN} {closest}", (_citation(1, best.sentence),), True, best.score)

        vectors = self.pool.embed([c.sentence for c in ranked])
        claims: list[list[Scored]] = [[best]]
        # Other articles saying the same thing back the same claim.
        for i, other in enumerate(ranked[1:], start=1):
            if other.sentence.article.article_id != best.sentence.article.article_id and float(
                vectors[i] @ vectors[0]
            ) >= SUPPORT_SIMILARITY:
                claims[0].append(other)
                break
        used = {id(c) for claim in claims for c in claim}
        ratio = SECOND_CLAIM_RATIO - (0.05 if kind is AnswerType.LIST else 0.0)
        for i, other in enumerate(ranked[1:], start=1):
            if id(other) in used or other.score < ratio * best.score or (needs_type and not other.typed):
                continue
            if float(vectors[i] @ vectors[0]) >= 0.9:
                continue  # a near-duplicate adds nothing
            claims.append([other])
            break

        differ = (
            kind is AnswerType.NUMBER
            and len(claims) > 1
            and claims[1][0].sentence.article.article_id != best.sentence.article.article_id
            and set(_NUMBER.findall(claims[1][0].sentence.text)) != set(_NUMBER.findall(best.sentence.text))
            and claims[1][0].lexical >= 0.5
        )
        citations: list[Citation] = []
        parts: list[str] = []
        for claim in claims:
            markers = ""
            for scored in claim:
                citations.append(_citation(len(citations) + 1, scored.sentence))
                markers += f"[{len(citations)}]"
            part = f"{_clip(claim[0].sentence.text)} {markers}"
            if parts and len(" ".join(parts)) + len(part) > MAX_ANSWER_CHARS:
                citations = citations[: len(citations) - len(claim)]
                break
            parts.append(part)
        text = " ".join(parts)
        if differ and len(parts) > 1:
            text = f"{prompts.SOURCES_DIFFER} {text}"
        return Draft(text, tuple(citations), False, best.score)

"""Every tuned number of the answering engine, in one typed object read from ``params.json``.

``python -m eval.fit`` writes ``params.json``: it runs the engine's own pipeline over every eval suite and
fits the answer-or-decline model with cross-validation (see that script). Nothing else in the engine holds a
tuned constant; a number here without the script that fits it says so in its description.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

PARAMS_FILE = Path(__file__).with_name("params.json")


@dataclass(frozen=True)
class Params:
    """The engine's numbers. Hand-set ones are marked so; the decision model is fitted."""

    # --- retrieve (hand-set: bounded by latency) ---
    search_k: int = 8  # chunks retrieved per question
    embedded_candidates: int = 10  # candidate sentences embedded per question (the rest ranked cheaply)
    # --- rank (hand-set, checked on every suite) ---
    w_dense: float = 0.45
    w_lexical: float = 0.35
    w_context: float = 0.0  # topic words only the sentence's neighbours and headline hold count this much
    w_type: float = 0.15
    w_rank: float = 0.05
    w_conflict: float = 0.3  # a sentence whose year/date contradicts the question's loses this much
    w_missing: float = 0.2  # ... and this much times the share of the question's years/figures it lacks
    w_recent: float = 0.2  # asked for the latest: the newest article's sentence gains this much
    # --- decide: logistic model over Evidence.vector(), fitted by eval.fit ---
    coefficients: tuple[float, ...] = (2.0, 1.5, 1.5, 1.5, -2.0, -1.5, -1.5, -1.0)
    intercept: float = -2.5
    answer_threshold: float = 0.5  # confidence at or above which the engine answers
    closest_threshold: float = 0.3  # between the two it offers the closest passage, said as such
    context_weight: float = 0.3  # a follow-up's carried-over words count this much of the user's own
    max_sources: int = 3  # articles whose evidence is pooled for a question spanning several
    rule_only_type: float = 0.5  # a type the rules see but the entity model does not is this sure
    # --- compose (hand-set) ---
    second_claim_ratio: float = 0.93  # a second sentence must score this close to the best
    list_ratio_discount: float = 0.05  # ... less this for a list, whose items score alike
    second_claim_lexical: float = 0.75  # ... and hold at least this share of the best one's words
    source_gain: float = 0.15  # another article is quoted when it adds this much of the topic words
    support_similarity: float = 0.78  # another article's sentence this similar backs the same claim
    near_duplicate_similarity: float = 0.9  # a second claim this similar to the first adds nothing
    word_match_similarity: float = 0.55  # a word this close in meaning counts as found
    head_match_similarity: float = 0.6  # "leader" may stand for "president"; stricter than words
    max_answer_chars: int = 400
    max_claim_chars: int = 300

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Params:
        """Params from plain data; unknown keys are ignored, missing ones keep their defaults."""
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        """Plain data, as ``params.json`` holds it."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@cache
def load_params(path: Path = PARAMS_FILE) -> Params:
    """The fitted params (defaults when the file is absent)."""
    if not path.exists():
        return Params()
    return Params.from_dict(json.loads(path.read_text(encoding="utf-8")))

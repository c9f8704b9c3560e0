"""Hand-built inputs for the answering stages' unit tests."""

from __future__ import annotations

import numpy as np

from retrieval.answering.query import Query, constraints_of
from retrieval.qtypes import AnswerType


def make_query(text: str, kind: AnswerType = AnswerType.OTHER, **weights: float) -> Query:
    """A Query built by hand: the given topic weights, no vector."""
    return Query(
        text=text,
        resolved=text,
        search_text=text,
        kind=kind,
        constraints=constraints_of(text),
        weights=dict(weights),
        aliases={},
        vector=np.zeros(3, dtype=np.float32),
    )

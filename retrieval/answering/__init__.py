"""The answering engine, one stage a module:

    query (Query) → retrieve → rank → evidence → decide → compose → verify (``retrieval.citations``)

``params`` holds every tuned number (fitted by ``python -m eval.fit``); ``generative`` is the composer that
talks to an OpenAI-compatible endpoint, behind the same :class:`Composer` interface as the extractive one.
"""

from retrieval.answering.compose import Composer, Draft, ExtractiveComposer
from retrieval.answering.decide import Decision
from retrieval.answering.engine import AnswerEngine, build_engine, split_compound
from retrieval.answering.params import Params, load_params
from retrieval.answering.query import Query, build_query
from retrieval.answering.stream import TextCallback

__all__ = [
    "AnswerEngine",
    "Composer",
    "Decision",
    "Draft",
    "ExtractiveComposer",
    "Params",
    "Query",
    "TextCallback",
    "build_engine",
    "build_query",
    "load_params",
    "split_compound",
]

"""Conversation state: follow-up detection, resolution, and serialisation."""

from __future__ import annotations

import json

from retrieval import Answer, Conversation
from retrieval.conversation import MAX_TURNS, is_follow_up


def answer(question: str, text: str, abstained: bool = False) -> Answer:
    return Answer(question=question, text=text, abstained=abstained)


def test_follow_ups_are_recognised() -> None:
    for question in [
        "and what did she say about nuclear weapons?",
        "When?",
        "why?",
        "Who said that?",
        "What about Sweden?",
    ]:
        assert is_follow_up(question), question
    for question in ["Who is the president of Finland?", "What percentage of Finns support joining NATO?"]:
        assert not is_follow_up(question), question


def test_a_standalone_question_is_left_alone() -> None:
    conversation = Conversation().add(answer("Who is Finland's prime minister?", "Sanna Marin leads it [1]"))
    assert (
        conversation.resolve("How many fighter jets does NATO have?")
        == "How many fighter jets does NATO have?"
    )


def test_a_follow_up_carries_the_topic_and_the_names_of_the_last_answer() -> None:
    conversation = Conversation().add(
        answer(
            "What did Magdalena Andersson say about Nato bases?", "Ms Andersson said Sweden would refuse [1]"
        )
    )
    when = conversation.resolve("When?")
    assert when.startswith("When?")
    assert "Magdalena" in when and "bases" in when and "Sweden" in when


def test_he_or_she_carries_only_the_person_meant() -> None:
    conversation = Conversation().add(
        answer(
            "Who is Finland's prime minister?",
            "Finland's president Sauli Niniisto and prime minister Sanna Marin confirmed it [1]",
        )
    )
    assert conversation.subject("and what did she say about Russia?") == "Sanna Marin"  # the name asked for
    resolved = conversation.resolve("and what did she say about Russia?")
    assert resolved == "and what did she say about Russia? (Sanna Marin)"
    assert conversation.subject("What about Sweden?") is None  # no he/she: no person to look for


def test_an_abstained_turn_contributes_no_names() -> None:
    conversation = Conversation().add(
        answer("Who is the king of Sweden?", "The articles don't say.", abstained=True)
    )
    assert conversation.turns[0].names == ()


def test_only_the_last_turns_are_kept() -> None:
    conversation = Conversation()
    for i in range(MAX_TURNS + 3):
        conversation = conversation.add(answer(f"Question number {i}?", f"Answer {i} [1]"))
    assert len(conversation.turns) == MAX_TURNS
    assert conversation.turns[-1].question == f"Question number {MAX_TURNS + 2}?"


def test_round_trips_through_json() -> None:
    conversation = Conversation().add(answer("Who leads NATO?", "Jens Stoltenberg announced [1]"))
    restored = Conversation.from_dict(json.loads(json.dumps(conversation.to_dict())))
    assert restored == conversation
    assert restored.resolve("When?") == conversation.resolve("When?")


def test_malformed_state_gives_an_empty_conversation() -> None:
    assert Conversation.from_dict({"turns": [{"question": "x"}]}) == Conversation()
    assert Conversation.from_dict(None) == Conversation()
    assert Conversation.from_dict({"turns": "nonsense"}) == Conversation()

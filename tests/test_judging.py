"""The AI judge's rules (preflab.domain.judging): the request, reading the verdict, mapping it back
through the order it was asked in, and combining the two orders; and the stub server's judge mode
that the judge's tests run against."""

from __future__ import annotations

import pytest

from preflab.domain import judging
from preflab.generate.stub import StubServer, judge_answer


def test_the_request_shows_both_answers_labeled_and_asks_for_the_verdict_format():
    chat = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    [system, user] = judging.messages(chat, "first answer", [{"role": "assistant", "content": "second"}])
    assert system["role"] == "system" and "[[A]]" in system["content"] and "[[C]]" in system["content"]
    assert user["content"] == (
        "[User Question]\nUser: hi\n\nAssistant: hello\n\n"
        "[The Start of Assistant A's Answer]\nfirst answer\n[The End of Assistant A's Answer]\n\n"
        "[The Start of Assistant B's Answer]\nAssistant: second\n[The End of Assistant B's Answer]"
    )
    [ruled, _] = judging.messages("q", "a", "b", rubric="Prefer the shorter answer.")
    assert (
        ruled["content"].startswith("Prefer the shorter answer.")
        and judging.FORMAT_REMINDER in ruled["content"]
    )


@pytest.mark.parametrize(
    ("text", "verdict"),
    [("[[A]]", "A"), ("first [[B]] then, on reflection, [[ C ]]", "C"), ("A is better", None), ("", None)],
)
def test_the_last_verdict_mark_counts(text, verdict):
    assert judging.parse(text) == verdict


def test_verdicts_map_back_through_the_order_they_were_asked_in():
    assert [judging.side(v, False) for v in ("A", "B", "C", None)] == ["answer1", "answer2", "tie", None]
    assert [judging.side(v, True) for v in ("A", "B", "C")] == ["answer2", "answer1", "tie"]


def test_two_orders_combine_into_a_side_only_when_they_agree():
    assert judging.combine("A", "B") == judging.Combined("answer1", 1.0, True, ("A", "B"))
    assert judging.combine("B", "A") == judging.Combined("answer2", 1.0, True, ("B", "A"))
    always_first = judging.combine("A", "A")  # a judge that always names Assistant A
    assert (always_first.outcome, always_first.score, always_first.consistent) == ("tie", 0.5, False)
    assert judging.combine("C", "C") == judging.Combined("tie", 0.5, True, ("C", "C"))
    assert judging.combine("A", "C").consistent is False
    assert judging.first_position_picks(always_first) == (2, 2)
    assert judging.first_position_picks(judging.combine("A", "B")) == (1, 2)


def test_the_stub_judges_as_told_over_http():
    openai = pytest.importorskip("openai")

    def truth(question, a, b):  # the answer containing "good" is better
        return "A" if "good" in a else "B" if "good" in b else "C"

    with StubServer(models=("judge",), answer=judge_answer(truth)) as stub:
        client = openai.OpenAI(base_url=stub.url, api_key=stub.key)
        asked = [judging.messages("q", "good", "bad"), judging.messages("q", "bad", "good")]
        texts = [
            client.chat.completions.create(model="judge", messages=m).choices[0].message.content
            for m in asked
        ]
    verdicts = [judging.parse(t) for t in texts]
    assert verdicts == ["A", "B"] and judging.combine(*verdicts).outcome == "answer1"
    biased = judge_answer(truth, first_bias=1.0)
    prompt = judging.messages("q", "bad", "good")[1]["content"]
    assert judging.parse(biased("judge", prompt, None, 0)) == "A"

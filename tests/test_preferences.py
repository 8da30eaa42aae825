"""Aggregation rules (preflab.domain.preferences), each on a hand-computed case, plus property tests."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preflab import gallery
from preflab.domain import labelconfig
from preflab.domain.preferences import (
    AnnotationIn,
    Options,
    PreferenceConfigError,
    Vote,
    comparisons,
    decide,
    kto_rows,
    label_verdict,
    newest_per_labeler,
    preference_row,
    prompt_of,
    spec,
    strength_of_label,
    swapped,
)

TIE_STRENGTH = labelconfig.parse(gallery.template("pairwise-tie-strength").config)
SEED = labelconfig.parse(gallery.template("human-preference").config)
RANKER = labelconfig.parse(gallery.template("llm-ranker").config)
DATA = {"prompt": "What is 2 + 2?", "answer1": "4", "answer2": "5"}


def pick(side):
    return {
        "from_name": "comparison",
        "to_name": "answer1,answer2",
        "type": "pairwise",
        "value": {"selected": side},
    }


def verdict(label):
    return {"from_name": "verdict", "to_name": "prompt", "type": "choices", "value": {"choices": [label]}}


def rating(n):
    return {"from_name": "strength", "to_name": "prompt", "type": "rating", "value": {"rating": n}}


def ann(id, labeler, *result, cancelled=False, shown=None, updated="2026-01-01", gold=False):
    return AnnotationIn(
        id=id,
        labeler=labeler,
        result=list(result),
        cancelled=cancelled,
        ground_truth=gold,
        shown_order=shown,
        updated_at=updated,
    )


def judge(config, annotations, data=DATA, options=Options(), randomized=False):
    s = spec(config, options)
    [c] = comparisons(s, 7, data, annotations, randomized=randomized)
    return s, c, decide(c.votes, options, strength=s.strength is not None)


# ---------------------------------------------------------------- reading the config


def test_seed_config_spec():
    s = spec(SEED)
    assert (s.pairwise, s.answers, s.answer_keys, s.prompt_key) == (
        "comparison",
        ("answer1", "answer2"),
        ("answer1", "answer2"),
        "prompt",
    )
    assert s.verdicts == {} and s.strength is None and s.ranker is None


def test_tie_strength_config_spec():
    s = spec(TIE_STRENGTH)
    assert s.verdicts == {"verdict": {"Tie": "tie", "Both bad": "both_bad"}}
    assert (s.strength.control, s.strength.type, s.strength.max_rating) == ("strength", "Rating", 3)
    assert spec(TIE_STRENGTH, Options(strength="")).strength is None


def test_options_override_the_config():
    s = spec(SEED, Options(prompt_key="question", answer_keys=("a", "b"), choice_map={"x": "tie"}))
    assert (s.prompt_key, s.answer_keys, s.pairwise) == ("question", ("a", "b"), None)


def test_configs_without_a_comparison_are_refused_with_the_reason():
    chat = labelconfig.parse(gallery.template("chatbot-evaluation").config)
    with pytest.raises(PreferenceConfigError, match="no Pairwise or Ranker"):
        spec(chat)
    with pytest.raises(PreferenceConfigError, match="no control named 'nope'"):
        spec(SEED, Options(strength="nope"))


def test_option_values_are_checked():
    with pytest.raises(ValueError, match="min_votes"):
        Options(min_votes=0)
    with pytest.raises(ValueError, match="min_agreement"):
        Options(min_agreement=1.5)
    with pytest.raises(ValueError, match="'better' is not one of"):
        Options(choice_map={"A": "better"})


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Tie", "tie"),
        ("About the same", "tie"),
        ("Both bad", "both_bad"),
        ("Neither", "both_bad"),
        ("A is better", "answer1"),
        ("Answer 2", "answer2"),
        ("Right", "answer2"),
        ("answer1 better", "answer1"),
        ("Much better", None),
        ("Helpful", None),
    ],
)
def test_choice_texts_read_as_verdicts(label, expected):
    assert label_verdict(label, ("answer1", "answer2"), ("answer1", "answer2")) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Much better", 1.0),
        ("Significantly better", 1.0),
        ("Slightly better", 0.0),
        ("Better", 0.5),
        ("Tie", None),
    ],
)
def test_choice_texts_read_as_strength(label, expected):
    assert strength_of_label(label) == expected


def test_strength_choices_config():
    xml = """<View><Text name="prompt" value="$prompt"/>
      <Pairwise name="comparison" toName="answer1,answer2"/>
      <Text name="answer1" value="$answer1"/><Text name="answer2" value="$answer2"/>
      <Choices name="how" toName="prompt"><Choice value="Slightly better"/><Choice value="Much better"/></Choices>
    </View>"""
    config = labelconfig.parse(xml)
    much = {"from_name": "how", "to_name": "prompt", "type": "choices", "value": {"choices": ["Much better"]}}
    _, _, decision = judge(config, [ann(1, 1, pick("right"), much), ann(2, 2, pick("right"))])
    assert (decision.outcome, decision.margin) == ("answer2", 0.5)  # mean of 1 and 0 (no strength)


# ---------------------------------------------------------------- votes


def test_skips_and_empty_annotations_are_not_votes():
    _, c, d = judge(SEED, [ann(1, 1, pick("left")), ann(2, 2, cancelled=True), ann(3, 3)])
    assert [v.labeler for v in c.votes] == [1]
    assert d.counts == {"answer1": 1, "answer2": 0, "tie": 0, "both_bad": 0} and d.outcome == "answer1"


def test_only_the_newest_annotation_of_a_labeler_counts():
    older, newer = (
        ann(1, 5, pick("left"), updated="2026-01-01"),
        ann(2, 5, pick("right"), updated="2026-01-02"),
    )
    anonymous = [ann(3, None, pick("left")), ann(4, None, pick("left"))]
    assert [a.id for a in newest_per_labeler([newer, older, *anonymous])] == [2, 3, 4]
    _, c, _ = judge(SEED, [older, newer])
    assert [v.verdict for v in c.votes] == ["answer2"]


def test_tie_and_both_bad_choices_override_a_pick():
    _, c, d = judge(
        TIE_STRENGTH,
        [ann(1, 1, pick("left"), verdict("Tie")), ann(2, 2, verdict("Both bad")), ann(3, 3, verdict("Tie"))],
    )
    assert [v.verdict for v in c.votes] == ["tie", "both_bad", "tie"]
    assert (d.outcome, d.agreement, d.margin) == ("tie", 2 / 3, 0.0)


def test_a_choice_naming_an_answer_counts_only_without_a_pick():
    xml = SEED.xml.replace(
        "</View>\n<!--",
        '<Choices name="quick" toName="prompt"><Choice value="B wins"/></Choices></View>\n<!--',
        1,
    )
    config = labelconfig.parse(xml)
    s = spec(config, Options(choice_map={"B wins": "answer2"}))
    quick = {"from_name": "quick", "to_name": "prompt", "type": "choices", "value": {"choices": ["B wins"]}}
    [c] = comparisons(s, 1, DATA, [ann(1, 1, quick), ann(2, 2, pick("left"), quick)])
    assert [v.verdict for v in c.votes] == ["answer2", "answer1"]


def test_strength_becomes_the_margin():
    # ratings 3 (much) and 2 on a 1..3 scale: strengths 1 and 0.5; the losing vote's 1 is ignored
    _, _, d = judge(
        TIE_STRENGTH,
        [
            ann(1, 1, pick("right"), rating(3)),
            ann(2, 2, pick("right"), rating(2)),
            ann(3, 3, pick("left"), rating(3)),
        ],
    )
    assert (d.outcome, d.margin) == ("answer2", 0.75)
    _, _, d = judge(TIE_STRENGTH, [ann(1, 1, pick("left"), rating(1))])
    assert d.margin == 0.0


def test_shown_first_comes_from_the_recorded_order():
    annotations = [
        ann(1, 1, pick("left"), shown=["answer2", "answer1"]),
        ann(2, 2, pick("left"), shown=["answer1", "answer2"]),
        ann(3, 3, pick("left")),
    ]
    _, c, _ = judge(SEED, annotations, randomized=True)
    assert [v.shown_first for v in c.votes] == ["answer2", "answer1", None]  # unknown under randomizing
    _, c, _ = judge(SEED, annotations, randomized=False)
    assert [v.shown_first for v in c.votes] == ["answer2", "answer1", "answer1"]  # left is shown first


def test_ranker_gives_every_implied_pair():
    s = spec(RANKER)
    assert (s.ranker, s.items_key, s.prompt_key) == ("rank", "items", "prompt")
    items = [{"id": "a", "body": "A"}, {"id": "b", "body": "B", "model": "m2"}, {"id": "c", "body": "C"}]
    ranked = {
        "from_name": "rank",
        "to_name": "answers",
        "type": "ranker",
        "value": {"ranker": {"rank": ["a", "c", "b"]}},
    }
    partial = {
        "from_name": "rank",
        "to_name": "answers",
        "type": "ranker",
        "value": {"ranker": {"rank": ["c", "a"]}},
    }
    found = comparisons(s, 3, {"prompt": "p", "items": items}, [ann(1, 1, ranked), ann(2, 2, partial)])
    assert [(c.first.id, c.second.id, [v.verdict for v in c.votes]) for c in found] == [
        ("a", "b", ["answer1"]),
        ("a", "c", ["answer1", "answer2"]),
        ("b", "c", ["answer2"]),
    ]
    assert found[0].second.model == "m2" and found[0].first.text == "A"


# ---------------------------------------------------------------- outcomes


def votes(*verdicts):
    return [Vote(n, v) for n, v in enumerate(verdicts)]


@pytest.mark.parametrize(
    ("verdicts", "options", "outcome", "agreement"),
    [
        (("answer1", "answer1", "answer2"), Options(), "answer1", 2 / 3),
        (("answer1", "answer2"), Options(), "no_majority", 0.5),
        (("answer1", "answer1", "answer2", "tie"), Options(), "no_majority", 0.5),  # half is not a majority
        (("answer1", "answer1", "answer2", "tie"), Options(min_agreement=0.5), "answer1", 0.5),
        (("answer1", "answer1", "answer2", "answer2", "tie"), Options(min_agreement=0.2), "no_majority", 0.4),
        (("answer2", "answer2", "answer1"), Options(min_agreement=0.75), "no_majority", 2 / 3),
        (("answer2", "answer2"), Options(min_votes=3), "too_few_votes", 1.0),
        (("both_bad",), Options(), "both_bad", 1.0),
        ((), Options(), "no_votes", None),
    ],
)
def test_outcome_rules(verdicts, options, outcome, agreement):
    decision = decide(votes(*verdicts), options)
    assert decision.outcome == outcome and decision.agreement == agreement
    assert sum(decision.counts.values()) == len(verdicts)


vote_lists = st.lists(
    st.builds(
        Vote,
        labeler=st.integers(0, 50),
        verdict=st.sampled_from(["answer1", "answer2", "tie", "both_bad"]),
        strength=st.one_of(st.none(), st.sampled_from([0.0, 0.5, 1.0])),
        shown_first=st.sampled_from([None, "answer1", "answer2"]),
    ),
    max_size=12,
)
option_sets = st.builds(
    Options,
    min_votes=st.integers(1, 4),
    min_agreement=st.one_of(st.none(), st.sampled_from([0.3, 0.5, 0.6, 2 / 3, 1.0])),
)


@given(vote_lists, option_sets, st.randoms())
def test_vote_order_does_not_matter(vote_list, options, rnd):
    shuffled = list(vote_list)
    rnd.shuffle(shuffled)
    assert decide(shuffled, options, strength=True) == decide(vote_list, options, strength=True)


@given(vote_lists, option_sets)
def test_swapping_the_answers_swaps_the_outcome(vote_list, options):
    straight = decide(vote_list, options, strength=True)
    mirrored = decide([swapped(v) for v in vote_list], options, strength=True)
    flip = {"answer1": "answer2", "answer2": "answer1"}
    assert mirrored.outcome == flip.get(straight.outcome, straight.outcome)
    assert (mirrored.agreement, mirrored.margin) == (straight.agreement, straight.margin)
    assert mirrored.counts["answer1"] == straight.counts["answer2"]


# ---------------------------------------------------------------- rows


def test_preference_row_names_everything():
    data = {**DATA, "model1": "gpt-a", "model2": "gpt-b"}
    annotations = [
        ann(1, 11, pick("right"), rating(3), shown=["answer2", "answer1"]),
        ann(2, 12, pick("right"), shown=["answer1", "answer2"]),
        ann(3, 13, pick("left"), shown=["answer1", "answer2"]),
    ]
    s, c, d = judge(TIE_STRENGTH, annotations, data=data, randomized=True)
    assert preference_row(s, prompt_of(s, data), c, d, Options()) == {
        "prompt": "What is 2 + 2?",
        "chosen": "5",
        "rejected": "4",
        "margin": 0.5,
        "task_id": 7,
        "outcome": "answer2",
        "votes": {"answer1": 1, "answer2": 2, "tie": 0, "both_bad": 0},
        "agreement": 0.666667,
        "chosen_model": "gpt-b",
        "rejected_model": "gpt-a",
        "voters": [
            {"annotator": 11, "vote": "answer2", "shown_first": "answer2"},
            {"annotator": 12, "vote": "answer2", "shown_first": "answer1"},
            {"annotator": 13, "vote": "answer1", "shown_first": "answer1"},
        ],
    }


def test_ties_and_both_bad_stay_out_of_pairs_unless_asked():
    s, c, d = judge(TIE_STRENGTH, [ann(1, 1, verdict("Tie"))])
    assert preference_row(s, "p", c, d, Options()) is None
    row = preference_row(s, "p", c, d, Options(include_ties=True))
    assert (row["chosen"], row["rejected"], row["outcome"], row["margin"]) == ("4", "5", "tie", 0.0)
    s, c, d = judge(TIE_STRENGTH, [ann(1, 1, verdict("Both bad"))])
    assert preference_row(s, "p", c, d, Options(include_ties=True)) is None
    assert preference_row(s, "p", c, d, Options(include_both_bad=True))["outcome"] == "both_bad"


def test_undecided_and_incomplete_comparisons_give_no_rows():
    s, c, d = judge(SEED, [ann(1, 1, pick("left")), ann(2, 2, pick("right"))])
    assert d.outcome == "no_majority" and preference_row(s, "p", c, d, Options()) is None
    s, c, d = judge(SEED, [ann(1, 1, pick("left"))], data={"prompt": "p", "answer1": "a"})
    assert preference_row(s, "p", c, d, Options()) is None and kto_rows(s, "p", c, d) == []
    s, c, d = judge(SEED, [ann(1, 1, pick("left"))])
    assert preference_row(s, None, c, d, Options()) is None


def test_kto_rows():
    s, c, d = judge(TIE_STRENGTH, [ann(1, 1, pick("right"))])
    rows = kto_rows(s, "p", c, d)
    assert [(r["completion"], r["label"], r["answer"]) for r in rows] == [
        ("4", False, "answer1"),
        ("5", True, "answer2"),
    ]
    s, c, d = judge(TIE_STRENGTH, [ann(1, 1, verdict("Both bad"))])
    assert [r["label"] for r in kto_rows(s, "p", c, d)] == [False, False]
    s, c, d = judge(TIE_STRENGTH, [ann(1, 1, verdict("Tie"))])
    assert kto_rows(s, "p", c, d) == []


def test_chat_prompts_give_the_conversational_form():
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2?"}]
    data = {"prompt": chat, "answer1": "4", "answer2": "5"}
    s, c, d = judge(SEED, [ann(1, 1, pick("left"))], data=data)
    row = preference_row(s, prompt_of(s, data), c, d, Options())
    assert row["prompt"] == chat
    assert row["chosen"] == [{"role": "assistant", "content": "4"}]
    assert row["rejected"] == [{"role": "assistant", "content": "5"}]
    [good, _] = kto_rows(s, prompt_of(s, data), c, d)
    assert good["completion"] == [{"role": "assistant", "content": "4"}] and good["label"] is True


def test_paragraphs_dialogue_prompt_becomes_messages():
    xml = """<View>
      <Paragraphs name="chat" value="$dialogue" layout="dialogue" nameKey="speaker" textKey="says"/>
      <Pairwise name="comparison" toName="answer1,answer2"/>
      <Text name="answer1" value="$answer1"/><Text name="answer2" value="$answer2"/>
    </View>"""
    s = spec(labelconfig.parse(xml))
    assert (s.prompt_key, s.dialogue) == ("dialogue", ("speaker", "says"))
    dialogue = [
        {"speaker": "Human", "says": "Hi"},
        {"speaker": "bot", "says": "Hello!"},
        {"speaker": "User", "says": "2+2?"},
    ]
    assert prompt_of(s, {"dialogue": dialogue}) == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "2+2?"},
    ]

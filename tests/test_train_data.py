"""Preference-pair reading, splitting and evaluation statistics: pure Python, no torch needed."""

import json

import pytest

from preflab.formats.preferences import split_of
from preflab.train.data import DataError, from_rows, length_baseline, read_jsonl, split_by_prompt
from preflab.train.evaluate import report, wilson


def rows(n_prompts: int, per_prompt: int = 2) -> list[dict]:
    return [
        {"prompt": f"question {p}", "chosen": f"right {p}.{k}", "rejected": f"wrong {p}.{k}"}
        for p in range(n_prompts)
        for k in range(per_prompt)
    ]


def test_split_keeps_every_prompt_on_one_side_and_is_stable():
    pairs = from_rows(rows(50, 3)).pairs
    train, evals = split_by_prompt(pairs, 0.2, seed=7)
    assert len(train) + len(evals) == 150
    assert {p.prompt for p in train}.isdisjoint({p.prompt for p in evals})
    assert 4 <= len({p.prompt for p in evals}) <= 18  # about a fifth of 50 prompts
    assert all(split_of(p.prompt, 0.2, 7) == "test" for p in evals)  # the export's rule
    assert all(split_of(p.prompt, 0.2, 7) == "train" for p in train)
    assert split_by_prompt(pairs, 0.2, seed=7) == (train, evals)
    assert split_by_prompt(pairs, 0.2, seed=8)[1] != evals
    assert split_by_prompt(pairs, 0.0, seed=7) == (pairs, [])


def test_reads_text_and_conversational_rows_and_drops_empty_ones(tmp_path):
    path = tmp_path / "prefs.jsonl"
    lines = [
        {
            "prompt": "2+2?",
            "chosen": "4",
            "rejected": "5",
            "margin": 1.5,
            "agreement": 1.0,
            "task_id": 3,
            "votes": {"chosen": 2},
        },
        {
            "prompt": [{"role": "user", "content": "hi"}],
            "chosen": [{"role": "assistant", "content": "hello"}],
            "rejected": [{"role": "assistant", "content": "go away"}],
        },
        # implicit prompt: the shared leading messages
        {
            "chosen": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "good"}],
            "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "bad"}],
        },
        {"prompt": "same", "chosen": "x", "rejected": "x"},
        {"prompt": "empty", "chosen": "", "rejected": "y"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n\n")
    loaded = read_jsonl(path)
    assert loaded.dropped == 2
    first, chat, implicit = loaded.pairs
    assert (first.margin, first.agreement, first.task_id, first.extra) == (
        1.5,
        1.0,
        3,
        {"votes": {"chosen": 2}},
    )
    assert chat.chosen == [{"role": "assistant", "content": "hello"}]
    assert implicit.prompt == [{"role": "user", "content": "q"}]
    assert implicit.rejected == [{"role": "assistant", "content": "bad"}]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"prompt": "p", "chosen": "a"}', "line 2: missing 'rejected'"),
        ("not json", "line 2: not JSON"),
        ('{"chosen": "a", "rejected": "b"}', "line 2: 'prompt' is missing"),
        ('{"prompt": "p", "chosen": 3, "rejected": "b"}', "line 2: 'chosen' must be"),
        ('{"prompt": "p", "chosen": "a", "rejected": "b", "margin": "big"}', "line 2: 'margin' must be"),
        (
            '{"prompt": "p", "chosen": "a", "rejected": "b", "confidence": 1.5}',
            "line 2: 'confidence' must be",
        ),
        (
            '{"prompt": "p", "chosen": "a", "rejected": "b", "confidence": true}',
            "line 2: 'confidence' must be",
        ),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path, line, message):
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "p", "chosen": "a", "rejected": "b"}\n' + line + "\n")
    with pytest.raises(DataError, match=message) as info:
        read_jsonl(path)
    assert "p.jsonl" in str(info.value)


def test_length_baseline_counts_ties_half():
    pairs = from_rows(
        [
            {"prompt": "p", "chosen": "long answer", "rejected": "short"},
            {"prompt": "p", "chosen": "tiny", "rejected": "much longer"},
            {"prompt": "p", "chosen": "same", "rejected": "size"},
        ]
    ).pairs
    assert length_baseline(pairs) == pytest.approx(0.5)


def test_report_accuracy_interval_agreement_levels_and_calibration():
    pairs = from_rows(
        [
            {"prompt": f"p{i}", "chosen": "aaaa", "rejected": "bbbb", "agreement": 1.0 if i < 8 else 0.6}
            for i in range(10)
        ]
    ).pairs
    rewards = [(3.0, 0.0)] * 7 + [(0.0, 3.0)] + [(0.1, 0.0), (0.0, 0.1)]
    r = report(rewards, pairs)
    assert r["pairs"] == 10 and r["accuracy"] == pytest.approx(0.8)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson(8, 10))
    assert 0.44 < r["ci_low"] < 0.5 and 0.94 < r["ci_high"] < 0.95
    assert r["length_baseline"] == 0.5 and r["chance"] == 0.5
    assert r["by_agreement"]["unanimous"]["pairs"] == 8
    assert r["by_agreement"]["unanimous"]["accuracy"] == pytest.approx(7 / 8)
    assert r["by_agreement"]["split"]["accuracy"] == pytest.approx(0.5)
    top = r["calibration"][-1]  # sigmoid(3) = 0.95: the confident pairs
    assert (top["pairs"], top["win_rate"]) == (8, pytest.approx(7 / 8))
    low = r["calibration"][0]  # sigmoid(0.1) = 0.525: the unsure ones
    assert (low["pairs"], low["win_rate"]) == (2, 0.5)
    assert sum(b["pairs"] for b in r["calibration"]) == 10
    assert 0 < r["ece"] < 0.1


def test_interval_counts_the_pairs_of_one_prompt_as_one_cluster():
    """Ten Ranker tasks of four items (six pairs each): eight rankings all right, two all wrong.
    The 60 pairs are worth ten independent ones, and the interval is Wilson's for ten."""
    pairs = from_rows(
        [
            {"prompt": f"task {t}", "chosen": f"item {a}", "rejected": f"item {b}", "agreement": 1.0}
            for t in range(10)
            for a in range(4)
            for b in range(a + 1, 4)
        ]
    ).pairs
    rewards = [(1.0, 0.0) if p.prompt not in ("task 3", "task 7") else (0.0, 1.0) for p in pairs]
    r = report(rewards, pairs)
    assert (r["pairs"], r["accuracy"]) == (60, pytest.approx(0.8))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx(wilson(8, 10))
    assert r["ci_low"] < wilson(48, 60)[0] - 0.1  # far wider than 60 independent pairs would give
    assert (r["prompts"], r["effective_pairs"]) == (10, pytest.approx(10))
    unanimous = r["by_agreement"]["unanimous"]
    assert (unanimous["ci_low"], unanimous["ci_high"]) == pytest.approx(wilson(8, 10))
    # every ranking right: the pairs of a prompt are taken as alike, ten prompts' worth
    perfect = report([(1.0, 0.0)] * 60, pairs)
    assert (perfect["ci_low"], perfect["ci_high"]) == pytest.approx(wilson(10, 10))

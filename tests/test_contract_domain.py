"""The server's side of the page <-> server contract (tests/contract/): what preflab/domain reads
from the annotation each golden file says the labeling page submits: the JSON_MIN / CSV row, and
for comparisons the vote (verdict, strength, which answer was shown first) or the ranking."""

from __future__ import annotations

import pytest

from preflab.domain import exportrows, labelconfig, preferences
from tests.contract import HERE, KEYS, Case, Contract, load


def test_every_gallery_template_has_a_golden_file():
    assert sorted(p.stem for p in HERE.glob("*.json")) == sorted(KEYS)


def annotation(case: Case, index: int = 1) -> preferences.AnnotationIn:
    result = [{"id": f"r{n}", **item} for n, item in enumerate(case.result)]
    return preferences.AnnotationIn(id=index, labeler=1, result=result, shown_order=case.shown_order)


def row_fields(contract: Contract, case: Case) -> dict:
    config = labelconfig.parse(contract.config)
    stored = annotation(case)
    task = {
        "id": 1,
        "data": contract.task,
        "annotations": [{"id": 1, "result": stored.result, "shown_order": stored.shown_order}],
    }
    [row] = exportrows.rows(task, config)
    return {k: v for k, v in row.items() if k in config.controls}


def comparison_reads(contract: Contract, case: Case) -> dict:
    config = labelconfig.parse(contract.config)
    try:
        spec = preferences.spec(config)
    except preferences.PreferenceConfigError:
        return {}
    randomized = bool(contract.project.get("randomize_order"))
    found = preferences.comparisons(spec, 1, contract.task, [annotation(case)], randomized=randomized)
    if spec.ranker is not None:
        return {
            "ranking": preferences.ranking(spec, annotation(case).result),
            "pairs": [[c.first.id, c.second.id, v.verdict] for c in found for v in c.votes],
        }
    [comparison] = found
    [vote] = comparison.votes
    return {"verdict": vote.verdict, "strength": vote.strength, "shown_first": vote.shown_first}


@pytest.mark.parametrize("key", KEYS)
def test_the_server_reads_what_the_contract_says(key):
    contract = load(key)
    assert contract.cases, f"{key}.json has no case"
    for case in contract.cases:
        reads = {"row": row_fields(contract, case), **comparison_reads(contract, case)}
        assert reads == case.reads, case.name


@pytest.mark.parametrize("key", KEYS)
def test_the_results_are_the_config_s_controls(key):
    """Every result item names a control of the config, with the type the page gives it (the
    tag, lower-cased) and its target: a Pairwise targets itself, as in Label Studio."""
    contract = load(key)
    config = labelconfig.parse(contract.config)
    for case in contract.cases:
        for item in case.result:
            control = config.controls[item["from_name"]]
            assert item["type"] == control.type.lower(), case.name
            target = control.name if control.type == "Pairwise" else ",".join(control.to_name)
            assert item["to_name"] == target, case.name
        pair = config.pairwise()
        assert (case.shown_order is not None) == (pair is not None), case.name
        if pair is not None:
            assert sorted(case.shown_order) == sorted(pair.to_name) and case.shown == case.shown_order


def test_a_changed_contract_is_noticed():
    """The comparison above can fail: the same case read with the pick moved is another vote."""
    contract = load("pairwise-tie-strength")
    case = contract.cases[0]
    moved = [
        dict(item, value={"selected": "left"}) if item["type"] == "pairwise" else item for item in case.result
    ]
    changed = Case(case.name, case.shown, case.actions, moved, case.shown_order, case.reads)
    assert comparison_reads(contract, changed)["verdict"] != case.reads["verdict"]

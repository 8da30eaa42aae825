"""The library API, as a notebook would use it: no server."""

import orjson
import pytest

import preflab
from tests.conftest import PAIRWISE, make_user, pick


def test_import_export_and_stats_without_a_server(settings, store):
    owner = make_user(store, "lib@example.com", "owner")
    a, b = (make_user(store, f"{n}@example.com", "annotator") for n in "ab")
    project = preflab.create_project(store, title="lib", label_config=PAIRWISE, user_id=owner.id)
    items = [
        {
            "data": {"prompt": f"q{i}", "answer1": f"good {i}", "answer2": f"bad {i}"},
            "annotations": [
                {"result": pick("left"), "completed_by": {"email": a.email}},
                {"result": pick("left" if i else "right"), "completed_by": {"email": b.email}},
            ],
        }
        for i in range(3)
    ]
    result = preflab.import_tasks(
        store, project, [preflab.Source(name="items", items=items)], user_id=owner.id
    )
    assert result.task_count == 3 and result.annotation_count == 6
    rows = [
        orjson.loads(line)
        for line in b"".join(preflab.export(store, project, "PREFERENCE_JSONL")).splitlines()
        if line.strip()
    ]
    assert [(r["prompt"], r["chosen"], r["rejected"]) for r in rows] == [
        ("q1", "good 1", "bad 1"),
        ("q2", "good 2", "bad 2"),
    ]  # q0 split 1-1: no strict majority, no pair
    stats = preflab.project_stats(store, project, preflab.Options())
    assert stats["tasks"] == 3 and stats["outcomes"]["answer1"] == 2 and stats["outcomes"]["no_majority"] == 1


def _labeled_project(store):
    owner = make_user(store, "spell@example.com", "owner")
    project = preflab.create_project(store, title="spell", label_config=PAIRWISE, user_id=owner.id)
    items = [
        {
            "data": {"prompt": f"q{i}", "answer1": f"good {i}", "answer2": f"bad {i}"},
            "annotations": [{"result": pick("left")}],
        }
        for i in range(2)
    ]
    preflab.import_tasks(store, project, [preflab.Source(name="items", items=items)], user_id=owner.id)
    return project


def test_export_takes_every_spelling_the_cli_takes(store):
    project = _labeled_project(store)
    for canonical, spellings in {
        "CSV": ["csv", " Csv "],
        "JSON_MIN": ["json-min", "json_min"],
        "PREFERENCE_JSONL": ["preference-jsonl"],
    }.items():
        expected = b"".join(preflab.export(store, project, canonical))
        assert expected.strip()
        for fmt in spellings:
            assert b"".join(preflab.export(store, project, fmt)) == expected, fmt


def test_export_refuses_an_unknown_format_by_name(store):
    project = _labeled_project(store)
    with pytest.raises(preflab.ExportFailed, match="unsupported export format 'XML'"):
        preflab.export(store, project, "xml")


def test_an_empty_selection_exports_no_task(store):
    project = _labeled_project(store)
    assert orjson.loads(b"".join(preflab.export(store, project, "JSON", ids=[]))) == []
    assert b"".join(preflab.export(store, project, "PREFERENCE_JSONL", ids=[])) == b""
    header = b"".join(preflab.export(store, project, "CSV", ids=[]))
    assert header.count(b"\r\n") == 1  # the header row alone
    assert len(orjson.loads(b"".join(preflab.export(store, project, "JSON")))) == 2

"""Gold tasks mixed into each labeler's stream (``gold_rate``): handed out unannounced, answered
like any task, scoring the labeler without counting toward overlap or outcomes; with
``gold_feedback`` a miss is answered with the right answer."""

from __future__ import annotations

import orjson
import pytest

from .conftest import PAIRWISE, Api, make_user, pick


@pytest.fixture
def world(api, client, store):
    """Overlap 2, four tasks; the owner answered tasks 0 and 1 as ground truth (answer1)."""
    pid = api.post(
        "/api/projects", json={"title": "gold", "label_config": PAIRWISE, "maximum_annotations": 2}
    ).json()["id"]
    rows = [{"prompt": f"p{i}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(4)]
    ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    for task_id in ids[:2]:
        body = {"result": pick("left"), "ground_truth": True}
        assert api.post(f"/api/tasks/{task_id}/annotations", json=body).status_code == 201
    labeler = Api(client, make_user(store, "gold-labeler@example.com", "annotator"))
    return pid, ids, labeler


def _next(labeler, pid):
    r = labeler.get(f"/api/projects/{pid}/next")
    assert r.status_code == 200, r.text
    return r.json()


def _counts(api, task_id):
    task = api.get(f"/api/tasks/{task_id}").json()
    return task["total_annotations"], task["is_labeled"]


def test_gold_tasks_come_first_at_rate_one_and_count_toward_nothing(api, world):
    pid, ids, labeler = world
    assert api.patch(f"/api/projects/{pid}", json={"gold_rate": 1.0}).json()["gold_rate"] == 1.0
    before = [_counts(api, t) for t in ids[:2]]
    first = _next(labeler, pid)
    assert first["id"] in ids[:2]
    assert _next(labeler, pid)["id"] == first["id"]  # handed, not answered: the same one again
    r = labeler.post(f"/api/tasks/{first['id']}/annotations", json={"result": pick("right")})  # wrong
    assert r.status_code == 201 and "gold_feedback" not in r.json()  # feedback is off
    second = _next(labeler, pid)
    assert second["id"] in ids[:2] and second["id"] != first["id"]
    assert (
        labeler.post(f"/api/tasks/{second['id']}/annotations", json={"result": pick("left")}).status_code
        == 201
    )
    assert [_counts(api, t) for t in ids[:2]] == before  # no slot taken
    # gold seen: the regular stream
    assert _next(labeler, pid)["id"] == ids[2]

    doc = api.get(f"/api/projects/{pid}/stats").json()
    [row] = [r for r in doc["labelers"] if r["email"] == "gold-labeler@example.com"]
    assert row["gold"] == {"answered": 2, "correct": 1, "accuracy": 0.5}

    exported = [orjson.loads(line) for line in api.get(
        f"/api/projects/{pid}/export", params={"exportType": "PREFERENCE_JSONL", "aggregation": "majority"}
    ).content.splitlines()]  # fmt: skip
    by_task = {row["task_id"]: row for row in exported}
    wrong = by_task[first["id"]]
    assert wrong["gold"] is True and wrong["outcome"] == "answer1"
    assert wrong["votes"] == {
        "answer1": 1,
        "answer2": 0,
        "tie": 0,
        "both_bad": 0,
    }  # the labeler's is not counted
    assert labeler.account.id in [v["annotator"] for v in wrong["voters"]]


def test_without_a_gold_rate_gold_tasks_are_ordinary_tasks(api, world):
    pid, ids, labeler = world
    task = _next(labeler, pid)
    assert task["id"] == ids[0]  # the queue's order: the first open task
    assert (
        labeler.post(f"/api/tasks/{task['id']}/annotations", json={"result": pick("left")}).status_code == 201
    )
    assert _counts(api, ids[0]) == (2, True)  # a vote, taking the second slot


def test_gold_feedback_says_the_right_answer_after_a_miss(api, world):
    pid, _, labeler = world
    api.patch(f"/api/projects/{pid}", json={"gold_rate": 1.0, "gold_feedback": True})
    first = _next(labeler, pid)
    miss = labeler.post(f"/api/tasks/{first['id']}/annotations", json={"result": pick("right")})
    assert miss.json()["gold_feedback"] == {"correct": False, "answer": "answer1"}
    second = _next(labeler, pid)
    hit = labeler.post(f"/api/tasks/{second['id']}/annotations", json={"result": pick("left")})
    assert hit.json()["gold_feedback"] == {"correct": True, "answer": "answer1"}
    regular = _next(labeler, pid)
    plain = labeler.post(f"/api/tasks/{regular['id']}/annotations", json={"result": pick("left")})
    assert "gold_feedback" not in plain.json()


def test_a_gold_rate_outside_zero_to_one_is_refused_and_changes_nothing(api, world):
    pid, _, _ = world
    r = api.patch(f"/api/projects/{pid}", json={"gold_rate": 1.5})
    assert r.status_code == 400
    assert api.get(f"/api/projects/{pid}").json()["gold_rate"] == 0.0

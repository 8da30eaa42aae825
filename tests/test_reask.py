"""Re-asks (``reask_rate``, ``reask_gap``): a task the labeler answered at least ``reask_gap``
hand-outs earlier comes back in the other order, unannounced; the second answer is stored as a
re-ask, adds no vote, and measures the labeler's self-consistency."""

from __future__ import annotations

import orjson
import pytest

from .conftest import PAIRWISE, Api, make_user, pick

FORWARD, REVERSED = ["answer1", "answer2"], ["answer2", "answer1"]


@pytest.fixture
def world(api, client, store):
    """Six tasks, overlap 1, random order, every hand-out followed by a re-ask once two later
    hand-outs have passed."""
    pid = api.post(
        "/api/projects",
        json={"title": "reask", "label_config": PAIRWISE, "randomize_order": True},
    ).json()["id"]
    rows = [{"prompt": f"p{i}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(6)]
    ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    assert api.patch(f"/api/projects/{pid}", json={"reask_rate": 1.0, "reask_gap": 2}).status_code == 200
    return pid, ids, Api(client, make_user(store, "reasked@example.com", "annotator"))


def _next(labeler, pid):
    r = labeler.get(f"/api/projects/{pid}/next")
    assert r.status_code == 200, r.text
    return r.json()


def _answer(labeler, task, side):
    body = {"result": pick(side), "shown_order": task["shown_order"]}
    r = labeler.post(f"/api/tasks/{task['id']}/annotations", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_a_reask_comes_back_swapped_adds_no_vote_and_scores_consistency(api, world):
    pid, _, labeler = world
    first = _next(labeler, pid)
    _answer(labeler, first, "left")  # answer1
    second = _next(labeler, pid)
    _answer(labeler, second, "right")
    third = _next(labeler, pid)
    _answer(labeler, third, "left")
    # two hand-outs after the first: it comes back, in the other order
    again = _next(labeler, pid)
    assert again["id"] == first["id"]
    assert again["shown_order"] == list(reversed(first["shown_order"]))
    assert _next(labeler, pid)["id"] == first["id"]  # handed, not answered: the same again
    before = api.get(f"/api/tasks/{first['id']}").json()
    _answer(labeler, again, "left")  # the same verdict (answer1), whatever side it is on now
    after = api.get(f"/api/tasks/{first['id']}").json()
    assert (after["total_annotations"], after["is_labeled"]) == (
        before["total_annotations"],
        before["is_labeled"],
    )
    # a second answer to the re-ask is refused and changes nothing
    r = labeler.post(f"/api/tasks/{first['id']}/annotations", json={"result": pick("right")})
    assert r.status_code == 409
    assert len(api.get(f"/api/tasks/{first['id']}/annotations").json()) == 2

    # the vote can still be changed in the order it was first shown in
    [vote] = [
        a
        for a in api.get(f"/api/tasks/{first['id']}/annotations").json()
        if a["shown_order"] == first["shown_order"]
    ]
    changed = labeler.patch(
        f"/api/annotations/{vote['id']}", json={"result": pick("left"), "shown_order": first["shown_order"]}
    )
    assert changed.status_code == 200, changed.text

    # the second task comes back next; answered the other way this time
    again = _next(labeler, pid)
    assert again["id"] == second["id"]
    _answer(labeler, again, "left")

    doc = api.get(f"/api/projects/{pid}/stats").json()
    [row] = doc["labelers"]
    assert row["self_consistency"] == {"reasked": 2, "consistent": 1, "rate": 0.5}
    exported = [
        orjson.loads(line)
        for line in api.get(
            f"/api/projects/{pid}/export",
            params={"exportType": "PREFERENCE_JSONL", "aggregation": "majority"},
        ).content.splitlines()
    ]
    by_task = {row["task_id"]: row for row in exported}
    assert by_task[first["id"]]["votes"]["answer1"] == 1 and len(by_task[first["id"]]["voters"]) == 1
    assert by_task[second["id"]]["outcome"] == "answer2"  # the vote, not the re-ask


def test_no_reask_before_the_gap_or_without_a_rate(api, world):
    pid, _, labeler = world
    handed = []
    for _ in range(2):
        task = _next(labeler, pid)
        handed.append(task["id"])
        _answer(labeler, task, "left")
    assert _next(labeler, pid)["id"] not in handed  # only one hand-out since the first: too soon
    api.patch(f"/api/projects/{pid}", json={"reask_rate": 0})
    seen = set(handed)
    for _ in range(3):
        task = _next(labeler, pid)
        assert task["id"] not in seen
        seen.add(task["id"])
        _answer(labeler, task, "left")


def test_a_reask_rate_outside_zero_to_one_or_a_gap_below_one_is_refused(api, world):
    pid, _, _ = world
    for body in ({"reask_rate": -0.1}, {"reask_gap": 0}):
        assert api.patch(f"/api/projects/{pid}", json=body).status_code == 400
    project = api.get(f"/api/projects/{pid}").json()
    assert (project["reask_rate"], project["reask_gap"]) == (1.0, 2)

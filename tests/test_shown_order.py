"""The answer order, decided by the server and counterbalanced (preflab.domain.ordering): /next
hands each labeler a task with the order they must see, balanced across the task's labelers and
each labeler's tasks; every task payload they get carries it; an answer that contradicts it is
refused and changes nothing."""

from __future__ import annotations

import pytest

from preflab.domain.ordering import Orders, choose_reversed, reading, shown_order

from .conftest import PAIRWISE, Api, make_user, pick, seed_tasks

FORWARD, REVERSED = ["answer1", "answer2"], ["answer2", "answer1"]


def never() -> bool:
    raise AssertionError("no coin flip needed")


def test_the_order_fewer_of_the_tasks_labelers_saw_then_the_labelers_own_balance():
    assert choose_reversed(Orders(1, 0), Orders(0, 9), never) is True
    assert choose_reversed(Orders(0, 1), Orders(9, 0), never) is False
    assert choose_reversed(Orders(1, 1), Orders(3, 2), never) is True
    assert choose_reversed(Orders(0, 0), Orders(2, 3), never) is False
    assert choose_reversed(Orders(2, 2), Orders(4, 4), lambda: True) is True
    assert shown_order(("a", "b"), True) == ["b", "a"]


def test_a_recorded_order_is_read_by_name_or_data_key():
    assert reading(["b", "a"], ("a", "b")) is True
    assert reading(["a", "b"], ("a", "b")) is False
    assert reading(["k2", "k1"], ("a", "b"), ("k1", "k2")) is True
    assert reading(["x", "a"], ("a", "b")) is None
    assert reading(None, ("a", "b")) is None


@pytest.fixture
def world(api, client, store):
    """A randomizing project, overlap 2, 20 tasks; two labelers who are members."""
    pid = api.post(
        "/api/projects",
        json={"title": "order", "label_config": PAIRWISE, "randomize_order": True, "maximum_annotations": 2},
    ).json()["id"]
    ids = api.post(f"/api/projects/{pid}/import", json=seed_tasks(20)).json()["task_ids"]
    labelers = []
    for n in range(2):
        account = make_user(store, f"order{n}@example.com", "annotator")
        api.post(f"/api/projects/{pid}/members", json={"user": account.id})
        labelers.append(Api(client, account))
    return pid, ids, labelers


def _next(labeler, pid) -> dict:
    r = labeler.get(f"/api/projects/{pid}/next")
    assert r.status_code == 200, r.text
    return r.json()


def test_two_labelers_of_a_task_see_opposite_orders_and_keep_theirs(world):
    pid, _, (first, second) = world
    a, b = _next(first, pid), _next(second, pid)
    assert a["id"] == b["id"]  # the queue hands both the first task (two slots)
    assert {tuple(a["shown_order"]), tuple(b["shown_order"])} == {tuple(FORWARD), tuple(REVERSED)}
    assert _next(first, pid)["shown_order"] == a["shown_order"]  # asking again: the same order
    assert first.get(f"/api/tasks/{a['id']}").json()["shown_order"] == a["shown_order"]


def test_each_labelers_tasks_are_balanced(world):
    pid, ids, (labeler, _) = world
    orders = []
    for _ in ids:
        task = _next(labeler, pid)
        orders.append(tuple(task["shown_order"]))
        body = {"result": pick("left"), "shown_order": task["shown_order"]}
        assert labeler.post(f"/api/tasks/{task['id']}/annotations", json=body).status_code == 201
    assert orders.count(tuple(FORWARD)) == orders.count(tuple(REVERSED)) == len(ids) // 2


def _answers(api, task_id):
    return [
        (a["completed_by"], a["shown_order"]) for a in api.get(f"/api/tasks/{task_id}/annotations").json()
    ]


def test_an_answer_contradicting_the_order_handed_out_is_refused_and_saves_nothing(api, world):
    pid, _, (labeler, _) = world
    task = _next(labeler, pid)
    other = REVERSED if task["shown_order"] == FORWARD else FORWARD
    r = labeler.post(
        f"/api/tasks/{task['id']}/annotations", json={"result": pick("left"), "shown_order": other}
    )
    assert r.status_code == 409 and "shown_order" in r.json()["detail"]
    assert _answers(api, task["id"]) == []
    assert api.get(f"/api/tasks/{task['id']}").json()["total_annotations"] == 0
    # without an order, the answer records the one handed out
    r = labeler.post(f"/api/tasks/{task['id']}/annotations", json={"result": pick("left")})
    assert r.status_code == 201, r.text
    assert _answers(api, task["id"]) == [(labeler.account.id, task["shown_order"])]
    # nor may a change claim the other order
    changed = labeler.patch(
        f"/api/annotations/{r.json()['id']}", json={"shown_order": other, "result": pick("right")}
    )
    assert changed.status_code == 409
    [stored] = api.get(f"/api/tasks/{task['id']}/annotations").json()
    assert (stored["shown_order"], stored["result"][0]["value"]) == (
        task["shown_order"],
        {"selected": "left"},
    )


def test_a_project_that_keeps_the_order_hands_out_none(api, client, store):
    pid = api.post("/api/projects", json={"title": "fixed", "label_config": PAIRWISE}).json()["id"]
    api.post(f"/api/projects/{pid}/import", json=seed_tasks(1))
    account = make_user(store, "fixed@example.com", "annotator")
    api.post(f"/api/projects/{pid}/members", json={"user": account.id})
    labeler = Api(client, account)
    task = _next(labeler, pid)
    assert task["shown_order"] is None
    body = {"result": pick("left"), "shown_order": REVERSED}  # recorded as the client says
    assert labeler.post(f"/api/tasks/{task['id']}/annotations", json=body).status_code == 201
    assert _answers(api, task["id"]) == [(account.id, REVERSED)]

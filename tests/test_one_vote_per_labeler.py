"""Each labeler counts once per task: a labeler on two devices (or two API clients) cannot fill two
overlap slots, counters count labelers, and a submit or a claim follows the project's rules as
they are under the write's lock, not as they were read before a concurrent settings change."""

from __future__ import annotations

import pytest

from preflab.services import annotations as annotation_service
from preflab.services import projects as project_service
from preflab.store import projects as project_store

from .conftest import PG_URL, Api, make_user, pick, seed_tasks


def _task(api, project: int) -> int:
    r = api.post(f"/api/projects/{project}/import", json=seed_tasks(1))
    assert r.status_code == 201, r.text
    return r.json()["task_ids"][0]


def _state(api, tid: int) -> tuple:
    task = api.get(f"/api/tasks/{tid}").json()
    votes = [(a["completed_by"], a["was_cancelled"]) for a in api.get(f"/api/tasks/{tid}/annotations").json()]
    return task["total_annotations"], task["cancelled_annotations"], task["is_labeled"], votes


def test_one_labeler_on_two_devices_fills_one_slot(client, store, api, project):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    tid = _task(api, project)
    labeler = make_user(store, "two-devices@example.com", "annotator")
    api.post(f"/api/projects/{project}/members", json={"user": labeler.id})
    laptop, phone = Api(client, labeler), Api(client, labeler)
    assert laptop.get(f"/api/projects/{project}/next").json()["id"] == tid
    assert phone.get(f"/api/projects/{project}/next").json()["id"] == tid  # the same live claim

    first = laptop.post(
        f"/api/tasks/{tid}/annotations", json={"result": pick("left"), "unique_id": "laptop-1"}
    )
    assert first.status_code == 201, first.text
    before = _state(api, tid)
    second = phone.post(
        f"/api/tasks/{tid}/annotations", json={"result": pick("right"), "unique_id": "phone-1"}
    )
    assert second.status_code == 409
    assert second.json()["annotation"] == first.json()["id"]
    assert "PATCH /api/annotations/" in second.json()["detail"]
    assert _state(api, tid) == before == (1, 0, False, [(labeler.id, False)])
    # the task still waits for a second labeler, and the first labeler is not offered it again
    assert laptop.get(f"/api/projects/{project}/next").status_code == 404
    other = Api(client, make_user(store, "second@example.com", "annotator"))
    api.post(f"/api/projects/{project}/members", json={"user": other.account.id})
    assert other.get(f"/api/projects/{project}/next").json()["id"] == tid
    # a retry of the first submit (same unique_id) is still a replay, not a conflict
    again = laptop.post(
        f"/api/tasks/{tid}/annotations", json={"result": pick("left"), "unique_id": "laptop-1"}
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"


def test_a_skip_after_an_answer_is_refused_and_an_answer_after_a_skip_is_taken(api, project):
    api.patch(f"/api/projects/{project}", json={"skip_queue": "REQUEUE_FOR_ME"})
    answered, skipped = _task(api, project), _task(api, project)
    assert api.post(f"/api/tasks/{answered}/annotations", json={"result": pick()}).status_code == 201
    before = _state(api, answered)
    r = api.post(f"/api/tasks/{answered}/annotations", json={"result": [], "was_cancelled": True})
    assert r.status_code == 409
    assert _state(api, answered) == before
    assert (
        api.post(f"/api/tasks/{skipped}/annotations", json={"result": [], "was_cancelled": True}).status_code
        == 201
    )
    assert _state(api, skipped)[:3] == (0, 1, False)
    assert api.post(f"/api/tasks/{skipped}/annotations", json={"result": pick()}).status_code == 201
    assert _state(api, skipped)[:3] == (1, 0, True)  # counted once, by the newest: an answer


def test_counters_count_labelers_not_annotations(client, store, api, project):
    """Two annotations of one labeler on a task (from an import) count once, by the newest, as the
    exports count them."""
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    make_user(store, "known@example.com", "annotator")
    author = {"id": 5, "email": "known@example.com"}
    task = {
        "data": seed_tasks(1)[0],
        "annotations": [
            {"result": pick("left"), "completed_by": author, "updated_at": "2026-01-01T00:00:00Z"},
            {"result": pick("right"), "completed_by": author, "updated_at": "2026-01-02T00:00:00Z"},
        ],
    }
    r = api.post(f"/api/projects/{project}/import", json=[task])
    assert r.status_code == 201, r.text
    tid = r.json()["task_ids"][0]
    imported = api.get(f"/api/tasks/{tid}").json()
    assert (imported["total_annotations"], imported["is_labeled"], imported["agreement"]) == (1, False, None)
    # and after any change the stored counters are the same (one rule, import and submit)
    second = api.get(f"/api/tasks/{tid}/annotations").json()[1]["id"]
    api.patch(f"/api/annotations/{second}", json={"result": pick("right")})
    assert api.get(f"/api/tasks/{tid}").json()["total_annotations"] == 1


def _commit_meanwhile(store, project: int, **fields):
    """A settings change that another server process commits right after the handler read the
    project (PostgreSQL: the handler's transaction holds no lock yet)."""
    with store.write() as conn:
        project_store.update_fields(conn, project, **fields)


@pytest.mark.skipif(not PG_URL, reason="on SQLite the write transaction holds the database from its start")
def test_a_submit_follows_an_overlap_changed_after_the_handler_read_the_project(
    api, project, store, monkeypatch
):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 3})
    tid = _task(api, project)
    read = annotation_service.visible_task

    def read_then_change(conn, user, task_id, **kw):
        found = read(conn, user, task_id, **kw)
        _commit_meanwhile(store, project, maximum_annotations=1)
        return found

    monkeypatch.setattr(annotation_service, "visible_task", read_then_change)
    assert api.post(f"/api/tasks/{tid}/annotations", json={"result": pick()}).status_code == 201
    assert api.get(f"/api/tasks/{tid}").json()["is_labeled"] is True  # one vote is all it needs now


@pytest.mark.skipif(not PG_URL, reason="on SQLite the write transaction holds the database from its start")
def test_next_follows_an_overlap_changed_after_the_handler_read_the_project(
    client, api, project, store, monkeypatch
):
    tid = _task(api, project)
    assert api.post(f"/api/tasks/{tid}/annotations", json={"result": pick()}).status_code == 201
    labeler = Api(client, make_user(store, "late@example.com", "annotator"))
    api.post(f"/api/projects/{project}/members", json={"user": labeler.account.id})
    read = project_service.project_for

    def read_then_change(conn, user, project_id, **kw):
        found = read(conn, user, project_id, **kw)
        if not kw:  # the /next handler's read
            _commit_meanwhile(store, project, maximum_annotations=2)
        return found

    monkeypatch.setattr(project_service, "project_for", read_then_change)
    r = labeler.get(f"/api/projects/{project}/next")
    assert r.status_code == 200, r.text  # the task has a second slot now
    assert r.json()["id"] == tid

"""The task, annotation, prediction, draft, user and Data Manager services called directly, as the
CLI and the library call them: each refusal raises the service error the API maps to its status,
and leaves every row as it was."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from preflab.services import annotations, datamanager, drafts, predictions, tasks, users
from preflab.services.datamanager import Selected
from preflab.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from preflab.services.predictions import NewPrediction
from preflab.store import users as user_store
from tests.conftest import PAIRWISE, make_user, pick, seed_tasks
from tests.test_fuzz_api import fingerprint


@dataclass
class Project:
    id: int
    tasks: list[int]
    annotation: int  # the owner's, on tasks[0]
    draft: int  # the annotator's, on tasks[1]
    view: int
    owner: object
    manager: object
    annotator: object


def _row(store, account):
    with store.read() as conn:
        return user_store.get(conn, account.id)


@pytest.fixture
def world(api, client, store, owner) -> Project:
    annotator = make_user(store, "annotator@example.com", "annotator")
    manager = make_user(store, "manager@example.com", "manager")
    project = api.post("/api/projects", json={"title": "service", "label_config": PAIRWISE}).json()["id"]
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    annotation = api.post(f"/api/tasks/{ids[0]}/annotations", json={"result": pick()}).json()["id"]
    draft = client.post(f"/api/tasks/{ids[1]}/drafts", json={"result": pick()}, headers=annotator.headers)
    view = api.post("/api/dm/views", json={"project": project, "data": {"title": "all"}}).json()["id"]
    rows = (_row(store, a) for a in (owner, manager, annotator))
    return Project(project, ids, annotation, draft.json()["id"], view, *rows)


def _refused(store, error, call, *args, **kwargs):
    """``call`` raises ``error`` and changes nothing; returns the error."""
    before = fingerprint(store)
    with pytest.raises(error) as raised:
        call(store, *args, **kwargs)
    assert fingerprint(store) == before
    return raised.value


def test_task_changes_are_for_managers(store, world):
    _refused(
        store, Forbidden, tasks.update_task, world.annotator, world.tasks[0], data={"prompt": "x"}, meta=None
    )
    _refused(store, Forbidden, tasks.delete_task, world.annotator, world.tasks[0])
    _refused(store, Forbidden, tasks.delete_project_tasks, world.annotator, world.id)
    _refused(store, Forbidden, tasks.create_task, world.annotator, world.id, {"prompt": "p"}, {})
    assert tasks.get_task(store, world.annotator, world.tasks[0]).annotations == []  # blind: not theirs


def test_a_task_needs_a_project_and_a_listing_a_project_or_view(store, world):
    error = _refused(store, Invalid, tasks.create_task, world.owner, None, {"prompt": "p"}, {})
    assert error.field == "project"
    error = _refused(store, ServiceError, tasks.list_tasks, world.owner, tasks.TaskQuery())
    assert error.message == "query parameter project (or view) is required"
    other = tasks.create_task(
        store, world.owner, world.id, {"prompt": "p", "answer1": "a", "answer2": "b"}, {}
    )
    assert other.task["project_id"] == world.id
    query = tasks.TaskQuery(project=world.id + 1, view=world.view)
    assert (
        _refused(store, NotFound, tasks.list_tasks, world.owner, query).message
        == "No view matches the given query."
    )


def test_the_listing_pages_and_refuses_a_page_past_the_last(store, world):
    first = tasks.list_tasks(store, world.owner, tasks.TaskQuery(project=world.id, page_size=1))
    assert (first.total, first.ids, first.total_annotations) == (2, [world.tasks[0]], 1)
    assert [t.task["id"] for t in first.tasks] == [world.tasks[0]]
    only_ids = tasks.list_tasks(store, world.owner, tasks.TaskQuery(project=world.id, only_ids=True))
    assert (only_ids.ids, only_ids.tasks) == (world.tasks, None)
    error = _refused(store, NotFound, tasks.project_tasks, world.owner, world.id, 3, 1)
    assert error.message == "Invalid page."


def test_annotation_refusals_change_nothing(store, world):
    error = _refused(
        store,
        Forbidden,
        annotations.create,
        world.annotator,
        world.tasks[1],
        result=pick(),
        ground_truth=True,
    )
    assert error.message == "Only managers may mark ground truth."
    error = _refused(
        store, Conflict, annotations.create, world.owner, world.tasks[1], result=pick(), task_inner_id=99
    )
    assert "nothing was saved" in error.message
    _refused(
        store,
        Forbidden,
        annotations.create,
        world.annotator,
        world.tasks[1],
        result=pick(),
        completed_by=world.owner["id"],
    )
    _refused(
        store, Invalid, annotations.create, world.owner, world.tasks[1], result=pick(), completed_by=10**6
    )
    with pytest.raises(annotations.AlreadyAnswered):
        annotations.create(store, world.owner, world.tasks[0], result=pick("right"))
    _refused(store, NotFound, annotations.get, world.annotator, world.annotation)  # not theirs


def test_an_annotation_changed_since_it_was_read_is_not_overwritten(store, world):
    shown = annotations.get(store, world.owner, world.annotation)
    tag = annotations.etag(shown.annotation)
    changed = annotations.update(store, world.owner, world.annotation, tag, {"result": pick("right")})
    assert annotations.etag(changed.annotation) != tag
    error = _refused(
        store, annotations.Changed, annotations.update, world.owner, world.annotation, tag, {"lead_time": 1}
    )
    assert error.status == 412
    _refused(
        store, annotations.Changed, annotations.delete, world.owner, world.annotation, f'W/{tag}, "other"'
    )
    _refused(store, NotFound, annotations.delete, world.annotator, world.annotation, "*")  # not theirs
    own = annotations.create(store, world.annotator, world.tasks[1], result=pick())
    _refused(
        store, Forbidden, annotations.delete, world.annotator, own.annotation["id"], None
    )  # managers delete
    annotations.delete(store, world.owner, world.annotation, annotations.etag(changed.annotation))
    _refused(store, NotFound, annotations.get, world.owner, world.annotation)


def test_predictions_are_all_or_nothing_and_for_managers(store, world):
    items = [NewPrediction(world.tasks[0], pick()), NewPrediction(10**6, pick())]
    error = _refused(store, Invalid, predictions.import_many, world.owner, world.id, items)
    assert error.field == "[1].task"
    bad = [NewPrediction(world.tasks[0], {"comparison": "sideways"})]
    assert _refused(store, Invalid, predictions.import_many, world.owner, world.id, bad).field == "result"
    _refused(store, Forbidden, predictions.create, world.annotator, NewPrediction(world.tasks[0], pick()))
    _refused(store, ServiceError, predictions.listed, world.owner)
    assert (
        predictions.import_many(
            store, world.owner, world.id, [NewPrediction(world.tasks[0], {"comparison": "left"})]
        )
        == 1
    )
    assert predictions.model_versions(store, world.owner, world.id) == {"": 1}


def test_a_draft_is_its_authors_only(store, world):
    _refused(store, NotFound, drafts.update, world.owner, world.draft, {"lead_time": 3})
    _refused(store, NotFound, drafts.delete, world.manager, world.draft)
    _refused(
        store,
        NotFound,
        drafts.create,
        world.annotator,
        world.tasks[0],
        result=pick(),
        annotation_id=world.annotation,
    )
    assert drafts.get(store, world.annotator, world.draft)["id"] == world.draft


def test_users_are_managed_by_owners(store, world):
    _refused(store, Forbidden, users.update, world.manager, world.annotator["id"], {"first_name": "X"})
    _refused(store, Forbidden, users.update, world.annotator, world.annotator["id"], {"role": "owner"})
    _refused(store, Forbidden, users.create, world.manager, "new@example.com")
    _refused(store, NotFound, users.update, world.owner, 10**6, {"first_name": "X"})
    assert (
        users.update(store, world.annotator, world.annotator["id"], {"first_name": "Ann"})["first_name"]
        == "Ann"
    )


def test_data_manager_actions_refuse_before_they_change_anything(api, store, world):
    every = Selected(all=True)
    error = _refused(
        store, ServiceError, datamanager.run_action, world.owner, "nope", world.id, every, lock_ttl=60
    )
    assert error.message.startswith("unsupported action 'nope'; supported: next_task, delete_tasks")
    for action in ("delete_tasks", "delete_tasks_annotations", "delete_tasks_predictions"):
        _refused(
            store, Forbidden, datamanager.run_action, world.annotator, action, world.id, every, lock_ttl=60
        )
    other = api.post("/api/projects", json={"title": "other", "label_config": PAIRWISE}).json()["id"]
    error = _refused(
        store,
        NotFound,
        datamanager.run_action,
        world.owner,
        "delete_tasks",
        other,
        every,
        view_id=world.view,
        lock_ttl=60,
    )
    assert error.message == "No view matches the given query."
    _refused(
        store,
        Invalid,
        datamanager.create_view,
        world.owner,
        world.id,
        {"filters": {"items": [{"filter": "x"}]}},
        None,
    )
    done = datamanager.run_action(
        store, world.owner, "delete_tasks_annotations", world.id, every, lock_ttl=60
    )
    assert done == datamanager.Done(1, "Deleted 1 annotations")
    claimed = datamanager.run_action(
        store, world.annotator, "next_task", world.id, Selected(included=[world.tasks[1]]), lock_ttl=60
    )
    assert claimed.task["id"] == world.tasks[1]

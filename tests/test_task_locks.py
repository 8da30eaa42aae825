"""Bulk changes of tasks take the tasks' locks, so a submit half-way on one of them is either
wholly before or wholly after the change (PostgreSQL; SQLite's write transactions are serial)."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy

from preflab.store import annotations as annotation_store
from preflab.store import tasks as task_store

from .conftest import PG_URL, pick, seed_tasks

pytestmark = pytest.mark.skipif(not PG_URL, reason="SQLite's write transactions are serial")


def _wait_until_blocked(store, timeout: float = 20.0) -> None:
    """Until another connection of this database waits for a lock (pg_stat_activity)."""
    query = sqlalchemy.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.engine.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        time.sleep(0.02)
    raise AssertionError("the action never waited for the submit's lock")


def test_delete_annotations_waits_for_a_submit_half_way_and_leaves_exact_counters(api, project, store, owner):
    r = api.post(f"/api/projects/{project}/import", json=seed_tasks(1))
    [tid] = r.json()["task_ids"]
    answers: list = []
    with store.write() as conn:  # a submit, half-way: its annotation written, not yet committed
        annotation_store.create(conn, task_store.get(conn, tid), user_id=owner.id, result=pick())
        action = threading.Thread(
            target=lambda: answers.append(
                api.post(
                    f"/api/dm/actions?id=delete_tasks_annotations&project={project}",
                    json={"selectedItems": {"all": True, "excluded": []}},
                )
            )
        )
        action.start()
        _wait_until_blocked(store)
    action.join(30)
    assert not action.is_alive()
    assert answers[0].status_code == 200, answers[0].text
    task = api.get(f"/api/tasks/{tid}").json()
    stored = api.get(f"/api/tasks/{tid}/annotations").json()
    assert (task["total_annotations"], len(stored)) == (0, 0)  # the submit came first, then the deletion

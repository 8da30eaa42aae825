"""Ids are never reused, on either engine, and migration 0010 (which rebuilds SQLite's tables to
get there) keeps every row and every reference."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select

from preflab.store import schema
from preflab.store import tasks as task_store
from preflab.store.db import MIGRATIONS, Store

from .conftest import PAIRWISE, pick, seed_tasks


def _import(api, project: int, n: int) -> list[int]:
    before = {t["id"] for t in api.get(f"/api/projects/{project}/tasks?page_size=1000").json()}
    r = api.post(f"/api/projects/{project}/import", json=seed_tasks(n))
    assert r.status_code == 201, r.text
    return sorted({t["id"] for t in api.get(f"/api/projects/{project}/tasks?page_size=1000").json()} - before)


def test_a_deleted_tasks_id_is_never_given_to_a_new_task(api, project):
    first = _import(api, project, 3)
    newest = max(first)
    assert api.delete(f"/api/tasks/{newest}").status_code == 204
    second = _import(api, project, 2)
    assert min(second) > newest
    # one task made through the single-task route, after deleting the newest again
    assert api.delete(f"/api/tasks/{max(second)}").status_code == 204
    r = api.post(f"/api/projects/{project}/tasks", json={"data": seed_tasks(1)[0]})
    assert r.status_code == 201, r.text
    assert r.json()["id"] > max(second)


def test_a_deleted_projects_id_and_its_annotations_ids_are_never_reused(api, project):
    task = _import(api, project, 1)[0]
    r = api.post(f"/api/tasks/{task}/annotations", json={"result": pick()})
    assert r.status_code == 201, r.text
    annotation = r.json()["id"]
    assert api.delete(f"/api/annotations/{annotation}").status_code == 204
    r = api.post(f"/api/tasks/{task}/annotations", json={"result": pick()})
    assert r.json()["id"] > annotation
    assert api.delete(f"/api/projects/{project}").status_code == 204
    r = api.post("/api/projects", json={"title": "another", "label_config": PAIRWISE})
    assert r.status_code == 201, r.text
    assert r.json()["id"] > project
    assert _import(api, r.json()["id"], 1)[0] > task


def _new_task(conn, stamp: str, inner_id: int) -> int:
    row = task_store.TaskRow(
        project_id=1,
        inner_id=inner_id,
        data="{}",
        meta="{}",
        file_upload_id=None,
        created_at=stamp,
        updated_at=stamp,
    )
    (task_id,) = task_store.insert_many(conn, [row])
    return task_id


def _alembic() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_migration_0010_keeps_every_row_and_reference_and_then_never_reuses_ids(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    config = _alembic()
    with store.engine.begin() as conn:  # a database as preflab 0009 left it (foreign keys on)
        config.attributes["connection"] = conn
        command.upgrade(config, "0009")
    stamp = "2026-01-01T00:00:00.000000Z"
    with store.write() as conn:
        conn.execute(
            schema.users.insert(),
            [
                dict(
                    id=1,
                    email="a@x",
                    username="",
                    first_name="",
                    last_name="",
                    role="owner",
                    is_active=True,
                    created_at=stamp,
                    last_activity=stamp,
                ),
            ],
        )
        conn.execute(
            schema.projects.insert().values(
                id=1,
                title="p",
                description="",
                label_config=PAIRWISE,
                expert_instruction="",
                show_instruction=False,
                show_skip_button=True,
                enable_empty_annotation=True,
                show_annotation_history=False,
                color="#FFFFFF",
                maximum_annotations=1,
                is_published=False,
                model_version="",
                is_draft=False,
                sampling="Sequential sampling",
                show_collab_predictions=True,
                show_overlap_first=False,
                overlap_cohort_percentage=100,
                min_annotations_to_start_training=0,
                randomize_order=False,
                restricted=False,
                created_by=1,
                created_at=stamp,
                updated_at=stamp,
            )
        )
        for i in (1, 2, 3):
            conn.execute(
                schema.tasks.insert().values(
                    id=i,
                    project_id=1,
                    inner_id=i,
                    data="{}",
                    meta="{}",
                    total_annotations=1,
                    cancelled_annotations=0,
                    total_predictions=0,
                    is_labeled=True,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            conn.execute(
                schema.annotations.insert().values(
                    task_id=i,
                    project_id=1,
                    completed_by=1,
                    result="[]",
                    was_cancelled=False,
                    ground_truth=False,
                    unique_id=f"u{i}",
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
        conn.execute(schema.tasks.delete().where(schema.tasks.c.id == 3))  # cascades to its annotation
    store.migrate()  # to head, through 0010
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(schema.tasks)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(schema.annotations)).scalar_one() == 2
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        indexes = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'").scalars())
        assert {"ix_tasks_queue", "ix_annotations_task_user", "ix_login_failures_key"} <= indexes
    with store.write() as conn:
        conn.execute(schema.tasks.delete().where(schema.tasks.c.id == 2))
        new_id = _new_task(conn, stamp, inner_id=9)
        assert new_id == 3  # past 2 (deleted now), but 3 was deleted before 0010 ran: not remembered
        conn.execute(schema.tasks.delete().where(schema.tasks.c.id == 3))
        after = _new_task(conn, stamp, inner_id=10)
        assert after == 4
    store.close()


@pytest.mark.parametrize(
    "table", ["users", "projects", "tasks", "annotations", "predictions", "exports", "drafts"]
)
def test_every_id_table_is_autoincrement_on_sqlite(store, table):
    if not store.is_sqlite:
        pytest.skip("PostgreSQL sequences never hand out an id twice")
    with store.read() as conn:
        sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).scalar_one()
    assert "AUTOINCREMENT" in sql


def test_an_answer_or_draft_made_for_another_task_is_refused_and_not_stored(api, project):
    [tid] = _import(api, project, 1)
    inner = api.get(f"/api/tasks/{tid}").json()["inner_id"]
    for body in ({"project": project + 1}, {"task_inner_id": inner + 1}):
        r = api.post(f"/api/tasks/{tid}/annotations", json={"result": pick(), **body})
        assert r.status_code == 409 and "nothing was saved" in r.json()["detail"]
        r = api.post(f"/api/tasks/{tid}/drafts", json={"result": pick(), **body})
        assert r.status_code == 409
    task = api.get(f"/api/tasks/{tid}").json()
    assert (task["total_annotations"], task["drafts"], api.get(f"/api/tasks/{tid}/annotations").json()) == (
        0,
        [],
        [],
    )
    made_for = {"project": project, "task_inner_id": inner}
    assert api.post(f"/api/tasks/{tid}/annotations", json={"result": pick(), **made_for}).status_code == 201

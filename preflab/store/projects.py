"""Projects, their members and their counters."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, case, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping

from ..domain.roles import can_see_project
from . import tasks as task_store
from .clock import now
from .schema import annotations, project_members, projects, tasks

_BY_ID = select(projects).where(projects.c.id == bindparam("id"))
_MEMBER = select(project_members.c.user_id).where(
    project_members.c.project_id == bindparam("project"), project_members.c.user_id == bindparam("user")
)

#: Columns a client may set (create or update); everything else is derived.
EDITABLE = tuple(
    c.name for c in projects.columns if c.name not in ("id", "created_by", "created_at", "updated_at")
)


def create(conn: Connection, *, created_by: int | None, **fields) -> int:
    stamp = now()
    values = {k: v for k, v in fields.items() if k in EDITABLE}
    return conn.execute(
        insert(projects).values(created_by=created_by, created_at=stamp, updated_at=stamp, **values)
    ).inserted_primary_key[0]


def get(conn: Connection, project_id: int) -> RowMapping | None:
    return conn.execute(_BY_ID, {"id": project_id}).mappings().first()


def update_fields(conn: Connection, project_id: int, **fields) -> None:
    values = {k: v for k, v in fields.items() if k in EDITABLE}
    conn.execute(update(projects).where(projects.c.id == project_id).values(updated_at=now(), **values))
    if {"maximum_annotations", "overlap_cohort_percentage"} & values.keys():
        project = get(conn, project_id)
        refresh_labeled(
            conn, project_id, project["maximum_annotations"], project["overlap_cohort_percentage"]
        )


def refresh_labeled(conn: Connection, project_id: int, maximum: int, cohort: int = 100) -> None:
    """Recompute every task's ``is_labeled`` after the overlap (or its cohort) changed."""
    labeled = tasks.c.total_annotations >= task_store.overlap(maximum, cohort)
    conn.execute(
        update(tasks)
        .where(tasks.c.project_id == project_id)
        .values(
            is_labeled=labeled,
            completed_at=case((labeled, func.coalesce(tasks.c.completed_at, tasks.c.updated_at)), else_=None),
        )
    )


def delete_project(conn: Connection, project_id: int) -> None:
    conn.execute(delete(projects).where(projects.c.id == project_id))


def visible(conn: Connection, user: RowMapping, ids: list[int] | None = None) -> list[RowMapping]:
    """The projects this user may see (only ``ids`` when given), pinned ones first, newest first."""
    query = select(projects).order_by(projects.c.pinned_at.desc().nulls_last(), projects.c.id.desc())
    if ids is not None:
        query = query.where(projects.c.id.in_(ids))
    rows = conn.execute(query).mappings().all()
    member_of = set(
        conn.execute(
            select(project_members.c.project_id).where(project_members.c.user_id == user["id"])
        ).scalars()
    )
    return [
        p
        for p in rows
        if can_see_project(user["role"], restricted=p["restricted"], is_member=p["id"] in member_of)
    ]


def is_member(conn: Connection, project_id: int, user_id: int) -> bool:
    return conn.execute(_MEMBER, {"project": project_id, "user": user_id}).first() is not None


def members(conn: Connection, project_id: int) -> list[int]:
    query = select(project_members.c.user_id).where(project_members.c.project_id == project_id)
    return list(conn.execute(query.order_by(project_members.c.user_id)).scalars())


def add_member(conn: Connection, project_id: int, user_id: int) -> None:
    if not is_member(conn, project_id, user_id):
        conn.execute(insert(project_members).values(project_id=project_id, user_id=user_id))


def remove_member(conn: Connection, project_id: int, user_id: int) -> None:
    conn.execute(
        delete(project_members).where(
            project_members.c.project_id == project_id, project_members.c.user_id == user_id
        )
    )


def counters(conn: Connection, project_ids: list[int], user_id: int | None = None) -> dict[int, dict]:
    """Task and annotation counts per project, in one query over the tasks' counters."""
    if not project_ids:
        return {}
    t = tasks.c
    query = (
        select(
            t.project_id,
            func.count().label("task_number"),
            func.coalesce(func.sum(case((t.total_annotations > 0, 1), else_=0)), 0).label(
                "num_tasks_with_annotations"
            ),
            func.coalesce(func.sum(case((t.is_labeled, 1), else_=0)), 0).label("finished_task_number"),
            func.coalesce(func.sum(t.total_annotations), 0).label("total_annotations_number"),
            func.coalesce(func.sum(t.cancelled_annotations), 0).label("skipped_annotations_number"),
            func.coalesce(func.sum(t.total_predictions), 0).label("total_predictions_number"),
        )
        .where(t.project_id.in_(project_ids))
        .group_by(t.project_id)
    )
    empty = dict.fromkeys(
        (
            "task_number",
            "num_tasks_with_annotations",
            "finished_task_number",
            "total_annotations_number",
            "skipped_annotations_number",
            "total_predictions_number",
        ),
        0,
    )
    out = {pid: dict(empty) for pid in project_ids}
    for row in conn.execute(query).mappings():
        out[row["project_id"]] = {k: int(v) for k, v in row.items() if k != "project_id"}
    if user_id is not None:
        submitted = func.coalesce(func.sum(case((annotations.c.was_cancelled, 0), else_=1)), 0)
        mine = (
            select(annotations.c.project_id, func.count(), submitted)
            .where(annotations.c.project_id.in_(project_ids), annotations.c.completed_by == user_id)
            .group_by(annotations.c.project_id)
        )
        for pid in project_ids:
            out[pid].update(my_annotations_number=0, my_submitted_number=0)
        for pid, n, done in conn.execute(mine):
            out[pid].update(my_annotations_number=n, my_submitted_number=int(done))
    return out

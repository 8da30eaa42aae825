"""The answer order each labeler was handed a task in (``schema.assignments``)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, case, func, insert, select

from ..domain.ordering import Orders
from .clock import now
from .schema import assignments


def _orders(conn: Connection, *where) -> Orders:
    row = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((assignments.c.reversed.is_(True), 1), else_=0)), 0),
        ).where(*where)
    ).one()
    return Orders(forward=row[0] - row[1], reversed=row[1])


def on_task(conn: Connection, task_id: int) -> Orders:
    """The orders the task's labelers were handed (a handful: the task's overlap)."""
    return _orders(conn, assignments.c.task_id == task_id)


def of_labeler(conn: Connection, project_id: int, user_id: int) -> Orders:
    """The orders the labeler was handed in the project (an index range: their own tasks)."""
    return _orders(conn, assignments.c.project_id == project_id, assignments.c.user_id == user_id)


def reversed_for(conn: Connection, task_ids: Collection[int], user_id: int) -> dict[int, bool]:
    """Whether each of these tasks was handed to the user reversed (tasks never handed: absent)."""
    if not task_ids:
        return {}
    rows = conn.execute(
        select(assignments.c.task_id, assignments.c.reversed).where(
            assignments.c.task_id.in_(list(task_ids)), assignments.c.user_id == user_id
        )
    )
    return {task_id: bool(flipped) for task_id, flipped in rows}


def add(
    conn: Connection, *, task_id: int, user_id: int, project_id: int, reversed: bool, kind: str = "label"
) -> None:
    conn.execute(
        insert(assignments).values(
            task_id=task_id,
            user_id=user_id,
            project_id=project_id,
            reversed=reversed,
            kind=kind,
            created_at=now(),
        )
    )

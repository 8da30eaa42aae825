"""The annotated-task reader: a project's tasks with at least one annotation, with their
annotations' vote columns, batch by batch (keyset paging by task id), and the few counts beside
them, for aggregation and statistics: memory stays flat however large the project. Read-only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select
from sqlalchemy.engine import RowMapping

from .schema import annotations, tasks, users

_ANNOTATION_COLUMNS = (
    annotations.c.id,
    annotations.c.task_id,
    annotations.c.completed_by,
    annotations.c.result,
    annotations.c.was_cancelled,
    annotations.c.ground_truth,
    annotations.c.lead_time,
    annotations.c.shown_order,
    annotations.c.kind,
    annotations.c.created_at,
    annotations.c.updated_at,
)


@dataclass(slots=True)
class AnnotatedTask:
    id: int
    data: str  # JSON text
    annotations: list[RowMapping]  # mappings of _ANNOTATION_COLUMNS, oldest first


def batches(
    conn: Connection, project_id: int, *, ids: Sequence[int] | None = None, size: int = 2000
) -> Iterator[list[AnnotatedTask]]:
    """The tasks with at least one annotation (skips included), in id order."""
    query = (
        select(tasks.c.id, tasks.c.data)
        .where(
            tasks.c.project_id == project_id,
            tasks.c.total_annotations + tasks.c.cancelled_annotations > 0,
        )
        .order_by(tasks.c.id)
        .limit(size)
    )
    if ids is not None:  # an empty list selects no task
        query = query.where(tasks.c.id.in_(list(ids)))
    last = 0
    while True:
        rows = conn.execute(query.where(tasks.c.id > last)).all()
        if not rows:
            return
        batch = {row.id: AnnotatedTask(row.id, row.data, []) for row in rows}
        found = conn.execute(
            select(*_ANNOTATION_COLUMNS)
            .where(
                annotations.c.project_id == project_id,
                annotations.c.task_id >= rows[0].id,
                annotations.c.task_id <= rows[-1].id,
            )
            .order_by(annotations.c.task_id, annotations.c.id)
        ).mappings()
        for row in found:
            task = batch.get(row["task_id"])
            if task is not None:
                task.annotations.append(row)
        yield list(batch.values())
        last = rows[-1].id


def task_counts(conn: Connection, project_id: int) -> tuple[int, int]:
    """(tasks, labeled tasks) of the project, labeled as on the project page."""
    total, labeled = conn.execute(
        select(func.count(), func.coalesce(func.sum(case((tasks.c.is_labeled, 1), else_=0)), 0)).where(
            tasks.c.project_id == project_id
        )
    ).one()
    return int(total), int(labeled)


def has_shown_order(conn: Connection, project_id: int) -> bool:
    """Whether any annotation of the project recorded the answer order it was shown in."""
    query = select(annotations.c.id).where(
        annotations.c.project_id == project_id, annotations.c.shown_order.is_not(None)
    )
    return conn.execute(query.limit(1)).first() is not None


def emails(conn: Connection, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    query = select(users.c.id, users.c.email).where(users.c.id.in_(list(user_ids)))
    return {row.id: row.email for row in conn.execute(query)}

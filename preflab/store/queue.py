"""The labeling queue: which task a labeler gets next.

A task has ``maximum_annotations`` slots. A labeler is offered a task they have not annotated (or
skipped) whose finished annotations plus other labelers' live claims leave a slot open, and the
offer claims that slot for ``ttl`` seconds. Claims are made in a write transaction that holds
the database lock (SQLite) or the project row (PostgreSQL), so two labelers never get the same
last open slot. A labeler who asks again while holding a live claim gets the same task back.
"""

from __future__ import annotations

import random
import time
from collections.abc import Collection

from sqlalchemy import Connection, delete, exists, func, insert, select
from sqlalchemy.engine import RowMapping

from .db import lock_project
from .schema import annotations, task_locks, tasks


def next_task(
    conn: Connection, project: RowMapping, user_id: int, *, ttl: float, keep: Collection[int] = ()
) -> int | None:
    """Claim and return the id of the user's next task, or None when nothing is left for them.

    ``keep`` are tasks the user holds and is still working on (the labeling page prefetches the
    task after the one on screen): those claims stay, and the answer is another task.
    """
    lock_project(conn, project["id"])
    now = time.time()
    keep = set(keep)
    task_id = _held(conn, project["id"], user_id, now, keep)
    if task_id is None:
        start = 0
        if project["sampling"] == "Uniform sampling":
            low, high = conn.execute(
                select(func.min(tasks.c.id), func.max(tasks.c.id)).where(
                    tasks.c.project_id == project["id"], tasks.c.is_labeled.is_(False)
                )
            ).one()
            start = random.randint(low, high) if low is not None else 0
        task_id = _first_open(conn, project, user_id, now, start, keep)
        if task_id is None and start:
            task_id = _first_open(conn, project, user_id, now, 0, keep)
        if task_id is None:
            return None
    conn.execute(
        delete(task_locks).where(
            task_locks.c.user_id == user_id,
            task_locks.c.project_id == project["id"],
            task_locks.c.task_id.not_in(keep),
        )
    )
    conn.execute(
        insert(task_locks).values(
            task_id=task_id, user_id=user_id, project_id=project["id"], expires_at=now + ttl
        )
    )
    return task_id


def release(conn: Connection, project_id: int, user_id: int) -> None:
    conn.execute(
        delete(task_locks).where(task_locks.c.user_id == user_id, task_locks.c.project_id == project_id)
    )


def _held(conn: Connection, project_id: int, user_id: int, now: float, keep: set[int]) -> int | None:
    """A live claim of this user on a task they have not annotated since (other than ``keep``)."""
    query = select(task_locks.c.task_id).where(
        task_locks.c.task_id.not_in(keep),
        task_locks.c.project_id == project_id,
        task_locks.c.user_id == user_id,
        task_locks.c.expires_at > now,
        ~exists().where(annotations.c.task_id == task_locks.c.task_id, annotations.c.completed_by == user_id),
    )
    return conn.execute(query).scalar()


def _first_open(
    conn: Connection, project: RowMapping, user_id: int, now: float, start: int, keep: set[int]
) -> int | None:
    others = (
        select(func.count())
        .select_from(task_locks)
        .where(
            task_locks.c.task_id == tasks.c.id, task_locks.c.user_id != user_id, task_locks.c.expires_at > now
        )
        .scalar_subquery()
    )
    query = (
        select(tasks.c.id)
        .where(
            tasks.c.project_id == project["id"],
            tasks.c.is_labeled.is_(False),
            tasks.c.id >= start,
            tasks.c.id.not_in(keep),
            ~exists().where(annotations.c.task_id == tasks.c.id, annotations.c.completed_by == user_id),
            tasks.c.total_annotations + others < project["maximum_annotations"],
        )
        .order_by(tasks.c.id)
        .limit(1)
    )
    return conn.execute(query).scalar()

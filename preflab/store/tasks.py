"""Tasks: bulk insert, lookup, paging, counters."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, and_, delete, func, select, update
from sqlalchemy.engine import RowMapping

from .clock import now
from .schema import annotations, predictions, tasks


def next_inner_id(conn: Connection, project_id: int) -> int:
    query = select(func.coalesce(func.max(tasks.c.inner_id), 0)).where(tasks.c.project_id == project_id)
    return conn.execute(query).scalar_one() + 1


def insert_many(conn: Connection, columns: Sequence[str], rows: Sequence[tuple]) -> list[int]:
    """Insert task rows (tuples of ``columns``) in one ``executemany``; returns their ids.

    The ids are taken up front (the caller holds the write lock on SQLite; PostgreSQL hands
    them out from the table's sequence), so the rows go in without a RETURNING round trip each.
    """
    if not rows:
        return []
    ids = _allocate_ids(conn, len(rows))
    marks = ", ".join(["%s" if _pg(conn) else "?"] * (len(columns) + 1))
    sql = f"INSERT INTO tasks (id, {', '.join(columns)}) VALUES ({marks})"
    conn.exec_driver_sql(sql, [(i, *row) for i, row in zip(ids, rows, strict=True)])
    return ids


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _allocate_ids(conn: Connection, n: int) -> list[int]:
    if _pg(conn):
        query = "SELECT nextval(pg_get_serial_sequence('tasks', 'id')) FROM generate_series(1, %(n)s)"
        return [row[0] for row in conn.exec_driver_sql(query, {"n": n})]
    start = conn.exec_driver_sql("SELECT coalesce(max(id), 0) + 1 FROM tasks").scalar_one()
    return list(range(start, start + n))


def get(conn: Connection, task_id: int) -> RowMapping | None:
    return conn.execute(select(tasks).where(tasks.c.id == task_id)).mappings().first()


def page(
    conn: Connection,
    project_id: int,
    *,
    page: int,
    page_size: int,
    labeled: bool | None = None,
    ids: Sequence[int] | None = None,
    excluded: Sequence[int] | None = None,
) -> tuple[int, list[RowMapping]]:
    """One page of a project's tasks (by id) and the total that match."""
    where = [tasks.c.project_id == project_id]
    if labeled is not None:
        where.append(tasks.c.is_labeled == labeled)
    if ids is not None:
        where.append(tasks.c.id.in_(list(ids)))
    if excluded:
        where.append(tasks.c.id.not_in(list(excluded)))
    condition = and_(*where)
    total = conn.execute(select(func.count()).select_from(tasks).where(condition)).scalar_one()
    query = (
        select(tasks).where(condition).order_by(tasks.c.id).limit(page_size).offset((page - 1) * page_size)
    )
    return total, list(conn.execute(query).mappings())


def totals(conn: Connection, project_id: int) -> dict:
    query = select(
        func.coalesce(func.sum(tasks.c.total_annotations), 0),
        func.coalesce(func.sum(tasks.c.total_predictions), 0),
    ).where(tasks.c.project_id == project_id)
    total_annotations, total_predictions = conn.execute(query).one()
    return {"total_annotations": int(total_annotations), "total_predictions": int(total_predictions)}


def update_task(
    conn: Connection, task_id: int, *, user_id: int, data: dict | None = None, meta: dict | None = None
) -> None:
    values: dict = {"updated_at": now(), "updated_by": user_id}
    if data is not None:
        values["data"] = orjson.dumps(data).decode()
    if meta is not None:
        values["meta"] = orjson.dumps(meta).decode()
    conn.execute(update(tasks).where(tasks.c.id == task_id).values(**values))


def delete_many(
    conn: Connection, project_id: int, ids: Sequence[int] | None, excluded: Sequence[int] = ()
) -> int:
    """Delete the given tasks (or all but ``excluded`` when ``ids`` is None); returns how many."""
    condition = tasks.c.project_id == project_id
    if ids is not None:
        condition = and_(condition, tasks.c.id.in_(list(ids)))
    if excluded:
        condition = and_(condition, tasks.c.id.not_in(list(excluded)))
    return conn.execute(delete(tasks).where(condition)).rowcount


def recount(conn: Connection, task_id: int, maximum: int, user_id: int | None) -> None:
    """Refresh a task's denormalized counters from its annotations and predictions."""
    a = annotations.c
    done, cancelled, last = conn.execute(
        select(
            func.count().filter(a.was_cancelled.is_(False)),
            func.count().filter(a.was_cancelled.is_(True)),
            func.max(a.updated_at).filter(a.was_cancelled.is_(False)),
        ).where(a.task_id == task_id)
    ).one()
    n_predictions = conn.execute(
        select(func.count()).select_from(predictions).where(predictions.c.task_id == task_id)
    ).scalar_one()
    labeled = done >= maximum
    conn.execute(
        update(tasks)
        .where(tasks.c.id == task_id)
        .values(
            total_annotations=done,
            cancelled_annotations=cancelled,
            total_predictions=n_predictions,
            is_labeled=labeled,
            completed_at=last if labeled else None,
            updated_at=now(),
            updated_by=user_id,
        )
    )

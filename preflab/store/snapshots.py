"""Export snapshots: records of export files written to the data folder."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import RowMapping

from .clock import now
from .schema import exports


def create(conn: Connection, project_id: int, title: str, user_id: int) -> int:
    return conn.execute(
        insert(exports).values(
            project_id=project_id, title=title, status="in_progress", created_by=user_id, created_at=now()
        )
    ).inserted_primary_key[0]


def finish(conn: Connection, export_id: int, *, path: str, md5: str, task_count: int) -> None:
    conn.execute(
        update(exports)
        .where(exports.c.id == export_id)
        .values(status="completed", path=path, md5=md5, task_count=task_count, finished_at=now())
    )


def fail(conn: Connection, export_id: int) -> None:
    conn.execute(update(exports).where(exports.c.id == export_id).values(status="failed", finished_at=now()))


def get(conn: Connection, project_id: int, export_id: int) -> RowMapping | None:
    query = select(exports).where(exports.c.id == export_id, exports.c.project_id == project_id)
    return conn.execute(query).mappings().first()


def of_project(conn: Connection, project_id: int) -> list[RowMapping]:
    query = select(exports).where(exports.c.project_id == project_id).order_by(exports.c.id.desc())
    return list(conn.execute(query).mappings())


def remove(conn: Connection, export_id: int) -> None:
    conn.execute(delete(exports).where(exports.c.id == export_id))

"""Data Manager views: saved filters and ordering of a project's task list."""

from __future__ import annotations

import orjson
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.engine import RowMapping

from .clock import now
from .schema import dm_views


def create(conn: Connection, project_id: int, user_id: int, data: dict, order: int | None = None) -> int:
    stamp = now()
    return conn.execute(
        insert(dm_views).values(
            project_id=project_id,
            user_id=user_id,
            data=orjson.dumps(data).decode(),
            order=order,
            created_at=stamp,
            updated_at=stamp,
        )
    ).inserted_primary_key[0]


def get(conn: Connection, view_id: int) -> RowMapping | None:
    return conn.execute(select(dm_views).where(dm_views.c.id == view_id)).mappings().first()


def of_project(conn: Connection, project_id: int) -> list[RowMapping]:
    query = (
        select(dm_views).where(dm_views.c.project_id == project_id).order_by(dm_views.c.order, dm_views.c.id)
    )
    return list(conn.execute(query).mappings())


def update_view(
    conn: Connection, view_id: int, *, data: dict | None = None, order: int | None = None
) -> None:
    values: dict = {"updated_at": now()}
    if data is not None:
        values["data"] = orjson.dumps(data).decode()
    if order is not None:
        values["order"] = order
    conn.execute(update(dm_views).where(dm_views.c.id == view_id).values(**values))


def remove(conn: Connection, view_id: int) -> None:
    conn.execute(delete(dm_views).where(dm_views.c.id == view_id))

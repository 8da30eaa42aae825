"""Files uploaded with imports (their names; the tasks they made point at them)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from .schema import file_uploads


def of_project(conn: Connection, project_id: int) -> list[RowMapping]:
    query = select(file_uploads).where(file_uploads.c.project_id == project_id).order_by(file_uploads.c.id)
    return list(conn.execute(query).mappings())


def label(row) -> str:
    """The name Label Studio shows for an upload (and tasks show as ``file_upload``)."""
    return f"{row['id']:08x}-{row['name']}"


def labels(conn: Connection, upload_ids: Iterable[int]) -> dict[int, str]:
    """``label`` of each of these uploads, by id."""
    ids = set(upload_ids)
    if not ids:
        return {}
    query = select(file_uploads.c.id, file_uploads.c.name).where(file_uploads.c.id.in_(ids))
    return {row.id: label(row) for row in conn.execute(query).mappings()}

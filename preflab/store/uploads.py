"""Files uploaded with imports (their names; the tasks they made point at them)."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.engine import RowMapping

from .schema import file_uploads


def of_project(conn: Connection, project_id: int) -> list[RowMapping]:
    query = select(file_uploads).where(file_uploads.c.project_id == project_id).order_by(file_uploads.c.id)
    return list(conn.execute(query).mappings())


def label(row) -> str:
    """The name Label Studio shows for an upload (and tasks show as ``file_upload``)."""
    return f"{row['id']:08x}-{row['name']}"

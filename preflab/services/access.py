"""Who may see and change a project: the one check every route, page and media file goes through."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain.roles import can_manage_projects, can_see_project
from ..store import projects as project_store
from .errors import Forbidden, NotFound


def require_manager(user: RowMapping) -> None:
    if not can_manage_projects(user["role"]):
        raise Forbidden()


def project_for(conn: Connection, user: RowMapping, project_id: int, *, manage: bool = False) -> RowMapping:
    """The project if this user may see it (``NotFound`` otherwise, so that a project one may not
    see looks like one that does not exist); with ``manage``, ``Forbidden`` unless the user may
    also change it."""
    project = project_store.get(conn, project_id)
    if project is None or not can_see_project(
        user["role"],
        restricted=project["restricted"],
        is_member=project["restricted"] and project_store.is_member(conn, project_id, user["id"]),
    ):
        raise NotFound()
    if manage:
        require_manager(user)
    return project

"""Request dependencies: the store, the authenticated user, and access to a project."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection
from sqlalchemy.engine import RowMapping

from ..domain.roles import can_manage_projects, can_see_project
from ..store import projects as project_store
from ..store import users as user_store
from ..store.db import Store


def get_store(request: Request) -> Store:
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]

UNAUTHENTICATED = HTTPException(
    401, "Authentication credentials were not provided.", headers={"WWW-Authenticate": "Token"}
)


def current_user(request: Request, store: StoreDep) -> RowMapping:
    """The user of an ``Authorization: Token <key>`` header (keyword case-insensitive; ``Bearer``
    is accepted too) or of a signed session cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() not in ("token", "bearer") or not key:
            raise UNAUTHENTICATED
        with store.read() as conn:
            user = user_store.by_token(conn, key)
        if user is None:
            raise HTTPException(401, "Invalid token.", headers={"WWW-Authenticate": "Token"})
        return user
    session_user = getattr(request.state, "session_user", None)
    if session_user is not None:
        return session_user
    raise UNAUTHENTICATED


UserDep = Annotated[RowMapping, Depends(current_user)]


def require_manager(user: RowMapping) -> None:
    if not can_manage_projects(user["role"]):
        raise HTTPException(403, "You do not have permission to perform this action.")


def project_for(conn: Connection, user: RowMapping, project_id: int, *, manage: bool = False) -> RowMapping:
    """The project if this user may see it (404 otherwise); with ``manage``, 403 unless the
    user may also change it."""
    project = project_store.get(conn, project_id)
    if project is None or not can_see_project(
        user["role"],
        restricted=project["restricted"],
        is_member=project["restricted"] and project_store.is_member(conn, project_id, user["id"]),
    ):
        raise HTTPException(404, "Not found.")
    if manage:
        require_manager(user)
    return project

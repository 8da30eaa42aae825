"""A project's members: the users who may see it when it is ``restricted``. Managers list and
change them."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from ..store import projects as project_store
from ..store import users as user_store
from ..store.db import Store
from .access import project_for
from .errors import Invalid


def list_members(store: Store, user: RowMapping, project_id: int) -> list[RowMapping]:
    with store.read() as conn:
        project_for(conn, user, project_id, manage=True)
        return [user_store.get(conn, uid) for uid in project_store.members(conn, project_id)]


def add_member(store: Store, user: RowMapping, project_id: int, member_id: int) -> RowMapping:
    """Add a user to the project's members (once); returns the user."""
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        member = user_store.get(conn, member_id)
        if member is None:
            raise Invalid("user", f"no user with id {member_id}")
        project_store.add_member(conn, project_id, member_id)
        return member


def remove_member(store: Store, user: RowMapping, project_id: int, member_id: int) -> None:
    with store.write() as conn:
        project_for(conn, user, project_id, manage=True)
        project_store.remove_member(conn, project_id, member_id)

"""Users and API tokens. Owners manage users; everyone sees the list (as in Label Studio)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import RowMapping

from ..domain.roles import can_manage_users
from ..store import users as user_store
from ..store.db import Store
from .errors import Forbidden, NotFound


@dataclass(frozen=True)
class NewUser:
    user: RowMapping
    token: str  # the new user's API token, shown this once


def _require_owner(user: RowMapping) -> None:
    if not can_manage_users(user["role"]):
        raise Forbidden("Only an owner may manage users.")


def listed(store: Store) -> list[RowMapping]:
    with store.read() as conn:
        return user_store.all(conn)


def create(
    store: Store,
    user: RowMapping,
    email: str,
    *,
    role: str = "annotator",
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
) -> NewUser:
    """Create a user (owners); the password is hashed before the write, outside its lock."""
    _require_owner(user)
    password_hash = user_store.hash_password(password) if password else None
    with store.write() as conn:
        created, token = user_store.create(
            conn,
            email,
            role=role,
            password_hash=password_hash,
            first_name=first_name,
            last_name=last_name,
            username=username,
        )
    return NewUser(created, token)


def get(store: Store, user_id: int) -> RowMapping:
    with store.read() as conn:
        found = user_store.get(conn, user_id)
    if found is None:
        raise NotFound()
    return found


def update(store: Store, user: RowMapping, user_id: int, fields: dict) -> RowMapping:
    """Change a user's fields: one's own names, or, for owners, anyone's (roles and
    ``is_active`` included)."""
    if user_id != user["id"] or {"role", "is_active"} & fields.keys():
        _require_owner(user)
    with store.write() as conn:
        if user_store.get(conn, user_id) is None:
            raise NotFound()
        user_store.update_fields(conn, user_id, **fields)
        return user_store.get(conn, user_id)


def reset_token(store: Store, user: RowMapping) -> str:
    """Replace the caller's API token; returns the new one."""
    with store.write() as conn:
        return user_store.reset_token(conn, user["id"])

"""User accounts as the machine's operator manages them (the ``preflab user`` commands and the
acting user of ``import`` / ``project create`` / ``generate``): no acting user is checked, since
whoever runs the CLI holds the database. Each call is one transaction; passwords are hashed before
it. A refusal is a ``services.errors`` whose message the CLI prints as it is."""

from __future__ import annotations

from sqlalchemy import select

from ..store import users as user_store
from ..store.db import Store
from ..store.schema import users
from .errors import Invalid, NotFound
from .users import NewUser

MIN_PASSWORD = 8


def create_user(
    store: Store, email: str, *, role: str, password: str | None = None, token: str | None = None
) -> NewUser:
    """A new user with this role; ``token`` is generated unless given (returned once)."""
    password_hash = _hash(password) if password is not None else None
    try:
        with store.write() as conn:
            created, token = user_store.create(
                conn, email, role=role, password_hash=password_hash, token=token
            )
    except user_store.UserError as exc:
        raise Invalid(exc.field, str(exc)) from None
    return NewUser(created, token)


def reset_token(store: Store, email: str) -> str:
    """Replace the user's API token; returns the new one."""
    with store.write() as conn:
        return user_store.reset_token(conn, _by_email(conn, email)["id"])


def set_password(store: Store, email: str, password: str) -> None:
    password_hash = _hash(password)
    with store.write() as conn:
        user_store.set_password(conn, _by_email(conn, email)["id"], password_hash)


def acting_user(store: Store, email: str | None) -> int:
    """The id of the user with this email, or (no email) of the first owner."""
    with store.read() as conn:
        if email:
            return _by_email(conn, email)["id"]
        owner = conn.execute(select(users.c.id).where(users.c.role == "owner").order_by(users.c.id)).scalar()
    if owner is None:
        raise NotFound("there is no owner yet: run `preflab user create EMAIL --role owner` first")
    return owner


def _by_email(conn, email: str):
    row = user_store.by_email(conn, email)
    if row is None:
        raise NotFound(f"no user with the email {email}")
    return row


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid("password", f"the password must be at least {MIN_PASSWORD} characters long")
    return user_store.hash_password(password)

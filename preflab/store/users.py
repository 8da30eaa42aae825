"""Users, password hashes and API tokens.

Tokens are opaque 40-hex strings (what Label Studio's legacy tokens look like, and never a JWT,
so both SDK clients send ``Token <key>``). Only their SHA-256 is stored: a token is shown once,
when it is made. Passwords are hashed with Argon2id, deliberately slow: callers hash and verify
outside their write transactions (``hash_password``, ``verify_password``), never while holding
the database's write lock.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import RowMapping

from ..domain.roles import Role
from .clock import now
from .schema import sessions, users

_hasher = PasswordHasher()
_BY_ID = select(users).where(users.c.id == bindparam("id"))
_BY_TOKEN = select(users).where(users.c.token_hash == bindparam("digest"))


class UserError(ValueError):
    """A refused change to a user; ``field`` names the request field at fault."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: RowMapping | None, password: str) -> bool:
    """Whether ``password`` is the active ``user``'s; takes as long when there is no such user."""
    if user is None or not user["is_active"] or not user["password_hash"]:
        _hasher.hash(password)  # spend the same time whether or not the user exists
        return False
    try:
        return _hasher.verify(user["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_hex(20)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    conn: Connection,
    email: str,
    *,
    role: str = Role.ANNOTATOR,
    password_hash: str | None = None,
    token: str | None = None,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
) -> tuple[RowMapping, str]:
    """Create a user; returns the row and its API token (``token``, or a new one). Give a
    password as ``hash_password(password)``, made before the write transaction."""
    email = email.strip()
    if "@" not in email:
        raise UserError(f"not an email address: {email!r}")
    if role not in Role.__members__.values():
        raise UserError(f"unknown role {role!r}; roles are: {', '.join(Role)}")
    if conn.execute(select(users.c.id).where(func.lower(users.c.email) == email.lower())).first():
        raise UserError(f"a user with the email {email} exists already")
    if token is not None and len(token) < 20:
        raise UserError("an API token must be at least 20 characters long")
    token = token or new_token()
    stamp = now()
    user_id = conn.execute(
        insert(users).values(
            email=email,
            username=username or email.split("@")[0],
            first_name=first_name,
            last_name=last_name,
            role=str(role),
            password_hash=password_hash,
            token_hash=token_digest(token),
            is_active=True,
            created_at=stamp,
            last_activity=stamp,
        )
    ).inserted_primary_key[0]
    return get(conn, user_id), token


def get(conn: Connection, user_id: int) -> RowMapping | None:
    return conn.execute(_BY_ID, {"id": user_id}).mappings().first()


def by_email(conn: Connection, email: str) -> RowMapping | None:
    return (
        conn.execute(select(users).where(func.lower(users.c.email) == email.strip().lower()))
        .mappings()
        .first()
    )


def all(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(users).order_by(users.c.id)).mappings())


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(users)).scalar_one()


def by_token(conn: Connection, token: str) -> RowMapping | None:
    """The active user whose API token this is, compared in constant time."""
    digest = token_digest(token)
    row = conn.execute(_BY_TOKEN, {"digest": digest}).mappings().first()
    if row is None or not row["is_active"] or not hmac.compare_digest(row["token_hash"], digest):
        return None
    return row


def reset_token(conn: Connection, user_id: int) -> str:
    token = new_token()
    conn.execute(update(users).where(users.c.id == user_id).values(token_hash=token_digest(token)))
    return token


def set_password(conn: Connection, user_id: int, password_hash: str) -> None:
    """Replace the password (as ``hash_password`` made it) and end the user's browser sessions."""
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def update_fields(conn: Connection, user_id: int, **fields) -> None:
    if "role" in fields and fields["role"] not in Role.__members__.values():
        raise UserError(f"unknown role {fields['role']!r}; roles are: {', '.join(Role)}", "role")
    if fields:
        conn.execute(update(users).where(users.c.id == user_id).values(**fields))
    if fields.get("is_active") is False:
        conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
    if not active_owners(conn):
        raise UserError("this change would leave no active owner; make another user an owner first", "role")


def active_owners(conn: Connection) -> int:
    query = (
        select(func.count()).select_from(users).where(users.c.role == Role.OWNER, users.c.is_active.is_(True))
    )
    return conn.execute(query).scalar_one()

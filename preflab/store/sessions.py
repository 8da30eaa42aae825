"""Browser sessions for the web app. The cookie carries a random key; the database keeps only
its SHA-256, the user and the session's CSRF token."""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.engine import RowMapping

from .clock import now
from .schema import sessions, users

LIFETIME = 14 * 24 * 3600


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(conn: Connection, user_id: int) -> tuple[str, str]:
    """Start a session; returns (cookie key, CSRF token)."""
    key, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(delete(sessions).where(sessions.c.expires_at < time.time()))
    conn.execute(
        insert(sessions).values(
            key_hash=_digest(key),
            user_id=user_id,
            csrf_token=csrf,
            created_at=now(),
            expires_at=time.time() + LIFETIME,
        )
    )
    return key, csrf


def lookup(conn: Connection, key: str) -> tuple[RowMapping, str] | None:
    """(user, CSRF token) of a live session of an active user."""
    row = conn.execute(
        select(sessions.c.csrf_token, sessions.c.user_id).where(
            sessions.c.key_hash == _digest(key), sessions.c.expires_at > time.time()
        )
    ).first()
    if row is None:
        return None
    user = (
        conn.execute(select(users).where(users.c.id == row.user_id, users.c.is_active.is_(True)))
        .mappings()
        .first()
    )
    return (user, row.csrf_token) if user else None


def end(conn: Connection, key: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.key_hash == _digest(key)))

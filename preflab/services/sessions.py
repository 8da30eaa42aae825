"""Browser sessions: logging in and out, and who a page is for (the session's user, its CSRF
token and the project the page shows, read in one transaction)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy.engine import RowMapping

from ..store import logins as login_store
from ..store import sessions as session_store
from ..store import users as user_store
from ..store.db import Store
from .access import project_for


@dataclass(frozen=True)
class Login:
    """A login attempt's outcome: the new session (key, CSRF token), else the seconds to wait
    when failed logins of this account from this address are slowed down (None: a wrong email or
    password)."""

    session: tuple[str, str] | None
    wait: int | None = None


@dataclass(frozen=True)
class PageSession:
    user: RowMapping
    csrf: str
    project: RowMapping | None  # the page's project, when it shows one


def log_in(store: Store, email: str, password: str, address: str) -> Login:
    """Check the password (the slow hash runs outside any write transaction) and start a session."""
    with store.read() as conn:
        wait = login_store.retry_after(conn, email, address)
        user = user_store.by_email(conn, email) if wait is None else None
    if wait is not None:
        return Login(None, wait)
    ok = user_store.verify_password(user, password)
    with store.write() as conn:
        if not ok:
            login_store.record_failure(conn, email, address)
            return Login(None)
        login_store.clear_pair(conn, email, address)
        return Login(session_store.create(conn, user["id"]))


def log_out(store: Store, key: str | None, csrf_token: str) -> bool:
    """End the session ``key`` (nothing to do without one); False, changing nothing, when
    ``csrf_token`` is not that session's."""
    if not key:
        return True
    with store.write() as conn:
        found = session_store.lookup(conn, key)
        if found is None:
            return True
        if not hmac.compare_digest(csrf_token.encode(), found[1].encode()):
            return False
        session_store.end(conn, key)
    return True


def page_session(
    store: Store, key: str | None, project_id: int | None = None, *, manage: bool = False
) -> PageSession | None:
    """The session's user and CSRF token (None without a valid session), with the project the
    page shows if the user may see it (``services.access.project_for``: NotFound / Forbidden)."""
    if not key:
        return None
    with store.read() as conn:
        found = session_store.lookup(conn, key)
        if found is None:
            return None
        user, csrf = found
        project = None if project_id is None else project_for(conn, user, project_id, manage=manage)
    return PageSession(user, csrf, project)

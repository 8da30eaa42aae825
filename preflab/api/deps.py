"""Request dependencies: the store, the authenticated user, and access to a project."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import RowMapping

from ..store import sessions as session_store
from ..store import users as user_store
from ..store.db import Store


async def get_store(request: Request) -> Store:
    # async: FastAPI runs it on the event loop instead of sending it to a worker thread
    return request.app.state.store


StoreDep = Annotated[Store, Depends(get_store)]


def _unauthenticated() -> HTTPException:
    return HTTPException(
        401, "Authentication credentials were not provided.", headers={"WWW-Authenticate": "Token"}
    )


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes any text a client may send."""
    return hmac.compare_digest(given.encode(), expected.encode())


SESSION_COOKIE = "preflab_session"
CSRF_HEADER = "X-CSRFToken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def session_user(request: Request, store: Store) -> tuple[RowMapping, str] | None:
    """(user, CSRF token) of the browser session in the request's cookie, if any."""
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        return None
    with store.read() as conn:
        return session_store.lookup(conn, key)


def current_user(request: Request, store: StoreDep) -> RowMapping:
    """The caller (``_authenticate``); a cookie-authenticated write needs the CSRF header."""
    return _authenticate(request, store, changes=request.method not in SAFE_METHODS)


def claiming_user(request: Request, store: StoreDep) -> RowMapping:
    """The caller of a GET that changes something (``/next`` claims a task): with a browser
    session it needs the CSRF header as a write does, so that no element a page draws (an image
    whose address task data chose, a link) can make it; token clients call it as in Label Studio."""
    return _authenticate(request, store, changes=True)


def _authenticate(request: Request, store: Store, *, changes: bool) -> RowMapping:
    """The user of an ``Authorization: Token <key>`` header (keyword case-insensitive; ``Bearer``
    is accepted too) or of a browser session cookie. Cookie-authenticated requests that change
    something must carry the session's CSRF token in the ``X-CSRFToken`` header, and none may
    come from another site (``Sec-Fetch-Site``): a cross-site link to a GET that claims a task
    (``/next``) changes nothing."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() not in ("token", "bearer") or not key:
            raise _unauthenticated()
        with store.read() as conn:
            user = user_store.by_token(conn, key)
        if user is None:
            raise HTTPException(401, "Invalid token.", headers={"WWW-Authenticate": "Token"})
        return user
    found = session_user(request, store)
    if found is None:
        raise _unauthenticated()
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "Cross-site request refused.")
    user, csrf = found
    if changes and not same_secret(request.headers.get(CSRF_HEADER, ""), csrf):
        raise HTTPException(403, "CSRF token missing or incorrect.")
    return user


UserDep = Annotated[RowMapping, Depends(current_user)]
ClaimingUserDep = Annotated[RowMapping, Depends(claiming_user)]

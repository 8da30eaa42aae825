"""Failed logins, counted in the database (so every server process sees the same counts) per
(account, client address) pair and per client address.

Past ``PER_PAIR`` failures of one account from one address, logins of that account from that
address slow down: each further attempt waits ``FIRST_DELAY`` seconds after the last failure,
twice as long after each new failure, up to ``MAX_DELAY``. The account is never locked, so a
guesser elsewhere cannot keep its owner out. Past ``PER_ADDRESS`` failures from one address (any
accounts) within the window, that address waits until its oldest failure leaves the window.
"""

from __future__ import annotations

import hashlib
import math
import time

from sqlalchemy import Connection, delete, func, insert, select

from .schema import login_failures

WINDOW = 15 * 60  # seconds a failure counts
PER_PAIR = 10  # failures of one account from one address before its logins slow down
FIRST_DELAY = 5  # seconds the first slowed-down attempt waits; doubles with each further failure
MAX_DELAY = 60  # the longest wait between two attempts of one account from one address
PER_ADDRESS = 50  # failures from one address, any accounts, within the window


def _pair(email: str, address: str) -> str:
    """The pair's key; the typed email as a hash, so that any input fits the column."""
    account = hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()
    return f"pair:{address}|{account}"


def _address(address: str) -> str:
    return f"address:{address}"


def _failures(conn: Connection, key: str, since: float) -> tuple[int, float | None, float | None]:
    """How many failures ``key`` has since ``since``, the oldest and the newest."""
    return tuple(
        conn.execute(
            select(func.count(), func.min(login_failures.c.at), func.max(login_failures.c.at)).where(
                login_failures.c.key == key, login_failures.c.at > since
            )
        ).one()
    )


def retry_after(conn: Connection, email: str, address: str) -> int | None:
    """Seconds until a login for this account from this address is allowed again, or None."""
    now = time.time()
    since = now - WINDOW
    wait = 0.0
    count, _, newest = _failures(conn, _pair(email, address), since)
    if count >= PER_PAIR:
        wait = newest + min(FIRST_DELAY * 2 ** (count - PER_PAIR), MAX_DELAY) - now
    count, oldest, _ = _failures(conn, _address(address), since)
    if count >= PER_ADDRESS:
        wait = max(wait, oldest - since)
    return math.ceil(wait) if wait > 0 else None


def record_failure(conn: Connection, email: str, address: str) -> None:
    stamp = time.time()
    conn.execute(delete(login_failures).where(login_failures.c.at < stamp - WINDOW))
    conn.execute(
        insert(login_failures),
        [{"key": key, "at": stamp} for key in (_pair(email, address), _address(address))],
    )


def clear_pair(conn: Connection, email: str, address: str) -> None:
    """A successful login forgives the failures of the account from that address (not the
    address's own count)."""
    conn.execute(delete(login_failures).where(login_failures.c.key == _pair(email, address)))

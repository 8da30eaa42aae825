"""Failed logins, counted per account and per client address in the database (so every server
process sees the same counts): past a limit within the window, logins wait."""

from __future__ import annotations

import time

from sqlalchemy import Connection, delete, func, insert, select

from .schema import login_failures

WINDOW = 15 * 60  # seconds a failure counts
PER_ACCOUNT = 10  # failures of one account within the window
PER_ADDRESS = 50  # failures from one address within the window


def _keys(email: str, address: str) -> dict[str, int]:
    return {f"account:{email.strip().lower()}": PER_ACCOUNT, f"address:{address}": PER_ADDRESS}


def retry_after(conn: Connection, email: str, address: str) -> int | None:
    """Seconds until a login for this account from this address is allowed again, or None."""
    since = time.time() - WINDOW
    waits = []
    for key, limit in _keys(email, address).items():
        count, oldest = conn.execute(
            select(func.count(), func.min(login_failures.c.at)).where(
                login_failures.c.key == key, login_failures.c.at > since
            )
        ).one()
        if count >= limit:
            waits.append(int(oldest - since) + 1)
    return max(waits) if waits else None


def record_failure(conn: Connection, email: str, address: str) -> None:
    stamp = time.time()
    conn.execute(delete(login_failures).where(login_failures.c.at < stamp - WINDOW))
    conn.execute(insert(login_failures), [{"key": key, "at": stamp} for key in _keys(email, address)])


def clear_account(conn: Connection, email: str) -> None:
    """A successful login forgives the account's failures (not the address's)."""
    conn.execute(delete(login_failures).where(login_failures.c.key == f"account:{email.strip().lower()}"))

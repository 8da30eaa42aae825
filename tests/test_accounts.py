"""Logins and accounts: the password hash runs outside any write transaction, failed logins slow
down one (account, address) pair and are limited per address, a password change ends sessions,
the last owner stays an owner."""

from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError

from preflab.store import logins as login_store
from preflab.store import users as user_store
from preflab.store.schema import login_failures, users
from tests.conftest import Api, make_user


def _login(client, account, password=None):
    return client.post(
        "/user/login",
        data={"email": account.email, "password": password or account.password, "next": "/projects"},
        follow_redirects=False,
    )


def test_login_hashes_the_password_outside_any_write_transaction(client, store, owner, monkeypatch):
    open_writes = 0
    real_write, real_verify = store.write, user_store.verify_password

    @contextmanager
    def counted_write():
        nonlocal open_writes
        with real_write() as conn:
            open_writes += 1
            try:
                yield conn
            finally:
                open_writes -= 1

    writes_open_while_hashing = []

    def verify(user, password):
        writes_open_while_hashing.append(open_writes)
        return real_verify(user, password)

    monkeypatch.setattr(store, "write", counted_write)
    monkeypatch.setattr(user_store, "verify_password", verify)
    assert _login(client, owner, "wrong-password").status_code == 400
    assert _login(client, owner).status_code == 303
    assert writes_open_while_hashing == [0, 0]


def _failures(store) -> list[dict]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(login_failures.c.key)).mappings()]


def _later(store, seconds: float) -> None:
    """As if ``seconds`` had passed since every failure so far."""
    with store.write() as conn:
        conn.execute(update(login_failures).values(at=login_failures.c.at - seconds))


def test_failed_logins_slow_down_one_address_but_never_lock_the_owner_out(client, app, store, owner):
    for _ in range(login_store.PER_PAIR):
        assert _login(client, owner, "wrong-password").status_code == 400
    slowed = _login(client, owner)  # the right password, from the guessing address, too soon
    assert slowed.status_code == 429 and "preflab_session" not in slowed.cookies
    assert 0 < int(slowed.headers["Retry-After"]) <= login_store.FIRST_DELAY
    assert "Too many failed logins" in slowed.text
    assert len(_failures(store)) == 2 * login_store.PER_PAIR  # a refused attempt is not counted
    with TestClient(app, client=("203.0.113.7", 40000)) as elsewhere:
        assert _login(elsewhere, owner).status_code == 303  # the owner, from another address
    _later(store, login_store.FIRST_DELAY)
    assert _login(client, owner, "wrong-password").status_code == 400  # slowed, never locked
    again = _login(client, owner, "wrong-password")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > login_store.FIRST_DELAY
    _later(store, 2 * login_store.FIRST_DELAY)
    assert _login(client, owner).status_code == 303
    assert not [f for f in _failures(store) if f["key"].startswith("pair:")]  # forgiven


def test_the_slowdown_is_bounded_however_many_failures(store, owner):
    with store.write() as conn:
        for _ in range(4 * login_store.PER_PAIR):
            login_store.record_failure(conn, owner.email, "198.51.100.1")
    with store.read() as conn:
        wait = login_store.retry_after(conn, owner.email, "198.51.100.1")
    assert login_store.FIRST_DELAY < wait <= login_store.MAX_DELAY


def test_failed_logins_are_limited_per_address_across_accounts(client, app, store, owner):
    with store.write() as conn:
        for i in range(login_store.PER_ADDRESS):
            login_store.record_failure(conn, f"guess-{i}@example.com", "testclient")
    blocked = _login(client, owner)  # a fresh account, from the address that guessed many
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > login_store.MAX_DELAY
    assert "preflab_session" not in blocked.cookies
    with TestClient(app, client=("203.0.113.7", 40000)) as elsewhere:
        assert _login(elsewhere, owner).status_code == 303


def test_password_change_ends_sessions(client, store, owner):
    cookie = _login(client, owner).cookies["preflab_session"]
    client.cookies.set("preflab_session", cookie)
    assert client.get("/api/current-user/session").status_code == 200
    new_hash = user_store.hash_password("a-new-password")
    with store.write() as conn:
        user_store.set_password(conn, owner.id, new_hash)
    assert client.get("/api/current-user/session").status_code == 401
    assert client.get(f"/api/users/{owner.id}").status_code == 401


def test_the_last_owner_cannot_demote_or_deactivate_themselves(client, store, api, owner):
    for change in ({"role": "manager"}, {"is_active": False}):
        r = api.patch(f"/api/users/{owner.id}", json=change)
        assert r.status_code == 400 and "no active owner" in r.json()["detail"]
    me = api.get(f"/api/users/{owner.id}").json()
    assert me["role"] == "owner" and me["is_active"] is True
    second = Api(client, make_user(store, "owner2@example.com", "owner"))
    assert api.patch(f"/api/users/{owner.id}", json={"role": "manager"}).status_code == 200
    assert second.patch(f"/api/users/{second.account.id}", json={"role": "annotator"}).status_code == 400


def test_deactivating_a_user_ends_their_sessions(client, store, api):
    ann = make_user(store, "ann@example.com", "annotator")
    client.cookies.set("preflab_session", _login(client, ann).cookies["preflab_session"])
    assert client.get("/api/current-user/session").status_code == 200
    assert api.patch(f"/api/users/{ann.id}", json={"is_active": False}).status_code == 200
    assert client.get("/api/current-user/session").status_code == 401


def test_failed_queries_do_not_carry_their_bound_values(store, owner):
    secret = "f" * 64
    with pytest.raises(DBAPIError) as failed, store.write() as conn:
        conn.execute(  # a duplicate email: the database refuses it
            insert(users).values(
                email=owner.email, role="owner", token_hash=secret, created_at="x", last_activity="x"
            )
        )
    assert secret not in str(failed.value) and "hidden" in str(failed.value)

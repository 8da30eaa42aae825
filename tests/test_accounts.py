"""Logins and accounts: the password hash runs outside the write lock, failed logins are
rate-limited, a password change ends sessions, the last owner stays an owner."""

import threading
import time

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError

from preflab.store import users as user_store
from preflab.store.schema import users
from tests.conftest import Api, make_user


def _login(client, account, password=None):
    return client.post(
        "/user/login",
        data={"email": account.email, "password": password or account.password, "next": "/projects"},
        follow_redirects=False,
    )


def test_login_hashes_the_password_outside_the_write_lock(client, store, owner, monkeypatch):
    entered, release = threading.Event(), threading.Event()
    real = user_store.verify_password

    def slow_verify(user, password):
        entered.set()
        release.wait(10)
        return real(user, password)

    monkeypatch.setattr(user_store, "verify_password", slow_verify)
    answers = []
    login = threading.Thread(target=lambda: answers.append(_login(client, owner)))
    login.start()
    try:
        assert entered.wait(5)
        started = time.monotonic()
        with store.write() as conn:  # another writer, while the login is hashing
            conn.execute(text("SELECT 1"))
        waited = time.monotonic() - started
    finally:
        release.set()
        login.join(10)
    assert waited < 2
    assert answers[0].status_code == 303 and "preflab_session" in answers[0].cookies


def test_failed_logins_are_rate_limited_per_account(client, store, owner):
    other = make_user(store, "other@example.com", "annotator")
    for _ in range(10):
        assert _login(client, owner, "wrong-password").status_code == 400
    blocked = _login(client, owner)  # the right password, too late
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "preflab_session" not in blocked.cookies and "Too many failed logins" in blocked.text
    assert _login(client, other).status_code == 303  # another account is not locked out


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

import pytest
from sqlalchemy import inspect

from tests.conftest import PG_URL


def test_the_suite_runs_on_the_engine_it_was_asked_for(store):
    assert store.engine.dialect.name == ("postgresql" if PG_URL else "sqlite")


def test_migrations_create_every_table_and_are_idempotent(store):
    store.migrate()  # a second run is a no-op
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "users",
        "projects",
        "tasks",
        "annotations",
        "predictions",
        "task_locks",
        "exports",
        "alembic_version",
    } <= tables


def test_sqlite_runs_in_wal_mode_with_full_sync(store):
    if PG_URL:
        pytest.skip("SQLite pragmas: this pass runs on PostgreSQL")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_failed_write_rolls_back(store, owner):
    from preflab.store import users

    with pytest.raises(RuntimeError, match="boom"), store.write() as conn:
        users.create(conn, "x@example.com")
        raise RuntimeError("boom")
    with store.read() as conn:
        assert users.by_email(conn, "x@example.com") is None


def test_sqlite_synchronous_is_a_setting(tmp_path):
    from preflab.store.db import Store

    store = Store(f"sqlite:///{tmp_path}/n.db", synchronous="NORMAL")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
    store.close()
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        Store(f"sqlite:///{tmp_path}/x.db", synchronous="OFF")

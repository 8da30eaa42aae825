"""The database handle: engine set-up for SQLite and PostgreSQL, read and write transactions,
migrations on open.

SQLite runs in WAL mode with a busy timeout; every write transaction starts with
``BEGIN IMMEDIATE``, so writers queue on the database lock instead of failing half-way with
"database is locked", and readers never block writers. On PostgreSQL, write transactions that
must not race (queue claims, imports) lock their project row, and annotation writes their task row.

Every wait for a lock is bounded by ``lock_wait`` seconds (the in-process writer queue, SQLite's
busy timeout, PostgreSQL's ``lock_timeout``, the connection pool); past it the request fails with
``StoreBusy``, which the API answers with 503 and ``Retry-After``.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, create_engine, event, exc, make_url, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreBusy(Exception):
    """A lock was not had within the store's ``lock_wait``; nothing was written."""


def is_disk_full(error: BaseException) -> bool:
    """Whether a database error means "no space left" (SQLite's SQLITE_FULL, PostgreSQL's disk_full)."""
    if not isinstance(error, exc.DBAPIError):
        return False
    orig = error.orig
    return "disk is full" in str(orig) or getattr(orig, "sqlstate", None) == "53100"


def is_busy(error: BaseException) -> bool:
    """Whether a database error means "a lock wait ran out" (SQLite's ``database is locked``,
    PostgreSQL's lock_not_available, an exhausted connection pool)."""
    if isinstance(error, StoreBusy | exc.TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        orig = error.orig
        return "database is locked" in str(orig) or getattr(orig, "sqlstate", None) == "55P03"
    return False


class Store:
    """One database. ``read()`` and ``write()`` hand out a connection inside a transaction that
    commits when the block ends and rolls back if it raises."""

    def __init__(self, url: str, *, pool_size: int = 20, synchronous: str = "FULL", lock_wait: float = 15.0):
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._writer = FifoLock(lock_wait) if self.is_sqlite else contextlib.nullcontext()
        if self.is_sqlite:
            database = make_url(url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, synchronous, lock_wait)
        else:
            self.engine = _postgres_engine(url, pool_size, lock_wait)

    @contextmanager
    def read(self, *, snapshot: bool = False) -> Iterator[Connection]:
        """A read transaction. With ``snapshot``, every statement in it sees the same state
        (SQLite's WAL read transactions always do; PostgreSQL needs REPEATABLE READ)."""
        with self.engine.connect() as conn:
            if snapshot and not self.is_sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        # On SQLite, writers of this process queue on a Python lock rather than on SQLite's busy
        # handler, whose sleep-and-retry backoff gives concurrent writers long tail latencies.
        with self._writer, self.engine.connect() as conn:
            conn.execution_options(preflab_write=True)
            with conn.begin():
                yield conn

    def migrate(self) -> None:
        """Bring the schema to the newest revision; raises (and so stops the server) on failure."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.connect() as conn:
            if self.is_sqlite:
                # A migration that rebuilds a table drops it: with foreign keys on, SQLite would
                # delete (cascade) every row that refers to it. Off while migrating (the pragma
                # must be set outside a transaction), and every reference checked before commit.
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
            try:
                with conn.begin():
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
                    if self.is_sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise RuntimeError(f"migration left broken references: {broken[:5]}")
            finally:
                if self.is_sqlite:
                    conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")

    def close(self) -> None:
        self.engine.dispose()


class FifoLock:
    """A lock that hands itself to waiters in arrival order, so that under load no request
    waits much longer than the others (``threading.Lock`` wakes an arbitrary waiter)."""

    def __init__(self, timeout: float = -1):
        self.timeout = timeout  # seconds a waiter waits at most (-1: for ever); then StoreBusy
        self._guard = threading.Lock()
        self._waiters: collections.deque[threading.Lock] = collections.deque()
        self._held = False

    def __enter__(self):
        with self._guard:
            if not self._held:
                self._held = True
                return self
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        # released by the holder when it is our turn; we then hold the lock
        if not turn.acquire(timeout=self.timeout):
            with self._guard:
                if turn in self._waiters:  # not handed over: give up our place
                    self._waiters.remove(turn)
                    raise StoreBusy(f"the database stayed busy for {self.timeout:g} s")
            turn.acquire()  # handed over just as we timed out: we hold the lock after all
        return self

    def __exit__(self, *exc):
        with self._guard:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._held = False


def _sqlite_engine(url: str, synchronous: str, lock_wait: float) -> Engine:
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": lock_wait},
        pool_timeout=lock_wait,
        hide_parameters=True,  # bound values (hashes, tokens, task data) never reach error logs
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: sqlite3.Connection, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_wait * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("preflab_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _postgres_engine(url: str, pool_size: int, lock_wait: float) -> Engine:
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=lock_wait,
        connect_args={"options": f"-c lock_timeout={int(lock_wait * 1000)}"},
        hide_parameters=True,  # bound values (hashes, tokens, task data) never reach error logs
    )


def lock_project(conn: Connection, project_id: int) -> None:
    """Serialize racing writers of one project (PostgreSQL). On SQLite, BEGIN IMMEDIATE already has."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT id FROM projects WHERE id = :id FOR UPDATE"), {"id": project_id})


def ping(store: Store) -> None:
    """Ask the database a trivial question; raises when it does not answer (the health check)."""
    with store.read() as conn:
        conn.exec_driver_sql("SELECT 1")

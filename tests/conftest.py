"""Shared fixtures.

Every test gets a fresh database: a SQLite file in a temporary folder, or, when
``PREFLAB_TEST_DATABASE_URL`` names a PostgreSQL server, a new database cloned from a migrated
template. ``client`` talks to the app in-process; ``live_server`` runs it with uvicorn on
loopback for the SDK and browser tests.
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy
import uvicorn
from fastapi.testclient import TestClient

from preflab.server import create_app
from preflab.services.settings import Settings
from preflab.store import users as user_store
from preflab.store.db import Store

PG_URL = os.environ.get("PREFLAB_TEST_DATABASE_URL")
SEED_CONFIG = (Path(__file__).parent.parent / "preflab" / "gallery" / "human_preference.xml").read_text()
PAIRWISE = """<View>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
</View>"""

_counter = itertools.count()

# Modules whose tests do not depend on the database engine (pure domain code, readers, training,
# generation, page rendering): they run in the SQLite pass and are left out of the PostgreSQL one.
ENGINE_FREE = frozenset(
    {
        "test_agreement",
        "test_browser_layout",
        "test_browser_markdown",
        "test_browser_media",
        "test_browser_stats",
        "test_disk_full",
        "test_docs",
        "test_formats",
        "test_generate",
        "test_generate_local",
        "test_labelconfig",
        "test_media",
        "test_preferences",
        "test_quality",
        "test_readers",
        "test_results",
        "test_security_browser",
        "test_tags",
        "test_train",
        "test_train_data",
        "test_trl_export",
    }
)


def pytest_collection_modifyitems(config, items):
    if not PG_URL:
        return
    dropped = [item for item in items if item.module.__name__.rsplit(".", 1)[-1] in ENGINE_FREE]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in set(dropped)]


def _admin_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1]


@pytest.fixture(scope="session")
def pg_template():
    """A migrated PostgreSQL database that test databases are cloned from."""
    if not PG_URL:
        yield None
        return
    admin = sqlalchemy.create_engine(_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"preflab_template_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    store = Store(PG_URL.rsplit("/", 1)[0] + "/" + name)
    store.migrate()
    store.close()
    yield admin, name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
    admin.dispose()


@pytest.fixture
def settings(tmp_path, pg_template) -> Settings:
    if pg_template is None:
        return Settings(data_dir=tmp_path / "data")
    admin, template = pg_template
    name = f"preflab_test_{os.getpid()}_{next(_counter)}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    return Settings(
        data_dir=tmp_path / "data",
        database_url=PG_URL.rsplit("/", 1)[0] + "/" + name,
    )


@pytest.fixture
def store(settings, pg_template):
    store = Store(settings.url)
    store.migrate()
    yield store
    store.close()
    if pg_template is not None:
        admin, _ = pg_template
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {settings.url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture
def app(settings, store):
    return create_app(settings, store)


@dataclass
class Account:
    id: int
    email: str
    token: str
    password: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Token {self.token}"}


def make_user(store: Store, email: str, role: str) -> Account:
    password = f"pw-{email}-long"
    with store.write() as conn:
        row, token = user_store.create(
            conn, email, role=role, password_hash=user_store.hash_password(password)
        )
    return Account(row["id"], email, token, password)


@pytest.fixture
def owner(store) -> Account:
    return make_user(store, "owner@example.com", "owner")


@pytest.fixture
def client(app) -> TestClient:
    with TestClient(app) as c:
        yield c


class Api:
    """A TestClient bound to one user's token."""

    def __init__(self, client: TestClient, account: Account):
        self.client, self.account = client, account

    def __getattr__(self, method):
        def call(path, **kw):
            headers = {**self.account.headers, **kw.pop("headers", {})}
            return self.client.request(method.upper(), path, headers=headers, **kw)

        return call


@pytest.fixture
def api(client, owner) -> Api:
    return Api(client, owner)


@pytest.fixture
def project(api) -> int:
    r = api.post("/api/projects", json={"title": "RLHF", "label_config": PAIRWISE})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def seed_tasks(n: int) -> list[dict]:
    return [
        {"prompt": f"prompt {i}", "answer1": f"first answer {i}", "answer2": f"second answer {i}"}
        for i in range(n)
    ]


def pick(side: str = "left") -> list[dict]:
    return [
        {"from_name": "comparison", "to_name": "comparison", "type": "pairwise", "value": {"selected": side}}
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


class ServerProcess:
    """``preflab serve`` in a child process, on ``settings``' database (extra CLI ``args``)."""

    def __init__(self, settings, tmp_path, *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PREFLAB_DATA_DIR": str(settings.data_dir)}
        if settings.database_url:
            self.env["PREFLAB_DATABASE_URL"] = settings.database_url
        self.args = args
        self.log = tmp_path / f"server-{self.port}.log"
        self.process = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "preflab", "serve", "--port", str(self.port), *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: kill() reaches worker processes too
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the server did not start: " + self.log.read_text()[-2000:])

    def kill(self) -> None:
        """SIGKILL, to the server and every worker process it started."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

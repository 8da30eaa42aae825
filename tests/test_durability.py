"""Crash safety: every acknowledged (2xx) annotation survives ``kill -9`` of the server at any
moment, once and unchanged, and an import killed half-way leaves no trace or all of it.

The server runs as a real process (``python -m preflab serve``) on a real database file (or the
test PostgreSQL server) and is killed with SIGKILL while clients write to it.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import orjson
import pytest
from sqlalchemy import func, select, text

from preflab.store import users as user_store
from preflab.store.schema import tasks
from tests.conftest import PAIRWISE, ServerProcess, pick, seed_tasks

ROUNDS = int(os.environ.get("PREFLAB_KILL_ROUNDS", "8"))
SUBMIT_TASKS = 5000  # more than the writers get through
IMPORT_ROUNDS = 6  # at most; it stops once two kills fell inside the write
IMPORTED = 30000


@pytest.fixture
def server(settings, store, tmp_path):
    server = ServerProcess(settings, tmp_path)
    yield server
    if server.process and server.process.poll() is None:
        server.kill()


def _owner(store) -> dict:
    with store.write() as conn:
        _, token = user_store.create(conn, "crash@example.com", role="owner")
    return {"Authorization": f"Token {token}"}


def _submitter(url, headers, tasks: Iterator[int], acknowledged: dict, stop: threading.Event) -> None:
    """Annotate fresh tasks (one answer per task and labeler) as fast as the server takes them;
    remember each acknowledged annotation."""
    with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
        while not stop.is_set() and (task := next(tasks, None)) is not None:
            key, side = str(uuid.uuid4()), random.choice(["left", "right"])
            try:
                r = http.post(f"/api/tasks/{task}/annotations", json={"result": pick(side), "unique_id": key})
            except httpx.TransportError:
                return  # the server is gone: whatever was not acknowledged may or may not be there
            if r.status_code == 201:
                acknowledged[key] = (task, side)


def test_acknowledged_annotations_survive_kill_9(server, store):
    headers = _owner(store)
    server.start()
    project = httpx.post(
        f"{server.url}/api/projects", headers=headers, json={"title": "crash", "label_config": PAIRWISE}
    ).json()["id"]
    task_ids = httpx.post(
        f"{server.url}/api/projects/{project}/import", headers=headers, json=seed_tasks(SUBMIT_TASKS)
    ).json()["task_ids"]
    tasks = iter(task_ids)  # shared by the writers: each task is answered at most once
    acknowledged: dict[str, tuple[int, str]] = {}
    for round_ in range(ROUNDS):
        if round_:
            server.start()
        stop = threading.Event()
        writers = [
            threading.Thread(target=_submitter, args=(server.url, headers, tasks, acknowledged, stop))
            for _ in range(3)
        ]
        for writer in writers:
            writer.start()
        time.sleep(random.uniform(0.3, 1.0))
        server.kill()  # mid-stream: requests are in flight
        stop.set()
        for writer in writers:
            writer.join(15)
        assert not [w for w in writers if w.is_alive()], "a writer did not stop after the kill"
    untouched = len(list(tasks))
    assert untouched, "the writers ran out of tasks"
    server.start()
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        stored = {}
        for task in task_ids[: len(task_ids) - untouched]:  # every task a writer was given
            rows = http.get(f"/api/tasks/{task}/annotations").json()
            for row in rows:
                stored.setdefault(row["unique_id"], []).append((task, row["result"][0]["value"]["selected"]))
            assert http.get(f"/api/tasks/{task}").json()["total_annotations"] == len(rows)
    assert len(acknowledged) > ROUNDS * 5, "too few writes to prove anything"
    for key, (task, side) in acknowledged.items():
        assert stored.get(key) == [(task, side)], f"acknowledged annotation {key} lost or changed"
    server.kill()
    _check_integrity(store)


def test_an_import_killed_inside_its_write_leaves_nothing_of_it(server, store):
    """Each round kills the server at a random moment after the import's write transaction opened
    (seen from another connection), or once the upload is over. A round "lands" when the write was
    still open just before the kill and the kill left none of it: it fell inside the write. Whatever
    a kill hits, the import is there in full or not at all, an acknowledged one in full, and two
    rounds must land."""
    headers = _owner(store)
    server.start()
    project = httpx.post(
        f"{server.url}/api/projects", headers=headers, json={"title": "big", "label_config": PAIRWISE}
    ).json()["id"]
    body = orjson.dumps(seed_tasks(IMPORTED))
    landed = 0
    for _ in range(IMPORT_ROUNDS):
        done = []

        def upload(done=done):
            try:
                r = httpx.post(
                    f"{server.url}/api/projects/{project}/import",
                    headers=headers,
                    files={"file": ("big.json", body)},
                    timeout=60,
                )
                done.append(r.status_code)
            except httpx.TransportError:
                done.append(None)

        before = _stored_tasks(store, project)
        uploader = threading.Thread(target=upload)
        uploader.start()
        while not (writing := _write_in_progress(store)) and uploader.is_alive():
            time.sleep(0.002)
        if writing:  # the write began (it takes a second or more): kill somewhere inside it
            time.sleep(random.uniform(0, 0.8))
            writing = _write_in_progress(store)  # still open just before the kill?
        server.kill()
        uploader.join(30)
        assert not uploader.is_alive(), "the upload did not end when the server was killed"
        added = _stored_tasks(store, project) - before
        assert added in (0, IMPORTED), f"a killed import left {added} of {IMPORTED} tasks"
        if done == [201]:
            assert added == IMPORTED  # acknowledged means all of it
        if writing and added == 0:
            landed += 1
        server.start()
        assert _task_count(server, headers, project) - before == added
        if landed == 2:
            break
    assert landed == 2, f"only {landed} of {IMPORT_ROUNDS} kills fell inside the import's write"
    server.kill()
    _check_integrity(store)


def _write_in_progress(store) -> bool:
    """Whether another connection (the server's) has a write transaction open on the test database."""
    if store.is_sqlite:
        probe = sqlite3.connect(store.engine.url.database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc), exc
            return True
        finally:
            probe.close()
    with store.read() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        )


def _stored_tasks(store, project) -> int:
    with store.read() as conn:
        return conn.execute(
            select(func.count()).select_from(tasks).where(tasks.c.project_id == project)
        ).scalar_one()


def _task_count(server, headers, project) -> int:
    return httpx.get(f"{server.url}/api/projects/{project}", headers=headers).json()["task_number"]


def _check_integrity(store) -> None:
    if store.is_sqlite:
        path = store.engine.url.database
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

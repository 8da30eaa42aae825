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

import httpx
import orjson
import pytest

from preflab.store import users as user_store
from tests.conftest import PAIRWISE, ServerProcess, pick, seed_tasks

ROUNDS = int(os.environ.get("PREFLAB_KILL_ROUNDS", "8"))


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


def _submitter(url, headers, task_ids, acknowledged: dict, stop: threading.Event) -> None:
    """Submit annotations as fast as the server takes them; remember each acknowledged one."""
    with httpx.Client(base_url=url, headers=headers, timeout=10) as http:
        while not stop.is_set():
            task = random.choice(task_ids)
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
    httpx.patch(f"{server.url}/api/projects/{project}", headers=headers, json={"maximum_annotations": 1000})
    task_ids = httpx.post(
        f"{server.url}/api/projects/{project}/import", headers=headers, json=seed_tasks(20)
    ).json()["task_ids"]
    acknowledged: dict[str, tuple[int, str]] = {}
    for round_ in range(ROUNDS):
        if round_:
            server.start()
        stop = threading.Event()
        writers = [
            threading.Thread(target=_submitter, args=(server.url, headers, task_ids, acknowledged, stop))
            for _ in range(3)
        ]
        for writer in writers:
            writer.start()
        time.sleep(random.uniform(0.3, 1.0))
        server.kill()  # mid-stream: requests are in flight
        stop.set()
        for writer in writers:
            writer.join(15)
    server.start()
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        stored = {}
        for task in task_ids:
            rows = http.get(f"/api/tasks/{task}/annotations").json()
            for row in rows:
                stored.setdefault(row["unique_id"], []).append((task, row["result"][0]["value"]["selected"]))
            assert http.get(f"/api/tasks/{task}").json()["total_annotations"] == len(rows)
    assert len(acknowledged) > ROUNDS * 5, "too few writes to prove anything"
    for key, (task, side) in acknowledged.items():
        assert stored.get(key) == [(task, side)], f"acknowledged annotation {key} lost or changed"
    server.kill()
    _check_integrity(store)


def test_an_import_killed_half_way_leaves_nothing_or_everything(server, store):
    headers = _owner(store)
    server.start()
    project = httpx.post(
        f"{server.url}/api/projects", headers=headers, json={"title": "big", "label_config": PAIRWISE}
    ).json()["id"]
    body = orjson.dumps(seed_tasks(30000))
    for delay in (0.2, 0.6, 1.2):
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

        before = _task_count(server, headers, project)
        uploader = threading.Thread(target=upload)
        uploader.start()
        time.sleep(delay)
        server.kill()
        uploader.join(30)
        server.start()
        after = _task_count(server, headers, project)
        assert after - before in (0, 30000), f"a killed import left {after - before} of 30000 tasks"
        if done == [201]:
            assert after - before == 30000  # acknowledged means all of it
    server.kill()
    _check_integrity(store)


def _task_count(server, headers, project) -> int:
    return httpx.get(f"{server.url}/api/projects/{project}", headers=headers).json()["task_number"]


def _check_integrity(store) -> None:
    if store.is_sqlite:
        path = store.engine.url.database
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []

"""A full disk: no acknowledgement for what could not be written (507, nothing half-saved), and
the server recovers on its own when space returns. SQLite on a small tmpfs of its own."""

from __future__ import annotations

import sqlite3
import subprocess
import uuid

import httpx
import pytest

from preflab.services.instance import open_store
from preflab.store import users as user_store
from tests.conftest import PAIRWISE, ServerProcess, pick, seed_tasks


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_acknowledges_nothing_and_recovers(small_disk, settings, tmp_path):
    if settings.database_url:
        pytest.skip("the disk-full test runs SQLite on a small disk of its own")
    settings = settings.model_copy(update={"data_dir": small_disk / "data"})
    store = open_store(settings)
    with store.write() as conn:
        _, token = user_store.create(conn, "disk@example.com", role="owner")
        # each submit is another labeler's (each labeler counts once per task)
        labelers = iter(
            [user_store.create(conn, f"l{i}@example.com", role="annotator")[0]["id"] for i in range(30)]
        )
    store.close()
    server = ServerProcess(settings, tmp_path)
    server.start()
    try:
        http = httpx.Client(base_url=server.url, headers={"Authorization": f"Token {token}"}, timeout=30)
        project = http.post("/api/projects", json={"title": "disk", "label_config": PAIRWISE}).json()["id"]
        http.patch(f"/api/projects/{project}", json={"maximum_annotations": 100})
        [task] = http.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]

        def submit(key):
            body = {"result": pick(), "unique_id": key, "completed_by": next(labelers)}
            return http.post(f"/api/tasks/{task}/annotations", json=body)

        saved = [key for key in (str(uuid.uuid4()) for _ in range(3)) if submit(key).status_code == 201]
        assert len(saved) == 3
        filler = small_disk / "filler"
        with open(filler, "wb", buffering=0) as out:  # fill every last byte (unbuffered: closing cannot fail)
            try:
                while True:
                    out.write(b"\0" * 65536)
                    out.flush()
            except OSError:
                pass
        refused = []
        for _ in range(20):  # enough writes to need a new page of the database
            key = str(uuid.uuid4())
            r = submit(key)
            if r.status_code == 201:
                saved.append(key)
            else:
                assert r.status_code == 507 and "disk is full" in r.json()["detail"], r.text
                refused.append(key)
        assert refused, "the disk never filled up"
        filler.unlink()
        key = str(uuid.uuid4())
        assert submit(key).status_code == 201  # recovered, with no restart
        saved.append(key)
        stored = {a["unique_id"] for a in http.get(f"/api/tasks/{task}/annotations").json()}
        assert stored == set(saved) and not stored & set(refused)
        assert http.get(f"/api/tasks/{task}").json()["total_annotations"] == len(saved)
        http.close()
    finally:
        server.kill()
    with sqlite3.connect(settings.data_dir / "preflab.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

"""A streamed download that fails is never a clean 200: what fails before its first bytes is an
error status; what fails later aborts the connection, so the client sees an incomplete body."""

import hashlib
import os
import uuid

import httpx
import orjson
import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update

import preflab
from preflab.domain import exportrows
from preflab.formats import shapes
from preflab.server import create_app
from preflab.services import exports
from preflab.services.settings import Settings
from preflab.store import snapshots
from preflab.store.db import MIGRATIONS, Store
from preflab.store.schema import export_chunks
from preflab.store.schema import exports as export_rows
from tests.conftest import PAIRWISE, PG_URL, make_user, pick

# The function that makes the rows of each format, patched to fail after some rows.
ROW_WRITERS = {
    "JSON": (shapes, "exported_task_bytes"),
    "JSON_MIN": (exportrows, "rows"),
    "CSV": (exportrows, "rows"),
    "TSV": (exportrows, "rows"),
    "PREFERENCE_JSONL": (exports, "preference_row"),
    "KTO_JSONL": (exports, "kto_rows"),
}


def _annotated(api, project, n: int, answer_size: int = 10) -> list[int]:
    tasks = [
        {
            "data": {"prompt": f"prompt {i}", "answer1": "a" * answer_size, "answer2": f"b{i}" * answer_size},
            "annotations": [{"result": pick("left")}],
        }
        for i in range(n)
    ]
    r = api.post(f"/api/projects/{project}/import", json=tasks)
    assert r.status_code == 201, r.text
    return r.json()["task_ids"]


def _fail_after(monkeypatch, fmt: str, rows: int) -> None:
    module, name = ROW_WRITERS[fmt]
    real, made = getattr(module, name), []

    def writer(*args, **kwargs):
        if len(made) >= rows:
            raise RuntimeError("a row that cannot be written")
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, writer)


def _download(server, account, path: str):
    """("aborted", bytes received) when the connection ends before the body does, else
    (status, body)."""
    received = bytearray()
    with httpx.Client(base_url=server.url, headers=account.headers, timeout=60) as client:
        try:
            with client.stream("GET", path) as r:
                for chunk in r.iter_raw():
                    received += chunk
        except httpx.RemoteProtocolError as exc:
            assert "incomplete chunked read" in str(exc)
            return "aborted", bytes(received)
    return r.status_code, bytes(received)


@pytest.mark.parametrize("fmt", list(ROW_WRITERS))
def test_a_row_failing_mid_stream_aborts_the_download(api, project, live_server, owner, monkeypatch, fmt):
    _annotated(api, project, 2500, answer_size=400)  # the first batch alone is past the head
    _fail_after(monkeypatch, fmt, 2100)
    outcome, received = _download(live_server, owner, f"/api/projects/{project}/export?exportType={fmt}")
    assert outcome == "aborted" and len(received) > 256 * 1024


@pytest.mark.parametrize("fmt", list(ROW_WRITERS))
def test_a_row_failing_before_the_first_byte_is_an_error_status(
    api, project, live_server, owner, monkeypatch, fmt
):
    _annotated(api, project, 3)
    _fail_after(monkeypatch, fmt, 1)
    outcome, received = _download(live_server, owner, f"/api/projects/{project}/export?exportType={fmt}")
    assert outcome == 500 and b"Internal server error" in received


def test_a_snapshot_conversion_failing_mid_stream_aborts_the_download(
    api, project, live_server, owner, monkeypatch
):
    _annotated(api, project, 2500, answer_size=400)
    snapshot = api.post(f"/api/projects/{project}/exports", json={}).json()["id"]
    _fail_after(monkeypatch, "CSV", 2100)
    path = f"/api/projects/{project}/exports/{snapshot}/download?exportType=CSV"
    outcome, received = _download(live_server, owner, path)
    assert outcome == "aborted" and len(received) > 256 * 1024


def test_a_snapshot_missing_a_piece_is_never_a_clean_download(api, project, live_server, owner, store):
    _annotated(api, project, 3000, answer_size=400)  # several 1 MiB pieces
    snapshot = api.post(f"/api/projects/{project}/exports", json={}).json()["id"]
    path = f"/api/projects/{project}/exports/{snapshot}/download?exportType=JSON"
    with store.read() as conn:
        pieces = conn.execute(select(export_chunks.c.seq).where(export_chunks.c.export_id == snapshot)).all()
    assert len(pieces) >= 3
    with store.write() as conn:  # a piece lost after the first (a snapshot deleted while read)
        conn.execute(
            delete(export_chunks).where(export_chunks.c.export_id == snapshot, export_chunks.c.seq == 2)
        )
    outcome, received = _download(live_server, owner, path)
    assert outcome == "aborted" and len(received) >= 2 * (1 << 20)
    with store.write() as conn:  # no piece at all: refused before the first byte
        conn.execute(delete(export_chunks).where(export_chunks.c.export_id == snapshot))
    outcome, received = _download(live_server, owner, path)
    assert outcome == 410 and b"stored bytes are incomplete" in received


# ---------------------------------------------------------------- snapshots from before 0009


@pytest.fixture
def empty_url(tmp_path, pg_template):
    """The URL of an empty database on the engine of this pass."""
    if pg_template is None:
        yield f"sqlite:///{tmp_path}/old.db"
        return
    admin, _ = pg_template
    name = f"preflab_old_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _upgrade(store: Store, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_snapshots_from_before_0009_are_moved_into_the_database_or_failed(tmp_path, empty_url):
    old = Store(empty_url)
    _upgrade(old, "0009")
    owner = make_user(old, "old@example.com", "owner")
    project = preflab.create_project(old, title="old", label_config=PAIRWISE, user_id=owner.id)
    folder = tmp_path / "data" / "exports"
    folder.mkdir(parents=True)
    kept = orjson.dumps([{"id": i, "data": {"text": "x" * 1000}} for i in range(1500)])  # two pieces
    files = {name: folder / f"project-{project}-export-{name}.json" for name in ("kept", "gone", "changed")}
    files["kept"].write_bytes(kept)
    files["changed"].write_bytes(b"[]\n")  # "gone" is never written
    stamp = "2026-11-20T10:00:00.000000Z"
    ids = {}
    with old.write() as conn:
        for name, path in files.items():
            md5 = hashlib.md5(kept if name != "changed" else b"[1]\n", usedforsecurity=False).hexdigest()
            ids[name] = conn.execute(
                insert(export_rows).values(
                    project_id=project, title=name, status="completed", path=str(path), md5=md5,
                    task_count=1500, created_by=owner.id, created_at=stamp, finished_at=stamp,
                )
            ).inserted_primary_key[0]  # fmt: skip
    old.close()

    store = Store(empty_url)
    store.migrate()
    settings = Settings(data_dir=tmp_path / "data", database_url=empty_url)
    with TestClient(create_app(settings, store)) as client:
        base = f"/api/projects/{project}/exports"
        r = client.get(f"{base}/{ids['kept']}/download?exportType=JSON", headers=owner.headers)
        assert (r.status_code, r.content) == (200, kept)
        listed = {row["id"]: row for row in client.get(base, headers=owner.headers).json()}
        assert listed[ids["kept"]]["status"] == "completed"
        for name, why in (("gone", "could not be read"), ("changed", "has changed since")):
            row = listed[ids[name]]
            assert row["status"] == "failed" and why in row["error"] and str(files[name]) in row["error"]
            r = client.get(f"{base}/{ids[name]}/download?exportType=JSON", headers=owner.headers)
            assert r.status_code == 404 and why in r.json()["detail"]
        # the old file goes with its snapshot, and with its project
        assert client.delete(f"{base}/{ids['kept']}", headers=owner.headers).status_code == 204
        assert not files["kept"].exists() and files["changed"].exists()
        assert client.delete(f"/api/projects/{project}", headers=owner.headers).status_code == 204
        assert not files["changed"].exists()
    store.close()


# ---------------------------------------------------------------- a snapshot whose builder died


def test_a_snapshot_whose_builder_died_becomes_failed(api, project, store, owner):
    _annotated(api, project, 3)
    with store.write() as conn:
        export_id = snapshots.create(conn, project, "crashed", owner.id)
    snapshots.store_bytes(store, export_id, [b"[" + b" " * snapshots.CHUNK])  # a piece, then the crash
    base = f"/api/projects/{project}/exports/{export_id}"
    assert api.get(base).json()["status"] == "in_progress"  # it may still be being made
    with store.write() as conn:  # no piece stored for longer than the limit
        conn.execute(
            update(export_rows)
            .where(export_rows.c.id == export_id)
            .values(heartbeat=export_rows.c.heartbeat - 2 * snapshots.STALE_AFTER)
        )
    row = api.get(base).json()
    assert row["status"] == "failed" and "the export stopped" in row["error"]
    r = api.get(f"{base}/download")
    assert r.status_code == 404 and "the export stopped" in r.json()["detail"]
    with store.read() as conn:
        assert conn.execute(select(export_chunks).where(export_chunks.c.export_id == export_id)).all() == []
    # a builder that was only slow stops at its next piece, and never completes the snapshot
    with pytest.raises(snapshots.SnapshotGivenUp):
        snapshots.store_bytes(store, export_id, [b"]"])
    with pytest.raises(snapshots.SnapshotGivenUp), store.write() as conn:
        snapshots.finish(conn, export_id, md5="0" * 32, task_count=3)
    assert api.get(base).json()["status"] == "failed"

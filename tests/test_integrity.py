"""Nothing lost, nothing duplicated: idempotent submits, ETags, exact counters under concurrency,
blind labeling for annotators."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
from fastapi.testclient import TestClient

from preflab.server import create_app
from preflab.services import imports
from preflab.services.instance import open_store
from preflab.store import tasks as task_store
from tests.conftest import PAIRWISE, Api, make_user, pick, seed_tasks


def _import(api, project, n=1) -> list[int]:
    return api.post(f"/api/projects/{project}/import", json=seed_tasks(n)).json()["task_ids"]


def _rows(api, tid) -> list[dict]:
    return api.get(f"/api/tasks/{tid}/annotations").json()


def test_retried_submit_with_unique_id_returns_the_first_annotation(api, project):
    [tid] = _import(api, project)
    body = {"result": pick(), "unique_id": "7d3c7c1e-1b7e-4a35-9a0e-5a4f0d7e2f11", "lead_time": 2.0}
    first = api.post(f"/api/tasks/{tid}/annotations", json=body)
    again = api.post(f"/api/tasks/{tid}/annotations", json={**body, "result": pick("right")})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()  # the first answer stands; the retry changed nothing
    assert [a["id"] for a in _rows(api, tid)] == [first.json()["id"]]
    assert api.get(f"/api/tasks/{tid}").json()["total_annotations"] == 1


def test_unique_id_of_another_task_or_author_is_refused(client, api, project, store):
    t1, t2 = _import(api, project, 2)
    key = "shared-key"
    assert (
        api.post(f"/api/tasks/{t1}/annotations", json={"result": pick(), "unique_id": key}).status_code == 201
    )
    other_task = api.post(f"/api/tasks/{t2}/annotations", json={"result": pick(), "unique_id": key})
    assert other_task.status_code == 409
    annotator = Api(client, make_user(store, "ann@example.com", "annotator"))
    other_author = annotator.post(f"/api/tasks/{t1}/annotations", json={"result": pick(), "unique_id": key})
    assert other_author.status_code == 409 and "result" not in other_author.json()
    assert _rows(api, t2) == [] and len(_rows(api, t1)) == 1


def test_concurrent_retries_of_one_submit_make_one_annotation(live_server, owner, api, project):
    [tid] = _import(api, project)
    body = {"result": pick(), "unique_id": "a0000000-0000-4000-8000-000000000001"}
    barrier = threading.Barrier(8)

    def submit(_):
        with httpx.Client(base_url=live_server.url, headers=owner.headers, timeout=30) as http:
            barrier.wait()
            r = http.post(f"/api/tasks/{tid}/annotations", json=body)
            return r.status_code, r.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(submit, range(8)))
    assert {status for status, _ in answers} == {201}
    assert len({aid for _, aid in answers}) == 1
    assert len(_rows(api, tid)) == 1


def test_counters_stay_exact_when_labelers_submit_one_task_at_once(live_server, client, store, api):
    project = api.post("/api/projects", json={"title": "overlap", "label_config": PAIRWISE}).json()["id"]
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 8})
    [tid] = _import(api, project)
    labelers = [make_user(store, f"l{i}@example.com", "annotator") for i in range(8)]
    barrier = threading.Barrier(len(labelers))

    def submit(account):
        with httpx.Client(base_url=live_server.url, headers=account.headers, timeout=30) as http:
            barrier.wait()
            return http.post(f"/api/tasks/{tid}/annotations", json={"result": pick()}).status_code

    with ThreadPoolExecutor(len(labelers)) as pool:
        statuses = list(pool.map(submit, labelers))
    assert statuses == [201] * 8
    task = api.get(f"/api/tasks/{tid}").json()
    assert task["total_annotations"] == 8 and task["is_labeled"] is True and task["agreement"] == 1.0
    assert len(task["annotations"]) == 8


def test_stale_if_match_is_refused_and_changes_nothing(api, project):
    [tid] = _import(api, project)
    created = api.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
    aid, etag = created.json()["id"], created.headers["ETag"]
    assert api.get(f"/api/annotations/{aid}").headers["ETag"] == etag
    changed = api.patch(f"/api/annotations/{aid}", json={"result": pick("right")}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    stale = api.patch(f"/api/annotations/{aid}", json={"result": pick("left")}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert api.delete(f"/api/annotations/{aid}", headers={"If-Match": etag}).status_code == 412
    assert api.get(f"/api/annotations/{aid}").json()["result"] == pick("right")
    fresh = changed.headers["ETag"]
    assert api.delete(f"/api/annotations/{aid}", headers={"If-Match": fresh}).status_code == 204


def test_annotators_see_only_their_own_part_of_a_task(client, store, api, project):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 3})
    [tid] = _import(api, project)
    a, b = (Api(client, make_user(store, f"{n}@example.com", "annotator")) for n in "ab")
    api.post(f"/api/tasks/{tid}/annotations", json={"result": pick("right")})
    b.post(f"/api/tasks/{tid}/annotations", json={"result": pick("right")})
    seen = a.get(f"/api/tasks/{tid}").json()
    assert seen["annotations"] == [] and seen["annotators"] == []
    assert seen["total_annotations"] == 0 and seen["agreement"] is None and seen["is_labeled"] is False
    assert a.get(f"/api/projects/{project}/next").json()["total_annotations"] == 0
    a.post(f"/api/tasks/{tid}/annotations", json={"result": pick("left")})
    mine = a.get(f"/api/tasks/{tid}").json()
    assert mine["total_annotations"] == 1 and [x["completed_by"] for x in mine["annotations"]] == [
        a.account.id
    ]
    full = api.get(f"/api/tasks/{tid}").json()
    assert full["total_annotations"] == 3 and full["agreement"] == 2 / 3


def test_annotators_cannot_set_ground_truth(client, store, api, project):
    [tid] = _import(api, project)
    annotator = Api(client, make_user(store, "gt@example.com", "annotator"))
    refused = annotator.post(f"/api/tasks/{tid}/annotations", json={"result": pick(), "ground_truth": True})
    assert refused.status_code == 403 and _rows(api, tid) == []
    aid = annotator.post(f"/api/tasks/{tid}/annotations", json={"result": pick()}).json()["id"]
    assert annotator.patch(f"/api/annotations/{aid}", json={"ground_truth": True}).status_code == 403
    assert api.get(f"/api/annotations/{aid}").json()["ground_truth"] is False
    assert api.patch(f"/api/annotations/{aid}", json={"ground_truth": True}).json()["ground_truth"] is True


def test_a_slow_upload_holds_no_lock_while_it_arrives(live_server, owner, api, project, monkeypatch):
    """Half an upload is in and the importer is reading it (it has parsed items and not finished
    reading): another labeler's submit is written and committed meanwhile, and the import still
    writes all of its tasks once the rest arrives. Were the lock taken before the body is read,
    the submit would wait for the upload and end in 503."""
    [tid] = _import(api, project)
    reading, staged = threading.Event(), threading.Event()
    read_items, stage = imports.read_items, imports._stage

    def spy_read(*args, **kwargs):
        for item in read_items(*args, **kwargs):
            reading.set()
            yield item

    def spy_stage(*args, **kwargs):
        items = stage(*args, **kwargs)
        staged.set()  # read and checked: the write transaction comes next
        return items

    monkeypatch.setattr(imports, "read_items", spy_read)
    monkeypatch.setattr(imports, "_stage", spy_stage)
    boundary = "preflabboundary"
    rows = orjson.dumps(seed_tasks(5000))  # several of the reader's 64 KiB chunks in each half
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.json"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + rows
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST /api/projects/{project}/import HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Token {owner.token}\r\nContent-Length: {len(body)}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=30) as upload:
        upload.sendall(head + body[: len(body) // 2])  # half now, the rest after the submit
        assert reading.wait(30), "the importer never started reading the upload"
        with httpx.Client(base_url=live_server.url, headers=owner.headers, timeout=30) as http:
            submitted = http.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
            committed = http.get(f"/api/tasks/{tid}").json()["total_annotations"]
        still_reading = not staged.is_set()
        upload.sendall(body[len(body) // 2 :])
        answer = upload.makefile("rb").read()
    assert submitted.status_code == 201, submitted.text
    assert committed == 1  # another request sees it: written and committed...
    assert still_reading  # ...while the upload was still arriving
    assert answer.startswith(b"HTTP/1.1 201") and staged.is_set()
    assert api.get(f"/api/projects/{project}").json()["task_number"] == 5001


def test_imported_annotations_are_credited_by_email_or_to_no_one(client, store, api, project):
    labeler = make_user(store, "known@example.com", "annotator")
    task = {"data": seed_tasks(1)[0]}
    items = [
        {**task, "annotations": [{"result": pick(), "completed_by": labeler.id}]},
        {
            **task,
            "annotations": [{"result": pick(), "completed_by": {"id": 77, "email": "known@example.com"}}],
        },
        {
            **task,
            "annotations": [{"result": pick(), "completed_by": {"id": 78, "email": "gone@example.com"}}],
        },
    ]
    r = api.post(f"/api/projects/{project}/import", json=items)
    assert r.status_code == 201, r.text
    assert r.json()["annotation_authors"] == {"matched_by_email": 1, "unattributed": 2}
    authors = [_rows(api, tid)[0]["completed_by"] for tid in r.json()["task_ids"]]
    assert authors == [None, labeler.id, None]


def test_a_lock_wait_past_its_bound_answers_503_and_changes_nothing(settings, store, owner):
    patient = settings.model_copy(update={"lock_wait": 0.5})
    short = open_store(patient)
    app = create_app(patient, short)
    with TestClient(app) as client:
        http = Api(client, owner)
        project = http.post("/api/projects", json={"title": "busy", "label_config": PAIRWISE}).json()["id"]
        [tid] = _import(http, project)
        with short.write() as conn:  # another writer holds the task (and, on SQLite, the database)
            task_store.lock(conn, tid)
            started = time.monotonic()
            busy = http.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
            waited = time.monotonic() - started
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
        assert "busy" in busy.json()["detail"] and waited < 5
        assert _rows(http, tid) == [] and http.get(f"/api/tasks/{tid}").json()["total_annotations"] == 0
        assert http.post(f"/api/tasks/{tid}/annotations", json={"result": pick()}).status_code == 201
    short.close()

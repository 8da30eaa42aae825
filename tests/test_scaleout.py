"""Several stateless server processes on one database: labelers spread over them get no task
twice, lose nothing, and a session or a rate limit made on one process holds on the others."""

from __future__ import annotations

import threading

import httpx
import pytest

from preflab.store import users as user_store
from tests.conftest import PAIRWISE, ServerProcess, pick, seed_tasks

TASKS, OVERLAP, LABELERS = 24, 2, 6


@pytest.fixture
def servers(settings, store, tmp_path):
    running = [ServerProcess(settings, tmp_path), ServerProcess(settings, tmp_path, "--workers", "2")]
    for server in running:
        server.start()
    yield running
    for server in running:
        server.kill()


def _accounts(store, n):
    made = []
    with store.write() as conn:
        for i in range(n):
            row, token = user_store.create(
                conn,
                f"s{i}@example.com",
                role="owner" if i == 0 else "annotator",
                password_hash=user_store.hash_password(f"password-{i}"),
            )
            made.append((row, token))
    return made


def test_labelers_spread_over_processes_get_no_task_twice_and_lose_nothing(servers, store):
    (_, owner_token), *labelers = _accounts(store, LABELERS + 1)
    admin = {"Authorization": f"Token {owner_token}"}
    first = servers[0].url
    project = httpx.post(
        f"{first}/api/projects", headers=admin, json={"title": "s", "label_config": PAIRWISE}
    )
    project = project.json()["id"]
    httpx.patch(f"{first}/api/projects/{project}", headers=admin, json={"maximum_annotations": OVERLAP})
    httpx.post(f"{first}/api/projects/{project}/import", headers=admin, json=seed_tasks(TASKS))
    done: dict[int, list[int]] = {}
    errors: list[str] = []

    def label(index, token):
        headers = {"Authorization": f"Token {token}"}
        clients = [httpx.Client(base_url=s.url, headers=headers, timeout=30) for s in servers]
        mine = done.setdefault(index, [])
        try:
            for step in range(TASKS + 1):
                http = clients[(index + step) % len(clients)]  # alternate between the processes
                offered = http.get(f"/api/projects/{project}/next")
                if offered.status_code == 404:
                    return
                task = offered.json()["id"]
                http = clients[(index + step + 1) % len(clients)]  # submit through the other one
                r = http.post(f"/api/tasks/{task}/annotations", json={"result": pick()})
                if r.status_code != 201:
                    errors.append(f"{r.status_code} {r.text}")
                mine.append(task)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            for client in clients:
                client.close()

    threads = [threading.Thread(target=label, args=(i, t)) for i, (_, t) in enumerate(labelers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    for tasks in done.values():
        assert len(tasks) == len(set(tasks)), "a labeler was given the same task twice"
    assert sum(len(t) for t in done.values()) == TASKS * OVERLAP
    listing = httpx.get(
        f"{servers[1].url}/api/tasks?project={project}&page_size={TASKS}", headers=admin
    ).json()["tasks"]
    assert [t["total_annotations"] for t in listing] == [OVERLAP] * TASKS
    assert all(len(t["annotations"]) == OVERLAP for t in listing)


def test_sessions_and_login_limits_are_shared_by_all_processes(servers, store):
    (owner, _), (labeler, _) = _accounts(store, 2)
    a, b = (httpx.Client(base_url=s.url, timeout=30, follow_redirects=False) for s in servers)
    login = a.post("/user/login", data={"email": owner["email"], "password": "password-0"})
    b.cookies.set("preflab_session", login.cookies["preflab_session"])
    assert b.get("/api/current-user/session").json()["user_id"] == owner["id"]
    for i in range(10):  # failures spread over both processes count together
        assert (a, b)[i % 2].post(
            "/user/login", data={"email": labeler["email"], "password": "no"}
        ).status_code == 400
    refused = b.post("/user/login", data={"email": labeler["email"], "password": "password-1"})
    assert refused.status_code == 429 and "preflab_session" not in refused.cookies
    a.close()
    b.close()


def test_a_snapshot_made_on_one_host_downloads_from_another(settings, store, tmp_path):
    """Two servers that share only the database (each its own data folder, as on two hosts)."""
    (_, token), *_ = _accounts(store, 1)
    hosts = []
    for name in ("host-a", "host-b"):
        own = settings.model_copy(update={"data_dir": tmp_path / name, "database_url": settings.url})
        server = ServerProcess(own, tmp_path)
        server.start()
        hosts.append(server)
    try:
        headers = {"Authorization": f"Token {token}"}
        a, b = (httpx.Client(base_url=s.url, headers=headers, timeout=30) for s in hosts)
        project = a.post("/api/projects", json={"title": "snap", "label_config": PAIRWISE}).json()["id"]
        [tid] = a.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
        a.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
        snap = a.post(f"/api/projects/{project}/exports", json={"title": "s"}).json()
        assert snap["status"] == "completed" and snap["counters"] == {"task_number": 1}
        body = b.get(f"/api/projects/{project}/exports/{snap['id']}/download?exportType=JSON")
        assert body.status_code == 200 and [t["id"] for t in body.json()] == [tid]
        csv = b.get(f"/api/projects/{project}/exports/{snap['id']}/download?exportType=CSV")
        assert csv.status_code == 200 and csv.text.startswith('"annotation_id"')
        assert b.delete(f"/api/projects/{project}/exports/{snap['id']}").status_code == 204
        assert a.get(f"/api/projects/{project}/exports/{snap['id']}").status_code == 404
        assert not list((tmp_path / "host-a").rglob("*.json"))  # nothing on the local disk
        a.close()
        b.close()
    finally:
        for server in hosts:
            server.kill()

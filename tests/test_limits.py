"""Bounded resources: one size limit for every request body (imports have their own, larger one),
checked before the body is parsed; a label-config parse cache whose memory stays bounded
whatever is posted."""

from __future__ import annotations

import socket

import orjson
import pytest

from preflab.domain import labelconfig
from preflab.services.settings import Settings
from preflab.store.schema import login_failures, projects
from tests.conftest import pick, seed_tasks

MIB = 1024 * 1024
TOO_LARGE = "the request body is larger than the limit of 1 MiB"


@pytest.fixture
def small_limit(app):
    """A 1 MiB body limit, so that a test need not send 16 MiB."""
    app.state.settings.max_body_mb = 1


def _count(store, table) -> int:
    with store.read() as conn:
        return len(conn.execute(table.select()).all())


def _too_large(response) -> None:
    assert response.status_code == 413
    assert response.json()["detail"] == TOO_LARGE


def test_the_default_limit_is_16_mib():
    assert Settings().max_body_mb == 16


def test_a_json_body_over_the_default_limit_is_refused(api, store, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    big = pick()
    big[0]["meta"] = {"text": "x" * (16 * MIB)}
    r = api.post(f"/api/tasks/{tid}/annotations", json={"result": big})
    assert (
        r.status_code == 413 and r.json()["detail"] == "the request body is larger than the limit of 16 MiB"
    )
    assert api.get(f"/api/tasks/{tid}/annotations").json() == []


@pytest.mark.usefixtures("small_limit")
def test_json_form_and_multipart_bodies_share_one_limit(api, store):
    title = "x" * MIB
    before = _count(store, projects)
    _too_large(api.post("/api/projects", json={"title": title}))
    _too_large(api.post("/api/projects", data={"title": title}))
    _too_large(api.post("/api/projects", files={"title": (None, title)}))
    _too_large(api.post("/api/projects", files={"label_config": ("config.xml", title.encode())}))
    assert _count(store, projects) == before
    fits = api.post("/api/projects", data={"title": "fits", "description": "x" * (MIB - 1024)})
    assert fits.status_code == 201 and len(fits.json()["description"]) == MIB - 1024


@pytest.mark.usefixtures("small_limit")
def test_a_login_form_over_the_limit_is_refused(client, store, owner):
    r = client.post("/user/login", data={"email": owner.email, "password": "x" * MIB})
    _too_large(r)
    assert _count(store, login_failures) == 0 and "preflab_session" not in r.cookies


@pytest.mark.usefixtures("small_limit")
def test_imports_keep_their_own_larger_limit(api, project):
    rows = seed_tasks(1)
    rows[0]["prompt"] = "p" * (2 * MIB)
    r = api.post(f"/api/projects/{project}/import", json=rows)
    assert r.status_code == 201 and len(r.json()["task_ids"]) == 1


def _raw(server, head: str, body: bytes = b"") -> tuple[bytes, dict]:
    """Send a request head (and perhaps part of a body) and read the whole answer without sending
    the rest: the server must answer before the body ends. The status line and the JSON body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(head.encode() + b"\r\n" + body)
        answer = b""
        while b"\r\n\r\n" not in answer and (chunk := s.recv(65536)):
            answer += chunk
        head, _, rest = answer.partition(b"\r\n\r\n")
        status, *fields = head.split(b"\r\n")
        length = int(dict(f.lower().split(b": ", 1) for f in fields)[b"content-length"])
        while len(rest) < length and (chunk := s.recv(65536)):
            rest += chunk
    return status, orjson.loads(rest)


def _head(owner, project: int, *extra: str) -> str:
    return "\r\n".join(
        [
            f"PATCH /api/projects/{project} HTTP/1.1",
            "Host: 127.0.0.1",
            f"Authorization: Token {owner.token}",
            "Content-Type: application/json",
            *extra,
            "",
        ]
    )


@pytest.mark.usefixtures("small_limit")
def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_read(
    live_server, owner, project, api
):
    status, answer = _raw(live_server, _head(owner, project, f"Content-Length: {MIB + 1}"))
    assert status.startswith(b"HTTP/1.1 413 ") and answer["detail"] == TOO_LARGE
    assert api.get(f"/api/projects/{project}").json()["title"] == "RLHF"


@pytest.mark.usefixtures("small_limit")
def test_a_chunked_body_is_counted_while_it_is_read(live_server, owner, project, api):
    payload = b'{"title": "' + b"x" * (MIB + 1) + b'"}'
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part)
        for part in (payload[i : i + 65536] for i in range(0, len(payload), 65536))
    )  # the whole body but its last, empty chunk: the request never ends
    status, answer = _raw(live_server, _head(owner, project, "Transfer-Encoding: chunked"), chunks)
    assert status.startswith(b"HTTP/1.1 413 ") and answer["detail"] == TOO_LARGE
    assert api.get(f"/api/projects/{project}").json()["title"] == "RLHF"


def _config(i: int, size: int) -> str:
    """A distinct valid config of about ``size`` characters."""
    tags = "".join(f'<Text name="t{i}_{n}" value="$t{n}"/>' for n in range(size // 40))
    return f"<View>{tags}</View>"


def test_the_config_cache_stays_bounded_whatever_is_validated(api):
    cache = labelconfig.PARSE_CACHE
    posted = 0
    for i in range(12):
        xml = _config(i, labelconfig.MAX_CONFIG_CHARS - 1024)
        assert api.post("/api/projects/validate", json={"label_config": xml}).status_code == 200
        posted += len(xml)
        assert cache.chars <= cache.max_chars and len(cache) <= cache.max_entries
    assert posted > 2 * cache.max_chars  # without a bound, the cache would hold all of them
    for i in range(cache.max_entries + 20):  # many small configs: bounded in number too
        labelconfig.parse(_config(1000 + i, 100))
    assert len(cache) <= cache.max_entries and cache.chars <= cache.max_chars
    small = _config(5000, 100)
    assert labelconfig.parse(small) is labelconfig.parse(small)  # still a cache

"""The API fuzzed from its own OpenAPI schema (schemathesis): whatever a client sends, the answer
is never a 5xx, and a refused write (any 4xx) leaves the database exactly as it was."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import select

from preflab.api.app import create_app
from preflab.config import Settings
from preflab.store.schema import metadata
from tests.conftest import PAIRWISE, seed_tasks

EXAMPLES = int(os.environ.get("PREFLAB_FUZZ_EXAMPLES", "8"))  # per operation; more by hand


def fingerprint(store) -> str:
    digest = hashlib.sha256()
    with store.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in ("sessions", "login_failures", "task_locks"):
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(orjson.dumps([list(map(str, row)) for row in rows]))
    return digest.hexdigest()


def _schema_app():
    """An app only for reading the OpenAPI schema (it is the same for every database)."""
    directory = tempfile.mkdtemp(prefix="preflab-schema-")
    return create_app(Settings(data_dir=Path(directory)))


schema = schemathesis.openapi.from_asgi("/api/openapi.json", _schema_app())


@pytest.fixture
def fuzz_world(api):
    """A project with tasks and an annotation, so generated ids hit real rows now and then."""
    project = api.post("/api/projects", json={"title": "fuzz", "label_config": PAIRWISE}).json()["id"]
    [task, _] = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    api.post(f"/api/tasks/{task}/annotations", json={"result": []})
    return api


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_refused_writes_change_nothing(case, fuzz_world, client, owner, store):
    before = fingerprint(store) if case.method.upper() != "GET" else None
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=owner.headers)
    kwargs.pop("cookies", None)
    response = client.request(**kwargs)
    where = f"{case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if before is not None and 400 <= response.status_code < 500:
        assert fingerprint(store) == before, f"refused {where} ({response.status_code}) changed data"

"""The API fuzzed from its own OpenAPI schema (schemathesis: bodies, path and query parameters) and
through the query parameters of each GET route (``QUERY`` below: the values each takes, valid and
invalid, which the schema's types cannot tell), as an owner, a manager and an annotator: whatever a
client sends, the answer is never a 5xx, a refused write (any 4xx) leaves the database exactly as
it was, and a bad query parameter is a 400 naming it. The schema declares every parameter of
``QUERY``, integers with their bounds."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection

from preflab.api.params import MAX_ID, MAX_PAGE
from preflab.api.routes import projects as project_routes
from preflab.api.routes import tasks as task_routes
from preflab.server import create_app
from preflab.services.settings import Settings
from preflab.store.schema import metadata
from tests.conftest import PAIRWISE, make_user, pick, seed_tasks

EXAMPLES = int(os.environ.get("PREFLAB_FUZZ_EXAMPLES", "8"))  # per operation; more by hand
ROLES = ("owner", "manager", "annotator")
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


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


@dataclass
class World:
    """A project with a task of each labeler's, an annotation, a prediction, a draft, a view and an
    export snapshot, and the headers of an owner, a manager and an annotator."""

    headers: dict[str, dict]
    ids: dict[str, int]  # path parameter -> an id of a real row


@pytest.fixture
def world(api, client, store, owner) -> World:
    manager = make_user(store, "manager@example.com", "manager")
    annotator = make_user(store, "annotator@example.com", "annotator")
    project = api.post("/api/projects", json={"title": "fuzz", "label_config": PAIRWISE}).json()["id"]
    [task, other] = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    annotation = api.post(f"/api/tasks/{task}/annotations", json={"result": pick()}).json()["id"]
    client.post(f"/api/tasks/{other}/annotations", json={"result": pick()}, headers=annotator.headers)
    prediction = api.post("/api/predictions", json={"task": other, "result": pick(), "model_version": "v1"})
    draft = api.post(f"/api/tasks/{other}/drafts", json={"result": pick()})
    view = api.post("/api/dm/views", json={"project": project, "data": {"title": "all"}})
    export = api.post(f"/api/projects/{project}/exports", json={})
    for made in (prediction, draft, view, export):
        assert made.status_code == 201, made.text
    ids = {
        "project_id": project,
        "task_id": task,
        "annotation_id": annotation,
        "prediction_id": prediction.json()["id"],
        "draft_id": draft.json()["id"],
        "view_id": view.json()["id"],
        "export_id": export.json()["id"],
        "user_id": annotator.id,
        "org_id": 1,
    }
    headers = {"owner": owner.headers, "manager": manager.headers, "annotator": annotator.headers}
    return World(headers, ids)


def _encodable(files):
    """A generated multipart body as the HTTP client can send it: a part whose content is a
    number (valid in the schema's eyes) is sent as its text."""

    def content(value):
        return value if isinstance(value, str | bytes) or hasattr(value, "read") else str(value).encode()

    items = files.items() if isinstance(files, dict) else files
    out = []
    for name, value in items:
        value = (value[0], content(value[1]), *value[2:]) if isinstance(value, tuple) else content(value)
        out.append((name, value))
    return out


@schema.parametrize()
@schema.given(role=st.sampled_from(ROLES))
@FUZZ
def test_no_server_error_and_refused_writes_change_nothing(case, role, world, client, store):
    before = fingerprint(store) if case.method.upper() != "GET" else None
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=world.headers[role])
    kwargs.pop("cookies", None)
    if kwargs.get("files"):
        kwargs["files"] = _encodable(kwargs["files"])
    response = client.request(**kwargs)
    where = f"{role}: {case.method} {case.formatted_path}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    if before is not None and 400 <= response.status_code < 500:
        assert fingerprint(store) == before, f"refused {where} ({response.status_code}) changed data"


# --- query parameters ------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=20)  # what a query string can carry


@dataclass(frozen=True)
class Kind:
    """The values a query parameter takes: ``valid`` ones are accepted (never a 400), ``invalid``
    ones (None: any text goes) are a 400 whose detail says ``names`` (None: the parameter's name)."""

    valid: st.SearchStrategy[str]
    invalid: st.SearchStrategy[str] | None = None
    names: str | None = None


def _integers(minimum: int, maximum: int | None = None, valid_up_to: int = 50) -> Kind:
    out_of_range = st.integers(max_value=minimum - 1)
    if maximum is not None:
        out_of_range |= st.integers(min_value=maximum + 1)
    return Kind(
        st.integers(minimum, max(minimum, valid_up_to)).map(str),
        out_of_range.map(str) | TEXT.map(lambda s: "x" + s),
    )


POSITIVE = _integers(1)
ID = Kind(st.integers(1, 10**6).map(str), _integers(0, MAX_ID).invalid)  # 0 means "none given"
NATURAL = _integers(0)
FREE = Kind(TEXT)
FLAG = Kind(
    st.sampled_from(["true", "false", "1", "0", "yes", "no", "on", "off", "", "TRUE", " True "]),
    TEXT.map(lambda s: "maybe" + s),
)
IDS = Kind(
    st.lists(st.integers(1, 10**6), max_size=5).map(lambda ids: ",".join(map(str, ids))),
    st.tuples(st.lists(st.integers(1, 10**6), max_size=3), TEXT).map(
        lambda t: ",".join([*map(str, t[0]), "x" + t[1]])
    ),
)
NUMBER = Kind(
    st.one_of(st.floats(allow_nan=False).map(str), st.sampled_from(["nan", "inf", "-inf", "0", "1e-3"])),
    TEXT.map(lambda s: "x" + s),
)
SHARE = Kind(
    st.floats(0, 1, exclude_min=True).map(str),
    st.one_of(
        st.floats(min_value=1, exclude_min=True).map(str),
        st.floats(max_value=0).map(str),
        st.just("nan"),
        TEXT.map(lambda s: "x" + s),
    ),
)
PAIR = Kind(
    st.sampled_from(["prompt,answer1", "answer1, answer2", "a,b"]),
    st.one_of(
        st.sampled_from(["a", "a,b,c", "a,", ",b", " , "]), TEXT.map(lambda s: "k" + s.replace(",", ""))
    ),
)
CHOICE = Kind(
    st.sampled_from(["Tie=tie", "Left=answer1", "Both bad=both-bad", "x=y=answer2"]),
    st.one_of(st.sampled_from(["Tie", "=tie", " =tie"]), TEXT.map(lambda s: "Tie=maybe" + s)),
)
FORMAT = Kind(
    st.sampled_from(["JSON", "json_min", "CSV", "tsv", "PREFERENCE_JSONL", "kto-jsonl"]),
    TEXT.map(lambda s: "x" + s),
    names="export format",
)
DM_QUERY = Kind(
    st.sampled_from(
        [
            "{}",
            '{"ordering": ["-tasks:id"]}',
            '{"selectedItems": {"all": true, "excluded": [1]}}',
            '{"filters": {"conjunction": "and", "items": []}, "selectedItems": {"all": false, "included": [1]}}',
        ]
    ),
    st.one_of(
        TEXT.map(lambda s: "x" + s),
        st.sampled_from(['{"ordering": 5}', '{"ordering": ["tasks:nope"]}', '{"selectedItems": []}', "[]"]),
    ),
)
ORDERING = Kind(
    st.sampled_from(["id", "-id", "inner_id", "-total_annotations"]), TEXT.map(lambda s: "nope" + s)
)
SNAPSHOT_FORMAT = Kind(
    st.sampled_from(["JSON", "json-min", "CSV", "tsv"]), TEXT.map(lambda s: "x" + s), names="export format"
)
# Taken as text and compared with completed_at: no check of its own (yet), so no invalid values.
TIMESTAMP = Kind(st.datetimes().map(lambda t: t.isoformat(timespec="seconds")) | st.dates().map(str))
PINNED = Kind(st.sampled_from(["all", "pinned_only", "exclude_pinned"]), TEXT.map(lambda s: "x" + s))
RESAMPLES = _integers(0, 10_000, valid_up_to=20)

AGGREGATION = {
    "min_votes": POSITIVE,
    "min_agreement": SHARE,
    "include_ties": FLAG,
    "include_both_bad": FLAG,
    "prompt_key": FREE,
    "answer_keys": PAIR,
    "model_keys": PAIR,
    "choice": CHOICE,
    "strength": FREE,
    "aggregation": Kind(st.sampled_from(["majority", "reliability"]), TEXT.map(lambda s: "x" + s)),
    "exclude_flagged": FLAG,
}
PAGE = _integers(1, MAX_PAGE)
TASK_PAGING = {"page": PAGE, "page_size": _integers(1, task_routes.MAX_PAGE_SIZE)}

# Every GET route of the API and the query parameters its code reads (preflab/api/routes, params.py,
# aggregation.py); test_the_table_lists_every_query_parameter_the_code_reads keeps it complete.
QUERY: dict[str, dict[str, Kind]] = {
    "/api/version": {},
    "/health": {},
    "/api/current-user/whoami": {},
    "/api/current-user/session": {},
    "/api/organizations/{org_id}": {},
    "/api/users": {},
    "/api/users/{user_id}": {},
    "/api/projects": {
        "page": PAGE,
        "page_size": _integers(1, project_routes.MAX_PAGE_SIZE),
        "ids": IDS,
        "filter": PINNED,
    },
    "/api/projects/{project_id}": {},
    "/api/projects/{project_id}/next": {"keep": IDS, "empty": FREE},
    "/api/projects/{project_id}/members": {},
    "/api/projects/{project_id}/history": {"limit": POSITIVE},
    "/api/templates": {},
    "/api/projects/{project_id}/file-uploads": {},
    "/api/tasks": {
        "project": ID,
        "view": ID,
        **TASK_PAGING,
        "include": FREE,
        "query": DM_QUERY,
        "only_annotated": FLAG,
        "labeled": FLAG,
        "ordering": ORDERING,
        "annotator": ID,
        "completed_after": TIMESTAMP,
        "completed_before": TIMESTAMP,
        "agreement_below": NUMBER,
    },
    "/api/projects/{project_id}/tasks": TASK_PAGING,
    "/api/tasks/{task_id}": {},
    "/api/tasks/{task_id}/annotations": {},
    "/api/annotations/{annotation_id}": {},
    "/api/drafts/{draft_id}": {},
    "/api/predictions": {"task": ID, "project": ID},
    "/api/predictions/{prediction_id}": {},
    "/api/projects/{project_id}/model-versions": {},
    "/api/dm/views": {"project": ID},
    "/api/dm/views/{view_id}": {},
    "/api/dm/actions": {},
    "/api/projects/{project_id}/export": {
        "exportType": FORMAT,
        "export_type": FORMAT,
        "download_all_tasks": FLAG,
        "ids": IDS,
        "neutralize_formulas": FLAG,
        **AGGREGATION,
    },
    "/api/projects/{project_id}/export/formats": {},
    "/api/projects/{project_id}/exports": {},
    "/api/projects/{project_id}/exports/{export_id}": {},
    "/api/projects/{project_id}/exports/{export_id}/download": {
        "exportType": SNAPSHOT_FORMAT,
        "export_type": SNAPSHOT_FORMAT,
        "neutralize_formulas": FLAG,
    },
    "/api/projects/{project_id}/stats": {
        **AGGREGATION,
        "resamples": RESAMPLES,
        "seed": NATURAL,
        "min_shared": POSITIVE,
    },
}
# What a route needs besides the parameter under test to get as far as reading it.
BASE = {"/api/tasks": ("project",), "/api/dm/views": ("project",), "/api/predictions": ("project",)}
WITH_PARAMETERS = [path for path, params in QUERY.items() if params]


def _url(path: str, world: World) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(world.ids[m.group(1)]), path)


def _base(path: str, world: World) -> dict[str, str]:
    return {name: str(world.ids["project_id"]) for name in BASE.get(path, ())}


def test_the_table_has_every_get_route(app):
    served = {path for path, ops in app.openapi()["paths"].items() if "get" in ops}
    assert sorted(served ^ QUERY.keys()) == []


def test_the_table_lists_every_query_parameter_the_code_reads(world, client, monkeypatch):
    """Each GET route, asked as the owner with nothing wrong (401: the session route wants a cookie;
    404: the owner's queue is done), records the query parameters it looks up; every one must be in
    QUERY (a route reads some only on some answers, so the table may hold more)."""
    read: set[str] = set()

    class Recording(QueryParams):
        def get(self, key, default=None):
            read.add(key)
            return super().get(key, default)

        def getlist(self, key):
            read.add(key)
            return super().getlist(key)

        def __getitem__(self, key):
            read.add(key)
            return super().__getitem__(key)

        def __contains__(self, key):
            read.add(key)
            return super().__contains__(key)

    monkeypatch.setattr(
        HTTPConnection, "query_params", property(lambda r: Recording(r.scope["query_string"]))
    )
    for path, params in QUERY.items():
        read.clear()
        response = client.get(_url(path, world), params=_base(path, world), headers=world.headers["owner"])
        assert response.status_code in (200, 401, 404), (
            f"{path}: {response.status_code} {response.text[:200]}"
        )
        listed = {name.removesuffix("[]") for name in read}
        assert listed <= params.keys(), f"{path} reads {sorted(listed - params.keys())}, not in QUERY"


@pytest.mark.parametrize("path", WITH_PARAMETERS)
@given(role=st.sampled_from(ROLES), data=st.data())
@FUZZ
def test_no_query_string_causes_a_server_error(path, role, data, world, client):
    kinds = QUERY[path]
    values = {
        name: st.one_of(kind.valid, TEXT, *([kind.invalid] if kind.invalid is not None else []))
        for name, kind in kinds.items()
    }
    params = {**_base(path, world), **data.draw(st.fixed_dictionaries({}, optional=values))}
    response = client.get(_url(path, world), params=params, headers=world.headers[role])
    assert response.status_code < 500, f"{role} {path} {params}: {response.status_code} {response.text[:300]}"


@pytest.mark.parametrize("path", WITH_PARAMETERS)
@given(data=st.data())
@FUZZ
def test_a_bad_query_parameter_is_a_400_naming_it(path, data, world, client):
    """Each parameter alone: a valid value is accepted, a bad one refused with a 400 naming it."""
    url, owner, base = _url(path, world), world.headers["owner"], _base(path, world)
    for name, kind in QUERY[path].items():
        good = data.draw(kind.valid, label=f"{name} (valid)")
        accepted = client.get(url, params={**base, name: good}, headers=owner)
        where = f"{path} {name}={good!r}: {accepted.status_code} {accepted.text[:300]}"
        assert accepted.status_code not in (400, 422) and accepted.status_code < 500, where
        if kind.invalid is not None:
            bad = data.draw(kind.invalid, label=f"{name} (invalid)")
            refused = client.get(url, params={**base, name: bad}, headers=owner)
            where = f"{path} {name}={bad!r}: {refused.status_code} {refused.text[:300]}"
            assert refused.status_code == 400, where
            assert (kind.names or name) in refused.json()["detail"], where


def _query_parameters(operation: dict) -> dict[str, dict]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


def test_the_schema_declares_the_query_parameters_of_the_table_with_bounds(app):
    """Swagger UI and schemathesis see what the routes read: each GET route's parameters are
    those of QUERY, every query parameter of every operation has a description, and every
    integer one a lower and an upper bound."""
    paths = app.openapi()["paths"]
    for path, params in QUERY.items():
        assert sorted(_query_parameters(paths[path]["get"])) == sorted(params), path
    for path, operations in paths.items():
        for method, operation in operations.items():
            for name, parameter in _query_parameters(operation).items():
                where = f"{method.upper()} {path} {name}"
                assert parameter.get("description"), where
                schema = parameter["schema"]
                if "integer" in {schema.get("type"), *(s.get("type") for s in schema.get("anyOf", []))}:
                    assert "minimum" in str(schema) and "maximum" in str(schema), where


def test_the_listings_declare_their_page_bounds(app):
    paths = app.openapi()["paths"]
    for path in ("/api/tasks", "/api/projects/{project_id}/tasks"):
        declared = _query_parameters(paths[path]["get"])
        assert declared["page_size"]["schema"] == {
            "type": "integer",
            "minimum": 1,
            "maximum": task_routes.MAX_PAGE_SIZE,
            "default": 100,
            "title": "Page Size",
            "description": declared["page_size"]["description"],
        }, path
        assert (
            declared["page"]["schema"]["minimum"] == 1 and declared["page"]["schema"]["maximum"] == MAX_PAGE
        )
    actions = _query_parameters(paths["/api/dm/actions"]["post"])
    assert sorted(actions) == ["id", "project", "tabID", "view"]


@pytest.mark.parametrize("path", ["/api/tasks", "/api/projects/{project_id}/tasks"])
def test_a_page_size_past_the_bound_is_a_clear_400(path, world, client):
    url, owner, base = _url(path, world), world.headers["owner"], _base(path, world)
    largest = client.get(url, params={**base, "page_size": task_routes.MAX_PAGE_SIZE}, headers=owner)
    assert largest.status_code == 200, largest.text
    refused = client.get(url, params={**base, "page_size": task_routes.MAX_PAGE_SIZE + 1}, headers=owner)
    assert refused.status_code == 400
    detail = f"query parameter page_size: must be at most {task_routes.MAX_PAGE_SIZE}"
    assert refused.json() == {
        "status_code": 400,
        "detail": detail,
        "validation_errors": {"page_size": [detail]},
    }

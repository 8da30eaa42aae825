"""The authorization matrix: every API route of the app, for every kind of caller, with the status
each must get, and for every refused write the database unchanged.

The routes come from the app itself (its OpenAPI schema), so a new route without a rule here
fails ``test_every_route_has_a_rule``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from sqlalchemy import select

from preflab.store.schema import metadata
from tests.conftest import PAIRWISE, Api, make_user, pick, seed_tasks

CALLERS = ("anonymous", "bad token", "inactive", "outsider", "annotator", "manager", "owner")

# Who may call a route. Refusals: no valid token → 401; a project the caller cannot see → 404;
# a role that may not → 403.
PUBLIC = "public"  # anyone, even without a token
USER = "user"  # any active user
CREATE = "create"  # managers and owners (no project involved)
OWNER = "owner"  # owners only
SEE = "see"  # whoever sees the (restricted) project: members and owners
MANAGE = "manage"  # managers and owners who see the project
OWN = "own"  # the annotation's author, and managers and owners who see the project
SESSION = "session"  # browser sessions only: every token caller gets 401
AUTHOR = "author"  # the annotator's own draft or annotation: nobody else, not even an owner


@dataclass
class Rule:
    access: str
    request: Callable  # (world, caller) -> (path, request kwargs)


def _get(path: str) -> Callable:
    return lambda w, c: (path.format(**w.ids), {})


def _body(path: str, body: Callable | dict) -> Callable:
    return lambda w, c: (path.format(**w.ids), {"json": body(w) if callable(body) else body})


def _fresh(make: str, path: str, body=None) -> Callable:
    """A request on a new object made for this call (deletes, and writes that consume it)."""

    def build(w, c):
        ids = {**w.ids, make: getattr(w, f"new_{make}")()}
        return path.format(**ids), ({"json": body} if body is not None else {})

    return build


RULES: dict[str, Rule] = {
    "GET /api/version": Rule(PUBLIC, _get("/api/version")),
    "GET /health": Rule(PUBLIC, _get("/health")),
    "GET /api/current-user/whoami": Rule(USER, _get("/api/current-user/whoami")),
    "GET /api/organizations/{org_id}": Rule(USER, _get("/api/organizations/1")),
    "GET /api/users": Rule(USER, _get("/api/users")),
    "POST /api/users": Rule(OWNER, lambda w, c: ("/api/users", {"json": {"email": w.unique_email()}})),
    "GET /api/users/{user_id}": Rule(USER, _get("/api/users/{annotator}")),
    "PATCH /api/users/{user_id}": Rule(OWNER, _body("/api/users/{spare}", {"first_name": "Renamed"})),
    "POST /api/current-user/reset-token": Rule(USER, _get("/api/current-user/reset-token")),
    "GET /api/current-user/session": Rule(SESSION, _get("/api/current-user/session")),
    "GET /api/projects": Rule(USER, _get("/api/projects")),
    "POST /api/projects": Rule(CREATE, _body("/api/projects", {"title": "new", "label_config": PAIRWISE})),
    "POST /api/projects/validate": Rule(USER, _body("/api/projects/validate", {"label_config": PAIRWISE})),
    "POST /api/projects/{project_id}/validate": Rule(
        MANAGE, _body("/api/projects/{project}/validate", {"label_config": PAIRWISE})
    ),
    "GET /api/projects/{project_id}": Rule(SEE, _get("/api/projects/{project}")),
    "PATCH /api/projects/{project_id}": Rule(MANAGE, _body("/api/projects/{project}", {"title": "changed"})),
    "DELETE /api/projects/{project_id}": Rule(MANAGE, _fresh("project", "/api/projects/{project}")),
    "GET /api/projects/{project_id}/next": Rule(SEE, _get("/api/projects/{project}/next")),
    "GET /api/projects/{project_id}/members": Rule(MANAGE, _get("/api/projects/{project}/members")),
    "POST /api/projects/{project_id}/members": Rule(
        MANAGE, _body("/api/projects/{project}/members", lambda w: {"user": w.ids["spare"]})
    ),
    "DELETE /api/projects/{project_id}/members/{user_id}": Rule(
        MANAGE, _fresh("member", "/api/projects/{project}/members/{member}")
    ),
    "GET /api/projects/{project_id}/history": Rule(SEE, _get("/api/projects/{project}/history")),
    "GET /api/templates": Rule(USER, _get("/api/templates")),
    "POST /api/projects/{project_id}/import": Rule(
        MANAGE, _body("/api/projects/{project}/import", seed_tasks(1))
    ),
    "GET /api/tasks": Rule(MANAGE, _get("/api/tasks?project={project}")),
    "GET /api/tasks/{task_id}": Rule(SEE, _get("/api/tasks/{task}")),
    "PATCH /api/tasks/{task_id}": Rule(MANAGE, _body("/api/tasks/{task}", {"meta": {"checked": True}})),
    "DELETE /api/tasks/{task_id}": Rule(MANAGE, _fresh("task", "/api/tasks/{task}")),
    "GET /api/dm/actions": Rule(USER, _get("/api/dm/actions")),
    "GET /api/dm/views": Rule(MANAGE, _get("/api/dm/views?project={project}")),
    "POST /api/dm/views": Rule(
        MANAGE, _body("/api/dm/views", lambda w: {"project": w.ids["project"], "data": {"title": "v"}})
    ),
    "GET /api/dm/views/{view_id}": Rule(MANAGE, _get("/api/dm/views/{view}")),
    "PATCH /api/dm/views/{view_id}": Rule(MANAGE, _body("/api/dm/views/{view}", {"data": {"title": "w"}})),
    "DELETE /api/dm/views/{view_id}": Rule(MANAGE, _fresh("view", "/api/dm/views/{view}")),
    "POST /api/dm/actions": Rule(
        MANAGE,
        lambda w, c: (
            f"/api/dm/actions?project={w.ids['project']}&id=delete_tasks",
            {"json": {"selectedItems": {"all": False, "included": [w.new_task()]}}},
        ),
    ),
    "GET /api/tasks/{task_id}/annotations": Rule(SEE, _get("/api/tasks/{task}/annotations")),
    "POST /api/tasks/{task_id}/annotations": Rule(
        SEE, _fresh("task", "/api/tasks/{task}/annotations", {"result": pick()})
    ),
    "GET /api/annotations/{annotation_id}": Rule(OWN, _get("/api/annotations/{annotation}")),
    "PATCH /api/annotations/{annotation_id}": Rule(
        OWN, _body("/api/annotations/{annotation}", {"result": pick("right")})
    ),
    "DELETE /api/annotations/{annotation_id}": Rule(
        MANAGE, _fresh("annotation", "/api/annotations/{annotation}")
    ),
    "POST /api/tasks": Rule(
        MANAGE, _body("/api/tasks", lambda w: {"project": w.ids["project"], "data": seed_tasks(1)[0]})
    ),
    "POST /api/projects/{project_id}/tasks": Rule(
        MANAGE, _body("/api/projects/{project}/tasks", {"data": seed_tasks(1)[0]})
    ),
    "GET /api/projects/{project_id}/tasks": Rule(MANAGE, _get("/api/projects/{project}/tasks")),
    "DELETE /api/projects/{project_id}/tasks": Rule(
        MANAGE, _fresh("project", "/api/projects/{project}/tasks")
    ),
    "POST /api/projects/{project_id}/import/predictions": Rule(
        MANAGE,
        _body(
            "/api/projects/{project}/import/predictions",
            lambda w: [{"task": w.ids["task"], "result": pick()}],
        ),
    ),
    "GET /api/projects/{project_id}/file-uploads": Rule(MANAGE, _get("/api/projects/{project}/file-uploads")),
    "GET /api/predictions": Rule(SEE, _get("/api/predictions?task={task}")),
    "GET /api/predictions/{prediction_id}": Rule(SEE, _get("/api/predictions/{prediction}")),
    "PATCH /api/predictions/{prediction_id}": Rule(
        MANAGE, _body("/api/predictions/{prediction}", {"score": 0.25})
    ),
    "DELETE /api/predictions/{prediction_id}": Rule(
        MANAGE, _fresh("prediction", "/api/predictions/{prediction}")
    ),
    "POST /api/tasks/{task_id}/drafts": Rule(SEE, _body("/api/tasks/{task}/drafts", {"result": pick()})),
    "POST /api/tasks/{task_id}/annotations/{annotation_id}/drafts": Rule(
        AUTHOR, _body("/api/tasks/{annotated}/annotations/{annotation}/drafts", {"result": pick()})
    ),
    "GET /api/drafts/{draft_id}": Rule(AUTHOR, _get("/api/drafts/{draft}")),
    "PATCH /api/drafts/{draft_id}": Rule(AUTHOR, _body("/api/drafts/{draft}", {"lead_time": 1.0})),
    "DELETE /api/drafts/{draft_id}": Rule(AUTHOR, _fresh("draft", "/api/drafts/{draft}")),
    "GET /api/projects/{project_id}/model-versions": Rule(
        SEE, _get("/api/projects/{project}/model-versions")
    ),
    "POST /api/predictions": Rule(
        MANAGE, _body("/api/predictions", lambda w: {"task": w.ids["task"], "result": pick(), "score": 0.5})
    ),
    "GET /api/projects/{project_id}/export": Rule(
        MANAGE, _get("/api/projects/{project}/export?exportType=JSON")
    ),
    "GET /api/projects/{project_id}/export/formats": Rule(
        SEE, _get("/api/projects/{project}/export/formats")
    ),
    "GET /api/projects/{project_id}/stats": Rule(SEE, _get("/api/projects/{project}/stats")),
    "GET /api/projects/{project_id}/exports": Rule(MANAGE, _get("/api/projects/{project}/exports")),
    "POST /api/projects/{project_id}/exports": Rule(
        MANAGE, _body("/api/projects/{project}/exports", {"title": "snap"})
    ),
    "GET /api/projects/{project_id}/exports/{export_id}": Rule(
        MANAGE, _get("/api/projects/{project}/exports/{export}")
    ),
    "DELETE /api/projects/{project_id}/exports/{export_id}": Rule(
        MANAGE, _fresh("export", "/api/projects/{project}/exports/{export}")
    ),
    "POST /api/projects/{project_id}/exports/{export_id}/convert": Rule(
        MANAGE, _body("/api/projects/{project}/exports/{export}/convert", {"export_type": "CSV"})
    ),
    "GET /api/projects/{project_id}/exports/{export_id}/download": Rule(
        MANAGE, _get("/api/projects/{project}/exports/{export}/download?exportType=JSON")
    ),
}


def expected(access: str, caller: str) -> int | None:
    """The status a caller must get, or None for "allowed" (any 2xx)."""
    if access == PUBLIC:
        return None
    if caller in ("anonymous", "bad token", "inactive") or access == SESSION:
        return 401
    if access == USER:
        return None
    if access in (CREATE, OWNER):
        allowed = ("owner",) if access == OWNER else ("manager", "owner")
        return None if caller in allowed else 403
    if caller == "outsider":
        return 404
    if access == AUTHOR:
        return None if caller == "annotator" else 404
    if access == SEE or caller in ("manager", "owner"):
        return None
    return None if access == OWN else 403


class World:
    """A restricted project with a task, an annotation by the annotator, a prediction and an
    export snapshot; the annotator and the manager are members, the outsider is not."""

    def __init__(self, client, store):
        self.client, self.store = client, store
        accounts = {
            "owner": make_user(store, "owner@example.com", "owner"),
            "manager": make_user(store, "manager@example.com", "manager"),
            "annotator": make_user(store, "annotator@example.com", "annotator"),
            "outsider": make_user(store, "outsider@example.com", "annotator"),
            "inactive": make_user(store, "inactive@example.com", "manager"),
        }
        self.tokens = {name: account.token for name, account in accounts.items()}
        self.tokens["bad token"] = "0" * 40
        self.owner = Api(client, _Caller(self, "owner"))
        spare = make_user(store, "spare@example.com", "annotator")
        self.members = [accounts[name].id for name in ("annotator", "manager", "inactive")]
        self.ids = {"spare": spare.id}
        self.ids.update(
            project=self.new_project(), annotator=accounts["annotator"].id, manager=accounts["manager"].id
        )
        self.ids["task"] = self.new_task()
        self.ids["annotation"] = self.new_annotation()
        self.ids["annotated"] = self.owner.get(f"/api/annotations/{self.ids['annotation']}").json()["task"]
        self.ids["export"] = self.new_export()
        self.ids["prediction"] = self.new_prediction()
        self.ids["draft"] = self.new_draft()
        self.ids["view"] = self.new_view()
        self.owner.patch(f"/api/users/{accounts['inactive'].id}", json={"is_active": False})
        self._emails = 0

    def new_project(self) -> int:
        project = {"title": "p", "label_config": PAIRWISE, "restricted": True, "maximum_annotations": 10}
        project_id = self.owner.post("/api/projects", json=project).json()["id"]
        for member in self.members:
            self.owner.post(f"/api/projects/{project_id}/members", json={"user": member})
        return project_id

    def new_task(self) -> int:
        r = self.owner.post(f"/api/projects/{self.ids['project']}/import", json=seed_tasks(1))
        return r.json()["task_ids"][0]

    def new_annotation(self) -> int:
        annotator = Api(self.client, _Caller(self, "annotator"))
        return annotator.post(f"/api/tasks/{self.new_task()}/annotations", json={"result": pick()}).json()[
            "id"
        ]

    def new_view(self) -> int:
        body = {"project": self.ids["project"], "data": {"title": "view"}}
        return self.owner.post("/api/dm/views", json=body).json()["id"]

    def new_draft(self) -> int:
        annotator = Api(self.client, _Caller(self, "annotator"))
        return annotator.post(f"/api/tasks/{self.ids['task']}/drafts", json={"result": pick()}).json()["id"]

    def new_prediction(self) -> int:
        body = {"task": self.ids["task"], "result": pick(), "score": 0.5}
        return self.owner.post("/api/predictions", json=body).json()["id"]

    def new_member(self) -> int:
        self.owner.post(f"/api/projects/{self.ids['project']}/members", json={"user": self.ids["spare"]})
        return self.ids["spare"]

    def new_export(self) -> int:
        return self.owner.post(f"/api/projects/{self.ids['project']}/exports", json={"title": "s"}).json()[
            "id"
        ]

    def unique_email(self) -> str:
        self._emails += 1
        return f"made{self._emails}@example.com"

    def headers(self, caller: str) -> dict:
        return {} if caller == "anonymous" else {"Authorization": f"Token {self.tokens[caller]}"}

    def fingerprint(self) -> str:
        """A digest of every row of every table (sessions and login counters aside)."""
        digest = hashlib.sha256()
        with self.store.read() as conn:
            for table in metadata.sorted_tables:
                if table.name in ("sessions", "login_failures"):
                    continue
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                digest.update(orjson.dumps([list(map(str, row)) for row in rows]))
        return digest.hexdigest()


@dataclass
class _Caller:
    """A caller of the world by name: its token may change (reset-token) during the matrix."""

    world: World
    name: str

    @property
    def headers(self) -> dict:
        return self.world.headers(self.name)


def _operations(app) -> list[str]:
    return [f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops]


def test_every_route_has_a_rule(app):
    missing = [op for op in _operations(app) if op not in RULES]
    assert missing == [], f"routes without an authorization rule in tests/test_authz_matrix.py: {missing}"
    stale = [op for op in RULES if op not in _operations(app)]
    assert stale == [], f"rules for routes the app no longer has: {stale}"


def test_authorization_matrix(client, store, app):
    world = World(client, store)
    checked = refused_writes = 0
    failures = []
    for operation in _operations(app):
        method, _ = operation.split(" ", 1)
        rule = RULES[operation]
        for caller in CALLERS:
            path, kwargs = rule.request(world, caller)
            before = world.fingerprint() if method != "GET" else None
            r = client.request(method, path, headers=world.headers(caller), **kwargs)
            want = expected(rule.access, caller)
            checked += 1
            if want is None:
                if not 200 <= r.status_code < 300:
                    failures.append(
                        f"{operation} as {caller}: expected success, got {r.status_code} {r.text[:200]}"
                    )
                if operation == "POST /api/current-user/reset-token":
                    world.tokens[caller] = r.json()["token"]
                continue
            if r.status_code != want:
                failures.append(
                    f"{operation} as {caller}: expected {want}, got {r.status_code} {r.text[:200]}"
                )
            if before is not None:
                refused_writes += 1
                if world.fingerprint() != before:
                    failures.append(
                        f"{operation} as {caller}: refused ({r.status_code}) but the data changed"
                    )
    assert failures == [], "\n".join(failures)
    assert checked == len(RULES) * len(CALLERS) and refused_writes > 80
    print(
        f"authorization matrix: {len(RULES)} routes x {len(CALLERS)} callers = {checked} checks, "
        f"{refused_writes} refused writes checked unchanged"
    )


def test_a_refused_annotator_cannot_reach_another_labelers_annotation(client, store):
    world = World(client, store)
    other = make_user(store, "other@example.com", "annotator")
    world.owner.post(f"/api/projects/{world.ids['project']}/members", json={"user": other.id})
    spy = Api(client, other)
    aid = world.ids["annotation"]
    before = world.fingerprint()
    assert spy.get(f"/api/annotations/{aid}").status_code == 404
    assert spy.patch(f"/api/annotations/{aid}", json={"result": pick("right")}).status_code == 404
    assert world.fingerprint() == before
    assert spy.get(f"/api/tasks/{world.ids['task']}/annotations").json() == []

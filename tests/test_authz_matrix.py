"""The authorization matrix: every route of the app (API, pages and media), for every kind of
caller, with the status each must get, and for every refused write the database unchanged.

The routes come from the app itself (all its routes, those outside the OpenAPI schema too), so a
new route without a rule here fails ``test_every_route_has_a_rule``. API routes are called with
the callers' tokens, pages and media with their browser sessions (cookies), as browsers do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from preflab.server import create_app
from preflab.store import sessions as session_store
from preflab.store.schema import metadata, task_locks
from tests.conftest import PAIRWISE, Api, make_user, pick, seed_tasks

# "outsider" is an annotator and "manager outside" a manager, neither a member of the world's
# restricted project.
CALLERS = (
    "anonymous",
    "bad token",
    "inactive",
    "outsider",
    "manager outside",
    "annotator",
    "manager",
    "owner",
)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f0"
    "1f0005000201a3b3e0d80000000049454e44ae426082"
)

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


LOGIN = "login"  # the answer of a page to a caller without a session: 303 to the login page


@dataclass
class Rule:
    access: str
    request: Callable  # (world, caller) -> (path, request kwargs)
    session: bool = False  # a page or media route: called with the caller's browser session
    page: bool = False  # an HTML page: sends callers without a session to the login page


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


def _page(path: str, access: str = SEE) -> Rule:
    return Rule(access, _get(path), session=True, page=True)


def _media(path: str) -> Rule:
    return Rule(SEE, _get(path), session=True)


def _logout(w, c):
    """Logging out ends a session: a new one of the caller's (if any), with its CSRF token."""
    if c not in w.accounts:
        return "/user/logout", {"data": {"csrf_token": "none"}}
    key, csrf = w.session(c)
    return "/user/logout", {"data": {"csrf_token": csrf}, "headers": {"Cookie": f"preflab_session={key}"}}


PAGES: dict[str, Rule] = {
    "GET /": _page("/", USER),
    "GET /user/login": _page("/user/login", PUBLIC),
    "POST /user/login": Rule(
        PUBLIC, lambda w, c: ("/user/login", {"data": w.spare_login, "follow_redirects": False}), session=True
    ),
    "POST /user/logout": Rule(PUBLIC, _logout, session=True),
    "GET /user/account": _page("/user/account", USER),
    "GET /projects": _page("/projects", USER),
    "GET /projects/new": _page("/projects/new", USER),
    "GET /projects/{project_id}": _page("/projects/{project}"),
    "GET /projects/{project_id}/label": _page("/projects/{project}/label"),
    "GET /projects/{project_id}/stats": _page("/projects/{project}/stats"),
    "GET /projects/{project_id}/{section}": _page("/projects/{project}/settings", MANAGE),
    "GET /projects/{project_id}/tasks/{task_id}": _page("/projects/{project}/tasks/{task}"),
    "GET /data/upload/{path:path}": _media("/data/upload/{project}/photo.png"),
    "GET /data/local-files": _media("/data/local-files?d=photo.png"),
    # the API reference and its schema: public, like the version
    "GET /api/docs": _page("/api/docs", PUBLIC),
    "GET /api/openapi.json": _page("/api/openapi.json", PUBLIC),
}
RULES.update(PAGES)


def expected(access: str, caller: str, *, page: bool = False) -> int | str | None:
    """The status a caller must get (LOGIN for a redirect to the login page), or None for
    "allowed" (any 2xx, or a redirect elsewhere than to the login page)."""
    if access == PUBLIC:
        return None
    if caller in ("anonymous", "bad token", "inactive") or access == SESSION:
        return LOGIN if page else 401
    if access == USER:
        return None
    managers = ("manager outside", "manager", "owner")
    if access in (CREATE, OWNER):
        return None if caller in (("owner",) if access == OWNER else managers) else 403
    if caller in ("outsider", "manager outside"):
        return 404
    if access == AUTHOR:
        return None if caller == "annotator" else 404
    if access == SEE or caller in managers:
        return None
    return None if access == OWN else 403


def _verdict(response) -> int | str:
    if response.status_code == 303 and response.headers["location"].startswith("/user/login"):
        return LOGIN
    return response.status_code


class World:
    """A restricted project with a task (its data names a local file), an upload, an annotation
    by the annotator, a prediction and an export snapshot; the annotator and the manager are
    members, the outsider and the manager outside are not."""

    def __init__(self, client, store, settings):
        self.client, self.store = client, store
        accounts = {
            "owner": make_user(store, "owner@example.com", "owner"),
            "manager": make_user(store, "manager@example.com", "manager"),
            "annotator": make_user(store, "annotator@example.com", "annotator"),
            "outsider": make_user(store, "outsider@example.com", "annotator"),
            "manager outside": make_user(store, "manager-outside@example.com", "manager"),
            "inactive": make_user(store, "inactive@example.com", "manager"),
        }
        self.accounts = accounts
        self.tokens = {name: account.token for name, account in accounts.items()}
        self.tokens["bad token"] = "0" * 40
        self.sessions = {name: self.session(name)[0] for name in accounts}
        self.sessions["bad token"] = "0" * 43
        self.owner = Api(client, _Caller(self, "owner"))
        spare = make_user(store, "spare@example.com", "annotator")
        self.spare_login = {"email": spare.email, "password": spare.password}
        self.members = [accounts[name].id for name in ("annotator", "manager", "inactive")]
        self.ids = {"spare": spare.id}
        self.ids.update(
            project=self.new_project(), annotator=accounts["annotator"].id, manager=accounts["manager"].id
        )
        self.ids["task"] = self.new_task()
        (settings.data_dir / "upload" / str(self.ids["project"])).mkdir(parents=True)
        (settings.data_dir / "upload" / str(self.ids["project"]) / "photo.png").write_bytes(PNG)
        (settings.local_files_document_root / "photo.png").write_bytes(PNG)
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
        task = {**seed_tasks(1)[0], "image": "/data/local-files/?d=photo.png"}
        r = self.owner.post(f"/api/projects/{self.ids['project']}/import", json=[task])
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

    def session(self, caller: str) -> tuple[str, str]:
        """A new browser session of the caller's account: (cookie, CSRF token)."""
        with self.store.write() as conn:
            return session_store.create(conn, self.accounts[caller].id)

    def headers(self, caller: str, *, session: bool = False) -> dict:
        if caller == "anonymous":
            return {}
        if session:
            return {"Cookie": f"preflab_session={self.sessions[caller]}"}
        return {"Authorization": f"Token {self.tokens[caller]}"}

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


def _routes(routes):
    for route in routes:
        if hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "methods"):  # not a mount (static files, the reference's assets)
            yield route


def _operations(app) -> list[str]:
    """Every method and path the app answers, in or out of its OpenAPI schema."""
    found = [f"{m} {r.path}" for r in _routes(app.routes) for m in sorted(r.methods) if m != "HEAD"]
    return list(dict.fromkeys(found))


@pytest.fixture
def media_app(settings, store, tmp_path):
    """The app with local files served (from an empty folder the world fills)."""
    root = tmp_path / "local-files"
    root.mkdir()
    settings = settings.model_copy(
        update={"local_files_serving_enabled": True, "local_files_document_root": root}
    )
    return settings, create_app(settings, store)


def test_every_route_has_a_rule(app):
    missing = [op for op in _operations(app) if op not in RULES]
    assert missing == [], f"routes without an authorization rule in tests/test_authz_matrix.py: {missing}"
    stale = [op for op in RULES if op not in _operations(app)]
    assert stale == [], f"rules for routes the app no longer has: {stale}"


def test_authorization_matrix(media_app, store):
    settings, app = media_app
    client = TestClient(app)
    world = World(client, store, settings)
    checked = refused_writes = 0
    failures = []
    for operation in _operations(app):
        method, _ = operation.split(" ", 1)
        rule = RULES[operation]
        for caller in CALLERS:
            path, kwargs = rule.request(world, caller)
            kwargs = {"follow_redirects": False, **kwargs}
            headers = {**world.headers(caller, session=rule.session), **kwargs.pop("headers", {})}
            before = world.fingerprint() if method != "GET" else None
            r = client.request(method, path, headers=headers, **kwargs)
            client.cookies.clear()  # a login's cookie stays out of the next request
            want = expected(rule.access, caller, page=rule.page)
            got = _verdict(r)
            checked += 1
            if want is None:
                # anyone may be sent to the login page by a public one (logging out)
                if (got == LOGIN and rule.access != PUBLIC) or not 200 <= r.status_code < 400:
                    failures.append(f"{operation} as {caller}: expected success, got {got} {r.text[:200]}")
                if operation == "POST /api/current-user/reset-token":
                    world.tokens[caller] = r.json()["token"]
                continue
            if got != want:
                failures.append(f"{operation} as {caller}: expected {want}, got {got} {r.text[:200]}")
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


def test_a_refused_annotator_cannot_reach_another_labelers_annotation(media_app, store):
    settings, app = media_app
    client = TestClient(app)
    world = World(client, store, settings)
    other = make_user(store, "other@example.com", "annotator")
    world.owner.post(f"/api/projects/{world.ids['project']}/members", json={"user": other.id})
    spy = Api(client, other)
    aid = world.ids["annotation"]
    before = world.fingerprint()
    assert spy.get(f"/api/annotations/{aid}").status_code == 404
    assert spy.patch(f"/api/annotations/{aid}", json={"result": pick("right")}).status_code == 404
    assert world.fingerprint() == before
    assert spy.get(f"/api/tasks/{world.ids['task']}/annotations").json() == []


def test_a_browser_session_claims_a_task_only_with_its_csrf_header(client, store, api, project):
    """GET /next claims a task: an <img src="/api/projects/ID/next"> (same origin, so no
    Sec-Fetch-Site refusal) sends the cookie but not the header, and claims nothing."""
    api.post(f"/api/projects/{project}/import", json=seed_tasks(2))
    labeler = make_user(store, "labeler@example.com", "annotator")
    with store.write() as conn:
        key, csrf = session_store.create(conn, labeler.id)
    cookie = {"Cookie": f"preflab_session={key}"}

    def claims() -> list:
        with store.read() as conn:
            return conn.execute(select(task_locks.c.task_id, task_locks.c.user_id)).all()

    for headers in (cookie, {**cookie, "X-CSRFToken": "wrong"}, {**cookie, "Sec-Fetch-Dest": "image"}):
        r = client.get(f"/api/projects/{project}/next", headers=headers)
        assert r.status_code == 403 and r.json()["detail"] == "CSRF token missing or incorrect."
        assert claims() == []
    r = client.get(f"/api/projects/{project}/next", headers={**cookie, "X-CSRFToken": csrf})
    assert r.status_code == 200 and claims() == [(r.json()["id"], labeler.id)]
    # a token client calls it as Label Studio's API does
    r = client.get(f"/api/projects/{project}/next", headers=labeler.headers)
    assert r.status_code == 200 and claims() == [(r.json()["id"], labeler.id)]

import pytest
from sqlalchemy import select

from preflab.store.schema import users
from tests.conftest import Api, make_user, pick, seed_tasks


@pytest.fixture
def annotator(client, store):
    return Api(client, make_user(store, "ann@example.com", "annotator"))


@pytest.fixture
def manager(client, store):
    return Api(client, make_user(store, "mgr@example.com", "manager"))


def test_missing_or_bad_token_is_401_with_www_authenticate(client, project):
    r = client.get(f"/api/projects/{project}")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Token"
    assert r.headers["content-type"] == "application/json"
    assert r.json()["detail"] == "Authentication credentials were not provided."
    r = client.get(f"/api/projects/{project}", headers={"Authorization": "Token " + "0" * 40})
    assert r.status_code == 401 and r.json()["detail"] == "Invalid token."
    assert client.get("/api/version").status_code == 200 and client.get("/health").json() == {"status": "UP"}


def test_token_keyword_is_case_insensitive(client, owner, project):
    assert (
        client.get(f"/api/projects/{project}", headers={"Authorization": f"token {owner.token}"}).status_code
        == 200
    )


def test_secrets_are_stored_hashed(store, owner):
    with store.read() as conn:
        row = conn.execute(select(users).where(users.c.id == owner.id)).mappings().one()
    assert owner.token not in row["token_hash"] and len(row["token_hash"]) == 64
    assert row["password_hash"].startswith("$argon2id$") and owner.password not in row["password_hash"]


def test_annotator_labels_but_cannot_manage(annotator, api, project):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(2))
    assert annotator.get(f"/api/projects/{project}").status_code == 200
    for call in (
        lambda: annotator.post("/api/projects", json={"title": "x"}),
        lambda: annotator.patch(f"/api/projects/{project}", json={"title": "x"}),
        lambda: annotator.delete(f"/api/projects/{project}"),
        lambda: annotator.post(f"/api/projects/{project}/import", json=seed_tasks(1)),
        lambda: annotator.get(f"/api/projects/{project}/export"),
        lambda: annotator.get(f"/api/tasks?project={project}"),
        lambda: annotator.post("/api/users", json={"email": "x@y.z"}),
    ):
        assert call().status_code == 403
    task = annotator.get(f"/api/projects/{project}/next").json()
    ann = annotator.post(f"/api/tasks/{task['id']}/annotations", json={"result": pick()}).json()
    assert annotator.patch(f"/api/annotations/{ann['id']}", json={"result": pick("right")}).status_code == 200
    assert annotator.delete(f"/api/annotations/{ann['id']}").status_code == 403


def test_annotators_see_only_their_own_annotations(annotator, api, project, client, store):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    theirs = api.post(f"/api/tasks/{tid}/annotations", json={"result": pick("right")}).json()
    mine = annotator.post(f"/api/tasks/{tid}/annotations", json={"result": pick("left")}).json()
    assert [a["id"] for a in annotator.get(f"/api/tasks/{tid}").json()["annotations"]] == [mine["id"]]
    assert [a["id"] for a in annotator.get(f"/api/tasks/{tid}/annotations").json()] == [mine["id"]]
    assert annotator.get(f"/api/annotations/{theirs['id']}").status_code == 404
    assert annotator.patch(f"/api/annotations/{theirs['id']}", json={"result": []}).status_code == 404
    assert len(api.get(f"/api/tasks/{tid}").json()["annotations"]) == 2
    other = Api(client, make_user(store, "other@example.com", "annotator"))
    assert (
        other.post(
            f"/api/tasks/{tid}/annotations", json={"result": [], "completed_by": annotator.account.id}
        ).status_code
        == 403
    )


def test_restricted_project_is_invisible_to_non_members(annotator, manager, api, project):
    api.patch(f"/api/projects/{project}", json={"restricted": True})
    assert annotator.get(f"/api/projects/{project}").status_code == 404
    assert manager.get(f"/api/projects/{project}").status_code == 404
    assert project not in [p["id"] for p in annotator.get("/api/projects").json()["results"]]
    assert (
        api.post(f"/api/projects/{project}/members", json={"user": annotator.account.id}).status_code == 201
    )
    assert annotator.get(f"/api/projects/{project}").status_code == 200
    assert [u["id"] for u in api.get(f"/api/projects/{project}/members").json()] == [annotator.account.id]
    api.delete(f"/api/projects/{project}/members/{annotator.account.id}")
    assert annotator.get(f"/api/projects/{project}").status_code == 404


def test_manager_manages_projects_but_not_users(manager):
    assert manager.post("/api/projects", json={"title": "m"}).status_code == 201
    assert manager.post("/api/users", json={"email": "n@example.com"}).status_code == 403
    assert manager.patch(f"/api/users/{manager.account.id}", json={"role": "owner"}).status_code == 403


def test_owner_creates_users_whose_token_works(api, client):
    r = api.post(
        "/api/users", json={"email": "new@example.com", "role": "annotator", "password": "longenough"}
    )
    assert r.status_code == 201
    token = r.json()["token"]
    me = client.get("/api/current-user/whoami", headers={"Authorization": f"Token {token}"}).json()
    assert me["email"] == "new@example.com" and me["role"] == "annotator"
    assert api.post("/api/users", json={"email": "NEW@example.com"}).status_code == 400


def test_reset_token_revokes_the_old_one(api, client, owner):
    new = api.post("/api/current-user/reset-token").json()["token"]
    assert client.get("/api/users", headers=owner.headers).status_code == 401
    assert client.get("/api/users", headers={"Authorization": f"Token {new}"}).status_code == 200


def test_users_list_has_the_fields_old_sdks_require(api):
    [me] = api.get("/api/users").json()
    for key in ("id", "first_name", "last_name", "username", "email", "initials", "phone", "last_activity"):
        assert key in me


def test_odd_csrf_and_token_values_are_refused_not_crashed(client, owner, store):
    from preflab.store import sessions

    with store.write() as conn:
        key, _ = sessions.create(conn, owner.id)
    client.cookies.set("preflab_session", key)
    r = client.post("/api/projects", json={"title": "x"}, headers={"X-CSRFToken": "é".encode("latin-1") * 10})
    assert r.status_code == 403
    assert (
        client.get("/api/projects", headers={"Authorization": "Token é".encode("latin-1")}).status_code == 401
    )


#: ``next`` values that must never be followed after a login: anything but a plain same-origin path.
REFUSED_NEXT = [
    "/\\evil.com",
    "/\\/evil.com",
    "\\\\evil.com",
    "//evil.com",
    "///evil.com",
    "https://evil.com/",
    "http:/evil.com",
    "javascript:alert(1)",
    "evil.com",
    "/\tevil.com",
    "/\n/evil.com",
    "/x\r\nSet-Cookie: a=b",
    "/\x00evil",
    "/\x7fevil",
    "/projects/\u3000",
    "/\uff0f\uff0fevil.com",
    " /projects/1",
    "",
]


@pytest.mark.parametrize("target", REFUSED_NEXT)
def test_a_login_never_redirects_off_site(client, owner, target):
    page = client.get("/user/login", params={"next": target})
    assert page.status_code == 200 and 'name="next" value="/projects"' in page.text
    r = client.post(
        "/user/login",
        data={"email": owner.email, "password": owner.password, "next": target},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/projects"
    wrong = client.post("/user/login", data={"email": owner.email, "password": "nope", "next": target})
    assert wrong.status_code == 400 and 'name="next" value="/projects"' in wrong.text


@pytest.mark.parametrize("target", ["/projects/3/label", "/projects/3/tasks/9?tab=2#x", "/%5Cevil.com"])
def test_a_login_follows_a_same_origin_path(client, owner, target):
    r = client.post(
        "/user/login",
        data={"email": owner.email, "password": owner.password, "next": target},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == target

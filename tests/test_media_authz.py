"""Media is authorized per project (issue 14, item 16): an upload at /data/upload/<project id>/…
goes to whoever may see that project; a local file at /data/local-files/?d=… to whoever may see a
project with a task whose data holds its address. Everyone else gets the 404 of a missing file,
whether they sign in with a token or a browser session."""

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from preflab.server import create_app
from tests.conftest import PAIRWISE, Api, make_user, seed_tasks
from tests.test_media import PNG


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    (root / "images").mkdir(parents=True)
    for name in ("images/cat.png", "images/cat.png.bak", "images/dog.png", "a b+c.png", "free.png"):
        (root / name).write_bytes(PNG)
    return root


@pytest.fixture
def media_client(settings, store, media_root):
    settings = settings.model_copy(
        update={"local_files_serving_enabled": True, "local_files_document_root": media_root}
    )
    with TestClient(create_app(settings, store)) as client:
        yield client


def local(path: str) -> str:
    return "/data/local-files/?" + urlencode({"d": path})


class World:
    """A restricted project (members: an annotator) and an open one; callers inside and outside."""

    def __init__(self, client, store):
        self.client = client
        self.owner = make_user(store, "owner@example.com", "owner")
        self.member = make_user(store, "member@example.com", "annotator")
        self.outsider = make_user(store, "outsider@example.com", "annotator")
        self.manager = make_user(store, "manager@example.com", "manager")  # not a member
        api = Api(client, self.owner)
        self.api = api
        project = {"title": "restricted", "label_config": PAIRWISE, "restricted": True}
        self.restricted = api.post("/api/projects", json=project).json()["id"]
        api.post(f"/api/projects/{self.restricted}/members", json={"user": self.member.id})
        self.open = api.post("/api/projects", json={"title": "open", "label_config": PAIRWISE}).json()["id"]

    def add_task(self, project: int, **data) -> int:
        r = self.api.post(f"/api/projects/{project}/import", json=[{**seed_tasks(1)[0], **data}])
        assert r.status_code == 201, r.text
        return r.json()["task_ids"][0]

    def status(self, account, path: str) -> int:
        headers = account.headers if account is not None else {}
        return self.client.get(path, headers=headers).status_code

    def seen_by(self, path: str) -> dict:
        return {
            name: self.status(account, path)
            for name, account in (
                ("anonymous", None),
                ("owner", self.owner),
                ("member", self.member),
                ("outsider", self.outsider),
                ("manager outside", self.manager),
            )
        }


INSIDE_ONLY = {"anonymous": 401, "owner": 200, "member": 200, "outsider": 404, "manager outside": 404}
EVERYONE = {"anonymous": 401, "owner": 200, "member": 200, "outsider": 200, "manager outside": 200}
NOBODY = {"anonymous": 401, "owner": 404, "member": 404, "outsider": 404, "manager outside": 404}


def test_an_upload_goes_only_to_those_who_see_its_project(client, store, settings):
    world = World(client, store)
    upload = settings.data_dir / "upload"
    for folder in (str(world.restricted), str(world.open), "misc", "999"):
        (upload / folder).mkdir(parents=True)
        (upload / folder / "photo.png").write_bytes(PNG)
    assert world.seen_by(f"/data/upload/{world.restricted}/photo.png") == INSIDE_ONLY
    assert world.seen_by(f"/data/upload/{world.open}/photo.png") == EVERYONE
    # a folder that names no project, or a project that is gone: nobody's
    assert world.seen_by("/data/upload/misc/photo.png") == NOBODY
    assert world.seen_by("/data/upload/999/photo.png") == NOBODY
    # a path through an open project's folder does not reach the restricted project's files
    sneaky = f"/data/upload/{world.open}/..%2F{world.restricted}/photo.png"
    assert world.status(world.outsider, sneaky) == 404
    # the answer for a project one cannot see is the one for a missing file
    hidden = client.get(f"/data/upload/{world.restricted}/photo.png", headers=world.outsider.headers)
    missing = client.get(f"/data/upload/{world.open}/none.png", headers=world.outsider.headers)
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_a_local_file_goes_only_to_those_who_see_a_task_that_references_it(media_client, store, media_root):
    world = World(media_client, store)
    task = world.add_task(world.restricted, image="/data/local-files/?d=images/cat.png")
    world.add_task(world.open, gallery={"shots": [{"src": "/data/local-files?d=free.png"}]})
    assert world.seen_by(local("images/cat.png")) == INSIDE_ONLY
    assert world.seen_by(local("free.png")) == EVERYONE  # nested in the data, either spelling
    # a file no task references is nobody's, however close its name
    assert world.seen_by(local("images/dog.png")) == NOBODY
    assert world.seen_by(local("images/cat.png.bak")) == NOBODY
    assert world.seen_by(local("cat.png")) == NOBODY
    # once the referencing task is gone, so is the file
    assert world.api.delete(f"/api/tasks/{task}").status_code == 204
    assert world.seen_by(local("images/cat.png")) == NOBODY


def test_a_percent_encoded_reference_counts(media_client, store):
    world = World(media_client, store)
    world.add_task(world.restricted, image=local("a b+c.png"))  # d=a+b%2Bc.png
    assert world.seen_by(local("a b+c.png")) == INSIDE_ONLY
    assert world.status(world.member, "/data/local-files/?d=a%20b%2Bc.png") == 200


def test_a_browser_session_gets_the_same_answers(media_client, store):
    world = World(media_client, store)
    world.add_task(world.restricted, image="/data/local-files/?d=images/cat.png")
    for account, want in ((world.member, 200), (world.manager, 404)):
        with TestClient(media_client.app) as browser:
            r = browser.post(
                "/user/login",
                data={"email": account.email, "password": account.password},
                follow_redirects=False,
            )
            assert r.status_code == 303
            assert browser.get(local("images/cat.png")).status_code == want

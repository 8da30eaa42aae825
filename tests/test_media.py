"""Media for the labeling page (issue 9): uploaded files at /data/upload/…, a local folder at
/data/local-files/?d=… (Label Studio's LOCAL_FILES_* settings) with no way out of its root, only
for signed-in users who may see the project (tests/test_media_authz.py); the labeling page's Content-Security-Policy allows the project's media hosts
and no others; the <Chat> object tag."""

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from preflab.domain import labelconfig
from preflab.server import create_app
from preflab.services.settings import Settings
from preflab.web.security import CSP, media_hosts, project_csp
from tests.conftest import PAIRWISE, Api, seed_tasks

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f0"
    "1f0005000201a3b3e0d80000000049454e44ae426082"
)


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    (root / "images").mkdir(parents=True)
    (root / "images" / "cat.png").write_bytes(PNG)
    (root / "clip.wav").write_bytes(b"RIFF....WAVEfmt ")
    (root / "page.html").write_text("<script>alert(1)</script>")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (root / "escape.txt").symlink_to(outside)
    (root / "inner-link.png").symlink_to(root / "images" / "cat.png")
    return root


# Every path the tests below ask for: a task references each, so that what they check is the
# path rule, not the per-project one.
ASKED = ["images/cat.png", "clip.wav", "inner-link.png", "page.html", "../secret.txt", "escape.txt"]
ASKED += ["images/../../secret.txt", "/etc/passwd", "//etc/passwd", "images", "", "missing.png"]
ASKED += ["images/cat.png\x00.txt", "..", ".", "..\\secret.txt", "%2e%2e/secret.txt"]


@pytest.fixture
def media_client(settings, store, media_root, owner):
    settings = settings.model_copy(
        update={"local_files_serving_enabled": True, "local_files_document_root": media_root}
    )
    with TestClient(create_app(settings, store)) as client:
        api = Api(client, owner)
        project = api.post("/api/projects", json={"title": "media", "label_config": PAIRWISE}).json()["id"]
        media = [f"/data/local-files/?{urlencode({'d': d})}" for d in ASKED]
        assert api.post(
            f"/api/projects/{project}/import", json=[{**seed_tasks(1)[0], "media": media}]
        ).is_success
        client.project = project
        yield client


def login(client, account):
    r = client.post(
        "/user/login",
        data={"email": account.email, "password": account.password},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_local_files_are_served_to_signed_in_users(media_client, owner):
    assert media_client.get("/data/local-files/?d=images/cat.png").status_code == 401
    r = media_client.get("/data/local-files/?d=images/cat.png", headers=owner.headers)
    assert r.status_code == 200 and r.content == PNG
    assert r.headers["content-type"] == "image/png"
    assert "sandbox" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    login(media_client, owner)  # a browser session works too
    assert media_client.get("/data/local-files?d=clip.wav").headers["content-type"] == "audio/wav"
    # a symlink that stays inside the root is followed
    assert media_client.get("/data/local-files/?d=inner-link.png").content == PNG


def test_media_can_be_fetched_in_ranges(media_client, owner):
    r = media_client.get(
        "/data/local-files/?d=images/cat.png", headers={**owner.headers, "Range": "bytes=0-7"}
    )
    assert r.status_code == 206 and r.content == PNG[:8]


@pytest.mark.parametrize(
    "d",
    [
        "../secret.txt",
        "images/../../secret.txt",
        "escape.txt",  # a symlink out of the root
        "/etc/passwd",
        "//etc/passwd",
        "images",  # a folder
        "",
        "missing.png",
        "images/cat.png\x00.txt",
        "..",
        ".",
        "..\\secret.txt",
        "%2e%2e/secret.txt",
    ],
)
def test_no_path_leaves_the_local_files_root(media_client, owner, d):
    r = media_client.get("/data/local-files/", params={"d": d}, headers=owner.headers)
    assert r.status_code == 404, d
    assert b"secret" not in r.content


def test_raw_dot_segments_do_not_leave_the_roots(media_client, owner, settings):
    upload = settings.data_dir / "upload"
    folder = upload / str(media_client.project)
    folder.mkdir(parents=True)
    (folder / "a.png").write_bytes(PNG)
    (upload / "private.txt").write_text("secret")
    (settings.data_dir / "private.txt").write_text("secret")
    pid = media_client.project
    assert media_client.get(f"/data/upload/{pid}/a.png", headers=owner.headers).content == PNG
    for path in (
        "/data/upload/../private.txt",
        f"/data/upload/{pid}/../../private.txt",
        f"/data/upload/{pid}/..%2Fprivate.txt",
        "/data/upload/%2e%2e/private.txt",
    ):
        r = media_client.get(path, headers=owner.headers)
        assert r.status_code == 404, path
        assert b"secret" not in r.content


def test_the_path_check_itself(media_root):
    from preflab.web.media import _inside

    assert _inside(media_root, "images/cat.png") == (media_root / "images" / "cat.png").resolve()
    for bad in (
        "../secret.txt",
        "images/../../secret.txt",
        "escape.txt",
        str(media_root / "clip.wav"),
        "images",
        "..",
    ):
        assert _inside(media_root, bad) is None, bad


def test_local_files_are_off_unless_enabled(client, owner, media_root, settings, store):
    assert client.get("/data/local-files/?d=images/cat.png", headers=owner.headers).status_code == 404
    enabled_without_root = settings.model_copy(update={"local_files_serving_enabled": True})
    with TestClient(create_app(enabled_without_root, store)) as other:
        assert other.get("/data/local-files/?d=images/cat.png", headers=owner.headers).status_code == 404


def test_settings_read_label_studio_variable_names(monkeypatch, tmp_path):
    monkeypatch.setenv("LOCAL_FILES_SERVING_ENABLED", "true")
    monkeypatch.setenv("LOCAL_FILES_DOCUMENT_ROOT", str(tmp_path))
    settings = Settings()
    assert settings.local_files_serving_enabled is True
    assert settings.local_files_document_root == tmp_path
    monkeypatch.delenv("LOCAL_FILES_SERVING_ENABLED")
    monkeypatch.setenv("PREFLAB_LOCAL_FILES_SERVING_ENABLED", "false")
    assert Settings().local_files_serving_enabled is False


def test_uploaded_files_need_a_login_and_scripts_never_run(client, owner, settings, project):
    upload = settings.data_dir / "upload" / str(project)
    upload.mkdir(parents=True)
    (upload / "photo.JPG").write_bytes(b"\xff\xd8\xff")
    (upload / "evil.html").write_text("<script>alert(1)</script>")
    (upload / "evil.js").write_text("alert(1)")
    (upload / "evil.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    assert client.get(f"/data/upload/{project}/photo.JPG").status_code == 401
    r = client.get(f"/data/upload/{project}/photo.JPG", headers=owner.headers)
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    for name in ("evil.html", "evil.js", "evil.svg"):
        r = client.get(f"/data/upload/{project}/{name}", headers=owner.headers)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/octet-stream", name
        assert r.headers["content-disposition"].startswith("attachment"), name
        assert "sandbox" in r.headers["content-security-policy"]
    assert client.get(f"/data/upload/{project}/none.png", headers=owner.headers).status_code == 404


def test_media_hosts_are_checked_before_they_reach_a_policy():
    assert media_hosts("cdn.example.com  Media.Example.org:8443 cdn.example.com") == [
        "cdn.example.com",
        "media.example.org:8443",
    ]
    for bad in (
        "*",
        "a..b",
        "-a.com",
        "a.com:",
        "a.com:123456",
        "'self'",
        "a.com;script-src",
        "http://a.com",
    ):
        assert media_hosts(bad) == [], bad
    assert project_csp("") == CSP
    policy = project_csp("cdn.example.com")
    assert "img-src 'self' data: https://cdn.example.com http://cdn.example.com;" in policy
    assert "media-src 'self' https://cdn.example.com http://cdn.example.com;" in policy
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy


def test_the_labeling_page_allows_the_project_media_hosts_and_no_others(client, api, owner, project):
    login(client, owner)
    page = client.get(f"/projects/{project}/label")
    assert page.headers["content-security-policy"] == CSP  # none by default
    r = api.patch(f"/api/projects/{project}", json={"media_hosts": "cdn.example.com media.example.org"})
    assert r.status_code == 200, r.text
    policy = client.get(f"/projects/{project}/label").headers["content-security-policy"]
    assert policy.count("content-security-policy") == 0
    img = next(p for p in policy.split(";") if p.strip().startswith("img-src")).split()
    assert img == [
        "img-src",
        "'self'",
        "data:",
        "https://cdn.example.com",
        "http://cdn.example.com",
        "https://media.example.org",
        "http://media.example.org",
    ]
    # other pages keep the default policy
    assert client.get("/projects").headers["content-security-policy"] == CSP
    # one header, not two
    assert len(client.get(f"/projects/{project}/label").headers.get_list("content-security-policy")) == 1


CHAT_CONFIG = """<View>
  <Chat name="chat" value="$messages"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
</View>"""


def test_the_chat_tag_is_an_object_tag():
    config = labelconfig.parse(CHAT_CONFIG)
    assert config.objects["chat"].type == "Chat"
    assert config.objects["chat"].data_key == "messages"
    assert config.data_keys == ["messages", "answer1", "answer2"]
    pair = labelconfig.parse(
        '<View><Chat name="a" value="$a"/><Chat name="b" value="$b"/><Pairwise name="p" toName="a,b"/></View>'
    )
    assert pair.pairwise().to_name == ("a", "b")


def test_a_chat_project_accepts_chat_tasks(api):
    r = api.post("/api/projects", json={"title": "chat", "label_config": CHAT_CONFIG})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    task = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
        "answer1": "a",
        "answer2": "b",
    }
    assert api.post(f"/api/projects/{pid}/import", json=[task]).status_code == 201

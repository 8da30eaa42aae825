"""Every write endpoint takes what Django REST Framework takes: JSON, form-urlencoded and
multipart bodies (values as text), and an empty body where every field has a default."""

import shutil
import subprocess

import orjson
import pytest

from tests.conftest import PAIRWISE, pick, seed_tasks


def test_create_project_with_no_body_uses_label_studios_defaults(api):
    r = api.post("/api/projects")
    assert r.status_code == 201, r.text
    assert r.json()["label_config"] == "<View></View>" and r.json()["maximum_annotations"] == 1


def test_form_urlencoded_project_with_typed_values(api):
    r = api.post(
        "/api/projects",
        data={
            "title": "Form",
            "label_config": PAIRWISE,
            "maximum_annotations": "3",
            "show_skip_button": "false",
        },
    )
    assert r.status_code == 201, r.text
    project = r.json()
    assert (project["title"], project["maximum_annotations"], project["show_skip_button"]) == (
        "Form",
        3,
        False,
    )
    changed = api.patch(f"/api/projects/{project['id']}", data={"randomize_order": "1", "title": "Renamed"})
    assert changed.status_code == 200 and changed.json()["randomize_order"] is True
    assert changed.json()["title"] == "Renamed"


def test_multipart_with_the_config_as_a_file_part(api):
    r = api.post(
        "/api/projects",
        data={"title": "Multipart", "show_instruction": "true"},
        files={"label_config": ("config.xml", PAIRWISE.encode(), "application/xml")},
    )
    assert r.status_code == 201, r.text
    assert r.json()["label_config"] == PAIRWISE and r.json()["show_instruction"] is True


def test_json_valued_fields_arrive_as_text_in_forms(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    r = api.post(
        f"/api/tasks/{tid}/annotations",
        data={"result": orjson.dumps(pick("right")).decode(), "lead_time": "2.5"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["result"] == pick("right") and r.json()["lead_time"] == 2.5
    patched = api.patch(f"/api/tasks/{tid}", data={"meta": '{"source": "form"}'})
    assert patched.status_code == 200 and patched.json()["meta"] == {"source": "form"}


def test_bad_form_values_are_a_400_naming_the_field_and_change_nothing(api, project):
    before = api.get(f"/api/projects/{project}").json()
    r = api.patch(f"/api/projects/{project}", data={"maximum_annotations": "many"})
    assert r.status_code == 400 and "maximum_annotations" in r.json()["validation_errors"]
    assert api.get(f"/api/projects/{project}").json()["maximum_annotations"] == before["maximum_annotations"]


def test_members_and_users_take_forms(api, project):
    created = api.post("/api/users", data={"email": "form@example.com", "role": "annotator"})
    assert created.status_code == 201, created.text
    added = api.post(f"/api/projects/{project}/members", data={"user": str(created.json()["id"])})
    assert added.status_code == 201


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_style_calls(live_server, owner, tmp_path):
    config = tmp_path / "config.xml"
    config.write_text(PAIRWISE)
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-H",
            f"Authorization: Token {owner.token}",
            "-d",
            "title=From curl",
            "--data-urlencode",
            f"label_config@{config}",
            f"{live_server.url}/api/projects",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert orjson.loads(out)["title"] == "From curl" and orjson.loads(out)["label_config"] == PAIRWISE
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-H",
            f"Authorization: Token {owner.token}",
            "-F",
            "title=Multipart curl",
            "-F",
            f"label_config=@{config}",
            f"{live_server.url}/api/projects",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert orjson.loads(out)["label_config"] == PAIRWISE
    out = subprocess.run(
        [
            "curl",
            "-s",
            "-X",
            "POST",
            "-H",
            f"Authorization: Token {owner.token}",
            f"{live_server.url}/api/projects",
        ],
        capture_output=True,
        check=True,
    ).stdout
    assert orjson.loads(out)["label_config"] == "<View></View>"

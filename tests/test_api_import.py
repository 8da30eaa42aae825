import re

import orjson
import pytest

from tests.conftest import pick, seed_tasks


def count(api, project):
    return api.get(f"/api/projects/{project}").json()["task_number"]


def test_json_body_flat_and_wrapped(api, project):
    body = [
        *seed_tasks(2),
        {"data": {"prompt": "p", "answer1": "a", "answer2": "b"}, "meta": {"source": "x"}},
    ]
    r = api.post(f"/api/projects/{project}/import?return_task_ids=1", json=body)
    assert r.status_code == 201
    out = r.json()
    assert out["task_count"] == 3 and len(out["task_ids"]) == 3
    assert out["file_upload_ids"] == [] and out["found_formats"] == {}
    assert "import" not in out
    task = api.get(f"/api/tasks/{out['task_ids'][2]}").json()
    assert task["data"] == {"prompt": "p", "answer1": "a", "answer2": "b"} and task["meta"] == {"source": "x"}


def test_single_object_body(api, project):
    r = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)[0])
    assert r.status_code == 201 and r.json()["task_count"] == 1


def test_multipart_several_files_of_every_format(api, project):
    rows = seed_tasks(4)
    files = [
        ("file", ("dataset.json", orjson.dumps(rows[:1]), "application/json")),
        ("file", ("more.jsonl", b"\n".join(orjson.dumps(r) for r in rows[1:2]))),
        ("file", ("table.csv", f'prompt,answer1,answer2\r\n"{rows[2]["prompt"]}",a,b\r\n'.encode())),
        ("file", ("table.tsv", b"prompt\tanswer1\tanswer2\np\ta\tb\n")),
    ]
    r = api.post(f"/api/projects/{project}/import", files=files)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["task_count"] == 4 and len(out["file_upload_ids"]) == 4
    assert out["found_formats"] == {".json": 1, ".jsonl": 1, ".csv": 1, ".tsv": 1}
    assert out["data_columns"] == ["answer1", "answer2", "prompt"]
    task = api.get(f"/api/tasks/{out['task_ids'][0]}").json()
    assert task["file_upload"].endswith("-dataset.json")


def test_label_studio_export_round_trips_with_annotations(api, project, client):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(3))
    task = api.get(f"/api/projects/{project}/next").json()["id"]
    api.post(f"/api/tasks/{task}/annotations", json={"result": pick("right"), "lead_time": 3.5})
    exported = api.get(f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=true").json()
    config = api.get(f"/api/projects/{project}").json()["label_config"]
    other = api.post("/api/projects", json={"title": "copy", "label_config": config}).json()["id"]
    r = api.post(f"/api/projects/{other}/import", files={"file": ("export.json", orjson.dumps(exported))})
    assert r.status_code == 201, r.text
    assert r.json()["annotation_count"] == 1
    again = api.get(f"/api/projects/{other}/export?exportType=JSON&download_all_tasks=true").json()
    assert [t["data"] for t in again] == [t["data"] for t in exported]
    [annotated] = [t for t in again if t["annotations"]]
    ann = annotated["annotations"][0]
    assert ann["result"] == pick("right") and ann["lead_time"] == 3.5
    # a bare numeric author names a user of the exporting instance: kept as no one's, never
    # credited to the importer (that would merge several labelers' votes into one)
    assert isinstance(exported[0]["annotations"][0]["completed_by"], int)
    assert ann["completed_by"] is None and r.json()["annotation_authors"]["unattributed"] == 1
    assert annotated["total_annotations"] == 1
    assert api.get(f"/api/projects/{other}").json()["finished_task_number"] == 1


@pytest.mark.parametrize(
    "files, message",
    [
        (
            [("file", ("d.json", b'[{"prompt": "p", "answer1": "a"}]'))],
            'd.json: item 1: missing data key "answer2"',
        ),
        (
            [("file", ("d.json", b'[{"prompt": "p", "answer1": "a", "answer2": "b"},\n {"prompt": }]'))],
            "d.json: line 2, column",
        ),
        ([("file", ("d.json", b""))], "d.json: the file is empty"),
        ([("file", ("d.json", b"[]"))], "no tasks found"),
        ([("file", ("d.csv", b"prompt,answer1,answer2\np,a,b\np,a\n"))], "d.csv: line 3: expected 3 fields"),
        (
            [
                (
                    "file",
                    ("d.json", b'[{"data": {"prompt": "p", "answer1": "a", "answer2": "b"}, "extra": 1}]'),
                )
            ],
            "unknown field 'extra'",
        ),
        (
            [
                (
                    "file",
                    (
                        "d.json",
                        b'[{"data": {"prompt": "p", "answer1": "a", "answer2": "b"}, "annotations": [{"result": "left"}]}]',
                    ),
                )
            ],
            r"annotations\[0\].result must be a list",
        ),
        (
            [
                ("file", ("ok.json", b'[{"prompt": "p", "answer1": "a", "answer2": "b"}]')),
                ("file", ("bad.json", b"[1]")),
            ],
            "bad.json: item 1: a task must be a JSON object",
        ),
    ],
)
def test_bad_imports_change_nothing_and_name_the_problem(api, project, files, message):
    before = count(api, project)
    r = api.post(f"/api/projects/{project}/import", files=files)
    assert r.status_code == 400
    assert re.search(message, r.json()["detail"]), r.json()
    assert r.json()["validation_errors"]["non_field_errors"] == [r.json()["detail"]]
    assert count(api, project) == before


def test_error_after_many_good_batches_rolls_back_everything(api, project):
    rows = [*seed_tasks(2500), {"prompt": "only a prompt"}]
    r = api.post(f"/api/projects/{project}/import", json=rows)
    assert r.status_code == 400 and "request body: item 2501" in r.json()["detail"]
    assert count(api, project) == 0


def test_empty_list_is_refused(api, project):
    r = api.post(f"/api/projects/{project}/import", json=[])
    assert r.status_code == 400 and "no tasks" in r.json()["detail"]


def test_malformed_json_body(api, project):
    r = api.post(
        f"/api/projects/{project}/import",
        content=b'[{"prompt": ',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "request body: line 1" in r.json()["detail"]


def test_oversized_upload_is_413(client, owner, project, app):
    app.state.settings.max_upload_mb = 1
    r = client.post(
        f"/api/projects/{project}/import",
        content=b"[" + b" " * (2 * 1024 * 1024) + b"]",
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "1 MiB" in r.json()["detail"]


def test_truncated_multipart_body_is_refused_and_changes_nothing(api, project):
    body = b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="d.json"\r\n\r\n[{"prompt": "p", "answer1": "a", "answer2": "b"}'
    r = api.post(
        f"/api/projects/{project}/import",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert r.status_code == 400, r.text
    assert count(api, project) == 0


def test_streamed_body_over_the_limit_is_413_without_content_length(client, owner, project, app):
    app.state.settings.max_upload_mb = 1

    def chunks():
        yield b"["
        for _ in range(40):
            yield b" " * 65536
        yield b"]"

    r = client.post(
        f"/api/projects/{project}/import",
        content=chunks(),
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and "1 MiB" in r.json()["detail"]


def test_form_fields_beside_the_file_are_ignored(api, project):
    r = api.post(
        f"/api/projects/{project}/import",
        data={"note": "x"},
        files={"file": ("d.json", orjson.dumps(seed_tasks(2)))},
    )
    assert r.status_code == 201 and r.json()["task_count"] == 2
    r = api.post(f"/api/projects/{project}/import", data={"note": "x"}, files={})
    assert r.status_code == 400


def test_client_vanishing_mid_upload_imports_nothing(live_server, owner, api, project):
    import socket
    import time

    body = b'--B\r\nContent-Disposition: form-data; name="file"; filename="d.jsonl"\r\n\r\n' + b"\n".join(
        orjson.dumps(t) for t in seed_tasks(5000)
    )
    head = (
        f"POST /api/projects/{project}/import HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {owner.token}\r\n"
        f"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: {len(body) + 1000}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", live_server.port)) as s:
        s.sendall(head + body[: len(body) // 2])
        time.sleep(0.3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the server notices, rolls back, and keeps serving
        if (
            api.get(f"/api/projects/{project}").json()["task_number"] == 0
            and api.get("/health").status_code == 200
        ):
            break
        time.sleep(0.1)
    assert api.get(f"/api/projects/{project}").json()["task_number"] == 0
    r = api.post(f"/api/projects/{project}/import", json=seed_tasks(3))
    assert r.status_code == 201  # the project is not left locked

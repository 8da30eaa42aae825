"""Label Studio's task and prediction endpoints beyond the SDK's seed workflow."""

import orjson

from tests.conftest import Api, make_user, pick, seed_tasks


def test_create_a_task_and_list_the_projects_tasks(api, project):
    r = api.post("/api/tasks", json={"project": project, "data": seed_tasks(1)[0]})
    assert r.status_code == 201, r.text
    task = r.json()
    assert task["data"] == seed_tasks(1)[0] and task["project"] == project
    second = api.post(f"/api/projects/{project}/tasks", json={"data": {**seed_tasks(2)[1]}, "meta": {"k": 1}})
    assert second.status_code == 201 and second.json()["meta"] == {"k": 1}
    listed = api.get(f"/api/projects/{project}/tasks?page_size=1&page=2").json()
    assert [t["id"] for t in listed] == [second.json()["id"]]
    assert api.get(f"/api/projects/{project}/tasks?page_size=1&page=3").status_code == 404
    assert api.get(f"/api/tasks/{task['id']}?project={project}").json()["id"] == task["id"]


def test_a_task_that_misses_a_config_key_is_refused(api, project):
    r = api.post("/api/tasks", json={"project": project, "data": {"prompt": "p", "answer1": "a"}})
    assert r.status_code == 400 and "answer2" in r.json()["detail"]
    assert api.get(f"/api/projects/{project}").json()["task_number"] == 0
    assert api.post("/api/tasks", json={"data": seed_tasks(1)[0]}).status_code == 400


def test_delete_all_tasks_of_a_project(api, project):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(3))
    assert api.delete(f"/api/projects/{project}/tasks").status_code == 204
    assert api.get(f"/api/projects/{project}").json()["task_number"] == 0


def test_prediction_crud_short_form_and_model_versions(client, store, api, project):
    [t1, t2] = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    full = api.post(
        "/api/predictions", json={"task": t1, "result": pick(), "score": 0.9, "model_version": "v1"}
    )
    assert full.status_code == 201, full.text
    short = api.post(
        "/api/predictions", json={"task": t2, "result": {"comparison": "right"}, "model_version": "v2"}
    )
    assert short.status_code == 201, short.text
    assert short.json()["result"] == [
        {
            "from_name": "comparison",
            "to_name": "answer1,answer2",
            "type": "pairwise",
            "value": {"selected": "right"},
        }
    ]
    assert api.get(f"/api/projects/{project}/model-versions").json() == {"v1": 1, "v2": 1}
    assert [p["id"] for p in api.get(f"/api/predictions?task={t1}").json()] == [full.json()["id"]]
    assert len(api.get(f"/api/predictions?project={project}").json()) == 2
    pid = full.json()["id"]
    changed = api.patch(f"/api/predictions/{pid}", json={"score": 0.2, "model_version": "v2"})
    assert changed.json()["score"] == 0.2 and changed.json()["model_version"] == "v2"
    annotator = Api(client, make_user(store, "ann@example.com", "annotator"))
    assert annotator.get(f"/api/predictions/{pid}").status_code == 200  # the labeling page shows them
    assert annotator.delete(f"/api/predictions/{pid}").status_code == 403
    assert api.get(f"/api/tasks/{t1}").json()["total_predictions"] == 1
    assert api.delete(f"/api/predictions/{pid}").status_code == 204
    assert api.get(f"/api/tasks/{t1}").json()["total_predictions"] == 0
    bad = api.post("/api/predictions", json={"task": t1, "result": {"nope": "left"}})
    assert bad.status_code == 400 and "no control named 'nope'" in bad.json()["detail"]


def test_project_model_version_must_name_an_existing_version(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    api.post("/api/predictions", json={"task": tid, "result": pick(), "model_version": "rm-1"})
    refused = api.patch(f"/api/projects/{project}", json={"model_version": "rm-9"})
    assert refused.status_code == 400 and "rm-9" in refused.json()["validation_errors"]["model_version"][0]
    assert api.get(f"/api/projects/{project}").json()["model_version"] == ""
    assert (
        api.patch(f"/api/projects/{project}", json={"model_version": "rm-1"}).json()["model_version"]
        == "rm-1"
    )


def test_text_files_import_one_task_per_line(api):
    config = '<View><Text name="text" value="$text"/><Choices name="c" toName="text"><Choice value="a"/></Choices></View>'
    project = api.post("/api/projects", json={"title": "txt", "label_config": config}).json()["id"]
    r = api.post(f"/api/projects/{project}/import", files={"file": ("lines.txt", b"one\ntwo\n\nthree\n")})
    assert r.status_code == 201 and r.json()["task_count"] == 3 and r.json()["found_formats"] == {".txt": 1}


def test_import_predictions_all_or_nothing(api, project):
    [t1, t2] = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    body = [
        {"task": t1, "result": {"comparison": "left"}, "score": 0.8, "model_version": "rm"},
        {"task": t2, "result": pick("right"), "score": 0.6, "model_version": "rm"},
    ]
    r = api.post(f"/api/projects/{project}/import/predictions", json=body)
    assert r.status_code == 201 and r.json() == {"created": 2}
    assert api.get(f"/api/projects/{project}/model-versions").json() == {"rm": 2}
    bad = api.post(
        f"/api/projects/{project}/import/predictions", json=[*body, {"task": 999999, "result": pick()}]
    )
    assert bad.status_code == 400 and "[2].task" in bad.json()["detail"]
    assert api.get(f"/api/projects/{project}/model-versions").json() == {"rm": 2}  # nothing added


def test_file_uploads_are_listed(api, project):
    files = [
        ("file", ("a.json", orjson.dumps(seed_tasks(1)))),
        ("file", ("b.csv", b"prompt,answer1,answer2\np,a,b\n")),
    ]
    api.post(f"/api/projects/{project}/import", files=files)
    listed = api.get(f"/api/projects/{project}/file-uploads").json()
    assert [u["file"].split("-", 1)[1] for u in listed] == ["a.json", "b.csv"]
    task = api.get(f"/api/projects/{project}/tasks").json()[0]
    assert task["file_upload"] == listed[0]["file"]

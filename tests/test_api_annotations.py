from tests.conftest import pick, seed_tasks


def test_create_list_get_update_delete(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    r = api.post(
        f"/api/tasks/{tid}/annotations/",
        json={"result": pick(), "was_cancelled": False, "ground_truth": False, "lead_time": 4.2},
    )
    assert r.status_code == 201
    ann = r.json()
    assert ann["completed_by"] == api.account.id and ann["task"] == tid and ann["project"] == project
    assert ann["created_username"] == f" owner@example.com, {api.account.id}"
    assert list(ann)[:3] == ["id", "result", "created_username"]
    assert api.get(f"/api/tasks/{tid}/annotations").json() == [ann]
    assert api.get(f"/api/annotations/{ann['id']}").json()["result"] == pick()
    r = api.patch(f"/api/annotations/{ann['id']}", json={"result": pick("right")})
    assert r.status_code == 200 and r.json()["result"] == pick("right")
    assert api.get(f"/api/tasks/{tid}").json()["annotations"][0]["result"] == pick("right")
    assert api.delete(f"/api/annotations/{ann['id']}").status_code == 204
    task = api.get(f"/api/tasks/{tid}").json()
    assert task["annotations"] == [] and task["total_annotations"] == 0 and task["is_labeled"] is False


def test_skip_counts_as_cancelled_not_labeled(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    api.post(f"/api/tasks/{tid}/annotations", json={"result": [], "was_cancelled": True})
    task = api.get(f"/api/tasks/{tid}").json()
    assert task["cancelled_annotations"] == 1 and task["total_annotations"] == 0 and not task["is_labeled"]
    project_json = api.get(f"/api/projects/{project}").json()
    assert project_json["skipped_annotations_number"] == 1


def test_unknown_task_is_404(api):
    r = api.post("/api/tasks/999/annotations", json={"result": []})
    assert r.status_code == 404


def test_result_must_be_a_list(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    r = api.post(f"/api/tasks/{tid}/annotations", json={"result": "left"})
    assert r.status_code == 400 and "result" in r.json()["detail"]
    assert api.get(f"/api/tasks/{tid}").json()["annotations"] == []


def test_predictions(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    r = api.post(
        "/api/predictions", json={"task": tid, "result": pick(), "score": 0.7, "model_version": "rm-1"}
    )
    assert r.status_code == 201 and r.json()["score"] == 0.7
    task = api.get(f"/api/tasks/{tid}").json()
    assert task["total_predictions"] == 1 and task["predictions"][0]["model_version"] == "rm-1"

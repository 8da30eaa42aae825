"""Drafts on the server: the author's only, listed on the task, removed by the submit."""

from tests.conftest import Api, make_user, pick, seed_tasks


def test_draft_lifecycle_and_privacy(client, store, api, project):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    labeler = Api(client, make_user(store, "drafty@example.com", "annotator"))
    other = Api(client, make_user(store, "other@example.com", "annotator"))
    r = labeler.post(f"/api/tasks/{tid}/drafts", json={"result": pick(), "lead_time": 1.5})
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["task"] == tid and draft["result"] == pick() and draft["annotation"] is None
    task = labeler.get(f"/api/tasks/{tid}").json()
    assert [d["id"] for d in task["drafts"]] == [draft["id"]] and task["draft_exists"] is True
    assert other.get(f"/api/tasks/{tid}").json()["drafts"] == []
    assert api.get(f"/api/tasks/{tid}").json()["drafts"] == []  # a manager sees annotations, not drafts
    assert other.get(f"/api/drafts/{draft['id']}").status_code == 404
    assert other.patch(f"/api/drafts/{draft['id']}", json={"result": []}).status_code == 404
    changed = labeler.patch(f"/api/drafts/{draft['id']}", json={"result": pick("right")})
    assert changed.json()["result"] == pick("right")
    labeler.post(f"/api/tasks/{tid}/annotations", json={"result": pick("right")})
    assert labeler.get(f"/api/tasks/{tid}").json()["drafts"] == []  # the submit took it
    assert labeler.get(f"/api/drafts/{draft['id']}").status_code == 404


def test_a_draft_of_a_change_to_an_annotation(client, store, api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    aid = api.post(f"/api/tasks/{tid}/annotations", json={"result": pick()}).json()["id"]
    r = api.post(f"/api/tasks/{tid}/annotations/{aid}/drafts", json={"result": pick("right")})
    assert r.status_code == 201 and r.json()["annotation"] == aid
    stranger = Api(client, make_user(store, "s@example.com", "annotator"))
    assert stranger.post(f"/api/tasks/{tid}/annotations/{aid}/drafts", json={"result": []}).status_code == 404
    assert api.delete(f"/api/drafts/{r.json()['id']}").status_code == 204
    assert api.get(f"/api/tasks/{tid}").json()["drafts"] == []

"""A PATCH with null clears a field that may be empty (an annotation's ``lead_time`` and
``shown_order``, a prediction's ``score``) and leaves the others as they are."""

from .conftest import pick, seed_tasks


def test_null_clears_lead_time_and_shown_order_and_leaves_the_result(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    body = {"result": pick("right"), "lead_time": 4.5, "shown_order": ["answer2", "answer1"]}
    annotation = api.post(f"/api/tasks/{tid}/annotations", json=body).json()["id"]
    r = api.patch(
        f"/api/annotations/{annotation}", json={"lead_time": None, "shown_order": None, "result": None}
    )
    assert r.status_code == 200, r.text
    stored = api.get(f"/api/annotations/{annotation}").json()
    assert (stored["lead_time"], stored.get("shown_order"), stored["result"]) == (None, None, pick("right"))


def test_null_clears_a_predictions_score(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    r = api.post("/api/predictions", json={"task": tid, "result": pick(), "score": 0.7, "model_version": "m"})
    assert r.status_code == 201, r.text
    prediction = r.json()["id"]
    r = api.patch(f"/api/predictions/{prediction}", json={"score": None, "result": None})
    assert r.status_code == 200, r.text
    stored = api.get(f"/api/predictions/{prediction}").json()
    assert (stored["score"], stored["result"], stored["model_version"]) == (None, pick(), "m")

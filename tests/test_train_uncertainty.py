"""Active learning: with "Uncertainty sampling", /next hands out the least certain tasks first."""

from tests.conftest import Api, make_user, pick, seed_tasks


def predict(api, task_id, score, version="rm"):
    r = api.post(
        "/api/predictions",
        json={"task": task_id, "result": pick(), "score": score, "model_version": version},
    )
    assert r.status_code == 201, r.text


def test_uncertainty_sampling_hands_out_the_least_certain_task_first(api, project, client, store):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(5)).json()["task_ids"]
    for task_id, score in zip(ids[:4], (0.97, 0.55, 0.81, 0.99), strict=True):
        predict(api, task_id, score)
    predict(api, ids[3], 0.51, version="rm-v2")  # the newest prediction of a task counts
    r = api.patch(f"/api/projects/{project}", json={"sampling": "Uncertainty sampling"})
    assert r.status_code == 200 and r.json()["sampling"] == "Uncertainty sampling"

    labeler = Api(client, make_user(store, "al@example.com", "annotator"))
    order = []
    for _ in range(5):
        task = labeler.get(f"/api/projects/{project}/next").json()
        order.append(task["id"])
        labeler.post(f"/api/tasks/{task['id']}/annotations", json={"result": pick()})
    # 0.51 (newest of ids[3]), 0.55, 0.81, 0.97, then the task without a prediction
    assert order == [ids[3], ids[1], ids[2], ids[0], ids[4]]
    assert labeler.get(f"/api/projects/{project}/next").status_code == 404


def test_uncertainty_sampling_skips_claimed_and_done_tasks(api, project, client, store):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(3)).json()["task_ids"]
    for task_id, score in zip(ids, (0.6, 0.5, 0.9), strict=True):
        predict(api, task_id, score)
    api.patch(f"/api/projects/{project}", json={"sampling": "Uncertainty sampling"})
    a, b = (Api(client, make_user(store, f"u{i}@example.com", "annotator")) for i in range(2))
    assert a.get(f"/api/projects/{project}/next").json()["id"] == ids[1]
    assert b.get(f"/api/projects/{project}/next").json()["id"] == ids[0]  # ids[1]'s only slot is claimed
    a.post(f"/api/tasks/{ids[1]}/annotations", json={"result": pick()})
    assert a.get(f"/api/projects/{project}/next").json()["id"] == ids[2]


def test_sequential_sampling_ignores_predictions(api, project, client, store):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    predict(api, ids[1], 0.5)
    predict(api, ids[0], 0.99)
    labeler = Api(client, make_user(store, "seq@example.com", "annotator"))
    assert labeler.get(f"/api/projects/{project}/next").json()["id"] == ids[0]

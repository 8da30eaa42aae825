"""Every imported field is checked by the rule the API applies to it (``preflab.domain.tasks``):
a bad value is a 400 naming the item and the field, and nothing is imported."""

import orjson
import pytest

from tests.conftest import pick, seed_tasks


def _task(annotation: dict | None = None, prediction: dict | None = None) -> dict:
    task = {"data": seed_tasks(1)[0]}
    if annotation is not None:
        task["annotations"] = [{"result": pick("left"), **annotation}]
    if prediction is not None:
        task["predictions"] = [{"result": pick("left"), **prediction}]
    return task


def _state(api, project) -> tuple:
    """What an import could change: the tasks with their annotations and predictions."""
    r = api.get(f"/api/projects/{project}/export?exportType=JSON&download_all_tasks=true")
    assert r.status_code == 200, r.text
    return tuple(orjson.dumps(t) for t in r.json())


BAD_ANNOTATIONS = [
    ({"shown_order": 5}, "annotations[0].shown_order must be a list of strings, got a number"),
    ({"shown_order": "answer1"}, "annotations[0].shown_order must be a list of strings, got a string"),
    ({"shown_order": ["answer1", 2]}, "annotations[0].shown_order[1] must be a string, got a number"),
    ({"lead_time": True}, "annotations[0].lead_time must be a number, got a boolean"),
    ({"lead_time": -1}, "annotations[0].lead_time must be at least 0, got -1"),
    ({"lead_time": "NaN"}, "annotations[0].lead_time must be a finite number, got 'NaN'"),
    ({"lead_time": "inf"}, "annotations[0].lead_time must be a finite number, got 'inf'"),
    ({"lead_time": "soon"}, "annotations[0].lead_time must be a number, got 'soon'"),
    ({"created_at": "yesterday"}, "annotations[0].created_at must be an ISO-8601 time, got 'yesterday'"),
    (
        {"updated_at": 1700000000},
        "annotations[0].updated_at must be an ISO-8601 time as a string, got a number",
    ),
    ({"was_cancelled": "false"}, "annotations[0].was_cancelled must be true or false, got a string"),
    ({"ground_truth": 1}, "annotations[0].ground_truth must be true or false, got a number"),
]
BAD_PREDICTIONS = [
    ({"score": True}, "predictions[0].score must be a number, got a boolean"),
    ({"score": "nan"}, "predictions[0].score must be a finite number, got 'nan'"),
    ({"score": [0.5]}, "predictions[0].score must be a number, got a list"),
]


@pytest.mark.parametrize(("annotation", "message"), BAD_ANNOTATIONS)
def test_a_bad_annotation_field_refuses_the_import_naming_item_and_field(api, project, annotation, message):
    api.post(f"/api/projects/{project}/import", json=[_task({"shown_order": ["answer2", "answer1"]})])
    before = _state(api, project)
    body = [_task({}), _task({}), _task(annotation)]
    r = api.post(f"/api/projects/{project}/import", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == f"request body: item 3: {message}"
    assert _state(api, project) == before


@pytest.mark.parametrize(("prediction", "message"), BAD_PREDICTIONS)
def test_a_bad_prediction_score_refuses_the_import(api, project, prediction, message):
    before = _state(api, project)
    lines = b"\n".join(
        orjson.dumps(t) for t in [_task(prediction={"score": 0.5}), _task(prediction=prediction)]
    )
    r = api.post(f"/api/projects/{project}/import", files={"file": ("tasks.jsonl", lines)})
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == f"tasks.jsonl: line 2: {message}"
    assert _state(api, project) == before


def test_good_values_are_stored_as_the_api_stores_them(api, project):
    annotation = {
        "shown_order": ["answer2", "answer1"],
        "lead_time": "2.5",
        "created_at": "2026-01-02T03:04:05+02:00",
        "updated_at": "2026-01-02T01:04:06",
    }
    r = api.post(f"/api/projects/{project}/import", json=[_task(annotation, {"score": 1})])
    assert r.status_code == 201, r.text
    [task] = api.get(f"/api/projects/{project}/export?exportType=JSON").json()
    [stored] = task["annotations"]
    assert stored["shown_order"] == ["answer2", "answer1"] and stored["lead_time"] == 2.5
    assert (stored["created_at"], stored["updated_at"]) == (
        "2026-01-02T01:04:05.000000Z",
        "2026-01-02T01:04:06.000000Z",
    )
    [prediction] = api.get(f"/api/predictions?project={project}").json()
    assert prediction["score"] == 1.0
    # the exports and the stats that a bad shown_order used to break still work
    assert api.get(f"/api/projects/{project}/export?exportType=PREFERENCE_JSONL").status_code == 200
    assert api.get(f"/api/projects/{project}/stats").status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"lead_time": True}, "lead_time must be a number, got a boolean"),
        ({"lead_time": -1}, "lead_time must be at least 0, got -1"),
        ({"shown_order": ["answer1", 2]}, "shown_order[1] must be a string, got a number"),
    ],
)
def test_the_annotation_api_applies_the_same_rules(api, project, body, message):
    [task] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    r = api.post(f"/api/tasks/{task}/annotations", json={"result": pick("left"), **body})
    assert r.status_code == 400, r.text
    assert message in r.json()["detail"]
    assert api.get(f"/api/tasks/{task}/annotations").json() == []


def test_the_annotation_api_refuses_nan_and_infinity(api, project):
    [task] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    for raw in (b"NaN", b"Infinity"):
        body = b'{"result": [], "lead_time": ' + raw + b"}"
        r = api.post(
            f"/api/tasks/{task}/annotations", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400 and "lead_time must be a finite number" in r.json()["detail"], r.text
    assert api.get(f"/api/tasks/{task}/annotations").json() == []


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (b"true", "1.score: score must be a number, got a boolean"),
        (b"NaN", "1.score: score must be a finite number, got nan"),
        (b"-Infinity", "1.score: score must be a finite number, got -inf"),
        (b'"high"', "1.score: score must be a number, got 'high'"),
    ],
)
def test_import_predictions_refuses_a_bad_score_naming_the_item(api, project, score, message):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    body = b'[{"task": %d, "result": [], "score": 0.5}, {"task": %d, "result": [], "score": %s}]' % (
        ids[0],
        ids[1],
        score,
    )
    r = api.post(
        f"/api/projects/{project}/import/predictions",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["detail"] == message
    assert api.get(f"/api/predictions?project={project}").json() == []

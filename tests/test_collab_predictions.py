"""Label Studio's ``show_collab_predictions`` (issue 14, item 18): when it is off, annotators get
no predictions anywhere in the API (the task from /next, task JSON, /api/predictions, model
versions; exports are managers' only), so the model's answer is never seen before the vote;
managers still get them all. On (Label Studio's default), annotators see them too."""

import pytest

from tests.conftest import Api, make_user, pick, seed_tasks


@pytest.fixture
def world(client, api, store, project):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})  # both callers claim it
    task = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"][0]
    body = {"task": task, "result": pick("right"), "score": 0.9, "model_version": "rm-v1"}
    prediction = api.post("/api/predictions", json=body)
    assert prediction.status_code == 201, prediction.text
    annotator = Api(client, make_user(store, "annotator@example.com", "annotator"))
    manager = Api(client, make_user(store, "manager@example.com", "manager"))
    return {"project": project, "task": task, "prediction": prediction.json()["id"]}, annotator, manager


def seen(caller: Api, ids: dict) -> dict:
    """Every place of the API where a prediction could show, as this caller sees it."""
    project, task = ids["project"], ids["task"]
    claimed = caller.get(f"/api/projects/{project}/next")
    assert claimed.status_code == 200, claimed.text
    one = caller.get(f"/api/tasks/{task}").json()
    return {
        "next": (claimed.json()["predictions"], claimed.json()["predictions_results"]),
        "task": (one["predictions"], one["predictions_results"], one["total_predictions"]),
        "task versions": one["predictions_model_versions"],
        "by task": caller.get(f"/api/predictions?task={task}").json(),
        "by project": caller.get(f"/api/predictions?project={project}").json(),
        "one": caller.get(f"/api/predictions/{ids['prediction']}").status_code,
        "versions": caller.get(f"/api/projects/{project}/model-versions").json(),
    }


def test_annotators_get_no_predictions_when_the_setting_is_off(world, api):
    ids, annotator, manager = world
    r = api.patch(f"/api/projects/{ids['project']}", json={"show_collab_predictions": False})
    assert r.status_code == 200 and r.json()["show_collab_predictions"] is False
    assert seen(annotator, ids) == {
        "next": ([], ""),
        "task": ([], "", 0),
        "task versions": "",
        "by task": [],
        "by project": [],
        "one": 404,
        "versions": {},
    }
    # nor through an export: those are managers' only
    export = annotator.get(f"/api/projects/{ids['project']}/export?exportType=JSON")
    assert export.status_code == 403 and "rm-v1" not in export.text
    # managers still see every prediction
    shown = seen(manager, ids)
    assert [p["id"] for p in shown["next"][0]] == [ids["prediction"]]
    assert shown["task"][2] == 1 and shown["task versions"] == "rm-v1"
    assert len(shown["by task"]) == len(shown["by project"]) == 1 and shown["one"] == 200
    assert shown["versions"] == {"rm-v1": 1}


def test_annotators_see_predictions_when_the_setting_is_on(world, api):
    ids, annotator, _ = world
    assert api.get(f"/api/projects/{ids['project']}").json()["show_collab_predictions"] is True  # the default
    shown = seen(annotator, ids)
    assert [p["id"] for p in shown["next"][0]] == [ids["prediction"]]
    assert shown["task"][2] == 1 and shown["one"] == 200 and shown["versions"] == {"rm-v1": 1}
    assert len(shown["by task"]) == len(shown["by project"]) == 1


# Label Studio settings preflab has no feature for (item 11): the default is accepted, any other
# value is refused with a message naming the field, and nothing changes.
UNSUPPORTED = [
    ("show_overlap_first", False, True),
    ("min_annotations_to_start_training", 0, 5),
    ("show_annotation_history", False, True),
]


@pytest.mark.parametrize(("field", "default", "other"), UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_settings_preflab_does_not_have_are_refused_not_ignored(api, project, field, default, other):
    before = api.get(f"/api/projects/{project}").json()
    for call in (
        lambda: api.patch(f"/api/projects/{project}", json={field: other, "title": "changed"}),
        lambda: api.post("/api/projects", json={"title": "new", field: other}),
    ):
        r = call()
        assert r.status_code == 400, r.text
        assert list(r.json()["validation_errors"]) == [field]
        assert r.json()["validation_errors"][field][0].startswith(f"{field}: only ")
    assert api.get(f"/api/projects/{project}").json() == before
    assert [p["id"] for p in api.get("/api/projects").json()["results"]] == [project]
    # the default, as clients and copies of Label Studio projects send it, is fine
    assert api.patch(f"/api/projects/{project}", json={field: default}).status_code == 200
    created = api.post("/api/projects", json={"title": "copy", field: default})
    assert created.status_code == 201 and created.json()[field] == default


def test_is_published_is_kept_and_gates_nothing_as_in_label_studio_community(api, world):
    """Label Studio Community stores ``is_published`` and hands tasks out whatever it says (the
    check is Enterprise's); its own API suite sets it. preflab does the same."""
    ids, annotator, _ = world
    r = api.patch(f"/api/projects/{ids['project']}", json={"is_published": True})
    assert r.status_code == 200 and r.json()["is_published"] is True
    assert api.get(f"/api/projects/{ids['project']}").json()["is_published"] is True
    assert annotator.get(f"/api/projects/{ids['project']}/next").status_code == 200

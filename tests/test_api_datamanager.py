"""The Data Manager: views with Label Studio's filters and ordering, and actions on selections."""

import orjson
import pytest

from tests.conftest import Api, make_user, pick


def _f(column, operator, value, kind="Number"):
    return {"filter": f"filter:tasks:{column}", "operator": operator, "type": kind, "value": value}


@pytest.fixture
def world(client, store, api, project):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 3})
    rows = [{"prompt": f"q{i}", "answer1": f"a{i}", "answer2": f"b{i}", "n": i} for i in range(6)]
    ids = api.post(f"/api/projects/{project}/import", json=rows).json()["task_ids"]
    labeler = Api(client, make_user(store, "dm@example.com", "annotator"))
    for tid in ids[:3]:
        api.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
    labeler.post(f"/api/tasks/{ids[1]}/annotations", json={"result": pick("right")})
    api.post("/api/predictions", json={"task": ids[4], "result": pick(), "score": 0.3, "model_version": "m"})
    return api, project, ids, labeler


def _listed(api, project, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = api.get(f"/api/tasks?project={project}&{query}")
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["tasks"]]


def test_views_filter_and_order_the_task_list(world):
    api, project, ids, labeler = world
    data = {
        "title": "two or more",
        "filters": {"conjunction": "and", "items": [_f("total_annotations", "greater_or_equal", 1)]},
        "ordering": ["-tasks:total_annotations", "tasks:id"],
    }
    r = api.post("/api/dm/views", json={"project": project, "data": data})
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["data"]["title"] == "two or more" and view["project"] == project
    listed = api.get(f"/api/tasks?view={view['id']}").json()["tasks"]
    assert [t["id"] for t in listed] == [ids[1], ids[0], ids[2]]
    assert [v["id"] for v in api.get(f"/api/dm/views?project={project}").json()] == [view["id"]]
    by_annotator = {
        "conjunction": "and",
        "items": [_f("annotators", "contains", [labeler.account.id], "List")],
    }
    changed = api.patch(f"/api/dm/views/{view['id']}", json={"data": {"filters": by_annotator}})
    assert changed.status_code == 200
    assert [t["id"] for t in api.get(f"/api/tasks?view={view['id']}").json()["tasks"]] == [ids[1]]
    assert api.delete(f"/api/dm/views/{view['id']}").status_code == 204
    assert api.get(f"/api/dm/views/{view['id']}").status_code == 404


@pytest.mark.parametrize(
    "items, expected",
    [
        ([_f("data.prompt", "equal", "q3", "String")], [3]),
        ([_f("data.prompt", "contains", "q", "String"), _f("data.n", "greater", 3)], [4, 5]),
        ([_f("data.n", "in", {"min": 1, "max": 2})], [1, 2]),
        ([_f("completed_at", "empty", False, "Datetime")], []),
        ([_f("total_predictions", "greater", 0)], [4]),
        ([_f("predictions_score", "less", 0.5)], [4]),
        ([_f("annotations_results", "contains", "right", "String")], [1]),
        ([_f("annotators", "empty", True, "List")], [3, 4, 5]),
        ([_f("id", "not_equal", 0)], [0, 1, 2, 3, 4, 5]),
    ],
)
def test_filters_by_label_studio_columns(world, items, expected):
    api, project, ids, _ = world
    query = orjson.dumps({"filters": {"conjunction": "and", "items": items}}).decode()
    assert _listed(api, project, query=query) == [ids[i] for i in expected]


def test_or_conjunction(world):
    api, project, ids, _ = world
    filters = {"conjunction": "or", "items": [_f("data.n", "equal", 0), _f("data.n", "equal", 5)]}
    assert _listed(api, project, query=orjson.dumps({"filters": filters}).decode()) == [ids[0], ids[5]]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"filters": {"items": [_f("colour", "equal", 1)]}}, "unknown column 'colour'"),
        ({"filters": {"items": [_f("annotators", "greater", 1)]}}, "'greater' does not apply to annotators"),
        ({"filters": {"items": [_f("id", "in", 3)]}}, 'in takes {"min"'),
        ({"ordering": ["tasks:colour"]}, "cannot order by 'colour'"),
    ],
)
def test_bad_views_are_refused_naming_the_problem(world, data, message):
    api, project, _, _ = world
    r = api.post("/api/dm/views", json={"project": project, "data": data})
    assert r.status_code == 400 and message in r.json()["detail"]
    assert api.get(f"/api/dm/views?project={project}").json() == []


def test_actions_on_selections_and_views(world):
    api, project, ids, labeler = world
    assert {a["id"] for a in api.get(f"/api/dm/actions?project={project}").json()} >= {
        "delete_tasks",
        "delete_tasks_annotations",
        "delete_tasks_predictions",
        "next_task",
    }
    chosen = {"selectedItems": {"all": False, "included": [ids[0], ids[1]]}, "project": project}
    r = api.post(f"/api/dm/actions?project={project}&id=delete_tasks_annotations", json=chosen)
    assert r.status_code == 200 and r.json()["processed_items"] == 3
    task = api.get(f"/api/tasks/{ids[1]}").json()
    assert task["annotations"] == [] and task["total_annotations"] == 0 and task["is_labeled"] is False
    r = api.post(
        f"/api/dm/actions?project={project}&id=delete_tasks_predictions",
        json={"selectedItems": {"all": True, "excluded": []}, "project": project},
    )
    assert (
        r.json()["processed_items"] == 1 and api.get(f"/api/tasks/{ids[4]}").json()["total_predictions"] == 0
    )
    nxt = labeler.post(
        f"/api/dm/actions?project={project}&id=next_task",
        json={"selectedItems": {"all": False, "included": [ids[5], ids[2]]}, "project": project},
    )
    assert nxt.status_code == 200 and nxt.json()["id"] == ids[2]
    view = api.post(
        "/api/dm/views",
        json={"project": project, "data": {"filters": {"items": [_f("data.n", "greater", 3)]}}},
    ).json()
    r = api.post(
        f"/api/dm/actions?project={project}&id=delete_tasks&tabID={view['id']}",
        json={"selectedItems": {"all": True, "excluded": [ids[5]]}, "project": project},
    )
    assert r.json()["processed_items"] == 1  # ids[4]: in the view, not excluded
    assert sorted(_listed(api, project)) == sorted([ids[0], ids[1], ids[2], ids[3], ids[5]])
    refused = labeler.post(f"/api/dm/actions?project={project}&id=delete_tasks", json=chosen)
    assert refused.status_code == 403 and len(_listed(api, project)) == 5

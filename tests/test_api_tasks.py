from urllib.parse import quote

import orjson
import pytest

from tests.conftest import pick, seed_tasks

LABELED = {
    "conjunction": "and",
    "items": [
        {"filter": "filter:tasks:completed_at", "operator": "empty", "value": False, "type": "Datetime"}
    ],
}


def dm_query(filters=None, selected=None) -> str:
    return orjson.dumps(
        {"filters": filters, "ordering": [], "selectedItems": selected or {"all": True, "excluded": []}}
    ).decode()


def test_pages_end_with_404_as_the_legacy_sdk_needs(api, project):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(150))
    p1 = api.get(f"/api/tasks?project={project}&page=1&page_size=100&fields=all&resolve_uri=True")
    assert p1.status_code == 200
    body = p1.json()
    assert body["total"] == 150 and len(body["tasks"]) == 100
    assert {"total_annotations", "total_predictions"} <= body.keys()
    assert len(api.get(f"/api/tasks/?project={project}&page=2&page_size=100").json()["tasks"]) == 50
    assert api.get(f"/api/tasks?project={project}&page=3&page_size=100").status_code == 404


def test_empty_project_page_one_is_empty_page_two_404(api, project):
    assert api.get(f"/api/tasks?project={project}&page=1").json()["tasks"] == []
    assert api.get(f"/api/tasks?project={project}&page=2").status_code == 404


def test_labeled_filter_selection_and_include_id(api, project):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(3)).json()["task_ids"]
    api.post(f"/api/tasks/{ids[1]}/annotations", json={"result": pick()})
    labeled = api.get(f"/api/tasks?project={project}&query={dm_query(LABELED)}&include=id").json()["tasks"]
    assert labeled == [{"id": ids[1]}]
    unlabeled_filter = {**LABELED, "items": [{**LABELED["items"][0], "value": True}]}
    unlabeled = api.get(f"/api/tasks?project={project}&query={dm_query(unlabeled_filter)}").json()["tasks"]
    assert [t["id"] for t in unlabeled] == [ids[0], ids[2]]
    chosen = api.get(
        f"/api/tasks?project={project}&query={dm_query(selected={'all': False, 'included': [ids[2]]})}"
    ).json()
    assert [t["id"] for t in chosen["tasks"]] == [ids[2]]


def test_task_shape_update_and_delete(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    api.post(f"/api/tasks/{tid}/annotations", json={"result": pick(), "lead_time": 2.0})
    task = api.get(f"/api/tasks/{tid}").json()
    assert task["is_labeled"] is True and task["total_annotations"] == 1
    assert task["annotations"][0]["result"] == pick()
    assert orjson.loads(task["annotations_results"]) == [pick()]
    assert task["annotators"] == [api.account.id] and task["completed_at"]
    r = api.patch(f"/api/tasks/{tid}", json={"data": {"prompt": "new", "answer1": "a", "answer2": "b"}})
    assert r.status_code == 200 and r.json()["data"]["prompt"] == "new"
    assert api.delete(f"/api/tasks/{tid}").status_code == 204
    assert api.get(f"/api/tasks/{tid}").status_code == 404
    assert api.get(f"/api/tasks/{tid}").json()["detail"] == "No Task matches the given query."


def test_dm_delete_tasks_action(api, project):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(4)).json()["task_ids"]
    r = api.post(
        f"/api/dm/actions?project={project}&id=delete_tasks",
        json={"selectedItems": {"all": False, "included": ids[:2]}, "project": project},
    )
    assert r.json() == {"processed_items": 2, "reload": True, "detail": "Deleted 2 tasks"}
    r = api.post(
        f"/api/dm/actions?project={project}&id=delete_tasks",
        json={"selectedItems": {"all": True, "excluded": [ids[3]]}, "project": project},
    )
    assert r.json()["processed_items"] == 1
    assert [t["id"] for t in api.get(f"/api/tasks?project={project}").json()["tasks"]] == [ids[3]]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"selectedItems": []}, "selectedItems"),
        ({"selectedItems": {"all": False, "included": "1,2"}}, "selectedItems.included"),
        ({"selectedItems": {"all": False, "included": [{"id": 1}]}}, "selectedItems.included.0"),
        ({"filters": {"items": {"filter": "x"}}}, "filters.items"),
        ({"filters": {"items": [{"operator": "empty"}]}}, "filters.items[0].filter"),
        (
            {"filters": {"items": [{"filter": "filter:tasks:nope", "operator": "equal"}]}},
            "filters.items[0].filter",
        ),
        (
            {"filters": {"items": [{"filter": "filter:tasks:total_annotations", "operator": "contains"}]}},
            "filters.items[0].operator",
        ),
        ({"filters": "labeled"}, "filters"),
        ({"ordering": "tasks:id"}, "ordering"),
        ([1, 2], "query"),
    ],
)
def test_malformed_data_manager_query_is_a_400_naming_the_field(api, project, query, field):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(2))
    r = api.get(f"/api/tasks?project={project}&query={quote(orjson.dumps(query).decode())}")
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith(f"query parameter query: {field}")


@pytest.mark.parametrize("selected", [[1, 2], {"all": "maybe"}, {"all": False, "included": "3"}, "all"])
def test_malformed_selected_items_in_an_action_is_a_400_and_deletes_nothing(api, project, selected):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(2))
    r = api.post(
        f"/api/dm/actions?project={project}&id=delete_tasks",
        json={"selectedItems": selected, "project": project},
    )
    assert r.status_code == 400 and "selectedItems" in r.json()["detail"]
    assert api.get(f"/api/projects/{project}").json()["task_number"] == 2

from preflab.domain.agreement import agreement
from tests.conftest import pick


def test_agreement_is_the_majority_share():
    assert agreement([pick("left")]) is None
    assert agreement([pick("left"), pick("left"), pick("right")]) == 2 / 3
    assert agreement([pick("left"), pick("right")]) == 0.5


def test_result_ids_and_origins_do_not_matter():
    a = [{"id": "x1", "origin": "manual", **pick("left")[0]}]
    b = [{"id": "y2", **pick("left")[0]}]
    assert agreement([a, b]) == 1.0


def test_stored_on_tasks_as_annotations_arrive(api, project, client, store):
    from tests.conftest import Api, make_user

    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 3})
    [tid] = api.post(
        f"/api/projects/{project}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}]
    ).json()["task_ids"]
    for i, side in enumerate(["left", "left", "right"]):
        Api(client, make_user(store, f"a{i}@example.com", "annotator")).post(
            f"/api/tasks/{tid}/annotations", json={"result": pick(side)}
        )
    assert api.get(f"/api/tasks/{tid}").json()["agreement"] == 2 / 3


def test_imported_annotations_get_agreement_too(api, project):
    task = {
        "data": {"prompt": "p", "answer1": "a", "answer2": "b"},
        "annotations": [
            {"result": pick("left")},
            {"result": pick("right")},
            {"result": pick("left")},
            {"result": [], "was_cancelled": True},
        ],
    }
    [tid] = api.post(f"/api/projects/{project}/import", json=[task]).json()["task_ids"]
    imported = api.get(f"/api/tasks/{tid}").json()
    assert (
        imported["agreement"] == 2 / 3
        and imported["total_annotations"] == 3
        and imported["cancelled_annotations"] == 1
    )

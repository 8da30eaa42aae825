from tests.conftest import PAIRWISE, SEED_CONFIG, Api, make_user, pick, seed_tasks


def test_create_returns_201_and_the_full_project(api):
    r = api.post("/api/projects", json={"title": "Prefs", "label_config": SEED_CONFIG, "description": "d"})
    assert r.status_code == 201
    body = r.json()
    assert body["label_config"] == SEED_CONFIG  # byte for byte
    assert body["parsed_label_config"]["comparison"]["to_name"] == ["answer1", "answer2"]
    assert body["created_by"]["email"] == "owner@example.com"
    assert body["sampling"] == "Sequential sampling"
    for key in ("task_number", "num_tasks_with_annotations", "finished_task_number", "queue_total", "state"):
        assert key in body


def test_trailing_slash_is_optional_and_never_redirects(api, project):
    for path in (f"/api/projects/{project}", f"/api/projects/{project}/"):
        r = api.get(path, follow_redirects=False)
        assert r.status_code == 200 and r.json()["id"] == project
    r = api.post("/api/projects/", json={"title": "slash", "label_config": PAIRWISE}, follow_redirects=False)
    assert r.status_code == 201


def test_patch_is_200_and_overlap_relabels(api, project):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(2))
    task = api.get(f"/api/projects/{project}/next").json()["id"]
    api.post(f"/api/tasks/{task}/annotations", json={"result": []})
    assert api.get(f"/api/projects/{project}").json()["finished_task_number"] == 1
    r = api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2, "title": "New"})
    assert r.status_code == 200
    assert r.json()["title"] == "New" and r.json()["finished_task_number"] == 0


def test_invalid_config_is_400_in_label_studio_shape(api):
    xml = '<View><Text name="c" value="$c"/><Choices name="x" toName="a"><Choice value="y"/></Choices></View>'
    r = api.post("/api/projects", json={"title": "bad", "label_config": xml})
    assert r.status_code == 400
    assert r.json()["validation_errors"] == {"label_config": ["toName=\"a\" not found in names: ['c']"]}


def test_config_change_that_existing_tasks_cannot_fill_is_refused(api, project):
    api.post(f"/api/projects/{project}/import", json=seed_tasks(1))
    r = api.patch(
        f"/api/projects/{project}", json={"label_config": '<View><Text name="t" value="$text"/></View>'}
    )
    assert r.status_code == 400
    assert 'no data key "text"' in r.json()["detail"]
    assert api.get(f"/api/projects/{project}").json()["label_config"] == PAIRWISE


def test_unknown_project_is_404_and_delete_is_204(api, project):
    assert api.get("/api/projects/999").status_code == 404
    assert api.delete(f"/api/projects/{project}/").status_code == 204
    assert api.get(f"/api/projects/{project}").status_code == 404


def test_list_projects_pages(api):
    ids = [
        api.post("/api/projects", json={"title": f"p{i}", "label_config": PAIRWISE}).json()["id"]
        for i in range(3)
    ]
    first = api.get("/api/projects?page=1&page_size=2").json()
    assert first["count"] == 3 and len(first["results"]) == 2 and first["next"]
    second = api.get("/api/projects?page=2&page_size=2").json()
    assert {p["id"] for p in first["results"] + second["results"]} == set(ids)
    assert api.get("/api/projects?page=3&page_size=2").status_code == 404
    assert len(api.get("/api/projects?page_size=10000000").json()["results"]) == 3


def test_validate_endpoint_returns_sample_data(api):
    r = api.post("/api/projects/validate", json={"label_config": SEED_CONFIG})
    assert r.status_code == 200
    assert r.json()["data_keys"] == ["prompt", "answer1", "answer2"]
    assert r.json()["sample_data"]["answer1"].startswith("Reinforcement Learning")


def test_null_settings_leave_the_project_as_it_is(api, project):
    r = api.patch(
        f"/api/projects/{project}",
        json={"show_instruction": None, "description": None, "maximum_annotations": None},
    )
    assert r.status_code == 200
    assert (
        r.json()["description"] == ""
        and r.json()["maximum_annotations"] == 1
        and r.json()["show_instruction"] is False
    )


def test_render_markdown_is_a_project_setting_on_for_gallery_templates(api):
    plain = api.post("/api/projects", json={"title": "plain", "label_config": PAIRWISE}).json()
    assert plain["render_markdown"] is False  # plain text by default, as in Label Studio
    changed = api.patch(f"/api/projects/{plain['id']}", json={"render_markdown": True}).json()
    assert changed["render_markdown"] is True
    templates = api.get("/api/templates").json()
    assert templates and all(t["render_markdown"] is True for t in templates)


def test_the_callers_own_progress(client, store, api, project):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(4)).json()["task_ids"]
    labeler = Api(client, make_user(store, "me@example.com", "annotator"))
    labeler.post(f"/api/tasks/{ids[0]}/annotations", json={"result": pick()})
    labeler.post(f"/api/tasks/{ids[1]}/annotations", json={"result": [], "was_cancelled": True})
    api.post(f"/api/tasks/{ids[2]}/annotations", json={"result": pick()})
    mine = labeler.get(f"/api/projects/{project}").json()
    assert (mine["my_annotations_number"], mine["my_submitted_number"]) == (2, 1)
    assert mine["my_remaining_number"] == 2  # ids[2] (one slot left) and ids[3]
    for task in ids[2:]:
        labeler.post(f"/api/tasks/{task}/annotations", json={"result": pick()})
    assert labeler.get(f"/api/projects/{project}").json()["my_remaining_number"] == 0
    assert labeler.get(f"/api/projects/{project}/next?empty=204").status_code == 204
    assert labeler.get(f"/api/projects/{project}/next").status_code == 404


def test_pinned_projects_come_first_and_ids_filter(api):
    made = [
        api.post("/api/projects", json={"title": f"p{i}", "label_config": PAIRWISE}).json()["id"]
        for i in range(3)
    ]
    pinned = api.patch(f"/api/projects/{made[0]}", json={"pinned_at": "2026-11-27T10:00:00Z"}).json()
    assert pinned["pinned_at"] == "2026-11-27T10:00:00.000000Z"
    assert [p["id"] for p in api.get("/api/projects").json()["results"]] == [made[0], made[2], made[1]]
    assert [p["id"] for p in api.get("/api/projects?filter=pinned_only").json()["results"]] == [made[0]]
    assert [p["id"] for p in api.get(f"/api/projects?ids={made[1]},{made[2]}").json()["results"]] == [
        made[2],
        made[1],
    ]
    assert api.patch(f"/api/projects/{made[0]}", json={"pinned_at": None}).json()["pinned_at"] is None
    bad = api.patch(f"/api/projects/{made[1]}", json={"skip_queue": "SOMETIMES"})
    assert bad.status_code == 400 and "skip_queue" in bad.json()["validation_errors"]


def test_instructions_are_sanitized_on_write_keeping_safe_markup(api):
    hostile = (
        '<h2>Read me</h2><p onclick="steal()">Pick the <b>better</b> answer</p><script>steal()</script>'
        '<a href="javascript:steal()">x</a><a href="https://example.com/guide">guide</a><img src=x onerror=steal()>'
    )
    project = api.post(
        "/api/projects", json={"title": "i", "label_config": PAIRWISE, "expert_instruction": hostile}
    )
    stored = project.json()["expert_instruction"]
    assert (
        "<h2>Read me</h2>" in stored
        and "<b>better</b>" in stored
        and 'href="https://example.com/guide"' in stored
    )
    for bad in ("onclick", "<script", "javascript:", "onerror", "steal()</script>"):
        assert bad not in stored
    patched = api.patch(
        f"/api/projects/{project.json()['id']}", json={"expert_instruction": "<i onmouseover=x>ok</i>"}
    )
    assert patched.json()["expert_instruction"] == "<i>ok</i>"

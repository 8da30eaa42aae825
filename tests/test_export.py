import csv
import io

import orjson
import pytest

from tests.conftest import PAIRWISE, pick, seed_tasks

TASK_KEYS = [
    "id",
    "annotations",
    "file_upload",
    "drafts",
    "predictions",
    "data",
    "meta",
    "created_at",
    "updated_at",
    "allow_skip",
    "inner_id",
    "total_annotations",
    "cancelled_annotations",
    "total_predictions",
    "comment_count",
    "unresolved_comment_count",
    "last_comment_updated_at",
    "project",
    "updated_by",
    "comment_authors",
]
ANNOTATION_KEYS = [
    "id",
    "completed_by",
    "result",
    "was_cancelled",
    "ground_truth",
    "created_at",
    "updated_at",
    "draft_created_at",
    "lead_time",
    "prediction",
    "result_count",
    "unique_id",
    "import_id",
    "last_action",
    "bulk_created",
    "task",
    "project",
    "updated_by",
    "parent_prediction",
    "parent_annotation",
    "last_created_by",
    "shown_order",  # preflab: the answer order the labeler saw (null when none was recorded)
]


@pytest.fixture
def labeled(api, project):
    """Three tasks from a file: the first answered "left", the second skipped, the third untouched."""
    rows = [
        {"prompt": "What is 2+2?", "answer1": "4", "answer2": "5"},
        {"prompt": "Hi", "answer1": "a", "answer2": "b"},
        {"prompt": "Say hi politely.", "answer1": "Hello, nice to meet you!", "answer2": "what"},
    ]
    ids = api.post(
        f"/api/projects/{project}/import", files={"file": ("dataset.json", orjson.dumps(rows))}
    ).json()["task_ids"]
    api.post(f"/api/tasks/{ids[0]}/annotations", json={"result": pick("left"), "lead_time": 4.2})
    api.post(f"/api/tasks/{ids[1]}/annotations", json={"result": [], "was_cancelled": True})
    return ids


def export(api, project, fmt, **params):
    query = "&".join(f"{k}={v}" for k, v in {"exportType": fmt, **params}.items())
    r = api.get(f"/api/projects/{project}/export?{query}")
    assert r.status_code == 200, r.text
    return r


def test_json_structure_and_selection(api, project, labeled):
    tasks = export(api, project, "JSON").json()
    assert [t["id"] for t in tasks] == labeled[:2]  # annotated, skips included
    first, skipped = tasks
    assert list(first) == TASK_KEYS
    assert first["file_upload"].endswith("-dataset.json")
    ann = first["annotations"][0]
    assert list(ann) == ANNOTATION_KEYS
    assert ann["result"] == pick("left") and ann["result_count"] == 1 and ann["prediction"] == {}
    assert ann["completed_by"] == api.account.id and ann["lead_time"] == 4.2
    assert ann["shown_order"] is None
    skip = skipped["annotations"][0]
    assert (
        skip["was_cancelled"] is True
        and skip["result"] == []
        and skip["result_count"] == 0
        and skip["lead_time"] is None
    )
    everything = export(api, project, "JSON", download_all_tasks="true").json()
    assert [t["id"] for t in everything] == labeled


def test_body_tasks_have_no_file_upload_key(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    api.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
    assert "file_upload" not in export(api, project, "JSON").json()[0]


def test_json_min_rows(api, project, labeled):
    rows = export(api, project, "JSON_MIN", download_all_tasks="True").json()
    first = rows[0]
    assert list(first) == [
        "prompt",
        "answer1",
        "answer2",
        "id",
        "comparison",
        "annotator",
        "annotation_id",
        "created_at",
        "updated_at",
        "lead_time",
    ]
    assert first["comparison"] == [{"selected": "left"}] and first["annotator"] == api.account.id
    # the skipped task gives no row; the untouched one a row of data and nulls
    assert rows[1] == {
        "prompt": "Say hi politely.",
        "answer1": "Hello, nice to meet you!",
        "answer2": "what",
        "id": labeled[2],
        "annotator": None,
        "annotation_id": None,
        "created_at": None,
        "updated_at": None,
        "lead_time": None,
    }
    assert len(rows) == 2


def test_csv_matches_label_studio_byte_for_byte(api, project, labeled):
    body = export(api, project, "CSV", download_all_tasks="true").content.decode()
    ann = export(api, project, "JSON").json()[0]["annotations"][0]
    assert body == (
        '"annotation_id","annotator","answer1","answer2","comparison","created_at","id","lead_time","prompt","updated_at"\r\n'
        f'{ann["id"]},"{api.account.id}","4","5","[{{""selected"":""left""}}]","{ann["created_at"]}",{labeled[0]},4.2,"What is 2+2?","{ann["updated_at"]}"\r\n'
        f'"","","Hello, nice to meet you!","what","","",{labeled[2]},"","Say hi politely.",""\r\n'
    )


def test_tsv_and_ids_selection(api, project, labeled):
    r = export(api, project, "TSV", ids=labeled[0])
    rows = list(csv.DictReader(io.StringIO(r.text), delimiter="\t"))
    assert [row["id"] for row in rows] == [str(labeled[0])] and rows[0][
        "comparison"
    ] == '[{"selected":"left"}]'
    r = api.get(f"/api/projects/{project}/export?exportType=JSON&ids[]={labeled[1]}&download_all_tasks=true")
    assert [t["id"] for t in r.json()] == [labeled[1]]


@pytest.mark.parametrize(
    ("fmt", "empty"), [("JSON", b"[]\n"), ("JSON_MIN", b"[]\n"), ("PREFERENCE_JSONL", b"")]
)
def test_an_empty_ids_selection_exports_no_task(api, project, labeled, fmt, empty):
    assert export(api, project, fmt, download_all_tasks="true").content.strip() not in (b"", b"[]")
    for query in ("ids=", "ids[]=", "ids=&ids[]="):
        r = api.get(f"/api/projects/{project}/export?exportType={fmt}&download_all_tasks=true&{query}")
        assert (r.status_code, r.content) == (200, empty), query


def test_export_takes_the_cli_spellings_of_a_format(api, project, labeled):
    expected = export(api, project, "PREFERENCE_JSONL").content
    assert expected.strip()
    for spelling in ("preference-jsonl", "preference_jsonl", "Preference-JSONL"):
        assert export(api, project, spelling).content == expected


def test_csv_renames_data_keys_that_clash_with_control_names(api):
    xml = '<View><Text name="text" value="$text"/><Choices name="label" toName="text"><Choice value="a"/></Choices></View>'
    pid = api.post("/api/projects", json={"title": "c", "label_config": xml}).json()["id"]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"text": "t", "label": "from data"}]).json()[
        "task_ids"
    ]
    result = [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["a"]}}]
    api.post(f"/api/tasks/{tid}/annotations", json={"result": result})
    [row] = list(csv.DictReader(io.StringIO(export(api, pid, "CSV").text)))
    assert row["label"] == "a" and row["_data_label"] == "from data"  # single choice collapses to its string


def test_export_snake_case_param_and_bad_format(api, project, labeled):
    assert (
        api.get(f"/api/projects/{project}/export?export_type=CSV")
        .headers["content-type"]
        .startswith("text/csv")
    )
    r = api.get(f"/api/projects/{project}/export?exportType=COCO")
    assert r.status_code == 400 and "unsupported export format 'COCO'" in r.json()["detail"]


def test_formats_list(api, project):
    formats = api.get(f"/api/projects/{project}/export/formats").json()
    assert [f["name"] for f in formats if not f.get("disabled")] == [
        "JSON",
        "JSON_MIN",
        "CSV",
        "TSV",
        "PREFERENCE_JSONL",
        "KTO_JSONL",
        "PREFERENCE_PARQUET",
    ]
    assert len(formats) == 20


def test_snapshots(api, project, labeled):
    r = api.post(
        f"/api/projects/{project}/exports?interpolate_key_frames=False",
        json={"title": "snap1", "serialization_options": {}},
    )
    assert r.status_code == 201
    snap = r.json()
    assert (
        snap["status"] == "completed" and snap["counters"] == {"task_number": 2} and snap["title"] == "snap1"
    )
    assert api.get(f"/api/projects/{project}/exports/{snap['id']}").json()["md5"] == snap["md5"]
    assert [s["id"] for s in api.get(f"/api/projects/{project}/exports").json()] == [snap["id"]]
    r = api.get(f"/api/projects/{project}/exports/{snap['id']}/download?exportType=JSON")
    assert 'filename="project-' in r.headers["content-disposition"]
    assert r.json() == export(api, project, "JSON").json()
    csv_body = api.get(f"/api/projects/{project}/exports/{snap['id']}/download?exportType=CSV").text
    assert csv_body == export(api, project, "CSV").text
    assert api.delete(f"/api/projects/{project}/exports/{snap['id']}").status_code == 204
    assert api.get(f"/api/projects/{project}/exports/{snap['id']}").status_code == 404


@pytest.fixture
def shuffled(api):
    """A project that randomizes the answer order: task 1 seen swapped and answered "left",
    task 2 seen in order and answered "right", task 3 untouched."""
    pid = api.post(
        "/api/projects", json={"title": "shuffled", "label_config": PAIRWISE, "randomize_order": True}
    ).json()["id"]
    ids = api.post(f"/api/projects/{pid}/import", json=seed_tasks(3)).json()["task_ids"]
    swapped = {"result": pick("left"), "shown_order": ["answer2", "answer1"]}
    straight = {"result": pick("right"), "shown_order": ["answer1", "answer2"]}
    assert api.post(f"/api/tasks/{ids[0]}/annotations", json=swapped).status_code == 201
    assert api.post(f"/api/tasks/{ids[1]}/annotations", json=straight).status_code == 201
    return pid, ids


def test_every_export_carries_the_shown_order(api, shuffled):
    pid, ids = shuffled
    tasks = export(api, pid, "JSON").json()
    assert [t["annotations"][0]["shown_order"] for t in tasks] == [
        ["answer2", "answer1"],
        ["answer1", "answer2"],
    ]
    rows = export(api, pid, "JSON_MIN", download_all_tasks="true").json()
    assert [(r["id"], r["shown_order"]) for r in rows] == [
        (ids[0], ["answer2", "answer1"]),
        (ids[1], ["answer1", "answer2"]),
        (ids[2], None),
    ]
    for fmt, delimiter in (("CSV", ","), ("TSV", "\t")):
        table = list(
            csv.DictReader(
                io.StringIO(export(api, pid, fmt, download_all_tasks="true").text), delimiter=delimiter
            )
        )
        assert [r["shown_order"] for r in table] == ['["answer2","answer1"]', '["answer1","answer2"]', ""]


def test_snapshot_conversions_carry_the_shown_order(api, shuffled):
    pid, _ = shuffled
    snap = api.post(f"/api/projects/{pid}/exports", json={"title": "s"}).json()
    base = f"/api/projects/{pid}/exports/{snap['id']}/download?exportType="
    assert [r["shown_order"] for r in api.get(base + "JSON_MIN").json()] == [
        ["answer2", "answer1"],
        ["answer1", "answer2"],
    ]
    assert api.get(base + "CSV").text == export(api, pid, "CSV").text
    r = api.get(base + "PREFERENCE_JSONL")
    assert r.status_code == 400 and "export PREFERENCE_JSONL from the project" in r.json()["detail"]


def test_recorded_order_gives_a_column_even_without_randomizing(api, project):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    api.post(f"/api/tasks/{tid}/annotations", json={"result": pick(), "shown_order": ["answer2", "answer1"]})
    [row] = list(csv.DictReader(io.StringIO(export(api, project, "CSV").text)))
    assert row["shown_order"] == '["answer2","answer1"]'
    assert export(api, project, "JSON_MIN").json()[0]["shown_order"] == ["answer2", "answer1"]


def test_csv_cells_that_spreadsheets_would_run_are_neutralized_when_asked(api, project):
    from preflab.formats.labelstudio import neutralized

    hostile = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "-5", "+3.5", "plain"]
    rows = [{"prompt": text, "answer1": "a", "answer2": "b"} for text in hostile]
    api.post(f"/api/projects/{project}/import", json=rows)
    exact = api.get(f"/api/projects/{project}/export?exportType=CSV&download_all_tasks=true").text
    assert '"=HYPERLINK(""http://x"")"' in exact  # Label Studio's bytes by default
    safe = api.get(
        f"/api/projects/{project}/export?exportType=CSV&download_all_tasks=true&neutralize_formulas=true"
    )
    body = safe.text
    for text in hostile[:6]:
        assert "\"'" + text.replace('"', '""') + '"' in body
    assert '"-5"' in body and '"+3.5"' in body and '"plain"' in body  # numbers and plain text unchanged
    assert neutralized("=1+1") == "'=1+1" and neutralized("-7") == "-7" and neutralized("a=b") == "a=b"
    tsv = api.get(
        f"/api/projects/{project}/export?exportType=TSV&download_all_tasks=true&neutralize_formulas=1"
    ).text
    assert '"\'@SUM(A1)"' in tsv


def test_snapshot_convert_checks_the_format(api, project, labeled):
    snap = api.post(f"/api/projects/{project}/exports", json={"title": "c"}).json()
    r = api.post(f"/api/projects/{project}/exports/{snap['id']}/convert", json={"export_type": "csv"})
    assert r.status_code == 200 and r.json() == {"export_type": "CSV", "converted_format": snap["id"]}
    bad = api.post(f"/api/projects/{project}/exports/{snap['id']}/convert", json={"export_type": "KTO_JSONL"})
    assert bad.status_code == 400 and "snapshots convert to" in bad.json()["detail"]
    assert (
        api.post(f"/api/projects/{project}/exports/999/convert", json={"export_type": "CSV"}).status_code
        == 404
    )

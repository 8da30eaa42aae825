"""The real label-studio-sdk against a live preflab server on loopback.

The legacy ``Client`` tests run with every SDK line (2.1.2 here, 0.0.34 in its own venv, see
scripts/test); the modern ``LabelStudio`` tests need SDK 2.x.
"""

import io
from pathlib import Path

import orjson
import pytest

from tests.conftest import SEED_CONFIG, pick

pytestmark = pytest.mark.sdk


@pytest.fixture
def dataset(tmp_path):
    rows = [
        {
            "prompt": "The quick brown fox...",
            "answer1": "jumps over the lazy dog.",
            "answer2": "bags few lynx.",
        },
        {"prompt": "What is 2+2?", "answer1": "4", "answer2": "5"},
        {"prompt": "Say hi politely.", "answer1": "Hello, nice to meet you!", "answer2": "what"},
    ]
    path = tmp_path / "dataset.json"
    path.write_bytes(orjson.dumps(rows))
    return path


def test_seed_workflow_with_the_legacy_client(live_server, owner, dataset, tmp_path, monkeypatch):
    from label_studio_sdk import Client

    ls = Client(url=live_server.url + "/", api_key=owner.token)
    assert ls.check_connection() == {"status": "UP"}
    created = ls.start_project(title="RLHF", label_config=SEED_CONFIG)
    project_id = created.id

    # the seed's code, unchanged
    project = ls.get_project(id=project_id)
    monkeypatch.chdir(dataset.parent)
    task_ids = project.import_tasks("dataset.json")

    assert len(task_ids) == 3
    assert project.title == "RLHF" and project.label_config == SEED_CONFIG
    more = project.import_tasks([{"prompt": "p", "answer1": "a", "answer2": "b"}])
    assert len(more) == 1
    tasks = project.get_tasks()
    assert [t["id"] for t in tasks] == task_ids + more
    assert project.get_unlabeled_tasks_ids() == task_ids + more

    annotation = project.create_annotation(task_ids[0], result=pick("left"), lead_time=4.2)
    assert annotation["id"]
    project.create_annotation(task_ids[1], result=[], was_cancelled=True)
    assert project.get_labeled_tasks_ids() == [task_ids[0]]
    assert project.list_annotations(task_ids[0])[0]["result"] == pick("left")
    updated = project.update_annotation(annotation["id"], result=pick("right"))
    assert updated["result"] == pick("right")
    assert project.get_task(task_ids[0])["annotations"][0]["result"] == pick("right")

    exported = project.export_tasks()
    assert [t["id"] for t in exported] == task_ids[:2]
    assert exported[0]["annotations"][0]["result"][0]["value"] == {"selected": "right"}
    minimal = project.export_tasks("JSON_MIN", download_all_tasks=True)
    assert minimal[0]["comparison"] == [{"selected": "right"}]
    csv_path = project.export_tasks("CSV", export_location=str(tmp_path / "out.csv"))
    header = Path(csv_path).read_text().splitlines()[0]
    assert (
        header
        == '"annotation_id","annotator","answer1","answer2","comparison","created_at","id","lead_time","prompt","updated_at"'
    )

    project.set_params(title="Renamed", maximum_annotations=1)
    assert ls.get_project(project_id).get_params()["title"] == "Renamed"

    snapshot = project.export_snapshot_create(title="snap")
    assert project.export_snapshot_status(snapshot["id"]).is_completed()
    status, filename = project.export_snapshot_download(
        snapshot["id"], export_type="JSON", path=str(tmp_path)
    )
    assert status == 200 and orjson.loads((tmp_path / filename).read_bytes()) == exported_now(project)
    assert [s["id"] for s in project.export_snapshot_list()] == [snapshot["id"]]
    project.export_snapshot_delete(snapshot["id"])

    assert [u.email for u in ls.get_users()] == ["owner@example.com"]
    assert [p.id for p in ls.list_projects()] == [project_id]
    project.delete_tasks([more[0]])
    assert len(project.get_tasks_ids()) == 3
    ls.delete_project(project_id)
    assert ls.list_projects() == []


def exported_now(project):
    return project.export_tasks()


def test_legacy_client_with_a_bad_key_fails_at_the_first_project_call(live_server):
    from label_studio_sdk import Client
    from requests import HTTPError

    ls = Client(url=live_server.url, api_key="0" * 40)
    with pytest.raises(HTTPError):
        ls.get_project(1)


def test_modern_client_create_import_list_annotate_export(live_server, owner):
    sdk = pytest.importorskip("label_studio_sdk")
    if not hasattr(sdk, "LabelStudio"):
        pytest.skip("the modern client needs label-studio-sdk 2.x")
    import pandas

    client = sdk.LabelStudio(base_url=live_server.url, api_key=owner.token)
    project = client.projects.create(title="Modern", label_config=SEED_CONFIG)
    assert project.id
    response = client.projects.import_tasks(
        id=project.id,
        request=[{"prompt": f"q{i}", "answer1": "a", "answer2": "b"} for i in range(120)],
        return_task_ids=True,
    )
    assert response.task_count == 120
    tasks = list(client.tasks.list(project=project.id))
    assert len(tasks) == 120 and tasks[0].data["prompt"] == "q0"
    annotation = client.annotations.create(id=tasks[0].id, result=pick("left"), lead_time=1.5)
    assert annotation.id
    assert client.annotations.list(id=tasks[0].id)[0].result == pick("left")
    client.annotations.update(id=annotation.id, result=pick("right"))
    assert client.annotations.get(id=annotation.id).result == pick("right")

    exported = client.projects.exports.as_json(project_id=project.id)
    assert len(exported) == 120  # as_json asks for every task
    assert next(t for t in exported if t["annotations"])["annotations"][0]["result"] == pick("right")
    frame = client.projects.exports.as_pandas(project_id=project.id)
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 120
    raw = b"".join(
        client.projects.exports.download_sync(id=project.id, export_type="CSV", download_all_tasks=False)
    )
    assert len(pandas.read_csv(io.BytesIO(raw))) == 1
    formats = client.projects.exports.list_formats(id=project.id)
    enabled = {f["name"] for f in formats if not f.get("disabled")}
    assert enabled == {
        "JSON",
        "JSON_MIN",
        "CSV",
        "TSV",
        "PREFERENCE_JSONL",
        "KTO_JSONL",
        "PREFERENCE_PARQUET",
    }

    assert client.users.whoami().email == "owner@example.com"
    assert client.versions.get().edition == "Community"
    assert [p.id for p in client.projects.list()] == [project.id]
    assert client.projects.get(id=project.id).title == "Modern"
    client.projects.delete(id=project.id)
    assert list(client.projects.list()) == []


def test_legacy_export_with_filters_goes_through_a_view(live_server, owner, tmp_path):
    from label_studio_sdk import Client
    from label_studio_sdk.data_manager import Column, Filters, Operator, Type

    ls = Client(url=live_server.url, api_key=owner.token)
    project = ls.start_project(title="filtered", label_config=SEED_CONFIG)
    ids = project.import_tasks([{"prompt": f"p{i}", "answer1": "a", "answer2": "b"} for i in range(4)])
    for task_id in ids:
        project.create_annotation(task_id, result=pick())
    filters = Filters.create(
        Filters.AND, [Filters.item(Column.id, Operator.GREATER, Type.Number, Filters.value(ids[1]))]
    )
    result = project.export(filters=filters, export_type="JSON", output_dir=str(tmp_path))
    assert result["status"] == 200
    exported = orjson.loads((tmp_path / result["filename"]).read_bytes())
    assert [t["id"] for t in exported] == ids[2:]
    assert project.get_views() == []  # the SDK deleted its temporary view

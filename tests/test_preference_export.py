"""PREFERENCE_JSONL, KTO_JSONL, PREFERENCE_PARQUET and the HF dataset folder, over the real app
(API) and the CLI."""

import io

import orjson
import pytest
from click.testing import CliRunner

from preflab import gallery
from preflab.cli.main import cli
from tests.conftest import SEED_CONFIG, make_user
from tests.test_preferences import pick, rating, verdict  # the tie / strength template's result items

TIE_STRENGTH = gallery.template("pairwise-tie-strength").config


@pytest.fixture
def labelers(store):
    return [make_user(store, f"labeler{i}@example.com", "annotator") for i in range(3)]


@pytest.fixture
def voted(api, labelers):
    """Tie / strength project, random order, four tasks voted on by three labelers:
    0: right, right (much), left -> answer2 wins 2/3; 1: tie, tie, left -> tie;
    2: left, right -> no majority; 3: both bad x3."""
    pid = api.post(
        "/api/projects", json={"title": "prefs", "label_config": TIE_STRENGTH, "randomize_order": True}
    ).json()["id"]
    tasks = [
        {
            "prompt": f"prompt {i}",
            "answer1": f"first {i}",
            "answer2": f"second {i}",
            "model1": "alpha",
            "model2": "beta",
        }
        for i in range(4)
    ]
    ids = api.post(f"/api/projects/{pid}/import", json=tasks).json()["task_ids"]
    plan = {
        0: [[pick("right"), rating(2)], [pick("right"), rating(3)], [pick("left")]],
        1: [[verdict("Tie")], [verdict("Tie")], [pick("left")]],
        2: [[pick("left")], [pick("right")]],
        3: [[verdict("Both bad")]] * 3,
    }
    for n, results in plan.items():
        for labeler, result in zip(labelers, results, strict=False):
            body = {"result": result, "completed_by": labeler.id, "shown_order": ["answer2", "answer1"]}
            assert api.post(f"/api/tasks/{ids[n]}/annotations", json=body).status_code == 201
    api.post(f"/api/tasks/{ids[2]}/annotations", json={"result": [], "was_cancelled": True})  # a skip
    return pid, ids


def export(api, pid, fmt, **params):
    r = api.get(f"/api/projects/{pid}/export", params={"exportType": fmt, **params})
    assert r.status_code == 200, r.text
    return r


def lines(response):
    return [orjson.loads(line) for line in response.content.splitlines()]


def test_preference_jsonl_rows(api, voted, labelers):
    pid, ids = voted
    r = export(api, pid, "PREFERENCE_JSONL")
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert r.headers["content-disposition"].endswith('.jsonl"')
    [row] = lines(r)
    assert row == {
        "prompt": "prompt 0",
        "chosen": "second 0",
        "rejected": "first 0",
        "margin": 0.75,
        "task_id": ids[0],
        "outcome": "answer2",
        "votes": {"answer1": 1, "answer2": 2, "tie": 0, "both_bad": 0},
        "agreement": 0.666667,
        "chosen_model": "beta",
        "rejected_model": "alpha",
        "voters": [
            {"annotator": labelers[0].id, "vote": "answer2", "shown_first": "answer2"},
            {"annotator": labelers[1].id, "vote": "answer2", "shown_first": "answer2"},
            {"annotator": labelers[2].id, "vote": "answer1", "shown_first": "answer2"},
        ],
    }


def test_aggregation_options_as_query_parameters(api, voted):
    pid, ids = voted
    rows = lines(export(api, pid, "preference-jsonl", include_ties="true", include_both_bad="1"))
    assert [(r["task_id"], r["outcome"]) for r in rows] == [
        (ids[0], "answer2"),
        (ids[1], "tie"),
        (ids[3], "both_bad"),
    ]
    assert lines(export(api, pid, "Preference_Jsonl", min_agreement="0.7")) == []
    rows = lines(export(api, pid, "PREFERENCE_JSONL", min_votes="3", include_ties="true"))
    assert [r["task_id"] for r in rows] == [ids[0], ids[1]]
    assert "margin" not in lines(export(api, pid, "PREFERENCE_JSONL", strength="none"))[0]
    rows = lines(export(api, pid, "PREFERENCE_JSONL", choice=["Tie=answer1"], include_both_bad="true"))
    assert [(r["task_id"], r["outcome"]) for r in rows] == [(ids[0], "answer2"), (ids[1], "answer1")]
    rows = lines(export(api, pid, "PREFERENCE_JSONL", ids=ids[1], include_ties="true"))
    assert [r["task_id"] for r in rows] == [ids[1]]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_votes": "zero"}, "query parameter min_votes: expected an integer, got 'zero'"),
        ({"min_agreement": "2"}, "query parameter min_agreement: must be above 0 and at most 1"),
        ({"answer_keys": "a"}, "query parameter answer_keys: expected two data keys"),
        ({"choice": "Tie"}, "query parameter choice: expected LABEL=VERDICT, got 'Tie'"),
        ({"choice": "Tie=draw"}, "the verdict must be one of answer1, answer2, tie, both_bad"),
        ({"strength": "nope"}, "strength: no control named 'nope'"),
        ({"include_ties": "maybe"}, "query parameter include_ties: expected true or false"),
    ],
)
def test_bad_options_are_refused_by_name(api, voted, params, message):
    pid, _ = voted
    r = api.get(f"/api/projects/{pid}/export", params={"exportType": "PREFERENCE_JSONL", **params})
    assert r.status_code == 400 and message in r.json()["detail"]


def test_a_config_without_a_comparison_is_refused(api):
    pid = api.post(
        "/api/projects", json={"title": "chat", "label_config": gallery.template("chatbot-evaluation").config}
    ).json()["id"]
    r = api.get(f"/api/projects/{pid}/export?exportType=KTO_JSONL")
    assert r.status_code == 400 and "no Pairwise or Ranker tag" in r.json()["detail"]


def test_annotators_cannot_export(client, voted, labelers):
    pid, _ = voted
    r = client.get(f"/api/projects/{pid}/export?exportType=PREFERENCE_JSONL", headers=labelers[0].headers)
    assert r.status_code == 403


def test_kto_jsonl_rows(api, voted):
    pid, ids = voted
    rows = lines(export(api, pid, "kto_jsonl"))
    assert [(r["task_id"], r["completion"], r["label"], r["model"]) for r in rows] == [
        (ids[0], "first 0", False, "alpha"),
        (ids[0], "second 0", True, "beta"),
        (ids[3], "first 3", False, "alpha"),
        (ids[3], "second 3", False, "beta"),
    ]
    assert set(rows[0]) >= {"prompt", "completion", "label", "votes", "agreement", "outcome"}


def test_parquet_holds_the_same_rows(api, voted):
    pq = pytest.importorskip("pyarrow.parquet")
    pid, _ = voted
    r = export(api, pid, "PREFERENCE_PARQUET", include_ties="true")
    assert r.headers["content-disposition"].endswith('.parquet"')
    table = pq.read_table(io.BytesIO(r.content))
    expected = lines(export(api, pid, "PREFERENCE_JSONL", include_ties="true"))
    assert table.to_pylist() == expected


def test_seed_project_in_chat_form_through_datasets(api, tmp_path):
    datasets = pytest.importorskip("datasets")
    pid = api.post("/api/projects", json={"title": "chat", "label_config": SEED_CONFIG}).json()["id"]
    chat = [{"role": "user", "content": "2+2?"}]
    ids = api.post(
        f"/api/projects/{pid}/import", json=[{"prompt": chat, "answer1": "4", "answer2": "5"}] * 2
    ).json()["task_ids"]
    for tid, side in zip(ids, ("left", "right"), strict=True):
        api.post(f"/api/tasks/{tid}/annotations", json={"result": [pick(side)]})
    path = tmp_path / "prefs.jsonl"
    path.write_bytes(export(api, pid, "PREFERENCE_JSONL").content)
    loaded = datasets.load_dataset("json", data_files=str(path), split="train")
    assert loaded[0]["prompt"] == chat and loaded[0]["chosen"] == [{"role": "assistant", "content": "4"}]
    assert loaded[1]["chosen"] == [{"role": "assistant", "content": "5"}]
    assert "margin" not in loaded.column_names
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(io.BytesIO(export(api, pid, "PREFERENCE_PARQUET").content))
    assert table.column("prompt").to_pylist() == [chat, chat]


@pytest.fixture
def run(settings):
    env = {"PREFLAB_DATA_DIR": str(settings.data_dir)}
    if settings.database_url:
        env["PREFLAB_DATABASE_URL"] = settings.database_url

    def invoke(*args, ok=True):
        result = CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def test_cli_export_with_options(run, api, voted, tmp_path):
    pid, ids = voted
    out = tmp_path / "pairs.jsonl"
    run("export", pid, "--format", "preference-jsonl", "--include-ties", "--min-votes", "3", "-o", out)
    assert [orjson.loads(line)["task_id"] for line in out.read_bytes().splitlines()] == [ids[0], ids[1]]
    assert (
        out.read_bytes() == export(api, pid, "PREFERENCE_JSONL", include_ties="true", min_votes="3").content
    )
    kto = run("export", pid, "--format", "KTO-JSONL").stdout_bytes
    assert kto == export(api, pid, "KTO_JSONL").content
    bad = run("export", pid, "--format", "preference_jsonl", "--choice", "Tie", ok=False)
    assert bad.exit_code != 0 and "choice: expected LABEL=VERDICT, got 'Tie'" in bad.output
    bad = run("export", pid, "--format", "COCO", ok=False)
    assert bad.exit_code != 0 and "unsupported export format 'COCO'" in bad.output


def test_cli_hf_dataset_folder_splits_by_prompt(run, api, tmp_path):
    datasets = pytest.importorskip("datasets")
    pid = api.post("/api/projects", json={"title": "many", "label_config": SEED_CONFIG}).json()["id"]
    # 60 prompts, each asked twice with different answers: a prompt must land in one split only
    tasks = [{"prompt": f"prompt {i % 60}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(120)]
    ids = api.post(f"/api/projects/{pid}/import", json=tasks).json()["task_ids"]
    for tid in ids:
        api.post(f"/api/tasks/{tid}/annotations", json={"result": [pick("left")]})
    folder = tmp_path / "ds"
    result = run("export", pid, "--format", "hf-dataset", "-o", folder, "--test-size", "0.25")
    assert "train" in result.output
    loaded = datasets.load_dataset(str(folder))
    train, test = set(loaded["train"]["prompt"]), set(loaded["test"]["prompt"])
    assert len(loaded["train"]) + len(loaded["test"]) == 120 and not train & test
    assert 5 <= len(test) <= 25  # about a quarter of 60 prompts
    assert "split by prompt" in (folder / "README.md").read_text()
    again = tmp_path / "again"
    run("export", pid, "--format", "hf_dataset", "-o", again, "--test-size", "0.25")
    assert (again / "data" / "test-00000-of-00001.parquet").read_bytes() == (
        folder / "data" / "test-00000-of-00001.parquet"
    ).read_bytes()
    missing = run("export", pid, "--format", "hf-dataset", ok=False)
    assert missing.exit_code != 0 and "needs -o" in missing.output


def test_parquet_without_pyarrow_says_how_to_install_it(api, voted, monkeypatch):
    from preflab.formats import preferences as formats

    def missing():
        raise formats.MissingDependency(formats.PARQUET_MISSING)

    monkeypatch.setattr(formats, "pyarrow", missing)
    pid, _ = voted
    r = api.get(f"/api/projects/{pid}/export?exportType=PREFERENCE_PARQUET")
    assert r.status_code == 400 and "pip install 'preflab[parquet]'" in r.json()["detail"]


def test_hf_dataset_test_split_is_what_train_holds_out(run, api, tmp_path):
    """One rule splits by prompt: with the defaults of both commands the export's test split holds
    exactly the prompts ``preflab train`` keeps for evaluation, so none of them is trained on."""
    pq = pytest.importorskip("pyarrow.parquet")
    from preflab.train import TrainConfig, from_rows
    from preflab.train.trainer import prepare

    pid = api.post("/api/projects", json={"title": "split", "label_config": SEED_CONFIG}).json()["id"]
    tasks = [{"prompt": f"prompt {i % 80}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(160)]
    for tid in api.post(f"/api/projects/{pid}/import", json=tasks).json()["task_ids"]:
        api.post(f"/api/tasks/{tid}/annotations", json={"result": [pick("left")]})
    folder = tmp_path / "ds"
    run("export", pid, "--format", "hf-dataset", "-o", folder)
    exported = {
        split: set(pq.read_table(folder / "data" / f"{split}-00000-of-00001.parquet")["prompt"].to_pylist())
        for split in ("train", "test")
    }
    assert exported["test"] and len(exported["train"]) + len(exported["test"]) == 80

    rows = lines(export(api, pid, "PREFERENCE_JSONL"))  # what `preflab train project:ID` reads
    prepared = prepare(from_rows(rows), TrainConfig(model="m", output_dir="o"), f"project:{pid}")
    trained = {p.prompt for p in prepared.train}
    assert not exported["test"] & trained
    assert {p.prompt for p in prepared.eval} == exported["test"] and trained == exported["train"]

"""``preflab score``: a trained reward model's preference stored as a prediction per task."""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from click.testing import CliRunner  # noqa: E402

from preflab.cli.main import cli  # noqa: E402
from preflab.train import TrainConfig, from_rows, train  # noqa: E402
from preflab.train.score import ScoreError, layout, score_project, task_pair  # noqa: E402
from tests.conftest import PAIRWISE, SEED_CONFIG  # noqa: E402
from tests.test_train import make_tiny_bert, toy_rows  # noqa: E402


@pytest.fixture(scope="module")
def reward_model(tmp_path_factory):
    base = make_tiny_bert(tmp_path_factory.mktemp("tiny"))
    out = tmp_path_factory.mktemp("rm")
    train(
        TrainConfig(
            model=str(base),
            output_dir=str(out),
            epochs=3,
            batch_size=16,
            learning_rate=2e-3,
            eval_fraction=0.1,
            max_length=64,
        ),
        from_rows(toy_rows(120)),
    )
    return out


def test_layout_reads_the_pairwise_answers_and_the_prompt():
    spec = layout(SEED_CONFIG)
    assert (spec.control, spec.to_name, spec.left, spec.right, spec.prompt_keys) == (
        "comparison",
        "answer1,answer2",
        "answer1",
        "answer2",
        ("prompt",),
    )
    pair = task_pair(spec, {"prompt": "p", "answer1": "a", "answer2": "b"})
    assert (pair.prompt, pair.chosen, pair.rejected) == ("p", "a", "b")
    assert task_pair(spec, {"prompt": "p", "answer1": "a"}) is None
    with pytest.raises(ScoreError, match="no Pairwise"):
        layout(
            '<View><Text name="t" value="$t"/><Choices name="c" toName="t"><Choice value="a"/></Choices></View>'
        )


def test_score_writes_predictions_the_api_returns(api, project, store, reward_model):
    tasks = [
        {"prompt": "what is 3 of 4", "answer1": "the answer is good 5", "answer2": "the answer is evil 5"},
        {"prompt": "what is 8 of 1", "answer1": "the answer is evil 2", "answer2": "the answer is good 2"},
        {"prompt": "what is 9 of 9", "answer1": "the answer is good 7", "answer2": "the answer is evil 7"},
        {"prompt": "what is 2 of 6", "answer1": "only one answer", "answer2": ""},
    ]
    ids = api.post(f"/api/projects/{project}/import", json=tasks).json()["task_ids"]
    result = score_project(store, project, reward_model, model_version="rm-v1")
    assert (result.scored, result.skipped) == (3, 1)

    expected = {ids[0]: "left", ids[1]: "right", ids[2]: "left"}
    for task_id, side in expected.items():
        body = api.get(f"/api/tasks/{task_id}").json()
        [prediction] = body["predictions"]
        assert prediction["model_version"] == "rm-v1"
        assert 0.5 <= prediction["score"] <= 1.0
        assert prediction["result"] == [
            {
                "from_name": "comparison",
                "to_name": "answer1,answer2",
                "type": "pairwise",
                "value": {"selected": side},
            }
        ]
        assert body["total_predictions"] == 1
    assert api.get(f"/api/tasks/{ids[3]}").json()["predictions"] == []

    # A rerun of the same version replaces its predictions; another version adds its own.
    score_project(store, project, reward_model, model_version="rm-v1")
    assert len(api.get(f"/api/tasks/{ids[0]}").json()["predictions"]) == 1
    score_project(store, project, reward_model, model_version="rm-v2")
    versions = [p["model_version"] for p in api.get(f"/api/tasks/{ids[0]}").json()["predictions"]]
    assert versions == ["rm-v1", "rm-v2"]


def test_score_command(settings, store, api, reward_model):
    r = api.post("/api/projects", json={"title": "P", "label_config": PAIRWISE})
    pid = r.json()["id"]
    api.post(
        f"/api/projects/{pid}/import",
        json=[
            {"prompt": "what is 1 of 2", "answer1": "the answer is good 1", "answer2": "the answer is evil 1"}
        ],
    )
    env = {"PREFLAB_DATABASE_URL": settings.database_url} if settings.database_url else {}
    result = CliRunner().invoke(
        cli,
        ["score", str(reward_model), "--project", str(pid), "--data-dir", str(settings.data_dir)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert f"Scored 1 tasks of project {pid} as {reward_model.name!r}" in result.output
    missing = CliRunner().invoke(
        cli,
        ["score", str(reward_model), "--project", "999", "--data-dir", str(settings.data_dir)],
        env=env,
    )
    assert missing.exit_code == 1 and "no project 999" in missing.output


def test_train_from_a_project_reads_its_preference_export(api, project, settings, tmp_path):
    from tests.conftest import pick

    tasks = []
    for i, row in enumerate(toy_rows(24)):
        good_first = i % 2 == 0
        a1, a2 = (row["chosen"], row["rejected"]) if good_first else (row["rejected"], row["chosen"])
        tasks.append(
            {
                "data": {"prompt": row["prompt"], "answer1": a1, "answer2": a2},
                "annotations": [{"result": pick("left" if good_first else "right")}],
            }
        )
    assert api.post(f"/api/projects/{project}/import", json=tasks).status_code == 201
    base = make_tiny_bert(tmp_path / "tiny")
    out = tmp_path / "rm"
    env = {"PREFLAB_DATABASE_URL": settings.database_url} if settings.database_url else {}
    result = CliRunner().invoke(
        cli,
        [
            "train",
            f"project:{project}",
            "--model",
            str(base),
            "-o",
            str(out),
            "--max-steps",
            "2",
            "--batch-size",
            "8",
            "--max-length",
            "64",
            "--data-dir",
            str(settings.data_dir),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    import json

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["train_pairs"] + metrics["eval_pairs"] == 24
    assert metrics["source"] == f"project:{project}"

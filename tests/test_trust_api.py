"""Labelers you can trust, over the API: the reliability model's figures in the statistics, the
flags with their reasons, reliability-weighted outcomes with their confidence in every preference
export, and leaving flagged labelers out. Votes of labelers of known accuracy on a known truth."""

from __future__ import annotations

import io
import random

import orjson
import pytest
from click.testing import CliRunner

from preflab.cli.main import cli
from tests.conftest import PAIRWISE, Api, make_user, pick

TASKS = 160
ACCURACY = {"good0": 0.9, "good1": 0.85, "good2": 0.85, "liar": 0.1, "coin": 0.5}


@pytest.fixture
def labelers(store):
    return {name: make_user(store, f"{name}@example.com", "annotator") for name in ACCURACY}


@pytest.fixture
def world(api, labelers):
    """TASKS comparisons, each answered by three of the labelers in a random order; the truth is
    ``answer1`` on even tasks. Returns (project id, {task id: truth})."""
    rng = random.Random(5)
    pid = api.post(
        "/api/projects", json={"title": "trust", "label_config": PAIRWISE, "randomize_order": True}
    ).json()["id"]
    tasks = [{"prompt": f"p{i}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(TASKS)]
    ids = api.post(f"/api/projects/{pid}/import", json=tasks).json()["task_ids"]
    truth = {}
    for n, task_id in enumerate(ids):
        truth[task_id] = "answer1" if n % 2 == 0 else "answer2"
        for name in rng.sample(sorted(ACCURACY), 3):
            right = rng.random() < ACCURACY[name]
            side = "left" if (truth[task_id] == "answer1") == right else "right"
            order = ["answer1", "answer2"] if rng.random() < 0.5 else ["answer2", "answer1"]
            body = {
                "result": pick(side),
                "completed_by": labelers[name].id,
                "shown_order": order,
                "lead_time": 20,
            }
            assert api.post(f"/api/tasks/{task_id}/annotations", json=body).status_code == 201
    return pid, truth


def rows(api, pid, fmt="PREFERENCE_JSONL", **params):
    r = api.get(f"/api/projects/{pid}/export", params={"exportType": fmt, **params})
    assert r.status_code == 200, r.text
    return [orjson.loads(line) for line in r.content.splitlines()]


def accuracy(exported, truth) -> tuple[float, int]:
    right = sum((r["chosen"].startswith("a")) == (truth[r["task_id"]] == "answer1") for r in exported)
    return right / len(exported), len(exported)


def test_the_stats_show_each_labelers_reliability_and_flag_the_bad_ones(api, world, labelers):
    pid, _ = world
    doc = api.get(f"/api/projects/{pid}/stats").json()
    assert doc["rules"]["aggregation"] == "reliability"  # overlap is enough: the default
    rows_by = {row["email"].split("@")[0]: row for row in doc["labelers"]}
    for name, true in ACCURACY.items():
        fit = rows_by[name]["reliability"]
        assert fit["ci_low"] <= fit["estimate"] <= fit["ci_high"]
        assert abs(fit["estimate"] - true) < 0.15, (name, fit)
        assert fit["votes"] == rows_by[name]["annotations"]
    estimate = {name: row["reliability"]["estimate"] for name, row in rows_by.items()}
    assert estimate["liar"] < estimate["coin"] < min(estimate["good0"], estimate["good1"], estimate["good2"])
    codes = {name: {f["code"] for f in row["flags"]} for name, row in rows_by.items()}
    assert codes == {"good0": set(), "good1": set(), "good2": set(), "liar": {"against"}, "coin": {"random"}}
    liar = rows_by["liar"]
    assert liar["flagged"] == [f["reason"] for f in liar["flags"]]
    assert "against the others" in liar["flags"][0]["reason"] and 0 < liar["flags"][0]["p_value"] < 0.05
    assert (
        liar["agreement_with_others"]["rate"] < 0.3 < 0.75 < rows_by["good0"]["agreement_with_others"]["rate"]
    )
    assert liar["gold"] == {"answered": 0, "correct": 0, "accuracy": None}
    assert liar["self_consistency"] == {"reasked": 0, "consistent": 0, "rate": None}
    assert 0.75 < doc["noise_ceiling"] < 1


def test_an_annotator_sees_only_their_own_row(client, world, labelers):
    pid, _ = world
    mine = Api(client, labelers["coin"]).get(f"/api/projects/{pid}/stats").json()
    assert [row["email"] for row in mine["labelers"]] == ["coin@example.com"]
    assert [f["code"] for f in mine["labelers"][0]["flags"]] == ["random"]


def test_reliability_outcomes_are_more_accurate_and_carry_their_confidence(api, world):
    pid, truth = world
    majority = rows(api, pid, aggregation="majority")
    weighted = rows(api, pid)  # the default here: reliability
    assert rows(api, pid, aggregation="reliability") == weighted
    assert all("confidence" not in r for r in majority)
    assert all(0.5 < r["confidence"] <= 1 for r in weighted)
    (right_m, n_m), (right_w, n_w) = accuracy(majority, truth), accuracy(weighted, truth)
    assert n_w >= n_m  # majority leaves 1-1 splits undecided when a vote is missing; none here
    assert right_w > right_m + 0.05, (right_w, right_m)
    kto = rows(api, pid, "KTO_JSONL")
    assert {r["task_id"]: r["confidence"] for r in kto} == {r["task_id"]: r["confidence"] for r in weighted}


def test_exclude_flagged_leaves_their_votes_out_but_lists_them(api, world, labelers):
    pid, truth = world
    kept = rows(api, pid, aggregation="majority", exclude_flagged="true")
    bad = {labelers["liar"].id, labelers["coin"].id}
    assert any(v["annotator"] in bad for r in kept for v in r["voters"])
    for r in kept:
        counted = sum(r["votes"].values())
        assert counted == sum(v["annotator"] not in bad for v in r["voters"])
    assert accuracy(kept, truth)[0] > accuracy(rows(api, pid, aggregation="majority"), truth)[0]


def test_a_bad_aggregation_is_a_clear_400(api, world):
    pid, _ = world
    r = api.get(
        f"/api/projects/{pid}/export", params={"exportType": "PREFERENCE_JSONL", "aggregation": "vote"}
    )
    assert r.status_code in (400, 422) and "aggregation" in r.text
    assert api.get(f"/api/projects/{pid}/stats", params={"aggregation": "vote"}).status_code in (400, 422)


def test_parquet_and_the_cli_carry_it_too(api, world, settings):
    pq = pytest.importorskip("pyarrow.parquet")
    pid, _ = world
    r = api.get(f"/api/projects/{pid}/export", params={"exportType": "PREFERENCE_PARQUET"})
    table = pq.read_table(io.BytesIO(r.content))
    assert table.schema.field("confidence").type == "double"
    assert table.column("confidence").to_pylist() == [row["confidence"] for row in rows(api, pid)]
    env = {"PREFLAB_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}
    if settings.database_url:
        env["PREFLAB_DATABASE_URL"] = settings.database_url
    runner = CliRunner()
    out = runner.invoke(
        cli, ["export", str(pid), "--format", "PREFERENCE_JSONL", "--aggregation", "majority"], env=env
    )
    assert out.exit_code == 0, out.output
    assert [orjson.loads(line) for line in out.stdout_bytes.splitlines()] == rows(
        api, pid, aggregation="majority"
    )
    shown = runner.invoke(cli, ["stats", str(pid)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "reliability" in shown.output and "answers against the others" in shown.output

"""GET /api/projects/{id}/stats and `preflab stats`, on a project whose figures are computed by
hand below."""

import orjson
import pytest
from click.testing import CliRunner

from preflab import gallery
from preflab.cli.main import cli
from preflab.domain import quality
from tests.conftest import PAIRWISE, Api, make_user


def pick(side):
    return [
        {
            "from_name": "comparison",
            "to_name": "answer1,answer2",
            "type": "pairwise",
            "value": {"selected": side},
        }
    ]


@pytest.fixture
def labelers(store):
    return [make_user(store, f"l{i}@example.com", "annotator") for i in range(3)]


@pytest.fixture
def project(api, labelers):
    """Six tasks, models alpha (answer1) and beta (answer2), random order. Votes:
    t0: L0 left, L1 left, L2 right    t1: all right       t2: L0 left, L1 right
    t3: L0 skips                      t4: untouched       t5: owner left (ground truth), L2 right
    L0 always saw answer2 first, L1 and L2 answer1 first; the owner's order is unknown."""
    pid = api.post(
        "/api/projects", json={"title": "stats", "label_config": PAIRWISE, "randomize_order": True}
    ).json()["id"]
    tasks = [
        {"prompt": f"p{i}", "answer1": "x", "answer2": "y", "model1": "alpha", "model2": "beta"}
        for i in range(6)
    ]
    ids = api.post(f"/api/projects/{pid}/import", json=tasks).json()["task_ids"]
    L0, L1, L2 = labelers
    order = {L0.id: ["answer2", "answer1"], L1.id: ["answer1", "answer2"], L2.id: ["answer1", "answer2"]}
    votes = [
        (0, L0, "left", 4), (0, L1, "left", 10), (0, L2, "right", 1),
        (1, L0, "right", 6), (1, L1, "right", 10), (1, L2, "right", 2),
        (2, L0, "left", 8), (2, L1, "right", 10),
        (5, L2, "right", 3),
    ]  # fmt: skip
    for task, labeler, side, seconds in votes:
        body = {
            "result": pick(side),
            "completed_by": labeler.id,
            "shown_order": order[labeler.id],
            "lead_time": seconds,
        }
        assert api.post(f"/api/tasks/{ids[task]}/annotations", json=body).status_code == 201
    skip = {"result": [], "was_cancelled": True, "completed_by": L0.id}
    assert api.post(f"/api/tasks/{ids[3]}/annotations", json=skip).status_code == 201
    gold = {"result": pick("left"), "ground_truth": True}
    assert api.post(f"/api/tasks/{ids[5]}/annotations", json=gold).status_code == 201
    return pid


def stats(api, pid, **params):
    r = api.get(f"/api/projects/{pid}/stats", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_hand_computed_figures(api, project, labelers):
    doc = stats(api, project, min_shared=1, aggregation="majority")
    assert (doc["project"], doc["tasks"], doc["labeled_tasks"], doc["annotations"], doc["skipped"]) == (
        project,
        6,
        4,
        10,
        1,
    )
    assert doc["outcomes"] == {
        "answer1": 1,
        "answer2": 1,
        "tie": 0,
        "both_bad": 0,
        "no_majority": 2,
        "too_few_votes": 0,
    }
    # coincidences o11 = 1, o12 = o21 = 3, o22 = 3; n1 = 4, n2 = 6: alpha = 1 - 9 * 6 / 48
    # kappa: (L0, L1) 0.4, (L0, L2) 0, (L1, L2) 0, (owner, L2) 0 -> mean 0.1
    assert doc["agreement"] == {
        "krippendorff_alpha": -0.125,
        "items": 4,
        "mean_pairwise_cohen_kappa": 0.1,
        "kappa_pairs": 4,
        "min_shared_items": 1,
        "mean_comparison_agreement": round((2 / 3 + 1 + 0.5 + 0.5) / 4, 6),
    }
    # decisive votes with a known order: 2 of 9 picked the answer shown first
    assert doc["position_bias"] == {"first_shown_share": round(2 / 9, 6), "p_value": 92 / 512, "votes": 9}
    assert doc["votes_per_task"] == [
        {"votes": 0, "tasks": 1},
        {"votes": 2, "tasks": 2},
        {"votes": 3, "tasks": 2},
    ]
    [day] = doc["progress"]
    assert (day["annotations"], day["skipped"]) == (10, 1)
    rows = {row["email"]: row for row in doc["labelers"]}
    l0, l1, l2, owner = (
        rows[e] for e in ("l0@example.com", "l1@example.com", "l2@example.com", "owner@example.com")
    )
    assert (l0["annotations"], l0["skipped"], l0["agreement_with_consensus"], l0["median_seconds"]) == (
        3,
        1,
        0.5,
        6.0,
    )
    assert l0["position_bias"] == {"first_shown_share": round(1 / 3, 6), "p_value": 1.0, "votes": 3}
    assert (l1["agreement_with_consensus"], l1["median_seconds"], l1["gold"]["accuracy"]) == (0.5, 10.0, None)
    assert (l2["agreement_with_consensus"], l2["gold"]["accuracy"], l2["gold"]["answered"]) == (
        round(1 / 3, 6),
        0.0,
        1,
    )
    assert l2["position_bias"] == {"first_shown_share": 0.0, "p_value": 0.25, "votes": 3}
    assert (owner["agreement_with_consensus"], owner["median_seconds"], owner["position_bias"]["votes"]) == (
        0.0,
        None,
        0,
    )
    assert all(row["flagged"] == [] for row in doc["labelers"])  # too few items to judge anyone
    # games alpha-beta: alpha won 2 + 0 + 1 + 1 = 4, beta 1 + 3 + 1 + 1 = 6
    beta, alpha = doc["leaderboard"]
    assert (beta["model"], beta["wins"], beta["losses"], beta["ties"]) == ("beta", 6, 4, 0)
    assert alpha["model"] == "alpha" and beta["score"] > alpha["score"]
    assert doc["leaderboard"] == quality.leaderboard({("alpha", "beta"): [4, 6, 0]}, resamples=200, seed=0)
    assert doc["win_rates"] == {
        "models": ["beta", "alpha"],
        "win_rate": [[None, 0.6], [0.4, None]],
        "games": [[0, 10], [10, 0]],
    }


def test_a_gold_answer_makes_reliability_the_default(api, project, labelers):
    """t5's gold answer anchors the model, so votes are weighted by default, and the gold answer
    decides t5. L0 and L1 voted alike except on t2, so their weights are equal: t2 stays even."""
    doc = stats(api, project, min_shared=1)
    assert doc["rules"]["aggregation"] == "reliability"
    assert doc["outcomes"] == {
        "answer1": 2,
        "answer2": 1,
        "tie": 0,
        "both_bad": 0,
        "no_majority": 1,
        "too_few_votes": 0,
    }
    rows = {row["email"]: row["reliability"] for row in doc["labelers"]}
    assert rows["l0@example.com"] == rows["l1@example.com"]
    assert rows["l2@example.com"]["estimate"] < rows["l0@example.com"]["estimate"]  # wrong on gold


def test_kappa_needs_enough_shared_items(api, project):
    assert stats(api, project)["agreement"]["mean_pairwise_cohen_kappa"] is None  # default: 10 shared
    assert stats(api, project, min_shared=2)["agreement"]["mean_pairwise_cohen_kappa"] == round(0.4 / 3, 6)


def test_aggregation_options_change_the_outcomes(api, project):
    outcomes = stats(api, project, min_votes=3)["outcomes"]
    assert (outcomes["answer1"], outcomes["answer2"], outcomes["too_few_votes"], outcomes["no_majority"]) == (
        1,
        1,
        2,
        0,
    )
    r = api.get(f"/api/projects/{project}/stats?min_agreement=7")
    assert r.status_code == 400 and "min_agreement" in r.json()["detail"]
    r = api.get(f"/api/projects/{project}/stats?resamples=20000")
    assert r.status_code == 400 and "resamples: must be at most 10000" in r.json()["detail"]


def test_annotators_see_only_their_own_labeler_row(client, project, labelers):
    mine = Api(client, labelers[0]).get(f"/api/projects/{project}/stats").json()
    assert [row["email"] for row in mine["labelers"]] == ["l0@example.com"]
    assert mine["outcomes"]["answer1"] == 2  # project-wide figures stay
    assert client.get(f"/api/projects/{project}/stats").status_code == 401


def test_restricted_projects_hide_their_stats(api, client, project, labelers):
    assert api.patch(f"/api/projects/{project}", json={"restricted": True}).status_code == 200
    assert Api(client, labelers[0]).get(f"/api/projects/{project}/stats").status_code == 404
    assert api.get("/api/projects/999999/stats").status_code == 404


def test_projects_without_a_comparison_still_count(api):
    config = gallery.template("chatbot-evaluation").config
    pid = api.post("/api/projects", json={"title": "chat", "label_config": config}).json()["id"]
    [tid] = api.post(
        f"/api/projects/{pid}/import", json=[{"dialogue": [{"author": "user", "text": "hi"}]}]
    ).json()["task_ids"]
    result = [
        {"from_name": "quality", "to_name": "chat", "type": "choices", "value": {"choices": ["Helpful"]}}
    ]
    api.post(f"/api/tasks/{tid}/annotations", json={"result": result})
    doc = stats(api, pid)
    assert (doc["annotations"], sum(doc["outcomes"].values()), doc["leaderboard"]) == (1, 0, [])
    assert doc["agreement"]["krippendorff_alpha"] is None


@pytest.fixture
def run(settings):
    env = {"PREFLAB_DATA_DIR": str(settings.data_dir), "COLUMNS": "200"}
    if settings.database_url:
        env["PREFLAB_DATABASE_URL"] = settings.database_url

    def invoke(*args):
        result = CliRunner().invoke(cli, [str(a) for a in args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    return invoke


def test_cli_json_is_the_api_document(run, api, project):
    printed = orjson.loads(run("stats", project, "--json", "--min-shared", "1").stdout_bytes)
    assert printed == stats(api, project, min_shared=1)


def test_cli_tables(run, project):
    out = run("stats", project).output
    for text in ("Krippendorff", "l2@example.com", "Leaderboard", "beta", "Win rate"):
        assert text in out

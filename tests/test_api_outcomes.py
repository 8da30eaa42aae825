"""Each task's outcome in the API (``outcomes``): decided on the server by the rules of the
training export (``preflab.domain.preferences``), one per comparison, so that the Data table
shows what the export will give and holds no rules of its own."""

import orjson
import pytest

from preflab import gallery
from tests.conftest import make_user, pick

# the tie and both-bad options are worded as the server reads them, not as a quick regex would
CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
  <Choices name="verdict" toName="prompt">
    <Choice value="No preference"/><Choice value="Neither is good"/>
  </Choices>
</View>"""


def verdict(label):
    return [{"from_name": "verdict", "to_name": "prompt", "type": "choices", "value": {"choices": [label]}}]


def counts(answer1=0, answer2=0, tie=0, both_bad=0):
    return {"answer1": answer1, "answer2": answer2, "tie": tie, "both_bad": both_bad}


@pytest.fixture
def labelers(store):
    return [make_user(store, f"labeler{i}@example.com", "annotator") for i in range(3)]


def vote(api, task, labeler, result, **extra):
    body = {"result": result, "completed_by": labeler.id, **extra}
    r = api.post(f"/api/tasks/{task}/annotations", json=body)
    assert r.status_code == 201, r.text


def listed(api, pid):
    r = api.get("/api/tasks", params={"project": pid, "page_size": 100})
    assert r.status_code == 200, r.text
    return {t["id"]: t["outcomes"] for t in r.json()["tasks"]}


def test_the_task_list_carries_the_servers_outcome(api, labelers):
    pid = api.post("/api/projects", json={"title": "outcomes", "label_config": CONFIG}).json()["id"]
    rows = [{"prompt": f"p{i}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(5)]
    ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    plan = {
        ids[0]: [pick("left"), pick("left"), verdict("No preference")],
        ids[1]: [verdict("No preference"), verdict("No preference"), pick("right")],
        ids[2]: [verdict("Neither is good"), verdict("Neither is good")],
    }
    for task, results in plan.items():
        for labeler, result in zip(labelers, results, strict=False):
            vote(api, task, labeler, result)
    vote(api, ids[4], labelers[0], [], was_cancelled=True)  # a skip is no vote

    pair = ["answer1", "answer2"]
    expected = {
        ids[0]: [{"pair": pair, "outcome": "answer1", "votes": counts(answer1=2, tie=1)}],
        ids[1]: [{"pair": pair, "outcome": "tie", "votes": counts(answer2=1, tie=2)}],
        ids[2]: [{"pair": pair, "outcome": "both_bad", "votes": counts(both_bad=2)}],
        ids[3]: [{"pair": pair, "outcome": "no_votes", "votes": counts()}],
        ids[4]: [{"pair": pair, "outcome": "no_votes", "votes": counts()}],
    }
    assert listed(api, pid) == expected
    # the older plain list and one task say the same
    plain = api.get(f"/api/projects/{pid}/tasks").json()
    assert {t["id"]: t["outcomes"] for t in plain} == expected
    assert api.get(f"/api/tasks/{ids[1]}").json()["outcomes"] == expected[ids[1]]
    # and so does the training export, which reads the votes through the same rules
    r = api.get(
        f"/api/projects/{pid}/export",
        params={"exportType": "PREFERENCE_JSONL", "include_ties": "true", "include_both_bad": "true"},
    )
    exported = {row["task_id"]: row for row in map(orjson.loads, r.content.splitlines())}
    assert sorted(exported) == ids[:3]
    for task, row in exported.items():
        [outcome] = expected[task]
        assert (row["outcome"], row["votes"]) == (outcome["outcome"], outcome["votes"])


def test_ranker_tasks_have_one_outcome_per_pair(api, labelers):
    config = gallery.template("llm-ranker").config
    pid = api.post("/api/projects", json={"title": "rank", "label_config": config}).json()["id"]
    items = [{"id": "a", "body": "first"}, {"id": "b", "body": "second"}, {"id": "c", "body": "third"}]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"prompt": "p", "items": items}]).json()["task_ids"]
    for labeler, order in zip(labelers, (["a", "c", "b"], ["a", "b", "c"]), strict=False):
        ranked = {
            "from_name": "rank",
            "to_name": "answers",
            "type": "ranker",
            "value": {"ranker": {"rank": order}},
        }
        vote(api, tid, labeler, [ranked])
    assert listed(api, pid)[tid] == [
        {"pair": ["a", "b"], "outcome": "answer1", "votes": counts(answer1=2)},
        {"pair": ["a", "c"], "outcome": "answer1", "votes": counts(answer1=2)},
        {"pair": ["b", "c"], "outcome": "no_majority", "votes": counts(answer1=1, answer2=1)},
    ]


def test_annotators_and_configs_without_a_comparison_get_no_outcome(api, client, labelers):
    pid = api.post("/api/projects", json={"title": "outcomes", "label_config": CONFIG}).json()["id"]
    [tid] = api.post(
        f"/api/projects/{pid}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}]
    ).json()["task_ids"]
    vote(api, tid, labelers[0], pick("left"))
    vote(api, tid, labelers[1], pick("right"))
    # an annotator sees only their own answers, and no outcome that would tell the others' votes
    mine = client.get(f"/api/tasks/{tid}", headers=labelers[0].headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["outcomes"] is None
    assert [a["completed_by"] for a in mine.json()["annotations"]] == [labelers[0].id]

    plain = '<View><Text name="t" value="$text"/><TextArea name="c" toName="t"/></View>'
    other = api.post("/api/projects", json={"title": "no comparison", "label_config": plain}).json()["id"]
    [task] = api.post(f"/api/projects/{other}/import", json=[{"text": "hello"}]).json()["task_ids"]
    assert listed(api, other) == {task: None}

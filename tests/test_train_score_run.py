"""A ``preflab score`` run stores all its predictions or none: one that fails part-way leaves the
version's earlier predictions as they were, and a finished rerun replaces the whole version.
The model is a stand-in (no torch needed): the rule under test is the store's."""

import pytest

from preflab.store import annotations as annotation_store
from preflab.train import model as model_module
from preflab.train.score import score_project
from tests.conftest import PAIRWISE


class Model:
    """Prefers the left or right answer of every task; fails on the ``fail_on``-th page."""

    def __init__(self, monkeypatch, side: str, fail_on: int | None = None):
        self.side, self.fail_on, self.pages = side, fail_on, 0
        monkeypatch.setattr(model_module, "load_reward_model", lambda path: (self, None, 64))
        monkeypatch.setattr(model_module, "score_pairs", self.score)

    def score(self, model, tokenizer, pairs, *, max_length, batch_size):
        self.pages += 1
        if self.pages == self.fail_on:
            raise RuntimeError("CUDA out of memory")
        return [(2.0, 0.0) if self.side == "left" else (0.0, 2.0) for _ in pairs]


def version(store, pid, name="rm-v1"):
    with store.read() as conn:
        rows = annotation_store.list_predictions(conn, project_id=pid, model_version=name)
    return {row["task_id"]: (row["id"], row["result"]) for row in rows}


def counters(api, ids):
    return [api.get(f"/api/tasks/{i}").json()["total_predictions"] for i in ids]


@pytest.fixture
def scored(api, store, monkeypatch):
    pid = api.post("/api/projects", json={"title": "P", "label_config": PAIRWISE}).json()["id"]
    rows = [{"prompt": f"q{i}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(3)]
    ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    Model(monkeypatch, "left")
    result = score_project(store, pid, "rm", model_version="rm-v1", page_size=1)
    assert result.scored == 3 and len(version(store, pid)) == 3
    return pid, ids


def test_a_run_that_fails_part_way_leaves_the_version_as_it_was(scored, store, api, monkeypatch):
    pid, ids = scored
    before = version(store, pid)
    model = Model(monkeypatch, "right", fail_on=3)
    with pytest.raises(RuntimeError, match="out of memory"):
        score_project(store, pid, "rm", model_version="rm-v1", page_size=1)
    assert model.pages == 3  # two pages were scored before the failure
    assert version(store, pid) == before
    assert counters(api, ids) == [1, 1, 1]


def test_a_finished_rerun_replaces_the_whole_version(scored, store, api, monkeypatch):
    pid, ids = scored
    # the last task loses an answer: it can no longer be scored, so it keeps no prediction of rm-v1
    assert (
        api.patch(f"/api/tasks/{ids[2]}", json={"data": {"prompt": "q", "answer1": "a"}}).status_code == 200
    )
    Model(monkeypatch, "right")
    result = score_project(store, pid, "rm", model_version="rm-v1", page_size=1)
    assert (result.scored, result.skipped) == (2, 1)
    now = version(store, pid)
    assert sorted(now) == ids[:2]
    assert all('"right"' in stored for _, stored in now.values())
    assert counters(api, ids) == [1, 1, 0]

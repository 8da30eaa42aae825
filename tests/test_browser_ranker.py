"""The Ranker on the labeling page: every ranking submitted is complete (agreeing with the order
shown is a ranking too), and the page draws each item with the id and text the server reads
(``preflab.domain.preferences.ranked_item``), so that the votes land on the items shown."""

import pytest

from preflab import gallery
from preflab.domain.preferences import ITEM_TEXT_KEYS, ranked_item
from tests import test_browser as base
from tests.test_browser import wait_for_task, wait_saved

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser

ROOT = "document.getElementById('stage').shadowRoot"


def ranker_project(api) -> int:
    config = gallery.template("llm-ranker").config
    return api.post("/api/projects", json={"title": "rank", "label_config": config}).json()["id"]


def drawn(page) -> list[dict]:
    return page.evaluate(
        f"""[...{ROOT}.querySelectorAll('.pf-rank-item')].map(li => ({{
            id: li.dataset.id,
            title: li.querySelector('.pf-rank-title').textContent,
            text: li.querySelector('.pf-rank-text').textContent,
        }}))"""
    )


def outcomes(api, pid) -> dict:
    [task] = api.get("/api/tasks", params={"project": pid}).json()["tasks"]
    return {tuple(o["pair"]): o["votes"] for o in task["outcomes"]}


def test_agreeing_with_the_order_shown_is_a_complete_ranking(page, live_server, api):
    pid = ranker_project(api)
    items = [{"id": x, "title": x.upper(), "body": f"answer {x}"} for x in "abc"]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"prompt": "rank", "items": items}]).json()[
        "task_ids"
    ]
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    answered = page.inner_text("#pick-state")
    page.keyboard.press("Enter")  # submitted as shown
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    assert [r["value"] for r in annotation["result"]] == [{"ranker": {"rank": ["a", "b", "c"]}}]
    assert answered == "Answered"  # the page said so: the order shown is already a ranking
    # one vote on every pair: the first item shown beat the others
    one = {"answer1": 1, "answer2": 0, "tie": 0, "both_bad": 0}
    assert outcomes(api, pid) == {("a", "b"): one, ("a", "c"): one, ("b", "c"): one}
    assert page.errors == []


def test_items_are_drawn_and_ranked_as_the_server_reads_them(page, live_server, api):
    pid = ranker_project(api)
    # one item per text key the server reads, items without an id, a plain string item, and an
    # item whose later keys the server does not read
    items = [{key: f"text under {key}"} for key in ITEM_TEXT_KEYS]
    items += ["a plain string", {"id": None, "text": "a null id"}]
    items += [{"id": "named", "title": "Named", "text": "its text", "html": "not read"}]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"prompt": "rank", "items": items}]).json()[
        "task_ids"
    ]
    expected = [ranked_item(item, index) for index, item in enumerate(items)]
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    texts = page.evaluate(f"[...{ROOT}.querySelectorAll('.pf-rank-item')].map(li => li.textContent)")
    assert "undefined" not in "".join(texts)
    assert all(e.text in text for e, text in zip(expected, texts, strict=True))
    shown = drawn(page)
    assert [s["id"] for s in shown] == [e.id for e in expected]
    assert [s["text"] for s in shown] == [e.text for e in expected]
    assert shown[-1]["title"] == "Named" and shown[0]["title"] == "0"  # a title, else the id
    # move the last item to the top, and submit
    for _ in range(len(items) - 1):
        page.evaluate(f"{ROOT}.querySelector('.pf-rank-item[data-id=named] .pf-move').click()")
    page.keyboard.press("Enter")
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    [ranked] = annotation["result"]
    order = ranked["value"]["ranker"]["rank"]
    assert sorted(order) == sorted(e.id for e in expected)  # complete, and every id the server's
    assert order[0] == "named"
    votes = outcomes(api, pid)
    assert len(votes) == len(items) * (len(items) - 1) // 2
    assert all(sum(v.values()) == 1 for v in votes.values())  # every pair got its vote
    assert page.errors == []


def test_a_stored_partial_ranking_is_shown_complete(page, live_server, api):
    """An answer imported with some items left out shows them after the ranked ones."""
    pid = ranker_project(api)
    items = [{"id": x, "body": x} for x in "abcd"]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"prompt": "rank", "items": items}]).json()[
        "task_ids"
    ]
    partial = {
        "from_name": "rank",
        "to_name": "answers",
        "type": "ranker",
        "value": {"ranker": {"rank": ["c", "a"]}},
    }
    assert api.post(f"/api/tasks/{tid}/annotations", json={"result": [partial]}).status_code == 201
    page.goto(f"{live_server.url}/projects/{pid}/tasks/{tid}")
    page.wait_for_selector(".annotation")
    order = page.evaluate(
        "[...document.querySelector('.annotation .preview').shadowRoot.querySelectorAll('.pf-rank-item')].map(li => li.dataset.id)"
    )
    assert order == ["c", "a", "b", "d"]
    assert page.errors == []

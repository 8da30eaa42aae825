"""The page's side of the page <-> server contract (tests/contract/): on the real labeling page
(Debian's chromium, a live server), a labeler does what each golden file's case says and submits;
the annotation the page sent is, item for item, the golden result, with the golden shown_order.

With ``randomize_order`` the page decides per labeler and task which answer is shown first; the
test labels task after task, each with the first case left for the order on screen (skipping a
task no case is left for), until every case has been met."""

from __future__ import annotations

import pytest

from tests import test_browser as base
from tests.contract import KEYS, Case, load
from tests.test_browser import wait_for_task, wait_saved

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser

#: Tasks a randomized project gets: enough for every order to come up (the order of a task is
#: fixed by the labeler's and the task's ids, so a run either meets every case or never does).
RANDOMIZED_TASKS = 12
#: The compared objects' names in the order on screen (the answer boxes are numbered 1 and 2).
SHOWN = """[...document.getElementById('stage').shadowRoot.querySelectorAll('.pf-answer')]
    .sort((a, b) => a.dataset.key.localeCompare(b.dataset.key))
    .map((box) => box.dataset.name || box.querySelector('[data-name]').dataset.name)"""


def act(page, action: dict) -> None:
    if "press" in action:
        page.keyboard.press(action["press"])
    elif "click" in action:
        page.locator(f"#stage {action['click']}").click()
    elif "fill" in action:
        page.locator(f"#stage {action['fill']}").fill(action["text"])
    else:
        raise AssertionError(f"unknown action {action}")


@pytest.mark.parametrize("key", KEYS)
def test_the_page_submits_what_the_contract_says(page, live_server, api, key):
    contract = load(key)
    body = {"title": key, "label_config": contract.config, **contract.project}
    pid = api.post("/api/projects", json=body).json()["id"]
    randomized = bool(contract.project.get("randomize_order"))
    count = RANDOMIZED_TASKS if randomized else len(contract.cases)
    r = api.post(f"/api/projects/{pid}/import", json=[contract.task] * count)
    assert r.status_code == 201, r.text
    page.goto(f"{live_server.url}/projects/{pid}/label")
    left = list(contract.cases)
    done: dict[int, Case] = {}
    task = None
    while left:
        task = wait_for_task(page, task)
        shown = page.evaluate(SHOWN) or None
        case = next((c for c in left if c.shown == shown), None)
        if case is None:
            assert randomized, f"no case for the order shown, {shown}"
            page.click("#skip")
            continue
        left.remove(case)
        for action in case.actions:
            act(page, action)
        page.click("#submit")
        done[task] = case
    wait_saved(page)
    for task_id, case in done.items():
        [annotation] = api.get(f"/api/tasks/{task_id}/annotations").json()
        result = annotation["result"]
        assert all(isinstance(item.pop("id"), str) for item in result), case.name
        assert result == case.result, case.name
        assert annotation["shown_order"] == case.shown_order, case.name
    assert page.errors == []

"""The settings page saves what the server holds (every sampling the API accepts), and a text
typed on the labeling page reaches the draft as it is typed, not only when the text area loses
the focus: a reload right after typing keeps it."""

import typing

import orjson
import pytest

from preflab import gallery
from preflab.api.schemas import Sampling
from tests import test_browser as base
from tests.test_browser import wait_for_task, wait_until

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser

ROOT = "document.getElementById('stage').shadowRoot"


def unchanged(project: dict) -> dict:
    return {k: v for k, v in project.items() if k != "updated_at"}


@pytest.mark.parametrize("sampling", typing.get_args(Sampling))
def test_general_settings_save_unchanged_on_every_sampling(page, live_server, api, project, sampling):
    assert api.patch(f"/api/projects/{project}", json={"sampling": sampling}).status_code == 200
    before = api.get(f"/api/projects/{project}").json()
    page.goto(f"{live_server.url}/projects/{project}/settings")
    wait_until(page, "document.querySelector('#general input[name=title]').value !== ''")
    offered = page.eval_on_selector_all("#general select[name=sampling] option", "os => os.map(o => o.value)")
    assert offered == list(typing.get_args(Sampling))  # the page offers what the API accepts
    assert page.input_value("#general select[name=sampling]") == sampling
    page.click("#general button[type=submit]")
    wait_until(page, "document.querySelector('#general .saved').textContent === 'Saved'")
    assert unchanged(api.get(f"/api/projects/{project}").json()) == unchanged(before)
    assert page.errors == []


@pytest.fixture
def rationale_task(api):
    config = gallery.template("fine-grained-feedback").config
    pid = api.post("/api/projects", json={"title": "why", "label_config": config}).json()["id"]
    [tid] = api.post(
        f"/api/projects/{pid}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}]
    ).json()["task_ids"]
    return pid, tid


def rationale_of(result) -> list:
    return [r["value"]["text"] for r in result or [] if r["from_name"] == "rationale"]


# the project has one task: its draft is the only one in this browser
DRAFTS = "Object.keys(localStorage).filter(k => k.startsWith('preflab:draft:'))"


def local_draft(page):
    [key] = page.evaluate(DRAFTS)
    return orjson.loads(page.evaluate(f"localStorage.getItem({key!r})"))


def test_typed_rationale_reaches_the_draft_without_leaving_the_field(page, live_server, api, rationale_task):
    pid, tid = rationale_task
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    page.locator("#stage textarea").click()
    page.keyboard.type("too long")
    wait_until(page, f"{DRAFTS}.some(k => localStorage.getItem(k).includes('too long'))")
    assert rationale_of(local_draft(page)) == [["too long"]]
    assert page.evaluate(f"{ROOT}.activeElement?.tagName") == "TEXTAREA"  # still typing there
    # and on the server a moment later (the draft follows the labeler to another machine)
    wait_until(page, f"fetch('/api/tasks/{tid}').then(r => r.json()).then(t => t.drafts.length > 0)")
    [server] = api.get(f"/api/tasks/{tid}").json()["drafts"]
    assert rationale_of(server["result"]) == [["too long"]]


def test_a_reload_right_after_typing_keeps_the_text(page, live_server, api, rationale_task):
    pid, tid = rationale_task
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    page.locator("#stage textarea").click()
    page.keyboard.type("kept")
    page.reload()  # at once: no pause, no blur
    wait_for_task(page)
    assert page.input_value("#stage textarea") == "kept"
    page.keyboard.press("Control+Enter")
    wait_until(page, "document.getElementById('sync').textContent === 'All saved'")
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    assert rationale_of(annotation["result"]) == [["kept"]]
    assert page.errors == []

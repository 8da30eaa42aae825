"""The labeling page never loses or duplicates an answer (issue 6): a stale CSRF token, a lost
response, two tabs, a logout and a refused answer, in Debian's chromium against a live server."""

import json
from pathlib import Path

import pytest

from tests import test_browser as base
from tests.test_browser import shot, wait_for_task, wait_saved, wait_until

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser

ANNOTATIONS = "**/api/tasks/*/annotations"


def import_tasks(api, project, n):
    return api.post(
        f"/api/projects/{project}/import",
        json=[{"prompt": f"prompt {i}", "answer1": f"left {i}", "answer2": f"right {i}"} for i in range(n)],
    ).json()["task_ids"]


def log_in(page, live_server, owner):
    page.goto(f"{live_server.url}/user/login")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", owner.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/projects")


def selections(api, task_id):
    return [
        (a["result"][0]["value"]["selected"] if a["result"] else "skip")
        for a in api.get(f"/api/tasks/{task_id}/annotations").json()
    ]


def pending_keys(page):
    return page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('preflab:pending:'))")


def test_stale_csrf_token_is_refreshed_and_the_answer_saved_once(page, live_server, owner, api, project):
    [tid, *_] = import_tasks(api, project, 3)
    statuses = []
    page.on(
        "response",
        lambda r: (
            statuses.append(r.status) if r.request.method == "POST" and "/annotations" in r.url else None
        ),
    )
    label_url = f"{live_server.url}/projects/{project}/label"
    page.goto(label_url)
    assert wait_for_task(page) == tid
    # logging in again in another tab gives the browser a new session: this page's token is stale
    other = page.context.new_page()
    log_in(other, live_server, owner)
    other.close()
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    wait_for_task(page, tid)
    wait_saved(page)
    assert statuses[0] == 403  # the stale token was refused once…
    assert statuses[-1] == 201  # …and the answer saved with the fresh one
    assert selections(api, tid) == ["left"]
    assert page.url == label_url
    assert pending_keys(page) == []
    assert page.errors == []


def test_a_retry_after_a_lost_response_makes_one_annotation(page, live_server, api, project):
    [tid, *_] = import_tasks(api, project, 2)
    lost, bodies = [], []

    def lose_first_response(route):
        if route.request.method != "POST":
            return route.continue_()
        bodies.append(route.request.post_data_json)
        if not lost:
            response = route.fetch()  # the server gets the request and saves the answer…
            lost.append(response.status)
            return route.abort("connectionreset")  # …but the page never hears back
        return route.continue_()

    page.route(ANNOTATIONS, lose_first_response)
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    wait_for_task(page, tid)
    wait_saved(page)
    assert lost == [201]
    assert len(bodies) == 2  # it was sent again…
    assert bodies[0]["unique_id"] and bodies[0]["unique_id"] == bodies[1]["unique_id"]
    assert selections(api, tid) == ["right"]  # …and the server kept one annotation


def test_two_tabs_with_queued_answers_both_land(page, live_server, api, project):
    import_tasks(api, project, 5)
    offline = [True]

    def server_down(route):
        if route.request.method == "POST" and offline[0]:
            return route.fulfill(status=503, content_type="application/json", body='{"detail": "Down"}')
        return route.continue_()

    context = page.context
    context.route(ANNOTATIONS, server_down)
    first = page
    first.goto(f"{live_server.url}/projects/{project}/label")
    task_a = wait_for_task(first)
    # the first tab has announced the task it shows and the one it prefetched
    wait_until(
        first,
        "Object.keys(localStorage).some(k => k.startsWith('preflab:tab:') && JSON.parse(localStorage[k]).tasks.length >= 2)",
    )
    second = context.new_page()
    second.errors = []
    second.goto(f"{live_server.url}/projects/{project}/label")
    task_b = wait_for_task(second)
    assert task_b != task_a  # two tabs of one labeler get different tasks

    first.keyboard.press("1")
    first.keyboard.press("Enter")
    second.keyboard.press("2")
    second.keyboard.press("Enter")
    for tab in (first, second):
        wait_until(tab, "document.getElementById('sync').textContent.startsWith('Not saved yet')")
    assert len(pending_keys(second)) == 2  # each answer has its own key: neither overwrote the other
    first.close()  # the first tab goes away with its answer unsent
    offline[0] = False
    wait_saved(second)
    wait_until(second, "Object.keys(localStorage).every(k => !k.startsWith('preflab:pending:'))", timeout=15)
    assert selections(api, task_a) == ["left"]  # sent by the second tab
    assert selections(api, task_b) == ["right"]
    assert second.errors == []


def test_a_logged_out_page_keeps_its_answers_and_saves_them_after_login(
    page, live_server, owner, api, project
):
    [tid, *_] = import_tasks(api, project, 3)
    label_url = f"{live_server.url}/projects/{project}/label"
    page.goto(label_url)
    wait_for_task(page)
    other = page.context.new_page()
    other.goto(f"{live_server.url}/projects")
    other.click("text=Log out")
    other.wait_for_url("**/user/login")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#relogin:not([hidden])")
    assert "logged out" in page.inner_text("#relogin")
    assert page.get_attribute("#relogin a", "target") == "_blank"
    shot(page, "labeling-relogin")
    assert page.url == label_url  # the page stays, with its queue
    assert len(pending_keys(page)) == 1
    log_in(other, live_server, owner)
    wait_saved(page)  # picked up by itself within a few seconds
    page.wait_for_selector("#relogin", state="hidden")
    assert selections(api, tid) == ["left"]


def test_a_refused_answer_is_shown_and_kept_for_download(page, live_server, api, project):
    [tid, *_] = import_tasks(api, project, 3)
    page.goto(f"{live_server.url}/projects/{project}/label")
    assert wait_for_task(page) == tid
    assert api.delete(f"/api/tasks/{tid}").status_code == 204  # a manager deletes the task meanwhile
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    wait_for_task(page, tid)
    page.wait_for_selector("#unsaved:not([hidden])")
    assert f"(id {tid})" in page.inner_text("#unsaved-list")
    assert "404" in page.inner_text("#unsaved-list")
    assert "1 not saved" in page.inner_text("#sync")
    shot(page, "labeling-unsaved")

    with page.expect_download() as info:
        page.click("#unsaved-download")
    saved = json.loads(Path(info.value.path()).read_text())
    [answer] = saved["answers"]
    assert answer["task"] == tid
    assert answer["body"]["result"][0]["value"] == {"selected": "left"}
    assert answer["error"]["status"] == 404

    page.reload()  # kept across a reload, still not sent again by itself
    page.wait_for_selector("#unsaved:not([hidden])")
    assert f"(id {tid})" in page.inner_text("#unsaved-list")

    page.on("dialog", lambda d: d.accept())
    page.click("#unsaved-discard")  # gone only when the labeler says so
    page.wait_for_selector("#unsaved", state="hidden")
    assert pending_keys(page) == []

"""One labeler in two browsers (two devices) on one task fills one overlap slot: the second answer
is refused by the server and the page drops it, saying the first answer stands."""

import pytest

from tests import test_browser as base
from tests.test_browser import wait_for_task, wait_saved, wait_until
from tests.test_browser_outbox import import_tasks, log_in, pending_keys, selections

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser


def test_one_labeler_in_two_browsers_counts_once(browser, page, live_server, owner, api, project):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    [tid, *_] = import_tasks(api, project, 2)
    phone = browser.new_context(viewport={"width": 800, "height": 900}).new_page()
    log_in(phone, live_server, owner)
    label = f"{live_server.url}/projects/{project}/label"
    page.goto(label)
    phone.goto(label)
    assert wait_for_task(page) == tid
    assert wait_for_task(phone) == tid  # the same claim, handed to both
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    wait_saved(page)
    phone.keyboard.press("2")
    phone.keyboard.press("Enter")
    wait_until(phone, "document.getElementById('toast').textContent.includes('answered it already')")
    wait_saved(phone)
    assert pending_keys(phone) == []  # dropped, not kept as a failure
    assert selections(api, tid) == ["left"]
    task = api.get(f"/api/tasks/{tid}").json()
    assert (task["total_annotations"], task["is_labeled"]) == (1, False)
    phone.context.close()

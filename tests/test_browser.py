"""The web app in a real browser: Debian's chromium driven by Playwright against a live server.

Screenshots land in test-artifacts/ for a person to look at.
"""

import os
import shutil
import time
from pathlib import Path

import orjson
import pytest

from tests.conftest import SEED_CONFIG, make_user, pick

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; scripts/test installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, owner):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{live_server.url}/projects")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", owner.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/projects")
    yield page
    context.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def stage_text(page) -> str:
    return page.evaluate("document.getElementById('stage').shadowRoot.textContent")


def wait_until(page, expression, timeout=10.0):
    """Poll a JS expression (``page.wait_for_function`` evaluates strings, which the app's
    Content-Security-Policy rightly forbids; ``evaluate`` goes through the debugger protocol)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.02)


def wait_for(page, condition, what, timeout=10.0):
    """Poll a condition on this side (events the page reported, say), letting Playwright deliver
    the page's events in between."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(20)


def wait_for_task(page, previous=None):
    wait_until(page, f"(document.getElementById('stage').dataset.task || '{previous}') !== '{previous}'")
    return int(page.get_attribute("#stage", "data-task"))


def wait_saved(page):
    wait_until(page, "document.getElementById('sync').textContent === 'All saved'")


def test_from_template_to_exported_labels_with_the_keyboard(page, live_server, tmp_path, api):
    # create a project from the gallery
    page.goto(f"{live_server.url}/projects/new")
    page.fill("input[name=title]", "Browser RLHF")
    page.click(".template[data-key=human-preference]")
    page.click("#create button[type=submit]")
    page.wait_for_url("**/import")
    project_id = int(page.url.split("/")[-2])
    assert api.get(f"/api/projects/{project_id}").json()["label_config"] == SEED_CONFIG

    # import a file
    rows = [{"prompt": f"Question {i}?", "answer1": f"first {i}", "answer2": f"second {i}"} for i in range(5)]
    data = tmp_path / "dataset.json"
    data.write_bytes(orjson.dumps(rows))
    page.set_input_files("#files", str(data))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#import-result .ok")
    assert "Imported 5 tasks" in page.inner_text("#import-result")
    assert "answer1, answer2, prompt" in page.inner_text("#import-result")

    # label with the keyboard only: 1, 2, →, then skip one
    page.click("text=Start labeling")
    first = wait_for_task(page)
    assert "Question 0?" in stage_text(page)
    shot(page, "labeling-screen")
    task = first
    for key in ("1", "2", "ArrowRight"):
        page.keyboard.press(key)
        page.keyboard.press("Enter")
        task = wait_for_task(page, task)
    page.keyboard.press("s")
    task = wait_for_task(page, task)
    wait_saved(page)
    shot(page, "labeling-after-four")

    # go back to the skipped-over answers and change the last real one (task 3: → becomes 1)
    page.keyboard.press("Backspace")  # the skip
    wait_until(page, "document.getElementById('task-title').textContent.startsWith('Editing')")
    page.keyboard.press("Backspace")  # the third answer
    wait_until(page, f"document.getElementById('stage').dataset.task === '{first + 2}'")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    wait_until(page, f"document.getElementById('stage').dataset.task === '{task}'")  # back where we were
    wait_saved(page)

    # export from the export page, as a user would
    page.goto(f"{live_server.url}/projects/{project_id}/export")
    href = page.get_attribute("a[data-format=JSON]", "href")
    exported = page.request.get(live_server.url + href).json()
    by_task = {t["id"]: t["annotations"] for t in exported}
    assert sorted(by_task) == [first, first + 1, first + 2, first + 3]
    choice = {
        tid: (a[0]["result"][0]["value"]["selected"] if a[0]["result"] else "skip")
        for tid, a in by_task.items()
    }
    assert choice == {first: "left", first + 1: "right", first + 2: "left", first + 3: "skip"}
    assert all(len(a) == 1 for a in by_task.values())  # the change updated the answer, not added one
    assert by_task[first][0]["lead_time"] > 0
    assert page.errors == []

    page.goto(f"{live_server.url}/projects/{project_id}")
    page.wait_for_selector("#tasks tbody tr")
    assert "5 tasks · 3 labeled (60%) · 3 annotations · 1 skipped" in page.inner_text("#summary")
    shot(page, "project-page")


def test_task_text_is_shown_as_text_and_runs_nothing(page, live_server, api, project):
    hostile = {
        "prompt": "<script>window.pwned = 1</script>",
        "answer1": '<img src="x" onerror="window.pwned = 2">',
        "answer2": "<b>bold?</b>",
    }
    api.post(f"/api/projects/{project}/import", json=[hostile])
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    text = stage_text(page)
    for value in hostile.values():
        assert value in text
    assert page.evaluate("window.pwned") is None
    assert (
        page.evaluate("document.getElementById('stage').shadowRoot.querySelectorAll('img, script, b').length")
        == 0
    )
    assert not [u for u in requests if not u.startswith(live_server.url)]
    shot(page, "labeling-hostile-text")


def test_config_style_is_scoped_and_cannot_fetch(page, live_server, api):
    config = """<View>
  <Style>.prompt { color: rgb(255, 0, 0); background: url(http://192.0.2.1/track.png); }
         body { background: rgb(0, 0, 255); } @import url(http://192.0.2.1/x.css);</Style>
  <View className="prompt"><Text name="prompt" value="$prompt"/></View>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/><Text name="answer2" value="$answer2"/>
</View>"""
    pid = api.post("/api/projects", json={"title": "styled", "label_config": config}).json()["id"]
    api.post(f"/api/projects/{pid}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}])
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto(f"{live_server.url}/projects/{pid}/label")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    wait_for_task(page)
    color = page.evaluate(
        "getComputedStyle(document.getElementById('stage').shadowRoot.querySelector('.prompt')).color"
    )
    assert color == "rgb(255, 0, 0)"  # the config's style applies inside the labeling area
    assert (
        page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(0, 0, 255)"
    )  # and not outside
    assert not [u for u in requests if "192.0.2.1" in u]


def test_random_order_keeps_label_studio_meaning(page, live_server, api, project):
    api.patch(f"/api/projects/{project}", json={"randomize_order": True})
    ids = api.post(
        f"/api/projects/{project}/import",
        json=[{"prompt": f"q{i}", "answer1": f"A{i}", "answer2": f"B{i}"} for i in range(8)],
    ).json()["task_ids"]
    page.goto(f"{live_server.url}/projects/{project}/label")
    task = wait_for_task(page)
    shown = {}
    for _ in ids:
        order = page.evaluate(
            "[...document.getElementById('stage').shadowRoot.querySelectorAll('.pf-option')].map(e => e.dataset.name)"
        )
        shown[task] = order
        page.keyboard.press("1")  # whatever is displayed first
        page.keyboard.press("Enter")
        if len(shown) < len(ids):
            task = wait_for_task(page, task)
    wait_saved(page)
    # the page shows the order the server handed out, balanced over the labeler's tasks
    orders = [tuple(o) for o in shown.values()]
    assert orders.count(("answer1", "answer2")) == orders.count(("answer2", "answer1")) == len(ids) // 2
    for tid, order in shown.items():
        assert api.get(f"/api/tasks/{tid}").json()["shown_order"] == order
        [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
        assert annotation["shown_order"] == order
        assert annotation["result"][0]["value"]["selected"] == ("left" if order[0] == "answer1" else "right")


def test_login_is_required_and_logout_ends_the_session(browser, live_server, owner):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/projects")
    assert "/user/login" in page.url
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "Wrong email or password" in page.inner_text(".error")
    page.fill("input[name=password]", owner.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/projects")
    # a cookie session cannot change data without the CSRF token
    status = page.evaluate(
        "fetch('/api/projects', {method: 'POST', body: '{}', headers: {'Content-Type': 'application/json'}}).then(r => r.status)"
    )
    assert status == 403
    page.goto(f"{live_server.url}/user/account")
    page.on("dialog", lambda d: d.accept())
    page.click("#new-token")
    page.wait_for_selector("#token:not([hidden])")
    assert len(page.inner_text("#token").strip()) == 40
    page.click("text=Log out")
    page.wait_for_url("**/user/login")
    assert page.evaluate("fetch('/api/projects').then(r => r.status)") == 401
    context.close()


def test_draft_survives_closing_the_page(page, live_server, api, project):
    api.post(f"/api/projects/{project}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}])
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    page.keyboard.press("2")
    page.goto(f"{live_server.url}/projects")
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    selected = page.evaluate(
        "[...document.getElementById('stage').shadowRoot.querySelectorAll('.pf-selected')].map(e => e.dataset.name)"
    )
    assert selected == ["answer2"]


def test_failed_submit_is_shown_and_retried_until_saved(page, live_server, api, project):
    [tid, _] = api.post(
        f"/api/projects/{project}/import",
        json=[{"prompt": f"p{i}", "answer1": "a", "answer2": "b"} for i in range(2)],
    ).json()["task_ids"]
    failures = []

    def flaky(route):
        if route.request.method == "POST" and len(failures) < 2:
            failures.append(route.request.url)
            return route.fulfill(
                status=503, content_type="application/json", body='{"detail": "Service Unavailable"}'
            )
        return route.continue_()

    page.route("**/api/tasks/*/annotations", flaky)
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    wait_for_task(page, tid)  # the next task shows at once
    wait_until(page, "document.getElementById('sync').textContent.startsWith('Not saved yet')")
    wait_saved(page)
    assert len(failures) == 2
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    assert annotation["result"][0]["value"] == {"selected": "left"}


def test_import_errors_are_shown_with_their_line(page, live_server, project, tmp_path, api):
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,answer1,answer2\nok,a,b\nbroken,a\n")
    page.goto(f"{live_server.url}/projects/{project}/import")
    page.set_input_files("#files", str(bad))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#import-result .error")
    assert "Nothing was imported. bad.csv: line 3: expected 3 fields" in page.inner_text("#import-result")
    assert api.get(f"/api/projects/{project}").json()["task_number"] == 0


def test_task_page_shows_annotations(page, live_server, api, project):
    [tid] = api.post(
        f"/api/projects/{project}/import", json=[{"prompt": "the prompt", "answer1": "a", "answer2": "b"}]
    ).json()["task_ids"]
    api.post(
        f"/api/tasks/{tid}/annotations",
        json={
            "result": [
                {
                    "from_name": "comparison",
                    "to_name": "comparison",
                    "type": "pairwise",
                    "value": {"selected": "right"},
                }
            ],
            "lead_time": 2.5,
        },
    )
    page.goto(f"{live_server.url}/projects/{project}")
    page.click(f"#tasks a[href='/projects/{project}/tasks/{tid}']")
    page.wait_for_selector(".annotation")
    assert "owner@example.com" in page.inner_text(".annotation h3")
    assert "lead time 2.5 s" in page.inner_text(".annotation")
    selected = page.evaluate(
        "[...document.querySelector('.annotation .preview').shadowRoot.querySelectorAll('.pf-selected')].map(e => e.dataset.name)"
    )
    assert selected == ["answer2"]
    assert page.errors == []


def test_config_editor_shows_errors_inline_and_previews(page, live_server, api, project):
    page.goto(f"{live_server.url}/projects/{project}/settings")
    wait_until(page, "!!document.querySelector('#preview .preview-frame')?.shadowRoot")
    page.fill(
        "#config",
        '<View><Text name="t" value="$text"/><Choices name="c" toName="nope"><Choice value="x"/></Choices></View>',
    )
    page.wait_for_selector("#config-error:not([hidden])")
    assert 'toName="nope" not found' in page.inner_text("#config-error")
    good = '<View><Header value="Rate it"/><Text name="t" value="$text"/><Rating name="r" toName="t"/></View>\n<!-- {"data": {"text": "sample text"}} -->'
    page.fill("#config", good)
    page.wait_for_selector("#config-error", state="hidden")
    wait_until(
        page,
        "document.querySelector('#preview .preview-frame').shadowRoot.textContent.includes('sample text')",
    )
    page.click("#interface button[type=submit]")
    wait_until(page, "document.querySelector('#interface .saved').textContent === 'Saved'")
    assert api.get(f"/api/projects/{project}").json()["label_config"] == good


def test_gallery_previews_and_multi_control_labeling(page, live_server, api):
    page.goto(f"{live_server.url}/projects/new")
    page.wait_for_selector(".template[data-key=chatbot-evaluation]")
    assert page.locator(".template").count() == 6
    page.fill("input[name=title]", "Chat eval")
    page.click(".template[data-key=chatbot-evaluation]")
    page.click("#create button[type=submit]")
    page.wait_for_url("**/import")
    pid = int(page.url.split("/")[-2])
    dialogue = [{"author": "user", "text": "Hi"}, {"author": "assistant", "text": "Hello! How can I help?"}]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"dialogue": dialogue}]).json()["task_ids"]
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    assert "Hello! How can I help?" in stage_text(page)
    root = "document.getElementById('stage').shadowRoot"
    page.evaluate(
        f"[...{root}.querySelectorAll('.pf-choice')].find(b => b.textContent === 'Helpful').click()"
    )
    page.evaluate(f"{root}.querySelectorAll('.pf-star')[3].click()")
    page.evaluate(
        f"(() => {{ const t = {root}.querySelector('textarea'); t.value = 'friendly'; t.dispatchEvent(new Event('change')); }})()"
    )
    shot(page, "labeling-chatbot")
    page.keyboard.press("Control+Enter")
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    values = {r["from_name"]: (r["type"], r["value"]) for r in annotation["result"]}
    assert values == {
        "quality": ("choices", {"choices": ["Helpful"]}),
        "rating": ("rating", {"rating": 4}),
        "comment": ("textarea", {"text": ["friendly"]}),
    }
    assert page.errors == []


def test_missing_pages_are_html_for_browsers(page, live_server):
    response = page.goto(f"{live_server.url}/projects/9999")
    assert response.status == 404
    assert "Back to the projects" in page.inner_text("main")


def test_ranker_saves_label_studio_shape(page, live_server, api):
    from preflab import gallery

    pid = api.post(
        "/api/projects", json={"title": "rank", "label_config": gallery.template("llm-ranker").config}
    ).json()["id"]
    items = [
        {"id": "a", "title": "A", "body": "first"},
        {"id": "b", "title": "B", "body": "second"},
        {"id": "c", "title": "C", "body": "third"},
    ]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"prompt": "rank these", "items": items}]).json()[
        "task_ids"
    ]
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    page.evaluate(
        "document.getElementById('stage').shadowRoot.querySelectorAll('.pf-rank-item')[2].querySelector('.pf-move').click()"
    )
    page.keyboard.press("Enter")
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    assert annotation["result"][0]["value"] == {"ranker": {"rank": ["a", "c", "b"]}}
    assert (annotation["result"][0]["from_name"], annotation["result"][0]["to_name"]) == ("rank", "answers")


def test_config_hotkeys_pick_choices(page, live_server, api):
    from preflab import gallery

    pid = api.post(
        "/api/projects",
        json={"title": "tie", "label_config": gallery.template("pairwise-tie-strength").config},
    ).json()["id"]
    [tid] = api.post(
        f"/api/projects/{pid}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "a"}]
    ).json()["task_ids"]
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    page.keyboard.press("t")
    page.keyboard.press("Enter")
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    assert [(r["from_name"], r["value"]) for r in annotation["result"]] == [("verdict", {"choices": ["Tie"]})]


def test_a_draft_follows_the_labeler_to_another_machine(browser, page, live_server, api, project, owner):
    [tid] = api.post(
        f"/api/projects/{project}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}]
    ).json()["task_ids"]
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    page.keyboard.press("2")
    wait_until(page, f"fetch('/api/tasks/{tid}').then(r => r.json()).then(t => t.drafts.length > 0)")
    assert [d["result"][0]["value"]["selected"] for d in api.get(f"/api/tasks/{tid}").json()["drafts"]] == [
        "right"
    ]
    other = browser.new_context(viewport={"width": 1280, "height": 860})  # another machine: no local copy
    second = other.new_page()
    second.goto(f"{live_server.url}/projects/{project}/label")
    second.fill("input[name=email]", owner.email)
    second.fill("input[name=password]", owner.password)
    second.click("button[type=submit]")
    wait_for_task(second)
    selected = second.evaluate(
        "[...document.getElementById('stage').shadowRoot.querySelectorAll('.pf-selected')].map(e => e.dataset.name)"
    )
    assert selected == ["answer2"]
    second.keyboard.press("Enter")
    wait_until(second, "document.getElementById('sync').textContent === 'All saved'")
    assert api.get(f"/api/tasks/{tid}").json()["drafts"] == []  # the submit took the draft
    other.close()


def test_a_missed_gold_task_is_answered_with_the_right_side(page, live_server, api, project, store):
    """gold_feedback: the page says, after a miss, which side the better answer was shown on."""
    api.patch(
        f"/api/projects/{project}",
        json={"randomize_order": True, "gold_rate": 1.0, "gold_feedback": True, "maximum_annotations": 2},
    )
    [gold] = api.post(
        f"/api/projects/{project}/import", json=[{"prompt": "q", "answer1": "RIGHT", "answer2": "WRONG"}]
    ).json()["task_ids"]
    expert = make_user(store, "expert@example.com", "manager")
    body = {"result": pick("left"), "ground_truth": True, "completed_by": expert.id}
    assert api.post(f"/api/tasks/{gold}/annotations", json=body).status_code == 201
    page.goto(f"{live_server.url}/projects/{project}/label")
    assert wait_for_task(page) == gold
    order = api.get(f"/api/tasks/{gold}").json()["shown_order"]
    wrong_key = "1" if order[0] == "answer2" else "2"  # the key of the side WRONG is shown on
    page.keyboard.press(wrong_key)
    page.keyboard.press("Enter")
    wait_until(page, "!document.getElementById('gold-feedback').hidden")
    side = "left" if order[0] == "answer1" else "right"
    assert page.inner_text("#gold-feedback") == (
        f"Task {api.get(f'/api/tasks/{gold}').json()['inner_id']} was a check question with a known answer: "
        f"the {side} one was better."
    )
    [mine] = [a for a in api.get(f"/api/tasks/{gold}/annotations").json() if not a["ground_truth"]]
    assert mine["result"][0]["value"]["selected"] == "right"
    assert page.errors == []

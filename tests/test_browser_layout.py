"""The labeling screen with real LLM answers (issue 9): long answers fit the window with the action
bar on screen, narrow windows stack the answers, word differences on a key, the counters, the end
of the queue, per-project task numbers and the instructions dialog. Screenshots at 1366x768 land in
test-artifacts/."""

import pytest

from tests import test_browser as base
from tests.conftest import PAIRWISE, SEED_CONFIG
from tests.test_browser import ARTIFACTS, stage_text, wait_for_task, wait_saved, wait_until

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser

ROOT = "document.getElementById('stage').shadowRoot"

CODE = "\n".join(f"    total += weights[{i}] * values[{i}]  # step {i}" for i in range(40))
LONG_ANSWER = (
    "### Computing a weighted sum\n\nHere is a **complete** solution, with a table:\n\n"
    "| name | meaning |\n|---|---|\n| weights | how much each value counts |\n| values | the numbers |\n\n"
    f"```python\ndef weighted(weights, values):\n    total = 0\n{CODE}\n    return total\n```\n\n"
    "1. It walks the lists once.\n2. It needs no library.\n3. It returns a float.\n"
)
LONG_PROMPT = (
    "Write a function that computes a weighted sum. " * 12
    + "\n"
    + "\n".join(f"Constraint {i}: keep it readable." for i in range(8))
)


def shot(page, name):
    """A screenshot of the window as the labeler sees it (the page itself never scrolls)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def rect(page, js):
    return page.evaluate(
        f"(() => {{ const r = ({js}).getBoundingClientRect(); return {{top: r.top, bottom: r.bottom, left: r.left, right: r.right, height: r.height}}; }})()"
    )


def answer_boxes(page):
    return [rect(page, f"{ROOT}.querySelectorAll('.pf-answer')[{i}]") for i in (0, 1)]


def assert_fits(page):
    height = page.evaluate("innerHeight")
    width = page.evaluate("innerWidth")
    assert page.evaluate("document.scrollingElement.scrollHeight") <= height  # no page scroll
    for selector in ("#submit", "#skip", "#back", "#undo", ".shortcuts", "#pick-state"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, selector
    for box in answer_boxes(page):
        assert box["bottom"] <= height


@pytest.fixture
def long_pair(api):
    pid = api.post("/api/projects", json={"title": "long", "label_config": SEED_CONFIG}).json()["id"]
    ids = api.post(
        f"/api/projects/{pid}/import",
        json=[
            {
                "prompt": LONG_PROMPT,
                "answer1": LONG_ANSWER,
                "answer2": "Use sum(w * v for w, v in zip(weights, values)).",
            },
            {"prompt": "short", "answer1": "a", "answer2": "b"},
        ],
    ).json()["task_ids"]
    return pid, ids


@pytest.mark.parametrize("size", [(1366, 768), (1280, 720)])
def test_long_answers_fit_the_window_each_scrolling_on_its_own(page, live_server, api, long_pair, size):
    pid, [tid, _] = long_pair
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    assert wait_for_task(page) == tid
    assert_fits(page)
    left, right = answer_boxes(page)
    assert abs(left["top"] - right["top"]) < 2 and right["left"] > left["right"]  # side by side
    assert right["height"] < left["height"] / 2  # the short answer is not stretched to the long one
    long_box = f"{ROOT}.querySelectorAll('.pf-answer')[0]"
    assert page.evaluate(f"{long_box}.scrollHeight > {long_box}.clientHeight")  # it scrolls…
    assert page.evaluate(f"getComputedStyle({long_box}).overflowY") == "auto"
    page.mouse.move(left["left"] + 40, left["top"] + 40)
    page.mouse.wheel(0, 400)
    wait_until(page, f"{long_box}.scrollTop > 0")  # …with the mouse
    # the long prompt is clamped, and opens with P
    prompt = f"{ROOT}.querySelector('.pf-clamp')"
    clamped = rect(page, prompt)["height"]
    assert clamped < 150
    page.keyboard.press("p")
    assert rect(page, prompt)["height"] > clamped
    assert_fits(page)
    page.keyboard.press("p")
    shot(page, f"labeling-long-answers-{size[0]}x{size[1]}")
    # the keys still label it
    page.keyboard.press("1")
    assert page.inner_text("#pick-state") == "Picked: answer 1"
    page.keyboard.press("Enter")
    wait_for_task(page, tid)
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    assert annotation["result"][0]["value"] == {"selected": "left"}
    assert page.errors == []


def test_a_narrow_window_stacks_the_answers(page, live_server, api, long_pair):
    pid, [tid, _] = long_pair
    page.set_viewport_size({"width": 700, "height": 800})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    first, second = answer_boxes(page)
    assert second["top"] >= first["bottom"] - 1  # one above the other
    assert_fits(page)
    shot(page, "labeling-narrow")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    wait_for_task(page, tid)
    wait_saved(page)
    assert api.get(f"/api/tasks/{tid}/annotations").json()[0]["result"][0]["value"] == {"selected": "right"}


def test_d_marks_the_words_that_differ(page, live_server, api, project):
    api.post(
        f"/api/projects/{project}/import",
        json=[
            {
                "prompt": "What is the capital of Australia?",
                "answer1": "The capital of Australia is Canberra, not Sydney.\nIt was chosen in 1908.",
                "answer2": "The capital of Australia is Sydney, not Canberra.\nIt was chosen in 1908.",
            }
        ],
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    marks = f"[...{ROOT}.querySelectorAll('mark.pf-diff')].map(m => m.textContent)"
    assert page.evaluate(marks) == []
    page.keyboard.press("d")
    assert page.evaluate(marks) == ["Canberra,", "Sydney.", "Sydney,", "Canberra."]
    # the text itself is unchanged, and still only text
    assert "The capital of Australia is Canberra, not Sydney.\nIt was chosen in 1908." in stage_text(page)
    shot(page, "labeling-diff")
    page.keyboard.press("d")
    assert page.evaluate(marks) == []
    page.keyboard.press("2")
    assert page.inner_text("#pick-state") == "Picked: answer 2"


def test_counters_task_numbers_and_the_end_of_the_queue(page, live_server, api, project):
    # another project first, so that this one's task ids do not start at 1
    other = api.post("/api/projects", json={"title": "other", "label_config": PAIRWISE}).json()["id"]
    api.post(f"/api/projects/{other}/import", json=[{"prompt": "x", "answer1": "a", "answer2": "b"}] * 4)
    ids = api.post(
        f"/api/projects/{project}/import",
        json=[{"prompt": f"p{i}", "answer1": "a", "answer2": "b"} for i in range(3)],
    ).json()["task_ids"]
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{project}/label")
    task = wait_for_task(page)
    assert task == ids[0] and task > 1
    assert page.inner_text("#task-title") == "Task 1"  # numbered within the project
    assert page.inner_text("#task-id") == f"id {task}"
    assert page.inner_text("#progress-info") == "0 of 3 answered · 3 left for you"
    page.keyboard.press("s")  # a skip is not an answer
    task = wait_for_task(page, task)
    assert page.inner_text("#task-title") == "Task 2"
    assert page.inner_text("#progress-info") == "0 of 3 answered · 2 left for you"
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    task = wait_for_task(page, task)
    assert page.inner_text("#progress-info") == "1 of 3 answered · 1 left for you"
    page.keyboard.press("2")
    page.keyboard.press("Enter")  # the last one counts too
    page.wait_for_selector("#done:not([hidden])")
    wait_saved(page)
    assert page.inner_text("#progress-info") == "2 of 3 answered · 0 left for you"
    # only the "All done" card: no empty task, no live buttons
    assert not page.is_visible("#stage")
    assert not page.is_visible("#submit")
    assert not page.is_visible("#pick-state")
    shot(page, "labeling-all-done")
    page.keyboard.press("Enter")
    page.keyboard.press("1")
    assert page.errors == []
    # reloading counts from the server
    page.reload()
    page.wait_for_selector("#done:not([hidden])")
    wait_until(
        page, "document.getElementById('progress-info').textContent === '2 of 3 answered · 0 left for you'"
    )


def test_instructions_come_first_as_a_dialog_and_reopen_with_i(page, live_server, api, project):
    api.patch(
        f"/api/projects/{project}",
        json={
            "show_instruction": True,
            "expert_instruction": "Prefer the <b>correct</b> answer.\nThen the shorter one.",
        },
    )
    api.post(f"/api/projects/{project}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}])
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    page.wait_for_selector("#instructions[open]")
    assert "Prefer the correct answer." in page.inner_text("#instructions-text")  # safe markup drawn
    assert page.inner_text("#instructions-text b") == "correct"
    shot(page, "labeling-instructions")
    page.keyboard.press("1")  # keys do not label behind the dialog
    assert page.inner_text("#pick-state").startswith("No answer picked")
    page.keyboard.press("Enter")  # "Start labeling"
    page.wait_for_selector("#instructions", state="hidden")
    page.keyboard.press("1")
    assert page.inner_text("#pick-state") == "Picked: answer 1"
    page.keyboard.press("i")
    page.wait_for_selector("#instructions[open]")
    page.keyboard.press("Escape")
    page.wait_for_selector("#instructions", state="hidden")
    assert page.inner_text("#pick-state") == "Picked: answer 1"

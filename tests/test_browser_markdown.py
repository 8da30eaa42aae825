"""Markdown on the labeling screen for projects with ``render_markdown`` (issue 9): headings, tables
and highlighted code in a monospace font, sanitized (nothing runs, nothing is fetched from
elsewhere), plain text without the setting."""

import statistics

import pytest

from tests import test_browser as base
from tests.conftest import PAIRWISE, SEED_CONFIG
from tests.test_browser import stage_text, wait_for_task, wait_saved, wait_until
from tests.test_browser_layout import LONG_ANSWER, LONG_PROMPT, ROOT, assert_fits, shot

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser


def markdown_on(api, project):
    """Turn the project's ``render_markdown`` on, on the server: the page reads it from there."""
    r = api.patch(f"/api/projects/{project}", json={"render_markdown": True})
    assert r.status_code == 200, r.text
    assert r.json()["render_markdown"] is True


# the next task has been fetched in advance: this tab says it holds a task besides the one shown
PREFETCHED = (
    "Object.keys(localStorage).filter(k => k.startsWith('preflab:tab:')).some(k => JSON.parse("
    "localStorage.getItem(k)).tasks.some(t => String(t) !== document.getElementById('stage').dataset.task))"
)


def count(page, selector):
    return page.evaluate(f"{ROOT}.querySelectorAll({selector!r}).length")


def test_markdown_answers_are_drawn_with_highlighted_code(page, live_server, api):
    pid = api.post("/api/projects", json={"title": "md", "label_config": SEED_CONFIG}).json()["id"]
    rows = [
        {
            "prompt": LONG_PROMPT,
            "answer1": LONG_ANSWER,
            "answer2": "Use `sum(w * v for w, v in zip(weights, values))`.",
        }
    ] + [
        {"prompt": f"q{i}", "answer1": LONG_ANSWER, "answer2": LONG_ANSWER.replace("once", "twice")}
        for i in range(6)
    ]
    ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    markdown_on(api, pid)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    assert wait_for_task(page) == ids[0]
    assert count(page, "h3") == 1 and count(page, "table") == 1 and count(page, "ol > li") == 3
    assert page.evaluate(f"{ROOT}.querySelector('strong').textContent") == "complete"
    assert "**complete**" not in stage_text(page) and "```" not in stage_text(page)
    assert count(page, "pre > code .hljs-keyword") > 0  # highlighted
    font = page.evaluate(f"getComputedStyle({ROOT}.querySelector('pre > code')).fontFamily")
    assert "monospace" in font
    assert count(page, ":not(pre) > code") == 1  # inline code in the short answer
    assert_fits(page)
    shot(page, "labeling-markdown")
    # the differences are marked on the source, and the Markdown comes back after
    page.keyboard.press("d")
    assert count(page, "mark.pf-diff") > 0
    page.keyboard.press("d")
    assert count(page, "mark.pf-diff") == 0 and count(page, "table") == 1

    # keydown → next task drawn, with 2 x 1.6 KB Markdown answers (the page's own clock)
    page.evaluate(
        """() => {
        window.latencies = [];
        document.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.pressed = performance.now(); }, true);
        document.addEventListener('preflab:shown', () => { if (window.pressed) window.latencies.push(performance.now() - window.pressed); window.pressed = 0; });
    }"""
    )
    task = ids[0]
    for _ in range(5):
        wait_until(page, "document.getElementById('sync').textContent === 'All saved'")
        wait_until(page, PREFETCHED)
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        task = wait_for_task(page, task)
    latencies = page.evaluate("window.latencies")
    print(f"keydown → next task drawn (Markdown): median {statistics.median(latencies):.1f} ms {latencies}")
    assert statistics.median(latencies) < 100
    wait_saved(page)
    assert page.errors == []


def test_hostile_markdown_runs_nothing_and_fetches_nothing(page, live_server, api, project):
    hostile = "\n\n".join(
        [
            "# Title <script>window.pwned = 1</script>",
            '<img src="x" onerror="window.pwned = 2">',
            "[click me](javascript:window.pwned=3) and [ok](https://example.org/page)",
            "![remote](http://192.0.2.1/track.png)",
            '<a href="javascript:window.pwned=4">raw link</a> <iframe src="http://192.0.2.1/"></iframe>',
            "<style>* { color: red }</style>",
            "**still bold**",
            "[data](data:text/html,<script>window.pwned=5</script>)",
        ]
    )
    api.post(
        f"/api/projects/{project}/import", json=[{"prompt": hostile, "answer1": hostile, "answer2": "fine"}]
    )
    markdown_on(api, project)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{project}/label")
    wait_for_task(page)
    wait_until(page, f"{ROOT}.querySelectorAll('strong').length > 0")
    for selector in ("script", "iframe", "img", "style", "[onerror]", "a[href^=javascript]", "a[href^=data]"):
        assert count(page, selector) == 0, selector
    links = page.evaluate(
        f"[...{ROOT}.querySelectorAll('a')].map(a => [a.getAttribute('href'), a.target, a.rel])"
    )
    assert ["https://example.org/page", "_blank", "noopener noreferrer nofollow"] in links
    text = stage_text(page)
    assert "<script>window.pwned = 1</script>" in text  # raw HTML shows as text
    assert "[image: remote]" in text
    # clicking the links runs nothing (and a link is not a pick): the javascript: link lost its
    # address, so a click can go nowhere, and no handler ran
    clicked = page.evaluate(
        f"[...{ROOT}.querySelectorAll('a')].filter(a => a.textContent === 'click me').map(a => (a.click(), a.getAttribute('href')))"
    )
    assert clicked == [None, None]  # in the prompt and in the answer
    assert page.evaluate("window.pwned") is None
    assert page.inner_text("#pick-state") == "No answer picked: press 1 or 2"
    assert not [u for u in requests if not u.startswith(live_server.url)]
    assert page.errors == []
    shot(page, "labeling-markdown-hostile")


def test_without_the_setting_markdown_stays_text(page, live_server, api):
    pid = api.post("/api/projects", json={"title": "plain", "label_config": PAIRWISE}).json()["id"]
    api.post(
        f"/api/projects/{pid}/import",
        json=[{"prompt": "p", "answer1": "**bold** and `code`", "answer2": "b"}],
    )
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    assert "**bold** and `code`" in stage_text(page)
    assert count(page, "strong, code") == 0
    assert page.evaluate("[...document.querySelectorAll('script[src]')].map(s => s.src)") == [
        f"{live_server.url}/static/js/label.js"
    ]

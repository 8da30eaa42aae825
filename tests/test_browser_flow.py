"""Around the labeling screen (issue 9): previews drawn as the labeling screen draws them, each
task's outcome in the Data table, the export page saying what it produced, the import page's file
picker and its progress bar after a failure, Cancel and a confirmation when creating a project.
Screenshots at 1366x768 land in test-artifacts/."""

import pytest

from tests import test_browser as base
from tests.conftest import SEED_CONFIG, make_user, pick
from tests.test_browser import wait_until
from tests.test_browser_layout import shot

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser

FRAME = "document.querySelector('#preview .preview-frame').shadowRoot"


def boxes(page, root):
    return page.evaluate(
        f"[...{root}.querySelectorAll('.pf-answer')].map(a => {{ const r = a.getBoundingClientRect(); return {{top: r.top, left: r.left, right: r.right, width: r.width}}; }})"
    )


def side_by_side(root):
    """A JS expression: the two answers are side by side (once the stage's styles are in)."""
    return (
        f"(() => {{ const a = [...({root})?.querySelectorAll('.pf-answer') || []].map(x => x.getBoundingClientRect());"
        " return a.length === 2 && Math.abs(a[0].top - a[1].top) < 2 && a[1].left > a[0].right; })()"
    )


@pytest.fixture
def labelers_of(store):
    return lambda n: [make_user(store, f"voter{i}@example.com", "annotator") for i in range(n)]


def test_the_settings_preview_draws_the_labeling_screen(page, live_server, api):
    pid = api.post("/api/projects", json={"title": "seed", "label_config": SEED_CONFIG}).json()["id"]
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/settings")
    wait_until(page, side_by_side("document.querySelector('#preview .preview-frame')?.shadowRoot"))
    left, right = boxes(page, FRAME)
    assert abs(left["top"] - right["top"]) < 2 and right["left"] > left["right"]  # side by side
    preview_width = page.evaluate("document.getElementById('preview').getBoundingClientRect().width")
    assert left["width"] > preview_width * 0.4  # not squashed
    page.locator("#preview").scroll_into_view_if_needed()
    shot(page, "settings-preview")
    # the media hosts are a setting
    page.fill("input[name=media_hosts]", "cdn.example.com")
    page.click("#general button[type=submit]")
    wait_until(page, "document.querySelector('#general .saved').textContent === 'Saved'")
    assert api.get(f"/api/projects/{pid}").json()["media_hosts"] == "cdn.example.com"


def test_gallery_cards_are_thumbnails_of_the_labeling_screen(page, live_server):
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/new")
    card = "document.querySelector('.template[data-key=human-preference] .preview-frame')"
    wait_until(page, side_by_side(f"{card}?.shadowRoot"))
    left, right = boxes(page, f"{card}.shadowRoot")
    assert abs(left["top"] - right["top"]) < 2 and right["left"] > left["right"]
    fine = "document.querySelector('.template[data-key=fine-grained-feedback] .preview-frame')"
    wait_until(page, f"{fine}?.shadowRoot?.querySelectorAll('.pf-rating').length === 6")
    page.locator(".template[data-key=fine-grained-feedback]").scroll_into_view_if_needed()
    shot(page, "gallery-cards")
    assert page.errors == []


def test_creating_a_project_can_be_cancelled_and_is_confirmed(page, live_server, api):
    before = api.get("/api/projects").text
    page.goto(f"{live_server.url}/projects/new")
    page.fill("input[name=title]", "Never made")
    page.click("#cancel")
    page.wait_for_url("**/projects")
    assert api.get("/api/projects").text == before  # nothing was made
    page.goto(f"{live_server.url}/projects/new")
    page.fill("input[name=title]", "Fine-grained round 1")
    page.click(".template[data-key=fine-grained-feedback]")
    page.click("#create button[type=submit]")
    page.wait_for_url("**/import")
    page.wait_for_selector("#created:not([hidden])")
    text = page.inner_text("#created")
    assert "Fine-grained round 1" in text and "Fine-grained feedback" in text
    page.reload()
    assert not page.is_visible("#created")  # said once


def test_the_import_picker_and_a_failed_import(page, live_server, project, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,answer1,answer2\na,b,c\nonly,two\n")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{project}/import")
    assert page.inner_text("#file-names").startswith("No file chosen")
    page.set_input_files("#files", str(bad))
    assert page.inner_text("#file-names") == "bad.csv"
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#import-result .error")
    assert not page.is_visible("#progress")
    assert page.evaluate("document.getElementById('progress').value") == 0
    shot(page, "import-failed")


def test_the_data_table_shows_outcomes_and_the_export_says_what_it_made(
    page, live_server, api, project, client, store
):
    from tests.conftest import make_user

    ids = api.post(
        f"/api/projects/{project}/import",
        json=[{"prompt": f"p{i}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(3)],
    ).json()["task_ids"]
    voters = [make_user(store, f"v{i}@example.com", "annotator") for i in range(3)]
    votes = {ids[0]: ["left", "left", "right"], ids[1]: ["right", "left"]}
    for tid, sides in votes.items():
        for voter, side in zip(voters, sides, strict=False):
            r = client.post(
                f"/api/tasks/{tid}/annotations", json={"result": pick(side)}, headers=voter.headers
            )
            assert r.status_code == 201, r.text
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{project}")
    page.wait_for_selector("#tasks tbody tr")
    cells = page.eval_on_selector_all("#tasks tbody td.outcome", "tds => tds.map(t => t.textContent)")
    assert cells == ["answer1 wins (answer1 2 · answer2 1)", "split (answer1 1 · answer2 1)", "\u2013"]
    shot(page, "data-table-outcomes")

    page.goto(f"{live_server.url}/projects/{project}/export")
    with page.expect_download() as download:
        page.click("a[data-format=CSV]")
    assert download.value.suggested_filename.endswith(".csv")
    page.wait_for_selector("#export-result.ok")
    text = page.inner_text("#export-result")
    assert text.startswith("Exported CSV: 5 rows (plus the header), ") and "saved as" in text
    with page.expect_download():
        page.click("a[data-format=JSON]")
    wait_until(
        page, "document.getElementById('export-result').textContent.startsWith('Exported JSON: 2 tasks')"
    )
    shot(page, "export-confirmed")
    assert page.errors == []


def test_the_data_table_shows_the_servers_outcome(page, live_server, api, labelers_of):
    """Tie and both-bad options worded as the server reads them, and a Ranker task: the table
    shows the outcome the API gives (the training export's rules), not rules of its own."""
    from tests.test_api_outcomes import CONFIG, verdict

    pid = api.post("/api/projects", json={"title": "words", "label_config": CONFIG}).json()["id"]
    rows = [{"prompt": f"p{i}", "answer1": f"a{i}", "answer2": f"b{i}"} for i in range(2)]
    ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    voters = labelers_of(3)
    plan = {
        ids[0]: [verdict("No preference"), verdict("No preference"), pick("right")],
        ids[1]: [verdict("Neither is good"), verdict("Neither is good")],
    }
    for tid, results in plan.items():
        for voter, result in zip(voters, results, strict=False):
            body = {"result": result, "completed_by": voter.id}
            assert api.post(f"/api/tasks/{tid}/annotations", json=body).status_code == 201
    page.goto(f"{live_server.url}/projects/{pid}")
    page.wait_for_selector("#tasks tbody tr")
    cells = page.eval_on_selector_all("#tasks tbody td.outcome", "tds => tds.map(t => t.textContent)")
    assert cells == ["tie (tie 2 · answer2 1)", "both bad (both bad 2)"]
    outcomes = [t["outcomes"][0]["outcome"] for t in api.get(f"/api/tasks?project={pid}").json()["tasks"]]
    assert (
        page.eval_on_selector_all("#tasks tbody td.outcome", "tds => tds.map(t => t.dataset.outcome)")
        == outcomes
    )

    from preflab import gallery

    ranker = api.post(
        "/api/projects", json={"title": "rank", "label_config": gallery.template("llm-ranker").config}
    ).json()["id"]
    items = [{"id": "a", "body": "x"}, {"id": "b", "body": "y"}, {"id": "c", "body": "z"}]
    [tid] = api.post(f"/api/projects/{ranker}/import", json=[{"prompt": "p", "items": items}]).json()[
        "task_ids"
    ]
    for voter, order in zip(voters, (["c", "a", "b"], ["c", "b", "a"]), strict=False):
        result = [
            {
                "from_name": "rank",
                "to_name": "answers",
                "type": "ranker",
                "value": {"ranker": {"rank": order}},
            }
        ]
        assert (
            api.post(
                f"/api/tasks/{tid}/annotations", json={"result": result, "completed_by": voter.id}
            ).status_code
            == 201
        )
    page.goto(f"{live_server.url}/projects/{ranker}")
    page.wait_for_selector("#tasks tbody tr")
    lines = page.eval_on_selector_all("#tasks tbody td.outcome > div", "ds => ds.map(d => d.textContent)")
    assert lines == [
        "a vs b: split (a 1 · b 1)",
        "a vs c: c wins (c 2)",
        "b vs c: c wins (c 2)",
    ]
    shot(page, "data-table-ranker-outcomes")
    assert page.errors == []

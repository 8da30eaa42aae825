"""The Stats tab (issue 7, dashboard): a project with three models and four labelers, one of them
fast and always picking the answer shown first. The page must show what
GET /api/projects/{id}/stats says (leaderboard order and numbers, win rates, agreement, flags),
fetch nothing from another origin and raise no page error; an annotator sees only their own row.
A screenshot at 1366x768 lands in test-artifacts/stats.png."""

import random

import pytest

from tests import test_browser as base
from tests.conftest import PAIRWISE, make_user
from tests.test_browser import ARTIFACTS, wait_until

browser = base.browser  # the fixture

pytestmark = pytest.mark.browser

PAIRS = [("alpha", "beta"), ("beta", "gamma"), ("gamma", "alpha")]
STRENGTH = {"gamma": 3, "alpha": 2, "beta": 1}


def pick(side):
    return [
        {"from_name": "comparison", "to_name": "comparison", "type": "pairwise", "value": {"selected": side}}
    ]


@pytest.fixture
def labelers(store):
    return [make_user(store, f"labeler{i}@example.com", "annotator") for i in range(4)]


@pytest.fixture
def voted(api, labelers):
    """30 tasks in random order, three models; labelers 0-2 mostly prefer the stronger model
    (labeler 2 less reliably) and take 8-20 s; labeler 3 takes 1 s and always picks the answer
    shown first. Task 0 is left without votes, task 1 only skipped."""
    pid = api.post(
        "/api/projects", json={"title": "Model arena", "label_config": PAIRWISE, "randomize_order": True}
    ).json()["id"]
    rows = []
    for i in range(30):
        first, second = PAIRS[i % 3]
        rows.append(
            {
                "prompt": f"prompt {i}",
                "answer1": f"a{i}",
                "answer2": f"b{i}",
                "model1": first,
                "model2": second,
            }
        )
    ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
    rng = random.Random(7)
    for i, tid in enumerate(ids[2:], start=2):
        m1, m2 = rows[i]["model1"], rows[i]["model2"]
        better = "answer1" if STRENGTH[m1] > STRENGTH[m2] else "answer2"
        worse = "answer2" if better == "answer1" else "answer1"
        for n, labeler in enumerate(labelers):
            order = ["answer1", "answer2"] if (i + n) % 2 else ["answer2", "answer1"]
            if n == 3:
                choice, seconds = order[0], 1.0
            else:
                reliable = 0.9 if n < 2 else 0.7
                choice = better if rng.random() < reliable else worse
                seconds = 8 + rng.random() * 12
            side = "left" if choice == "answer1" else "right"  # Label Studio: left is answer1, wherever shown
            body = {
                "result": pick(side),
                "completed_by": labeler.id,
                "shown_order": order,
                "lead_time": seconds,
            }
            assert api.post(f"/api/tasks/{tid}/annotations", json=body).status_code == 201
    skip = {"result": [], "was_cancelled": True, "completed_by": labelers[0].id}
    assert api.post(f"/api/tasks/{ids[1]}/annotations", json=skip).status_code == 201
    return pid


def pct(v):
    return "\u2013" if v is None else ("%.2f" % (v * 100)).rstrip("0").rstrip(".") + "%"


def dec(v):
    return "\u2013" if v is None else f"{v:.2f}".replace("-", "\u2212")


def login(browser, url, account):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.violations = []
    page.expose_binding("__reportViolation", lambda _source, v: page.violations.append(v))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__reportViolation(e.violatedDirective + ' ' + e.blockedURI))"
    )
    page.goto(f"{url}/user/login")
    page.fill("input[name=email]", account.email)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    page.wait_for_url("**/projects")
    return context, page


def open_stats(page, url, pid):
    page.goto(f"{url}/projects/{pid}")
    page.click(".tabs a:text-is('Stats')")
    page.wait_for_url(f"**/projects/{pid}/stats")
    wait_until(page, "document.getElementById('stats').dataset.loaded !== undefined")
    assert page.get_attribute("#stats", "data-loaded") == "true", page.inner_text("#stats")


def texts(page, selector):
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def test_stats_tab_matches_the_api(browser, live_server, api, owner, voted, labelers):
    doc = api.get(f"/api/projects/{voted}/stats").json()
    context, page = login(browser, live_server.url, owner)
    open_stats(page, live_server.url, voted)

    # leaderboard: order, scores and intervals as the document has them
    board = doc["leaderboard"]
    assert [r["model"] for r in board] == ["gamma", "alpha", "beta"]  # the strengths we voted by
    assert texts(page, "#leaderboard-table tbody th.model") == [r["model"] for r in board]
    assert texts(page, "#leaderboard-table td.score") == [f"{r['score']:.2f}" for r in board]
    assert texts(page, "#leaderboard-table td.interval") == [
        f"{r['ci_low']:.2f} \u2013 {r['ci_high']:.2f}" for r in board
    ]
    first = page.locator("#leaderboard-table tbody tr").first.inner_text()
    assert f"{board[0]['wins']}\t{board[0]['losses']}\t{board[0]['ties']}" in first
    # the dot-and-whisker chart: one dot per model, a titled SVG
    assert page.locator("#leaderboard svg circle.dot").count() == 3
    assert page.get_attribute("#leaderboard svg", "role") == "img"
    assert "confidence intervals" in page.locator("#leaderboard svg > title").text_content()

    # win-rate matrix: every cell as the document has it
    rates = doc["win_rates"]
    for i, _row in enumerate(rates["models"]):
        cells = page.locator("#win-rate-table tbody tr").nth(i).locator("td")
        for j, _ in enumerate(rates["models"]):
            shown = cells.nth(j).inner_text()
            if i == j:
                assert shown == "—"
            else:
                assert shown.split("\n")[0] == pct(rates["win_rate"][i][j])
                assert f"{rates['games'][i][j]} games" in shown

    # agreement and outcomes
    assert page.inner_text("#alpha") == dec(doc["agreement"]["krippendorff_alpha"])
    assert page.inner_text("#kappa") == dec(doc["agreement"]["mean_pairwise_cohen_kappa"])
    assert "alpha" in page.inner_text("#agreement-reading")
    outcome_titles = page.evaluate(
        "[...document.querySelectorAll('#outcomes svg .bar > title')].map(t => t.textContent)"
    )
    assert outcome_titles[0].startswith(f"answer1 wins: {doc['outcomes']['answer1']} comparison")
    assert len(outcome_titles) == 6
    assert page.locator("#progress svg .bar").count() == len(doc["progress"])
    votes = page.evaluate(
        "[...document.querySelectorAll('#votes-per-task svg .bar > title')].map(t => t.textContent)"
    )
    assert votes[0] == "2 tasks with 0 votes (1 not answered yet, 1 skipped or without a vote)"
    assert votes[4] == "28 tasks with 4 votes"
    assert pct(doc["position_bias"]["first_shown_share"]) in page.inner_text("#bias-reading")

    # labelers: one row each, the careless one flagged with the document's reasons
    rows = {r["email"]: r for r in doc["labelers"]}
    assert texts(page, "#labelers-table tbody .email") == [r["email"] for r in doc["labelers"]]
    careless = rows["labeler3@example.com"]  # always the answer shown first, in a second
    assert {f["code"] for f in careless["flags"]} == {"same_side", "fast"}
    assert careless["flagged"] == [f["reason"] for f in careless["flags"]]
    flagged = page.locator("#labelers-table tbody tr.flagged")
    assert flagged.count() == sum(1 for r in doc["labelers"] if r["flags"])
    row = page.locator(f"#labelers-table tbody tr[data-user='{labelers[3].id}']")
    assert "flagged" in row.get_attribute("class")
    assert (
        texts(page, f"#labelers-table tbody tr[data-user='{labelers[3].id}'] td.reasons li")
        == careless["flagged"]
    )
    assert pct(careless["position_bias"]["first_shown_share"]) in row.inner_text()  # 100%
    codes = page.evaluate(
        f"[...document.querySelectorAll(\"#labelers-table tr[data-user='{labelers[3].id}'] td.reasons li\")]"
        ".map(li => li.dataset.code)"
    )
    assert codes == [f["code"] for f in careless["flags"]]
    fit = careless["reliability"]
    assert texts(page, f"#labelers-table tbody tr[data-user='{labelers[3].id}'] td.reliability") == [
        f"{pct(fit['estimate'])} {pct(fit['ci_low'])}\u2013{pct(fit['ci_high'])}"
    ]
    assert "flagged" in page.inner_text("#labelers-summary")
    assert doc["rules"]["aggregation"] == "reliability"
    assert "estimated reliability" in page.inner_text("#trust-summary")
    assert pct(doc["noise_ceiling"]) in page.inner_text("#trust-summary")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "stats.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / "stats-window.png"))  # what fits in a 1366x768 window
    # the page is as wide as the window: nothing sticks out sideways
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1366

    assert page.errors == []
    assert page.violations == []
    assert [u for u in page.requests if not u.startswith(live_server.url)] == []
    context.close()


def test_an_annotator_sees_only_their_own_row(browser, live_server, api, voted, labelers):
    me = labelers[1]
    context, page = login(browser, live_server.url, me)
    open_stats(page, live_server.url, voted)
    assert texts(page, "#labelers-table tbody .email") == [me.email]
    assert "only their own row" in page.inner_text("#labelers-summary")
    assert page.locator("#leaderboard-table tbody tr").count() == 3  # project-wide figures stay
    assert "labeler3@example.com" not in page.inner_text("main")
    tiles = page.inner_text("#tiles")
    assert "flagged" not in tiles and "null" not in tiles  # no count of the others' flags
    # every model name is whole on the chart (it fits its margin)
    labels = page.evaluate(
        "[...document.querySelectorAll('#leaderboard svg text.label')].map(t => t.getBBox().x)"
    )
    assert len(labels) == 3 and min(labels) >= 0
    page.screenshot(path=str(ARTIFACTS / "stats-annotator.png"), full_page=True)
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith(live_server.url)] == []
    context.close()


def test_empty_states_say_so(browser, live_server, api, owner, project):
    api.post(f"/api/projects/{project}/import", json=[{"prompt": "p", "answer1": "a", "answer2": "b"}])
    context, page = login(browser, live_server.url, owner)
    open_stats(page, live_server.url, project)
    assert "no votes yet" in page.inner_text("#stats-summary")
    assert "No answers yet" in page.inner_text("#progress")
    assert "No votes yet" in page.inner_text("#outcomes")
    assert "Not enough overlap" in page.inner_text("#agreement")
    assert "No models to rank" in page.inner_text("#leaderboard")
    assert page.locator("#win-rates-card").is_hidden()
    assert page.errors == []
    context.close()


def test_a_config_without_pairs_says_why(browser, live_server, api, owner):
    config = '<View><Text name="t" value="$text"/><Choices name="c" toName="t"><Choice value="x"/></Choices></View>'
    pid = api.post("/api/projects", json={"title": "plain", "label_config": config}).json()["id"]
    [tid] = api.post(f"/api/projects/{pid}/import", json=[{"text": "hello"}]).json()["task_ids"]
    choice = [{"from_name": "c", "to_name": "t", "type": "choices", "value": {"choices": ["x"]}}]
    assert api.post(f"/api/tasks/{tid}/annotations", json={"result": choice}).status_code == 201
    context, page = login(browser, live_server.url, owner)
    open_stats(page, live_server.url, pid)
    assert page.locator("#progress svg .bar").count() == 1  # progress still counts
    assert texts(page, "#labelers-table tbody .email") == [owner.email]
    for box in ("#outcomes", "#agreement", "#leaderboard"):
        assert "has no Pairwise or Ranker" in page.inner_text(box)
    assert page.locator("#win-rates-card").is_hidden()
    assert page.errors == []
    context.close()


def synthetic(pid, models, days):
    """A statistics document of a long-running project (served in place of the API's)."""
    n = len(models)
    board = [
        {"model": m, "score": 1100 - 40 * i, "ci_low": 1060 - 40 * i, "ci_high": 1150 - 40 * i, "wins": 90 - 5 * i, "losses": 40 + 5 * i, "ties": 3}
        for i, m in enumerate(models)
    ]  # fmt: skip
    rate = [[None if i == j else round(0.5 + (j - i) / (2 * n), 6) for j in range(n)] for i in range(n)]
    games = [[0 if i == j else 20 for j in range(n)] for i in range(n)]
    rate[0][n - 1] = rate[n - 1][0] = None  # never met
    games[0][n - 1] = games[n - 1][0] = 0
    return {
        "project": pid, "tasks": 5000, "labeled_tasks": 4200, "annotations": 12000, "skipped": 300,
        "outcomes": {"answer1": 2000, "answer2": 1700, "tie": 200, "both_bad": 100, "no_majority": 150, "too_few_votes": 50},
        "agreement": {"krippendorff_alpha": 0.71, "items": 3900, "mean_pairwise_cohen_kappa": 0.68, "kappa_pairs": 40,
                      "min_shared_items": 10, "mean_comparison_agreement": 0.82},
        "position_bias": {"first_shown_share": 0.512, "p_value": 0.31, "votes": 11000},
        "votes_per_task": [{"votes": 0, "tasks": 800}, {"votes": 2, "tasks": 1200}, {"votes": 3, "tasks": 3000}],
        "progress": [{"date": d, "annotations": 100 + k, "skipped": 3} for k, d in enumerate(days)],
        "labelers": [], "leaderboard": board, "win_rates": {"models": models, "win_rate": rate, "games": games},
        "bootstrap": {"resamples": 200, "seed": 0, "interval": 0.95}, "rules": {"min_votes": 2, "min_agreement": None},
    }  # fmt: skip


def test_long_projects_many_models_and_names_as_text(browser, live_server, owner, project):
    hostile = '<img src="x" onerror="window.pwned = 1">'
    models = [
        hostile,
        "a-model-with-a-really-long-name-v2.5-instruct-preview",
        *(f"model-{i}" for i in range(6)),
    ]
    days = ["2026-01-01", "2026-01-02", "2026-01-05", "2026-02-09"]  # 40 days with gaps
    doc = synthetic(project, models, days)
    context, page = login(browser, live_server.url, owner)
    page.route(
        f"**/api/projects/{project}/stats", lambda route: route.fulfill(json=doc)
    )  # the page draws whatever the API says
    open_stats(page, live_server.url, project)
    assert page.locator("#progress svg .bar").count() == 40  # days without answers count as zero
    titles = page.evaluate(
        "[...document.querySelectorAll('#progress svg .bar > title')].map(t => t.textContent)"
    )
    assert titles[0] == "2026-01-01: 100 answers (3 skipped), 100 in all"
    assert titles[2] == "2026-01-03: 0 answers (0 skipped), 201 in all"
    assert titles[-1] == "2026-02-09: 103 answers (3 skipped), 406 in all"
    assert texts(page, "#leaderboard-table tbody th.model") == models
    assert page.locator("#leaderboard svg circle.dot").count() == len(models)
    labels = page.evaluate(
        "[...document.querySelectorAll('#leaderboard svg text.label')].map(t => t.getBBox().x)"
    )
    assert min(labels) >= 0  # long names are shortened, not cut off by the edge
    assert page.evaluate("document.querySelectorAll('main img').length") == 0
    assert page.evaluate("window.pwned") is None
    assert page.locator("#win-rate-table td.none").count() == 2
    assert "mostly agree" in page.inner_text("#agreement-reading")
    assert "within what chance explains" in page.inner_text("#bias-reading")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1366
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "stats-many-models.png"), full_page=True)

    # a year and more is drawn by week, then by month
    doc["progress"] = [{"date": d, "annotations": 10, "skipped": 0} for d in ("2025-01-01", "2025-06-30")]
    page.click("#stats-refresh")
    wait_until(page, "document.querySelectorAll('#progress svg .bar').length === 26")
    doc["progress"] = [{"date": d, "annotations": 10, "skipped": 0} for d in ("2023-01-31", "2025-06-01")]
    page.click("#stats-refresh")
    wait_until(page, "document.querySelectorAll('#progress svg .bar').length === 30")
    assert page.errors == []
    context.close()

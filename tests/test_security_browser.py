"""Hostile content in a real browser: payloads in every task field, config attribute, project
title, user name, instructions and <Style> stay inert on every page that shows them. The test
fails if any script of theirs runs, if a payload's markup gets far enough for the Content-Security-
Policy to block a script, or if the browser makes any request to another origin. The API
reference works under the same policy."""

from __future__ import annotations

import pytest

from tests.test_browser import browser, page, wait_for, wait_for_task, wait_until  # noqa: F401 (fixtures)
from tests.test_media import PNG

pytestmark = pytest.mark.browser

OUTSIDE = "http://127.0.0.9:9"  # a server that is not ours: nothing may ever be fetched from it
RUN = "window.__pwned=(window.__pwned||0)+1"
PAYLOADS = [
    f"<script>{RUN}</script>",
    f'<img src=x onerror="{RUN}">',
    f'"><svg onload="{RUN}"></svg>',
    f"javascript:{RUN}",
    f'<a href="javascript:{RUN}">link</a>',
    f'<img src="{OUTSIDE}/img.png">',
    f'<iframe src="{OUTSIDE}/frame"></iframe>',
    "{{7*7}} ${7*7} <b>bold?</b>",
    f'[md link](javascript:{RUN}) ![remote]({OUTSIDE}/md.png) <details open ontoggle="{RUN}">x</details>',
]
HOSTILE = " ".join(PAYLOADS)


def _config(payload_attr: str) -> str:
    return f"""<View style="background: url({OUTSIDE}/view.png)">
  <Style>
    @import url({OUTSIDE}/style.css);
    .answer {{ background-image: url({OUTSIDE}/bg.png); }}
  </Style>
  <Header value="{payload_attr}"/>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2"
            selectionStyle="background: url({OUTSIDE}/sel.png)"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
  <Choices name="verdict" toName="prompt">
    <Choice value="{payload_attr}" hint="{payload_attr}"/>
  </Choices>
</View>"""


def _escape_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize("markdown", [False, True], ids=["plain", "markdown"])
def test_hostile_content_stays_inert_on_every_page(page, live_server, owner, markdown):  # noqa: F811
    api = page.context.request
    headers = {"Authorization": f"Token {owner.token}"}
    api.patch(f"{live_server.url}/api/users/{owner.id}", headers=headers, data={"first_name": HOSTILE})
    project = api.post(
        f"{live_server.url}/api/projects",
        headers=headers,
        data={
            "title": HOSTILE[:200],
            "description": HOSTILE,
            "label_config": _config(_escape_attr(PAYLOADS[1])),
            "expert_instruction": HOSTILE,
            "show_instruction": True,
            "render_markdown": markdown,
        },
    )
    assert project.ok, project.text()
    project_id = project.json()["id"]
    task = {"prompt": HOSTILE, "answer1": HOSTILE, "answer2": PAYLOADS[0], "extra": HOSTILE}
    imported = api.post(
        f"{live_server.url}/api/projects/{project_id}/import", headers=headers, data=[task, task]
    ).json()
    task_id = imported["task_ids"][0]
    api.post(
        f"{live_server.url}/api/tasks/{task_id}/annotations",
        headers=headers,
        data={
            "result": [
                {
                    "from_name": "verdict",
                    "to_name": "prompt",
                    "type": "choices",
                    "value": {"choices": [HOSTILE]},
                }
            ]
        },
    )

    outside, violations = [], []
    page.context.route(
        "**/*",
        lambda route: (
            (outside.append(route.request.url), route.abort())
            if not route.request.url.startswith(live_server.url)
            else route.continue_()
        ),
    )
    page.expose_binding("__reportViolation", lambda _source, v: violations.append(v))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "window.__reportViolation(e.violatedDirective + ' ' + e.blockedURI))"
    )
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    for path in (
        "/projects",
        f"/projects/{project_id}",
        f"/projects/{project_id}/label",
        f"/projects/{project_id}/tasks/{task_id}",
        f"/projects/{project_id}/settings",
        f"/projects/{project_id}/export",
        "/user/account",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if path.endswith("/label"):
            wait_until(page, "document.getElementById('stage').dataset.task !== undefined")
            page.keyboard.press("Escape")  # the instructions dialog
            page.keyboard.press("1")
            page.keyboard.press("d")
            shown = page.evaluate("document.getElementById('stage').shadowRoot.textContent")
            assert "window.__pwned" in shown  # the payloads are on screen, as text
        page.mouse.move(300, 300)
        assert page.evaluate("window.__pwned || 0") == 0, f"a payload ran on {path}"
    scripts = [v for v in violations if v.startswith("script-src")]
    assert scripts == [], f"payload markup reached the page (blocked only by the CSP): {scripts}"
    assert outside == [], f"requests to another origin: {outside}"
    assert dialogs == [] and page.errors == []
    # the detectors themselves work: an injected inline script is reported
    page.evaluate("document.body.append(Object.assign(document.createElement('script'), {text: '1'}))")
    wait_for(page, lambda: any(v.startswith("script-src") for v in violations), "the script-src report")


def test_api_reference_works_under_the_csp(page, live_server):  # noqa: F811
    outside, violations = [], []
    page.context.route(
        "**/*",
        lambda route: (
            (outside.append(route.request.url), route.abort())
            if not route.request.url.startswith(live_server.url)
            else route.continue_()
        ),
    )
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(f"{live_server.url}/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary", timeout=15000)
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/projects/{project_id}/next" in [s.replace("\u200b", "") for s in summaries]
    assert outside == [] and violations == [] and page.errors == []


IMAGE_PAIR = """<View>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="image1,image2"/>
  <Image name="image1" value="$image1"/>
  <Image name="image2" value="$image2"/>
</View>"""


def test_task_data_cannot_make_the_labeling_page_request_api_routes(page, live_server, owner, settings):  # noqa: F811
    """An <Image> whose address task data chose loads only from a media route (or a listed host
    that is not this server): no spelling of /api/projects/ID/next (which claims a task) is ever
    requested by the page's media, while an upload is."""
    api = page.context.request
    headers = {"Authorization": f"Token {owner.token}"}
    host = live_server.url.split("://", 1)[1]
    project = api.post(
        f"{live_server.url}/api/projects",
        headers=headers,
        data={"title": "images", "label_config": IMAGE_PAIR, "media_hosts": host},  # this server, listed
    ).json()["id"]
    upload = settings.data_dir / "upload" / str(project)
    upload.mkdir(parents=True)
    (upload / "a.png").write_bytes(PNG)
    claim = f"/api/projects/{project}/next"
    pairs = [
        (claim, f"/data/upload/{project}/a.png"),  # the second one loads: the detector works
        (f"/data/upload/../..{claim}", f"{live_server.url}{claim}"),
        (f"/data/upload/%2e%2e/%2E%2e{claim}", claim[1:]),  # encoded dots; relative to the page
        (f"/data/upload\\..\\..{claim}", f"//{host}{claim}"),
    ]
    tasks = [{"prompt": f"pair {i}", "image1": a, "image2": b} for i, (a, b) in enumerate(pairs)]
    ids = api.post(f"{live_server.url}/api/projects/{project}/import", headers=headers, data=tasks).json()[
        "task_ids"
    ]
    media = []
    page.on(
        "request",
        lambda r: media.append(r.url) if r.resource_type in ("image", "media") else None,
    )
    page.goto(f"{live_server.url}/projects/{project}/label")
    shown = wait_for_task(page)
    for _ in ids[1:]:
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        shown = wait_for_task(page, shown)
    drawn = "document.getElementById('stage').shadowRoot.querySelectorAll('.pf-media-blocked, img').length"
    wait_until(page, f"{drawn} === 2")  # the last pair is on screen
    page.wait_for_load_state("networkidle")
    assert f"{live_server.url}/data/upload/{project}/a.png" in media
    assert [u for u in media if "/api/" in u] == [], media
    assert page.evaluate(drawn.replace(".pf-media-blocked, img", ".pf-media-blocked")) == 2
    assert page.errors == []

"""Chats and media pairs on the labeling screen (issue 9): a conversation above two candidate last
turns, image / audio pairs from uploaded files, a local folder and a listed media host, HyperText
sanitized, media from hosts the project does not list never requested (and refused by the page's
Content-Security-Policy if something tried), per-answer ratings with keys. Screenshots at
1366x768 land in test-artifacts/."""

from __future__ import annotations

import io
import math
import struct
import threading
import wave
import zlib
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from preflab.gallery import template
from tests import test_browser as base
from tests.test_browser import stage_text, wait_for, wait_for_task, wait_saved, wait_until
from tests.test_browser_layout import ROOT, answer_boxes, assert_fits, shot

browser, page = base.browser, base.page  # the fixtures

pytestmark = pytest.mark.browser


def png(width: int, height: int, color: tuple[int, int, int], stripe: tuple[int, int, int]) -> bytes:
    """A PNG picture: a colour with diagonal stripes (something to see on a screenshot)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend(stripe if (x + y) // 24 % 3 == 0 else color)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows)))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float, pitch: float) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        frames = int(8000 * seconds)
        w.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / 8000))) for i in range(frames)
            )
        )
    return out.getvalue()


class MediaHost:
    """A second web server (another origin) serving files, with a log of what was asked of it."""

    def __init__(self, folder):
        self.requests: list[str] = []
        log = self.requests

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(folder), **kwargs)

            def do_GET(self):
                log.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.url = f"http://{self.host}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def media_root(tmp_path):
    root = tmp_path / "media"
    (root / "clips").mkdir(parents=True)
    # long enough that no clip ends while the test toggles them, however slow the machine
    (root / "clips" / "low.wav").write_bytes(wav(20, 220))
    (root / "clips" / "high.wav").write_bytes(wav(20, 660))
    (root / "local.png").write_bytes(png(360, 240, (46, 139, 87), (255, 255, 255)))
    return root


@pytest.fixture
def settings(settings, media_root):
    """The test settings, with a local media folder served at /data/local-files/."""
    return settings.model_copy(
        update={"local_files_serving_enabled": True, "local_files_document_root": media_root}
    )


@pytest.fixture
def listed(tmp_path):
    folder = tmp_path / "listed"
    folder.mkdir()
    (folder / "remote.png").write_bytes(png(480, 320, (26, 115, 232), (255, 214, 0)))
    server = MediaHost(folder)
    yield server
    server.close()


@pytest.fixture
def unlisted(tmp_path):
    folder = tmp_path / "unlisted"
    folder.mkdir()
    (folder / "tracker.png").write_bytes(png(8, 8, (255, 0, 0), (0, 0, 0)))
    server = MediaHost(folder)
    yield server
    server.close()


def new_project(api, config, **fields):
    r = api.post("/api/projects", json={"title": "media", "label_config": config, **fields})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def count(page, selector):
    return page.evaluate(f"{ROOT}.querySelectorAll({selector!r}).length")


def outside_requests(requests, live_server):
    return [u for u in requests if not u.startswith(live_server.url) and not u.startswith("data:")]


CHAT = """<View>
  <Chat name="chat" value="$messages"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
</View>"""

HH = """<View>
  <Header value="Which conversation ends better?"/>
  <Paragraphs name="chosen" value="$chosen" nameKey="author" textKey="text"/>
  <Paragraphs name="rejected" value="$rejected" nameKey="author" textKey="text"/>
  <Pairwise name="comparison" toName="chosen,rejected"/>
</View>"""


def test_a_chat_above_two_candidate_last_turns(page, live_server, api):
    pid = new_project(api, CHAT, render_markdown=True)
    turns = []
    for i in range(6):
        turns.append({"role": "user", "content": f"Question {i}: how do I read a **CSV** file in Python?"})
        turns.append({"role": "assistant", "content": f"Answer {i}: use the `csv` module."})
    messages = [{"role": "system", "content": "You are a concise assistant."}, *turns]
    messages.append({"role": "user", "content": "And with *pandas*?"})
    api.post(
        f"/api/projects/{pid}/import",
        json=[
            {
                "messages": messages,
                "answer1": {
                    "role": "assistant",
                    "content": "```python\nimport pandas as pd\ndf = pd.read_csv('data.csv')\n```",
                },
                "answer2": "Use `pd.read_excel`.",
            }
        ],
    )
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    tid = wait_for_task(page)
    assert count(page, ".pf-chat .pf-msg") == len(messages)
    roles = page.evaluate(f"[...{ROOT}.querySelectorAll('.pf-chat .pf-author')].map(a => a.textContent)")
    assert roles[:3] == ["system", "user", "assistant"]
    assert count(page, ".pf-chat strong") == 6 and count(page, ".pf-chat em") == 1  # Markdown in messages
    assert count(page, ".pf-answer pre > code") == 1  # the answer object's content, as Markdown
    chat = page.evaluate(
        f"(() => {{ const r = {ROOT}.querySelector('.pf-chat').getBoundingClientRect(); return [r.bottom, r.height]; }})()"
    )
    left, right = answer_boxes(page)
    assert chat[0] <= left["top"] and abs(left["top"] - right["top"]) < 2 and right["left"] > left["right"]
    # the conversation scrolls on its own and shows its last turns first
    wait_until(page, f"{ROOT}.querySelector('.pf-chat').scrollTop > 0")
    assert_fits(page)
    shot(page, "labeling-chat-pair")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not([hidden])")
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    assert annotation["result"][0]["value"] == {"selected": "right"}
    assert not outside_requests(requests, live_server)
    assert page.errors == []


def test_two_dialogues_share_their_beginning_once(page, live_server, api):
    pid = new_project(api, HH)
    start = [
        {"author": "Human", "text": "What is a good way to learn to cook?"},
        {"author": "Assistant", "text": "Start with five simple recipes and repeat them."},
        {"author": "Human", "text": "Which ones?"},
    ]
    api.post(
        f"/api/projects/{pid}/import",
        json=[
            {
                "chosen": [
                    *start,
                    {"author": "Assistant", "text": "Omelette, pasta, rice, soup, roast vegetables."},
                ],
                "rejected": [*start, {"author": "Assistant", "text": "Just order takeaway."}],
            }
        ],
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    tid = wait_for_task(page)
    assert count(page, ".pf-context .pf-msg") == 3  # drawn once, above the pair
    assert count(page, ".pf-answer .pf-msg") == 2
    assert page.evaluate(f"{ROOT}.querySelectorAll('.pf-answer')[1].textContent").endswith(
        "Just order takeaway."
    )
    assert stage_text(page).count("Which ones?") == 1
    assert_fits(page)
    shot(page, "labeling-dialogue-pair")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not([hidden])")
    wait_saved(page)
    assert api.get(f"/api/tasks/{tid}/annotations").json()[0]["result"][0]["value"] == {"selected": "left"}


IMAGES = """<View>
  <Header value="Which picture matches the prompt better?"/>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="image1,image2"/>
  <Image name="image1" value="$image1"/>
  <Image name="image2" value="$image2"/>
</View>"""


def test_an_image_pair_from_uploads_a_local_folder_and_a_listed_host(
    page, live_server, api, settings, listed
):
    upload = settings.data_dir / "upload" / "1"
    upload.mkdir(parents=True)
    (upload / "a.png").write_bytes(png(640, 900, (197, 34, 31), (255, 255, 255)))  # taller than the box
    pid = new_project(api, IMAGES, media_hosts=listed.host)
    ids = api.post(
        f"/api/projects/{pid}/import",
        json=[
            {
                "prompt": "A red poster, striped",
                "image1": "/data/upload/1/a.png",
                "image2": f"{listed.url}/remote.png",
            },
            {
                "prompt": "Green or missing",
                "image1": "/data/local-files/?d=local.png",
                "image2": "/data/upload/1/none.png",
            },
        ],
    ).json()["task_ids"]
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    assert wait_for_task(page) == ids[0]
    loaded = f"[...{ROOT}.querySelectorAll('img')].map(i => i.complete && i.naturalWidth)"
    wait_until(page, f"{loaded}.every(Boolean) && {loaded}.length === 2")
    assert page.evaluate(loaded) == [640, 480]
    assert listed.requests == ["/remote.png"]
    left, right = answer_boxes(page)
    assert abs(left["top"] - right["top"]) < 2 and right["left"] > left["right"]
    # each picture fits its box whole
    for i, box in enumerate((left, right)):
        img = page.evaluate(
            f"(() => {{ const r = {ROOT}.querySelectorAll('img')[{i}].getBoundingClientRect(); return [r.top, r.bottom]; }})()"
        )
        assert img[0] >= box["top"] - 1 and img[1] <= box["bottom"] + 1
    assert_fits(page)
    shot(page, "labeling-image-pair")
    page.keyboard.press("2")
    assert page.inner_text("#pick-state") == "Picked: answer 2"
    page.keyboard.press("Enter")
    assert wait_for_task(page, ids[0]) == ids[1]
    wait_until(page, f"{ROOT}.querySelector('img')?.naturalWidth === 360")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not([hidden])")
    wait_saved(page)
    assert api.get(f"/api/tasks/{ids[0]}/annotations").json()[0]["result"][0]["value"] == {
        "selected": "right"
    }
    assert page.errors == []


AUDIO = """<View>
  <Header value="Which voice sounds more natural?"/>
  <Text name="text" value="$text"/>
  <Pairwise name="comparison" toName="audio1,audio2"/>
  <Audio name="audio1" value="$audio1"/>
  <Audio name="audio2" value="$audio2"/>
</View>"""


def test_an_audio_pair_plays_with_q_and_w(page, live_server, api):
    pid = new_project(api, AUDIO)
    [tid] = api.post(
        f"/api/projects/{pid}/import",
        json=[
            {
                "text": "The quick brown fox jumps over the lazy dog.",
                "audio1": "/data/local-files/?d=clips/low.wav",
                "audio2": "/data/local-files/?d=clips/high.wav",
            }
        ],
    ).json()["task_ids"]
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    clips = f"[...{ROOT}.querySelectorAll('audio')]"
    wait_until(page, f"{clips}.length === 2 && {clips}.every(a => a.readyState >= 1)")
    assert page.evaluate(f"{clips}.map(a => Math.round(a.duration))") == [20, 20]
    assert page.is_visible("#media-keys")
    hints = page.evaluate(f"[...{ROOT}.querySelectorAll('.pf-audio-key kbd')].map(k => k.textContent)")
    assert hints == ["Q", "W"]
    page.keyboard.press("q")
    wait_until(page, f"{clips}.map(a => a.paused).join() === 'false,true'", timeout=20)
    page.keyboard.press("w")  # the other side plays, the first pauses
    wait_until(page, f"{clips}.map(a => a.paused).join() === 'true,false'", timeout=20)
    page.keyboard.press("w")
    wait_until(page, f"{clips}.every(a => a.paused)", timeout=20)
    assert page.inner_text("#pick-state").startswith("No answer picked")  # playing is not picking
    # clicking the player is not a pick either
    box = page.evaluate(
        f"(() => {{ const r = {ROOT}.querySelector('audio').getBoundingClientRect(); return [r.left + 20, r.top + r.height / 2]; }})()"
    )
    page.mouse.click(*box)
    assert page.inner_text("#pick-state").startswith("No answer picked")
    page.evaluate(f"{clips}.forEach(a => a.pause())")
    assert_fits(page)
    shot(page, "labeling-audio-pair")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not([hidden])")
    wait_saved(page)
    assert api.get(f"/api/tasks/{tid}/annotations").json()[0]["result"][0]["value"] == {"selected": "left"}
    assert page.errors == []


HYPERTEXT = """<View>
  <Pairwise name="comparison" toName="page1,page2"/>
  <HyperText name="page1" value="$page1"/>
  <HyperText name="page2" value="$page2"/>
</View>"""


def test_hostile_hypertext_runs_nothing_and_fetches_nothing(page, live_server, api, unlisted):
    hostile = "".join(
        [
            "<h2>Offer</h2><p>Some <b>bold</b> and <i>italic</i> text.</p>",
            "<script>window.pwned = 1</script>",
            f'<img src="{unlisted.url}/tracker.png" onerror="window.pwned = 2" alt="tracker">',
            '<img src="x" onerror="window.pwned = 3">',
            '<a href="javascript:window.pwned = 4">click me</a> <a href="https://example.org/">safe</a>',
            f'<iframe src="{unlisted.url}/frame"></iframe><object data="{unlisted.url}/o"></object>',
            f'<style>@import url("{unlisted.url}/css"); * {{ color: red }}</style>',
            '<p style="background: url(http://192.0.2.1/bg.png)">styled</p>',
            '<svg onload="window.pwned = 5"><circle r="4"/></svg>',
            '<form action="http://192.0.2.1/"><input name="q" value="steal"><button>Go</button></form>',
            '<div onclick="window.pwned = 6" id="clicky">click the div</div>',
            "<table><tr><th>plan</th><td>$5</td></tr></table>",
        ]
    )
    pid = new_project(api, HYPERTEXT)
    api.post(
        f"/api/projects/{pid}/import", json=[{"page1": hostile, "page2": "<p>A <em>plain</em> page.</p>"}]
    )
    requests = []
    violations = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    wait_for_task(page)
    wait_until(page, f"{ROOT}.querySelectorAll('.pf-html b').length === 1")
    for selector in (
        "script",
        "iframe",
        "object",
        "style",
        "svg",
        "form",
        "input",
        "img",
        "[onerror]",
        "[onclick]",
        "[style]",
        "a[href^=javascript]",
    ):
        assert count(page, f".pf-html {selector}") == 0, selector
    assert count(page, ".pf-html table td") == 1 and count(page, ".pf-html h2") == 1
    links = page.evaluate(
        f"[...{ROOT}.querySelectorAll('.pf-html a')].map(a => [a.getAttribute('href'), a.target, a.rel])"
    )
    assert ["https://example.org/", "_blank", "noopener noreferrer nofollow"] in links
    assert "[image: tracker]" in stage_text(page)
    # a click runs nothing: the elements clicked kept neither a handler nor a javascript: address
    clicked = page.evaluate(
        f"""[...{ROOT}.querySelectorAll('.pf-html a, .pf-html div')].filter(a => a.textContent.includes('click'))
            .map(a => (a.click(), [a.getAttribute('href'), a.getAttribute('onclick')]))"""
    )
    assert clicked and all(href is None and handler is None for href, handler in clicked), clicked
    assert page.evaluate("window.pwned") is None
    assert unlisted.requests == []
    assert not outside_requests(requests, live_server)
    # nothing tried to load: the only reports are the sanitizer's own inert parse meeting the
    # inline handlers and styles (blocked, and removed before anything is shown)
    assert all("Executing inline event handler" in v or "Applying inline style" in v for v in violations)
    assert_fits(page)
    shot(page, "labeling-hypertext-hostile")
    page.keyboard.press("2")
    assert page.inner_text("#pick-state") == "Picked: answer 2"
    assert page.errors == []


def test_a_media_host_not_in_the_list_is_never_loaded(page, live_server, api, listed, unlisted):
    pid = new_project(api, IMAGES, media_hosts=listed.host, render_markdown=True)
    api.post(
        f"/api/projects/{pid}/import",
        json=[
            {
                "prompt": f"![pixel]({unlisted.url}/tracker.png) and ![ok]({listed.url}/remote.png)",
                "image1": f"{listed.url}/remote.png",
                "image2": f"{unlisted.url}/tracker.png",
            }
        ],
    )
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    response = page.goto(f"{live_server.url}/projects/{pid}/label")
    policy = response.headers["content-security-policy"]
    assert f"http://{listed.host}" in policy and unlisted.host not in policy
    wait_for_task(page)
    wait_until(page, f"[...{ROOT}.querySelectorAll('img')].every(i => i.complete)")
    text = stage_text(page)
    assert f"Image not loaded: {unlisted.host} is not one of this project's media hosts." in text
    assert "[image: pixel]" in text  # in Markdown too
    assert count(page, "img") == 2  # the listed host's picture, in the answer and in the prompt
    # and if something did try, the page's policy refuses it: nothing reaches the other host
    page.evaluate(
        f"""(() => {{ const img = document.createElement('img'); img.src = '{unlisted.url}/tracker.png?forced';
            {ROOT}.append(img); const a = new Audio('{unlisted.url}/tracker.png?audio'); a.load(); }})()"""
    )

    # the browser reports both refusals: the requests were stopped before they were sent
    def refused():
        return all(any(f"tracker.png?{tag}" in v for v in violations) for tag in ("forced", "audio"))

    wait_for(page, refused, "the CSP refusals of both requests")
    assert unlisted.requests == []
    assert set(listed.requests) == {"/remote.png"}
    assert len(violations) >= 2 and all(unlisted.host in v for v in violations)
    shot(page, "labeling-media-host-refused")


def test_fine_grained_ratings_keep_their_keys_on_their_side(page, live_server, api):
    config = template("fine-grained-feedback").config
    pid = new_project(api, config, render_markdown=True)
    api.post(
        f"/api/projects/{pid}/import",
        json=[
            {
                "prompt": "How do I get my deposit back?",
                "answer1": "Write a **demand letter**, then go to small claims.\n\n" * 8,
                "answer2": "Stop paying rent.",
            }
        ],
    )
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{pid}/label")
    tid = wait_for_task(page)
    keys = page.evaluate(f"[...{ROOT}.querySelectorAll('.pf-rating .pf-key')].map(k => k.textContent)")
    assert keys == ["z", "x", "c", "b", "n", "m"]
    for key in (
        "z",
        "z",
        "z",
        "z",
        "x",
        "x",
        "x",
        "x",
        "x",
        "c",
        "c",
        "c",
        "c",
        "c",
        "Shift+C",
        "b",
        "n",
        "n",
        "m",
    ):
        page.keyboard.press(key)
    page.keyboard.press("1")
    stars = f"[...{ROOT}.querySelectorAll('.pf-rating')].map(r => r.querySelectorAll('[aria-pressed=true]').length)"
    assert page.evaluate(stars) == [4, 5, 4, 1, 2, 1]
    assert_fits(page)
    shot(page, "labeling-fine-grained")
    page.keyboard.press("Enter")
    page.wait_for_selector("#done:not([hidden])")
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{tid}/annotations").json()
    got = {r["from_name"]: r["value"] for r in annotation["result"]}
    assert got == {
        "comparison": {"selected": "left"},
        "helpfulness_1": {"rating": 4},
        "honesty_1": {"rating": 5},
        "harmlessness_1": {"rating": 4},
        "helpfulness_2": {"rating": 1},
        "honesty_2": {"rating": 2},
        "harmlessness_2": {"rating": 1},
    }
    # shown the other way round, the left-hand keys rate the answer on the left
    api.patch(f"/api/projects/{pid}", json={"randomize_order": True})
    ids = api.post(
        f"/api/projects/{pid}/import",
        json=[{"prompt": f"q{i}", "answer1": f"first {i}", "answer2": f"second {i}"} for i in range(8)],
    ).json()["task_ids"]
    page.reload()
    task = wait_for_task(page)
    while page.evaluate(f"{ROOT}.querySelectorAll('.pf-answer')[0].textContent").startswith("first"):
        page.keyboard.press("s")
        task = wait_for_task(page, task)
        assert task in ids
    keys = page.evaluate(
        f"[...{ROOT}.querySelectorAll('.pf-answer')[0].querySelectorAll('.pf-key')].map(k => k.textContent)"
    )
    assert keys == ["z", "x", "c"]
    page.keyboard.press("z")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    wait_for_task(page, task)
    wait_saved(page)
    [annotation] = api.get(f"/api/tasks/{task}/annotations").json()
    got = {r["from_name"]: r["value"] for r in annotation["result"]}
    assert got == {"comparison": {"selected": "left"}, "helpfulness_2": {"rating": 1}}
    assert page.errors == []

"""Time from pressing the submit key to the next task being on screen, in a real browser.

    .venv/bin/python benchmarks/labeling_browser.py [--tasks 100000] [--rounds 100]

Debian's chromium (Playwright) labels --rounds tasks with the keyboard (1, then Enter) on a
project of --tasks seed-format tasks; the page measures keydown(Enter) -> next task rendered
(the frame after it is put on screen).
"""

from __future__ import annotations

import argparse
import statistics
import time

import orjson
from _server import Server, seed_rows
from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROBE = """() => {
  window.__latencies = [];
  let pressed = 0;
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter') pressed = performance.now(); }, true);
  document.addEventListener('preflab:shown', () => {
    if (!pressed) return;
    const start = pressed;
    pressed = 0;
    requestAnimationFrame(() => window.__latencies.push(performance.now() - start));
  });
}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    with Server() as server:
        path = server.dir / "dataset.json"
        path.write_bytes(orjson.dumps(seed_rows(args.tasks)))
        server.cli("import", str(server.project), str(path))
        server.cli(
            "user", "create", "labeler@example.com", "--password", "labeler-password", "--role", "annotator"
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server.url}/user/login")
            page.fill("input[name=email]", "labeler@example.com")
            page.fill("input[name=password]", "labeler-password")
            page.click("button[type=submit]")
            page.wait_for_url("**/projects")
            page.goto(f"{server.url}/projects/{server.project}/label")
            page.wait_for_selector("#stage[data-task]")
            page.evaluate(PROBE)
            for i in range(args.rounds):
                page.keyboard.press("1")
                page.keyboard.press("Enter")
                deadline = time.monotonic() + 10
                while page.evaluate("window.__latencies.length") <= i:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the next task did not appear")
                    time.sleep(0.005)
            latencies = page.evaluate("window.__latencies")
            while page.inner_text("#sync") != "All saved":
                time.sleep(0.05)
            browser.close()
    latencies.sort()
    print(f"{args.tasks} tasks, {args.rounds} submits in Debian chromium")
    print(
        f"submit key -> next task shown: median {statistics.median(latencies):.1f} ms, "
        f"p90 {latencies[int(0.9 * (len(latencies) - 1))]:.1f} ms, max {latencies[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()

"""The load benchmark's short form: labelers doing next -> submit while a manager imports and
exports, for a few seconds. No figures are asserted (benchmarks/load.py prints them); what must
hold under load is: no error, nothing lost, nothing duplicated, no task over its overlap."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from tests.conftest import PAIRWISE, seed_tasks

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import load  # benchmarks/load.py


def test_labelers_under_load_lose_nothing(live_server, owner):
    headers = owner.headers
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=60) as http:
        project = http.post("/api/projects", json={"title": "load", "label_config": PAIRWISE}).json()["id"]
        http.patch(f"/api/projects/{project}", json={"maximum_annotations": 3})
        http.post(f"/api/projects/{project}/import", json=seed_tasks(300))
    tokens = load.make_labelers(live_server.url, headers, 10, "load")
    tally = asyncio.run(load.run_load(live_server.url, headers, project, tokens, seconds=3))
    assert tally.errors == []
    assert tally.acknowledged > 20 and tally.manager_rounds >= 1
    assert load.annotations_on_server(live_server.url, headers, project) == tally.acknowledged
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=60) as http:
        listing = http.get(f"/api/tasks?project={project}&page_size=100000").json()["tasks"]
    assert max(t["total_annotations"] for t in listing) <= 3
    assert sum(t["total_annotations"] for t in listing) == tally.acknowledged

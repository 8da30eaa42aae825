"""Latency of the labeling loop (next task, then submit) on a large project.

    .venv/bin/python benchmarks/labeling_latency.py [--tasks 100000] [--requests 400] [--runs 3]

Each labeler repeats: GET /api/projects/{id}/next, then POST the annotation. Runs with 1 and
with 16 concurrent labelers (asyncio clients in this process; the server in its own), and prints
p50 and p99 per endpoint, the medians over the runs. Each labeler's first round (connecting,
all at the same instant) is not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

import httpx
import orjson
from _server import Server, median, seed_rows

RESULT = [
    {"from_name": "comparison", "to_name": "comparison", "type": "pairwise", "value": {"selected": "left"}}
]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def labeler(url: str, token: str, project: int, count: int, next_times: list, submit_times: list):
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Token {token}"}, timeout=60
    ) as http:
        # Open the connection and do one untimed round first: the steady state is measured, not the
        # burst of every labeler connecting at the same instant.
        await http.get("/api/version")
        for i in range(count + 1):
            t0 = time.perf_counter()
            r = await http.get(f"/api/projects/{project}/next")
            t1 = time.perf_counter()
            r.raise_for_status()
            r = await http.post(
                f"/api/tasks/{r.json()['id']}/annotations", json={"result": RESULT, "lead_time": 3.0}
            )
            t2 = time.perf_counter()
            r.raise_for_status()
            if i:
                next_times.append(t1 - t0)
                submit_times.append(t2 - t1)


async def measure(server: Server, tokens: list[str], total: int) -> tuple[list, list]:
    next_times, submit_times = [], []
    per = max(1, total // len(tokens))
    await asyncio.gather(
        *(labeler(server.url, t, server.project, per, next_times, submit_times) for t in tokens)
    )
    return next_times, submit_times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="labeling rounds per measurement")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--sqlite-synchronous", choices=["FULL", "NORMAL"], default="FULL")
    args = parser.parse_args()
    os.environ["PREFLAB_SQLITE_SYNCHRONOUS"] = args.sqlite_synchronous
    with Server(args.database_url) as server:
        path = server.dir / "dataset.json"
        path.write_bytes(orjson.dumps(seed_rows(args.tasks)))
        server.cli("import", str(server.project), str(path))
        tokens = []
        for i in range(16):
            r = httpx.post(
                f"{server.url}/api/users", headers=server.headers, json={"email": f"l{i}@example.com"}
            )
            tokens.append(r.json()["token"])
        asyncio.run(measure(server, tokens[:1], 20))  # warm up
        print(
            f"{args.tasks} tasks, {args.requests} next+submit rounds per run, median of {args.runs} runs, "
            f"{'PostgreSQL' if args.database_url else f'SQLite synchronous={args.sqlite_synchronous}'}"
        )
        for clients in (1, 16):
            stats = {"next": {"p50": [], "p99": []}, "submit": {"p50": [], "p99": []}}
            for _ in range(args.runs):
                nexts, submits = asyncio.run(measure(server, tokens[:clients], args.requests))
                for name, values in (("next", nexts), ("submit", submits)):
                    stats[name]["p50"].append(percentile(values, 50))
                    stats[name]["p99"].append(percentile(values, 99))
            for name in ("next", "submit"):
                p50, p99 = median(stats[name]["p50"]) * 1000, median(stats[name]["p99"]) * 1000
                print(f"{clients:>2} labelers  {name:<6}  p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")


if __name__ == "__main__":
    main()

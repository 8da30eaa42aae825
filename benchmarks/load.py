"""Load: many labelers doing next -> submit while a manager imports and exports, against this
machine's floor (a do-nothing endpoint at the same concurrency, measured in the same run).

    .venv/bin/python benchmarks/load.py [--labelers 10 50 200] [--seconds 20] [--database-url URL]
                                        [--workers N]

For each number of labelers: throughput (rounds per second), p50 / p99 of next and of submit,
errors, and the check that nothing was lost or duplicated (the server's annotation count equals
the acknowledged submits, every submit carrying its own unique_id); then the floor, GET
/api/version with as many clients, and the ratio of the labeling p99 to the floor's p99.
Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass, field

import httpx
import orjson
from _server import Server, seed_rows

RESULT = [
    {"from_name": "comparison", "to_name": "comparison", "type": "pairwise", "value": {"selected": "left"}}
]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


@dataclass
class Tally:
    next: list[float] = field(default_factory=list)
    submit: list[float] = field(default_factory=list)
    acknowledged: int = 0
    errors: list[str] = field(default_factory=list)
    manager_rounds: int = 0


async def labeler(url: str, token: str, project: int, until: float, tally: Tally) -> None:
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Token {token}"}, timeout=120, limits=limits
    ) as http:
        await http.get("/api/version")  # connect before the clock starts counting
        while time.monotonic() < until:
            t0 = time.perf_counter()
            offered = await http.get(f"/api/projects/{project}/next")
            t1 = time.perf_counter()
            if offered.status_code != 200:
                tally.errors.append(f"next {offered.status_code} {offered.text[:100]}")
                return
            body = {"result": RESULT, "lead_time": 2.0, "unique_id": str(uuid.uuid4())}
            r = await http.post(f"/api/tasks/{offered.json()['id']}/annotations", json=body)
            t2 = time.perf_counter()
            if r.status_code != 201:
                tally.errors.append(f"submit {r.status_code} {r.text[:100]}")
                continue
            tally.acknowledged += 1
            tally.next.append(t1 - t0)
            tally.submit.append(t2 - t1)


async def manager(url: str, headers: dict, project: int, until: float, tally: Tally) -> None:
    """Imports a batch and exports the project, again and again, while the labelers work."""
    batch = orjson.dumps(seed_rows(200, seed=7))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
        while time.monotonic() < until:
            r = await http.post(
                f"/api/projects/{project}/import", content=batch, headers={"Content-Type": "application/json"}
            )
            if r.status_code != 201:
                tally.errors.append(f"import {r.status_code}")
            async with http.stream("GET", f"/api/projects/{project}/export?exportType=JSON") as export:
                async for _ in export.aiter_bytes():
                    pass
                if export.status_code != 200:
                    tally.errors.append(f"export {export.status_code}")
            tally.manager_rounds += 1
            await asyncio.sleep(0.5)


async def floor(url: str, clients: int, seconds: float) -> list[float]:
    """Latencies of a do-nothing endpoint with as many concurrent clients."""
    times: list[float] = []
    until = time.monotonic() + seconds

    async def one():
        async with httpx.AsyncClient(
            base_url=url, timeout=120, limits=httpx.Limits(max_connections=1)
        ) as http:
            await http.get("/api/version")
            while time.monotonic() < until:
                t0 = time.perf_counter()
                await http.get("/api/version")
                times.append(time.perf_counter() - t0)

    await asyncio.gather(*(one() for _ in range(clients)))
    return times


async def run_load(
    server_url: str, headers: dict, project: int, tokens: list[str], seconds: float, with_manager: bool = True
) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    await asyncio.gather(
        *([manager(server_url, headers, project, until, tally)] if with_manager else []),
        *(labeler(server_url, token, project, until, tally) for token in tokens),
    )
    return tally


def annotations_on_server(url: str, headers: dict, project: int) -> int:
    return httpx.get(f"{url}/api/projects/{project}", headers=headers, timeout=60).json()[
        "total_annotations_number"
    ]


def make_labelers(url: str, headers: dict, n: int, prefix: str) -> list[str]:
    tokens = []
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        for i in range(n):
            tokens.append(http.post("/api/users", json={"email": f"{prefix}{i}@example.com"}).json()["token"])
    return tokens


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labelers", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (preflab serve --workers)")
    parser.add_argument(
        "--no-manager", action="store_true", help="labelers only, no import/export beside them"
    )
    args = parser.parse_args()
    with Server(args.database_url, serve_args=("--workers", str(args.workers))) as server:
        path = server.dir / "dataset.json"
        path.write_bytes(orjson.dumps(seed_rows(args.tasks)))
        server.cli("import", str(server.project), str(path))
        engine = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{engine}, {args.workers} server process(es), {args.tasks} tasks, {args.seconds:g} s per step")
        print(
            f"{'labelers':>8} {'rounds/s':>9} {'next p50':>9} {'next p99':>9} {'submit p50':>11} "
            f"{'submit p99':>11} {'floor p50':>10} {'floor p99':>10} {'p99/floor':>9} {'errors':>6} {'lost':>5}"
        )
        for n in args.labelers:
            tokens = make_labelers(server.url, server.headers, n, f"n{n}-")
            before = annotations_on_server(server.url, server.headers, server.project)
            tally = asyncio.run(
                run_load(
                    server.url, server.headers, server.project, tokens, args.seconds, not args.no_manager
                )
            )
            stored = annotations_on_server(server.url, server.headers, server.project) - before
            base = asyncio.run(floor(server.url, n, min(args.seconds, 10)))
            worst = max(percentile(tally.next, 99), percentile(tally.submit, 99))
            ms = lambda v: f"{v * 1000:8.1f}ms"  # noqa: E731
            print(
                f"{n:>8} {tally.acknowledged / args.seconds:>9.1f} {ms(percentile(tally.next, 50))} "
                f"{ms(percentile(tally.next, 99))} {ms(percentile(tally.submit, 50)):>11} "
                f"{ms(percentile(tally.submit, 99)):>11} {ms(percentile(base, 50)):>10} {ms(percentile(base, 99)):>10} "
                f"{worst / percentile(base, 99):>9.2f} {len(tally.errors):>6} {stored - tally.acknowledged:>5}"
            )
            if tally.errors:
                print("   first errors:", tally.errors[:3])
            print(f"   manager: {tally.manager_rounds} import+export rounds during the step")


if __name__ == "__main__":
    main()

"""Candidate generation throughput against an endpoint with a fixed latency: is the concurrency used?

An OpenAI-compatible stub (preflab/generate/stub.py) runs in its own process and answers every
request after a fixed latency (default 50 ms). For each concurrency level, 1,000 prompts x 2
answers go through

- **ideal**: concurrency / latency requests per second (what a perfect client would get);
- **raw**: a bare ``asyncio`` loop over the async ``openai`` client under a semaphore, no
  bookkeeping (the floor preflab is measured against);
- **preflab**: ``preflab.generate.generate`` (journal, slot assignment, seeds, identical check,
  retries), the path ``preflab generate`` takes.

It prints requests/s, the share of the ideal, and the stub's maximum requests in flight (which must
equal the concurrency and never exceed it).

    .venv/bin/python benchmarks/generate_throughput.py
    .venv/bin/python benchmarks/generate_throughput.py --prompts 1000 --latency 0.05 --concurrency 4 16 64
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from preflab.generate import GenerateConfig, Journal, generate
from preflab.generate.prompts import Prompt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_stub(latency: float) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "preflab.generate.stub", "--port", str(port), "--latency", str(latency)],
        cwd=Path(__file__).resolve().parent.parent,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/stub/stats", timeout=1)
            return proc, base
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the stub did not start")


def stub_stats(base: str, reset: bool = False) -> dict:
    return (httpx.delete if reset else httpx.get)(f"{base}/stub/stats", timeout=5).json()


async def raw(base: str, prompts: list[str], candidates: int, concurrency: int) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=f"{base}/v1", api_key="sk-test", max_retries=0)
    slots = asyncio.Semaphore(concurrency)

    async def one(prompt: str, slot: int) -> str:
        async with slots:
            r = await client.chat.completions.create(
                model="stub-a", messages=[{"role": "user", "content": prompt}], seed=slot
            )
            return r.choices[0].message.content

    await asyncio.gather(*(one(p, s) for p in prompts for s in range(candidates)))
    await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--candidates", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05, help="Seconds the stub takes per request.")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    args = parser.parse_args()
    texts = [f"benchmark prompt number {i}" for i in range(args.prompts)]
    prompts = [Prompt(f"line {i}", [{"role": "user", "content": t}], t) for i, t in enumerate(texts)]
    requests = args.prompts * args.candidates
    proc, base = start_stub(args.latency)
    print(f"{args.prompts} prompts x {args.candidates} answers = {requests} requests, stub latency "
          f"{args.latency * 1000:.0f} ms, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'concurrency':>11} {'ideal req/s':>12} {'raw req/s':>10} {'preflab req/s':>14} "
          f"{'preflab/ideal':>14} {'preflab/raw':>12} {'max in flight':>14}")  # fmt: skip
    try:
        for c in args.concurrency:
            ideal = c / args.latency
            stub_stats(base, reset=True)
            started = time.perf_counter()
            asyncio.run(raw(base, texts, args.candidates, c))
            raw_rate = requests / (time.perf_counter() - started)
            stub_stats(base, reset=True)
            config = GenerateConfig(models=["stub-a"], candidates=args.candidates, seed=0, concurrency=c,
                                    base_url=f"{base}/v1", api_key="sk-test")  # fmt: skip
            with tempfile.TemporaryDirectory() as tmp:
                journal = Journal(Path(tmp) / "journal.jsonl")
                outcome = generate(prompts, config, journal)
                journal.close()
            stats = stub_stats(base)
            assert outcome.summary.generated == args.prompts, outcome.summary
            rate = stats["requests"] / outcome.summary.seconds
            print(f"{c:>11} {ideal:>12,.0f} {raw_rate:>10,.0f} {rate:>14,.0f} {rate / ideal:>14.0%} "
                  f"{rate / raw_rate:>12.0%} {stats['max_in_flight']:>14}")  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()

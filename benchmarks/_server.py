"""Helpers for the benchmarks: a preflab server in its own process, and its memory."""

from __future__ import annotations

import os
import random
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TOKEN = "b" * 40


def seed_rows(n: int, seed: int = 0) -> list[dict]:
    """Seed-format tasks: a ~150-character prompt and two ~400-character answers."""
    rng = random.Random(seed)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(2000)]

    def text(chars: int) -> str:
        out, size = [], 0
        while size < chars:
            word = rng.choice(words)
            out.append(word)
            size += len(word) + 1
        return " ".join(out)[:chars]

    return [{"prompt": text(150), "answer1": text(400), "answer2": text(400)} for _ in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`preflab serve` on a fresh data folder, with an owner whose token is TOKEN and one
    project with the seed's config."""

    def __init__(self, database_url: str | None = None, serve_args: tuple[str, ...] = ()):
        self.serve_args = serve_args
        self.dir = Path(tempfile.mkdtemp(prefix="preflab-bench-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PREFLAB_DATA_DIR": str(self.dir)}
        if database_url:
            self.env["PREFLAB_DATABASE_URL"] = database_url
        self.headers = {"Authorization": f"Token {TOKEN}"}

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "preflab", *args], env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def __enter__(self):
        self.cli("init")
        self.cli("user", "create", "bench@example.com", "--role", "owner", "--token", TOKEN)
        self.project = int(self.cli("project", "create", "bench").strip())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "preflab", "serve", "--port", str(self.port), *self.serve_args],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: worker processes end with it
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/health")
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)

    def memory(self) -> tuple[float, float]:
        """(current, peak) resident memory of the server process, in MB."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def median(values):
    values = sorted(values)
    return values[len(values) // 2]

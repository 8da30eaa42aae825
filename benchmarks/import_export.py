"""Import and export of N seed-format tasks through the HTTP API, against raw baselines.

    .venv/bin/python benchmarks/import_export.py [--tasks 100000] [--runs 3]

Import: multipart upload of dataset.json (what `project.import_tasks('dataset.json')` sends),
against a bare ``orjson.loads`` + SQLite ``executemany`` of the same rows. Export: JSON and CSV
with ``download_all_tasks=true``, against a bare SQLite read + ``orjson.dumps`` of the same rows.
Memory is the server's peak resident growth over its idle size (a fresh server per run).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import orjson
from _server import Server, median, seed_rows


def baseline_import(payload: bytes) -> float:
    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(Path(d) / "b.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, data TEXT NOT NULL)")
        started = time.perf_counter()
        rows = orjson.loads(payload)
        db.execute("BEGIN")
        db.executemany("INSERT INTO tasks (data) VALUES (?)", ((orjson.dumps(r).decode(),) for r in rows))
        db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
    return elapsed


def schema_import(payload: bytes) -> float:
    """The bare baseline, but into preflab's own tasks table (its indexes and constraints):
    how much of the import time the schema itself costs."""
    from preflab.store.db import Store
    from preflab.store.tasks import TaskRow

    with tempfile.TemporaryDirectory() as d:
        Store(f"sqlite:///{d}/p.db").migrate()
        db = sqlite3.connect(Path(d) / "p.db", isolation_level=None)
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute(
            "INSERT INTO projects (id, title, description, label_config, expert_instruction, show_instruction, "
            "show_skip_button, enable_empty_annotation, show_annotation_history, color, maximum_annotations, "
            "is_published, model_version, is_draft, sampling, show_collab_predictions, show_overlap_first, "
            "overlap_cohort_percentage, min_annotations_to_start_training, randomize_order, restricted, "
            "created_at, updated_at) VALUES (1, '', '', '<View/>', '', 0, 1, 1, 0, '', 1, 0, '', 0, '', 1, 0, "
            "100, 0, 0, 0, '', '')"
        )
        marks = ", ".join("?" * len(TaskRow._fields))
        started = time.perf_counter()
        rows = orjson.loads(payload)
        db.execute("BEGIN")
        db.executemany(
            f"INSERT INTO tasks ({', '.join(TaskRow._fields)}) VALUES ({marks})",
            (TaskRow(1, i, orjson.dumps(r).decode(), "{}", None, "t", "t") for i, r in enumerate(rows, 1)),
        )
        db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
    return elapsed


def baseline_export(payload: bytes) -> float:
    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(Path(d) / "b.db", isolation_level=None)
        db.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, data TEXT NOT NULL)")
        db.execute("BEGIN")
        db.executemany(
            "INSERT INTO tasks (data) VALUES (?)",
            ((orjson.dumps(r).decode(),) for r in orjson.loads(payload)),
        )
        db.execute("COMMIT")
        started = time.perf_counter()
        out = orjson.dumps(
            [{"id": i, "data": orjson.loads(data)} for i, data in db.execute("SELECT id, data FROM tasks")]
        )
        elapsed = time.perf_counter() - started
        db.close()
    assert out
    return elapsed


def timed_export(server: Server, fmt: str) -> tuple[float, int]:
    started = time.perf_counter()
    size = 0
    params = {"exportType": fmt, "download_all_tasks": "true"}
    with httpx.stream(
        "GET",
        f"{server.url}/api/projects/{server.project}/export",
        params=params,
        headers=server.headers,
        timeout=600,
    ) as r:
        r.raise_for_status()
        for chunk in r.iter_bytes(1 << 20):
            size += len(chunk)
    return time.perf_counter() - started, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    payload = orjson.dumps(seed_rows(args.tasks))
    print(f"{args.tasks} tasks, dataset.json {len(payload) / 1e6:.1f} MB, median of {args.runs} runs")

    results = {
        k: []
        for k in (
            "base_import",
            "schema_import",
            "import",
            "import_mem",
            "base_export",
            "JSON",
            "CSV",
            "JSON_mem",
            "CSV_mem",
        )
    }
    for _ in range(args.runs):
        results["base_import"].append(baseline_import(payload))
        results["schema_import"].append(schema_import(payload))
        results["base_export"].append(baseline_export(payload))
        with Server() as server:
            idle, _ = server.memory()
            started = time.perf_counter()
            r = httpx.post(
                f"{server.url}/api/projects/{server.project}/import?return_task_ids=1",
                files={"file": ("dataset.json", payload)},
                headers=server.headers,
                timeout=600,
            )
            results["import"].append(time.perf_counter() - started)
            assert r.status_code == 201 and r.json()["task_count"] == args.tasks, r.text[:300]
            results["import_mem"].append(server.memory()[1] - idle)
        for fmt in ("JSON", "CSV"):
            # a fresh server per format, so that its peak memory is this export's alone
            with Server() as server:
                server.cli("import", str(server.project), _write(server.dir, payload))
                # restart-free: the CLI wrote straight to the database the server reads
                idle, _ = server.memory()
                elapsed, _size = timed_export(server, fmt)
                results[fmt].append(elapsed)
                results[f"{fmt}_mem"].append(server.memory()[1] - idle)

    bi, im = median(results["base_import"]), median(results["import"])
    be = median(results["base_export"])
    print(f"import  baseline (orjson.loads + executemany): {bi:6.2f} s")
    si = median(results["schema_import"])
    print(
        f"import  the same into preflab's tasks table:   {si:6.2f} s   ratio {si / bi:4.2f}x  (the schema's own cost)"
    )
    print(
        f"import  preflab HTTP multipart:                {im:6.2f} s   ratio {im / bi:4.2f}x   server peak growth {median(results['import_mem']):6.1f} MB"
    )
    print(f"export  baseline (SQLite read + orjson.dumps): {be:6.2f} s")
    for fmt in ("JSON", "CSV"):
        t = median(results[fmt])
        print(
            f"export  preflab {fmt:<4} download_all_tasks:       {t:6.2f} s   ratio {t / be:4.2f}x   server peak growth {median(results[f'{fmt}_mem']):6.1f} MB"
        )


def _write(folder: Path, payload: bytes) -> str:
    path = folder / "dataset.json"
    path.write_bytes(payload)
    return str(path)


if __name__ == "__main__":
    main()

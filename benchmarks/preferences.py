"""Training-data export and statistics over a large project, against the plain Label Studio JSON
export of the same project, in the same run.

    .venv/bin/python benchmarks/preferences.py [--tasks 300000] [--votes 1000000] [--labelers 50]
        [--jobs JSON,PREFERENCE_JSONL,KTO_JSONL,stats] [--parquet]

The project (tie / strength template, random answer order, 8 models named in the tasks) is
written straight into a SQLite database: tasks with a ~150-character prompt and two ~400-character
answers; votes spread over the tasks (3 or 4 labelers each), 5% ties, 3% both bad, a strength
rating on decisive votes, 2% extra skips; two labelers prefer the answer shown first, one answers
at random, one is fast. Each measurement runs in its own process, streaming to /dev/null, and
reports its time and its peak resident memory (the whole process, interpreter included).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _server import seed_rows

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = {
    f"model-{c}": s for c, s in zip("abcdefgh", (0.8, 0.5, 0.3, 0.1, 0.0, -0.2, -0.4, -0.9), strict=True)
}
STAMP = "2026-11-26T10:00:00.000000Z"


def pick(side: str) -> dict:
    return {
        "from_name": "comparison",
        "to_name": "answer1,answer2",
        "type": "pairwise",
        "value": {"selected": side},
    }


def build(path: Path, tasks: int, votes: int, labelers: int, seed: int = 0) -> int:
    """Write the project into a new database at ``path``; returns the project id."""
    import sqlite3

    from preflab import gallery
    from preflab.services.instance import create_project
    from preflab.store import users as user_store
    from preflab.store.db import Store

    store = Store(f"sqlite:///{path}")
    store.migrate()
    with store.write() as conn:
        ids = [
            user_store.create(conn, f"labeler{i}@example.com", role="annotator")[0]["id"]
            for i in range(labelers)
        ]
    owner = ids[0]
    config = gallery.template("pairwise-tie-strength").config
    project = create_project(store, title="bench", label_config=config, user_id=owner, maximum_annotations=3)
    with store.write() as conn:
        conn.exec_driver_sql(f"UPDATE projects SET randomize_order = 1 WHERE id = {project}")
    store.close()

    rng = random.Random(seed)
    biased, careless, fast = set(ids[:2]), ids[2], ids[3]
    names = list(MODELS)
    base = seed_rows(2000, seed)  # texts reused across tasks, varied by the task number
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("BEGIN")
    four = votes - 3 * tasks  # tasks with 4 votes, the rest 3
    if not 0 <= four <= tasks:
        raise SystemExit(f"--votes must be between 3 and 4 times --tasks, got {votes} for {tasks}")
    task_rows, annotation_rows = [], []
    annotation_id = 0
    for t in range(1, tasks + 1):
        m1, m2 = rng.sample(names, 2)
        row = base[t % len(base)]
        data = {
            "prompt": f"{t} {row['prompt']}",
            "answer1": row["answer1"],
            "answer2": row["answer2"],
            "model1": m1,
            "model2": m2,
        }
        count = 4 if t <= four else 3
        skips = 1 if rng.random() < 0.02 else 0
        voters = rng.sample(ids, count + skips)
        p_first = 1 / (1 + math.exp(MODELS[m2] - MODELS[m1]))
        for n, user in enumerate(voters):
            annotation_id += 1
            order = ["answer1", "answer2"] if rng.random() < 0.5 else ["answer2", "answer1"]
            lead = rng.uniform(1, 2) if user == fast else rng.lognormvariate(2.5, 0.5)
            if n >= count:
                result, cancelled = [], 1
            else:
                cancelled = 0
                roll = rng.random()
                if roll < 0.05:
                    result = [
                        {
                            "from_name": "verdict",
                            "to_name": "prompt",
                            "type": "choices",
                            "value": {"choices": ["Tie"]},
                        }
                    ]
                elif roll < 0.08:
                    result = [
                        {
                            "from_name": "verdict",
                            "to_name": "prompt",
                            "type": "choices",
                            "value": {"choices": ["Both bad"]},
                        }
                    ]
                else:
                    if user in biased and rng.random() < 0.6:
                        first = order[0] == "answer1"
                    elif user == careless:
                        first = rng.random() < 0.5
                    else:
                        first = rng.random() < p_first
                    result = [
                        pick("left" if first else "right"),
                        {"from_name": "strength", "to_name": "prompt", "type": "rating", "value": {"rating": rng.randint(1, 3)}},
                    ]  # fmt: skip
            annotation_rows.append(
                (
                    annotation_id, t, project, user, json.dumps(result), cancelled, 0, round(lead, 2),
                    json.dumps(order), str(uuid.UUID(int=annotation_id)), user, STAMP, STAMP,
                )
            )  # fmt: skip
        task_rows.append(
            (t, project, t, json.dumps(data), "{}", count, skips, 0, 1, STAMP, owner, STAMP, STAMP)
        )
        if len(annotation_rows) >= 50_000:
            _flush(db, task_rows, annotation_rows)
    _flush(db, task_rows, annotation_rows)
    db.execute("COMMIT")
    db.close()
    return project


def _flush(db, task_rows: list, annotation_rows: list) -> None:
    db.executemany(
        "INSERT INTO tasks (id, project_id, inner_id, data, meta, total_annotations, cancelled_annotations, "
        "total_predictions, is_labeled, completed_at, updated_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        task_rows,
    )
    db.executemany(
        "INSERT INTO annotations (id, task_id, project_id, completed_by, result, was_cancelled, ground_truth, "
        "lead_time, shown_order, unique_id, updated_by, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        annotation_rows,
    )
    task_rows.clear()
    annotation_rows.clear()


# ---------------------------------------------------------------- one measurement per process


def high_water_mb() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss would carry the parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(job: str, path: Path, project: int) -> dict:
    from preflab.services import exports
    from preflab.services.stats import project_stats
    from preflab.store.db import Store

    store = Store(f"sqlite:///{path}")
    idle = high_water_mb()
    started = time.perf_counter()
    size, extra = 0, {}
    if job == "stats":
        document = project_stats(store, project)
        size = len(json.dumps(document))
        extra = {
            "alpha": document["agreement"]["krippendorff_alpha"],
            "kappa": document["agreement"]["mean_pairwise_cohen_kappa"],
            "flagged": {row["email"]: row["flagged"] for row in document["labelers"] if row["flagged"]},
            "leaderboard": [
                (row["model"], row["score"], row["ci_low"], row["ci_high"]) for row in document["leaderboard"]
            ],
        }
    else:
        with open("/dev/null", "wb") as out:
            for chunk in exports.stream(store, project, exports.check_format(job)):
                size += len(chunk)
                out.write(chunk)
    elapsed = time.perf_counter() - started
    return {
        "job": job,
        "seconds": elapsed,
        "bytes": size,
        "peak_mb": high_water_mb(),
        "idle_mb": idle,
        **extra,
    }


def run_job(job: str, path: Path, project: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--job", job, "--db", str(path), "--project", str(project)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=300_000)
    parser.add_argument("--votes", type=int, default=1_000_000)
    parser.add_argument("--labelers", type=int, default=50)
    parser.add_argument("--parquet", action="store_true", help="also time PREFERENCE_PARQUET (needs pyarrow)")
    parser.add_argument(
        "--jobs",
        default="JSON,PREFERENCE_JSONL,KTO_JSONL,stats",
        help="comma-separated measurements; JSON (the baseline) always runs",
    )
    parser.add_argument("--job", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job:
        print(json.dumps(measure(args.job, args.db, args.project)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        project = build(path, args.tasks, args.votes, args.labelers)
        print(
            f"built {args.tasks:,} tasks, {args.votes:,} votes, {args.labelers} labelers "
            f"in {time.perf_counter() - started:.1f}s ({path.stat().st_size / 2**20:.0f} MiB)"
        )
        jobs = ["JSON", *(j for j in args.jobs.split(",") if j and j != "JSON")]
        jobs += ["PREFERENCE_PARQUET"] if args.parquet else []
        results = {job: run_job(job, path, project) for job in jobs}
    baseline = results["JSON"]["seconds"]
    print(f"{'job':<20} {'seconds':>8} {'vs JSON':>8} {'output MiB':>11} {'peak MB':>8} {'idle MB':>8}")
    for job, r in results.items():
        print(
            f"{job:<20} {r['seconds']:>8.1f} {r['seconds'] / baseline:>7.2f}x {r['bytes'] / 2**20:>11.1f} "
            f"{r['peak_mb']:>8.0f} {r['idle_mb']:>8.0f}"
        )
    stats = results.get("stats")
    if stats:
        print(f"stats: alpha {stats['alpha']}, kappa {stats['kappa']}")
        for email, reasons in stats["flagged"].items():
            print(f"  flagged {email}: {'; '.join(reasons)}")
        for model, score, low, high in stats["leaderboard"]:
            print(f"  {model}: {score:.1f} [{low:.1f}, {high:.1f}]")
    worst = max(r["peak_mb"] for r in results.values())
    print(f"peak memory {worst:.0f} MB: {'under' if worst < 300 else 'OVER'} 300 MB")


if __name__ == "__main__":
    main()

"""Labelers of known kinds on a known truth, through the real HTTP API: each labeler follows
``/next``, sees the answers in the ``shown_order`` it hands out, and answers as its kind does.
Then, for ``majority`` and ``reliability``: the accuracy of the decided outcomes against the truth
and the pairs decided; and which labelers the statistics flag.

Goals (issue 16): every bad kind flagged, no good labeler flagged, over 20 seeds; reliability-
weighted outcomes more accurate than majority whenever a bad labeler is present.

    .venv/bin/python benchmarks/labelers.py [--seeds 20] [--first-seed 0] [--tasks 800] [--overlap 3]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from _server import Server, median

CONFIG = """<View>
  <Text name="prompt" value="$prompt"/>
  <Pairwise name="comparison" toName="answer1,answer2"/>
  <Text name="answer1" value="$answer1"/>
  <Text name="answer2" value="$answer2"/>
</View>"""


@dataclass(frozen=True)
class Kind:
    name: str
    accuracy: float = 0.85  # P(naming the better answer) when it reads them
    first: float = 0.0  # P(picking the answer shown first without reading)
    left: bool = False  # always the answer shown on the left
    seconds: float = 20.0  # median time per answer
    good: bool = False


KINDS = [
    *(Kind(f"good{n}", good=True) for n in range(4)),
    Kind("random", accuracy=0.5),
    Kind("always-left", left=True),
    Kind("order-follower", first=0.5),
    Kind("adversarial", accuracy=0.2),
    Kind("fast-sloppy", accuracy=0.6, seconds=2.0),
]


def answer(kind: Kind, rng: random.Random, truth: str, shown: list[str]) -> str:
    """The answer name the labeler picks."""
    if kind.left or rng.random() < kind.first:
        return shown[0]
    if rng.random() < kind.accuracy:
        return truth
    return "answer2" if truth == "answer1" else "answer1"


def run_seed(seed: int, tasks: int, overlap: int) -> dict:
    rng = random.Random(seed)
    with Server() as server:
        api = httpx.Client(base_url=server.url, headers=server.headers, timeout=60)
        pid = server.project
        r = api.patch(
            f"/api/projects/{pid}",
            json={"label_config": CONFIG, "randomize_order": True, "maximum_annotations": overlap},
        )
        r.raise_for_status()
        rows = [{"prompt": f"p{i}", "answer1": f"first {i}", "answer2": f"second {i}"} for i in range(tasks)]
        ids = api.post(f"/api/projects/{pid}/import", json=rows).json()["task_ids"]
        truth = {task_id: rng.choice(("answer1", "answer2")) for task_id in ids}
        clients, emails = {}, {}
        for n, kind in enumerate(KINDS):
            token = f"labeler{n:02d}".ljust(40, "x")
            email = f"{kind.name}@example.com"
            server.cli("user", "create", email, "--role", "annotator", "--token", token)
            clients[kind] = httpx.Client(
                base_url=server.url, headers={"Authorization": f"Token {token}"}, timeout=60
            )
            emails[email] = kind
        active = list(KINDS)
        while active:
            rng.shuffle(active)  # labelers arrive in any order: every trio of them meets
            for kind in list(active):
                got = clients[kind].get(f"/api/projects/{pid}/next", params={"empty": "204"})
                if got.status_code == 204:
                    active.remove(kind)
                    continue
                task = got.json()
                shown = task["shown_order"]
                picked = answer(kind, rng, truth[task["id"]], shown)
                body = {
                    "result": [
                        {
                            "from_name": "comparison",
                            "to_name": "answer1,answer2",
                            "type": "pairwise",
                            "value": {"selected": "left" if picked == "answer1" else "right"},
                        }
                    ],
                    "shown_order": shown,
                    "lead_time": round(rng.lognormvariate(0, 0.4) * kind.seconds, 2),
                }
                clients[kind].post(f"/api/tasks/{task['id']}/annotations", json=body).raise_for_status()
        out = {"flags": {}, "aggregation": {}}
        stats = api.get(f"/api/projects/{pid}/stats").json()
        for row in stats["labelers"]:
            out["flags"][emails[row["email"]].name] = sorted(f["code"] for f in row["flags"])
        out["default"] = stats["rules"]["aggregation"]
        for aggregation in ("majority", "reliability"):
            exported = api.get(
                f"/api/projects/{pid}/export",
                params={"exportType": "PREFERENCE_JSONL", "aggregation": aggregation},
            )
            lines = [orjson.loads(line) for line in exported.content.splitlines()]
            right = sum(
                (row["chosen"].startswith("first")) == (truth[row["task_id"]] == "answer1") for row in lines
            )
            out["aggregation"][aggregation] = {"decided": len(lines), "accuracy": right / max(len(lines), 1)}
        return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds FIRST .. FIRST + SEEDS - 1")
    parser.add_argument("--tasks", type=int, default=800)
    parser.add_argument("--overlap", type=int, default=3)
    args = parser.parse_args()
    flagged: dict[str, Counter] = defaultdict(Counter)
    results = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        result = run_seed(seed, args.tasks, args.overlap)
        results.append(result)
        for name, codes in result["flags"].items():
            flagged[name]["any"] += bool(codes)
            flagged[name].update(codes)
        m, r = result["aggregation"]["majority"], result["aggregation"]["reliability"]
        print(
            f"seed {seed:2d}: majority {m['accuracy']:.3f} of {m['decided']}, "
            f"reliability {r['accuracy']:.3f} of {r['decided']} (default: {result['default']})",
            flush=True,
        )
    n = args.seeds
    print(f"\n{len(KINDS)} labelers, {args.tasks} tasks, overlap {args.overlap}, {n} seeds\n")
    print(f"{'labeler':16} {'flagged':>8}  codes")
    for kind in KINDS:
        counts = flagged[kind.name]
        codes = ", ".join(f"{code} {k}/{n}" for code, k in sorted(counts.items()) if code != "any")
        print(f"{kind.name:16} {counts['any']:>4}/{n:<3}  {codes}")
    for aggregation in ("majority", "reliability"):
        figures = [r["aggregation"][aggregation] for r in results]
        print(
            f"{aggregation:12} accuracy median {median([f['accuracy'] for f in figures]):.3f}, "
            f"pairs decided median {median([f['decided'] for f in figures])}"
        )
    wins = sum(
        r["aggregation"]["reliability"]["accuracy"] > r["aggregation"]["majority"]["accuracy"]
        for r in results
    )
    bad_caught = sum(all(r["flags"][k.name] for k in KINDS if not k.good) for r in results)
    good_clean = sum(not any(r["flags"][k.name] for k in KINDS if k.good) for r in results)
    print(f"reliability more accurate than majority: {wins}/{n} seeds")
    print(
        f"every bad labeler flagged: {bad_caught}/{n} seeds; no good labeler flagged: {good_clean}/{n} seeds"
    )


if __name__ == "__main__":
    main()

"""How well a reward model agrees with held-out preferences. The statistics are pure Python.

- accuracy: share of pairs whose chosen answer gets the higher reward (a tie counts half), with a
  95% Wilson score interval;
- by agreement level: "unanimous" (agreement 1.0), "split" (below 1.0), "unknown" (no agreement
  in the row), so one sees whether the model fails where labelers disagreed too;
- calibration: pairs binned by the model's confidence in its preferred answer,
  ``sigmoid(|r_a - r_b|)`` (the Bradley-Terry win probability), each bin with its mean confidence
  and the observed share of pairs where that answer was the chosen one; ``ece`` is the pairs-
  weighted mean gap between the two;
- baselines: the length baseline (the longer answer wins) and chance (0.5).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

from .data import Pair, length_baseline

CALIBRATION_EDGES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def wilson(hits: float, n: int, z: float = 1.959964) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _hit(chosen: float, rejected: float) -> float:
    return 1.0 if chosen > rejected else 0.5 if chosen == rejected else 0.0


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def agreement_level(pair: Pair) -> str:
    if pair.agreement is None:
        return "unknown"
    return "unanimous" if pair.agreement >= 1.0 else "split"


def report(rewards: Sequence[tuple[float, float]], pairs: Sequence[Pair]) -> dict:
    """The evaluation of (reward chosen, reward rejected) per pair; see the module docstring."""
    n = len(pairs)
    hits = [_hit(c, r) for c, r in rewards]
    accuracy = sum(hits) / n if n else None
    low, high = wilson(sum(hits), n)
    by_level: dict[str, list[float]] = {}
    for pair, hit in zip(pairs, hits, strict=True):
        by_level.setdefault(agreement_level(pair), []).append(hit)
    by_agreement = {}
    for level in ("unanimous", "split", "unknown"):
        if level in by_level:
            values = by_level[level]
            lo, hi = wilson(sum(values), len(values))
            by_agreement[level] = {
                "pairs": len(values),
                "accuracy": sum(values) / len(values),
                "ci_low": lo,
                "ci_high": hi,
            }
    bins = [
        {"low": lo, "high": hi, "pairs": 0, "confidence_sum": 0.0, "wins": 0.0}
        for lo, hi in itertools.pairwise(CALIBRATION_EDGES)
    ]
    for (c, r), hit in zip(rewards, hits, strict=True):
        confidence = _sigmoid(abs(c - r))
        b = bins[min(len(bins) - 1, int((confidence - 0.5) * 10))]
        b["pairs"] += 1
        b["confidence_sum"] += confidence
        b["wins"] += hit  # the preferred answer was the chosen one (a tie: half)
    calibration, ece = [], 0.0
    for b in bins:
        mean = b["confidence_sum"] / b["pairs"] if b["pairs"] else None
        rate = b["wins"] / b["pairs"] if b["pairs"] else None
        if b["pairs"]:
            ece += b["pairs"] / n * abs(mean - rate)
        calibration.append(
            {"low": b["low"], "high": b["high"], "pairs": b["pairs"], "confidence": mean, "win_rate": rate}
        )
    gaps = [c - r for c, r in rewards]
    return {
        "pairs": n,
        "accuracy": accuracy,
        "ci_low": low,
        "ci_high": high,
        "length_baseline": length_baseline(pairs),
        "chance": 0.5,
        "mean_reward_gap": sum(gaps) / n if n else None,
        "by_agreement": by_agreement,
        "calibration": calibration,
        "ece": ece if n else None,
    }


def evaluate_dir(model_dir: str | Path, pairs: Sequence[Pair], *, batch_size: int = 32) -> dict:
    """Load a trained reward model and evaluate it on ``pairs``."""
    from .model import load_reward_model, score_pairs

    model, tokenizer, max_length = load_reward_model(model_dir)
    rewards = score_pairs(model, tokenizer, pairs, max_length=max_length, batch_size=batch_size)
    return report(rewards, pairs)


def _pct(value) -> str:
    return "  n/a" if value is None else f"{100 * value:5.1f}%"


def format_report(r: dict) -> str:
    lines = [
        f"pairs              {r['pairs']}",
        f"accuracy           {_pct(r['accuracy'])}  (95% CI {_pct(r['ci_low'])} - {_pct(r['ci_high'])})",
        f"length baseline    {_pct(r['length_baseline'])}  (the longer answer wins)",
        f"chance             {_pct(r['chance'])}",
        "",
        "by labeler agreement",
    ]
    for level, v in r["by_agreement"].items():
        lines.append(
            f"  {level:<10} {v['pairs']:>6} pairs  {_pct(v['accuracy'])}  "
            f"(95% CI {_pct(v['ci_low'])} - {_pct(v['ci_high'])})"
        )
    lines += ["", "calibration (model confidence vs. observed win rate)"]
    for b in r["calibration"]:
        lines.append(
            f"  {b['low']:.1f}-{b['high']:.1f}  {b['pairs']:>6} pairs  confidence {_pct(b['confidence'])}"
            f"  win rate {_pct(b['win_rate'])}"
        )
    if r["ece"] is not None:
        lines.append(f"  expected calibration error {r['ece']:.3f}")
    return "\n".join(lines)

"""How well a reward model agrees with held-out preferences. The statistics are pure Python.

- accuracy: share of pairs whose chosen answer gets the higher reward (a tie counts half), with a
  95% Wilson score interval clustered by prompt: the pairs of one prompt (every pair of a Ranker
  task, or several tasks asking the same prompt) are not independent, so the interval is Wilson's
  for the effective number of pairs, n over the design effect, from the cluster-robust variance
  (``clustered_wilson``); with one pair per prompt it is the plain Wilson interval;
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
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path

from .data import Pair, length_baseline

CALIBRATION_EDGES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def wilson(hits: float, n: float, z: float = 1.959964) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def effective_pairs(hits: Sequence[float], clusters: Sequence[Hashable]) -> float:
    """How many independent pairs ``hits`` are worth when the pairs of one cluster are alike:
    ``p (1 - p) / v``, v the cluster-robust (CR0) variance of the mean accuracy p, the sum over
    clusters of ``(hits_c - p n_c)**2 / n**2``. Kept between ``n**2 / sum(n_c**2)`` (every
    cluster's pairs alike, as good as one pair per cluster of equal size) and n (independent
    pairs: a cluster never counts for more). With p 0 or 1, where v tells nothing, the former."""
    n = len(hits)
    p = sum(hits) / n
    totals: dict[Hashable, float] = defaultdict(float)
    sizes: Counter = Counter()
    for hit, cluster in zip(hits, clusters, strict=True):
        totals[cluster] += hit
        sizes[cluster] += 1
    alike = n * n / sum(m * m for m in sizes.values())
    if p in (0.0, 1.0):
        return alike
    variance = sum((totals[c] - p * m) ** 2 for c, m in sizes.items()) / (n * n)
    return n if variance == 0 else min(n, max(alike, p * (1 - p) / variance))


def clustered_wilson(
    hits: Sequence[float], clusters: Sequence[Hashable]
) -> tuple[float | None, float | None]:
    """The 95% Wilson interval of the mean of ``hits`` for ``effective_pairs`` of them."""
    if not hits:
        return None, None
    n = effective_pairs(hits, clusters)
    return wilson(sum(hits) / len(hits) * n, n)


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
    prompts = [pair.prompt_key for pair in pairs]
    low, high = clustered_wilson(hits, prompts)
    by_level: dict[str, tuple[list[float], list[str]]] = {}
    for pair, hit, prompt in zip(pairs, hits, prompts, strict=True):
        level = by_level.setdefault(agreement_level(pair), ([], []))
        level[0].append(hit)
        level[1].append(prompt)
    by_agreement = {}
    for level in ("unanimous", "split", "unknown"):
        if level in by_level:
            values, clusters = by_level[level]
            lo, hi = clustered_wilson(values, clusters)
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
        "prompts": len(set(prompts)),
        "effective_pairs": effective_pairs(hits, prompts) if n else None,
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
        f"pairs              {r['pairs']} of {r['prompts']} prompts"
        + (f" (worth {r['effective_pairs']:.1f} independent pairs)" if r["pairs"] else ""),
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

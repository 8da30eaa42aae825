"""Anomaly flags for labelers, each from a one-sided test with a controlled error rate. Pure code.

Every flag is a hypothesis test whose null hypothesis a good labeler satisfies, run at ``level``
(0.05) with a Bonferroni correction over the labelers tested, so the chance that *any* good
labeler of a project is flagged by a test is at most ``level`` (docs/quality.md shows it in a
simulation). The p-value shown is the corrected one.

- ``against``: agreement with the others' consensus below chance (H0: at least 0.5).
- ``random``: agreement with the others' consensus too low for a labeler who reads the answers
  (H0: accuracy at least ``RANDOM_BELOW``). Allowing for the others being wrong: on a comparison
  whose others' side is right with probability ``c``, such a labeler agrees with probability at
  least ``RANDOM_BELOW * c + (1 - RANDOM_BELOW) * (1 - c)``; the count of agreements is tested
  against that Poisson-binomial law. Not tested when ``against`` holds.
- ``gold``: below chance on gold comparisons (H0: at least 0.5).
- ``same_side``: picks one screen position in more than ``SAME_SIDE`` of their votes (H0: each
  position at most ``SAME_SIDE``).
- ``order``: picks the answer shown first more or less often than chance, with the order
  randomized (two-sided binomial test of 0.5); not tested when ``same_side`` holds.
- ``inconsistent``: gives the same answer to a swapped re-ask too rarely (H0: at least
  ``CONSISTENT_BELOW``).
- ``fast``: more than half their timed answers faster than the others' fastest tenth (H0: at
  most half); needs ``MIN_OTHER_TIMES`` of the others' times.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

from .quality import binom_above, binom_below, binom_test, percentile

LEVEL = 0.05
RANDOM_BELOW = 0.7
SAME_SIDE = 0.8
CONSISTENT_BELOW = 0.6
FAST_QUANTILE = 0.1
FAST_SHARE = 0.5
MIN_OTHER_TIMES = 20


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    reason: str
    p_value: float


@dataclass(slots=True)
class Counts:
    """What the tests read about one labeler."""

    agreement_items: int = 0  # comparisons where the others' consensus is clear
    agreed: int = 0
    clarity: Sequence[float] = ()  # per such comparison: P(the others' side is right); () 1 each
    gold_items: int = 0
    gold_correct: int = 0
    side_votes: int = 0  # decisive votes with the screen position known
    left_picks: int = 0  # of which, the answer shown first (on the left)
    order_votes: int = 0  # decisive votes with the order randomized and recorded
    first_picks: int = 0
    reasked: int = 0
    consistent: int = 0
    lead_times: Sequence[float] = field(default_factory=list)


EXACT_UP_TO = 600  # Poisson-binomial tails exact (O(n^2)) up to this many trials, then normal


def poisson_binomial_below(k: int, probabilities: Sequence[float]) -> float:
    """P(X <= k) for X a sum of independent Bernoulli(p_i): exact by dynamic programming up to
    ``EXACT_UP_TO`` trials, else the normal approximation with a continuity correction."""
    n = len(probabilities)
    if k >= n:
        return 1.0
    if k < 0:
        return 0.0
    if n <= EXACT_UP_TO:
        dist = [1.0] + [0.0] * n
        for i, p in enumerate(probabilities, 1):
            for j in range(min(i, k + 1), 0, -1):
                dist[j] = dist[j] * (1 - p) + dist[j - 1] * p
            dist[0] *= 1 - p
        return min(1.0, sum(dist[: k + 1]))
    mean = sum(probabilities)
    sd = math.sqrt(sum(p * (1 - p) for p in probabilities))
    return 0.5 * math.erfc(-((k + 0.5 - mean) / sd) / math.sqrt(2)) if sd else float(k >= mean)


def _share(k: int, n: int) -> str:
    return f"{k} of {n} ({k / n:.0%})"


def _fast_counts(counts: Mapping[Hashable, Counts]) -> dict[Hashable, tuple[int, int, float]]:
    out = {}
    for labeler, c in counts.items():
        others = sorted(t for o, oc in counts.items() if o != labeler for t in oc.lead_times)
        if len(others) < MIN_OTHER_TIMES or not c.lead_times:
            continue
        cut = percentile(others, FAST_QUANTILE)
        out[labeler] = (sum(t < cut for t in c.lead_times), len(c.lead_times), cut)
    return out


def _random_p(c: Counts) -> float:
    clarity = c.clarity or (1.0,) * c.agreement_items
    a = RANDOM_BELOW
    return poisson_binomial_below(c.agreed, [a * p + (1 - a) * (1 - p) for p in clarity])


def flag_labelers(counts: Mapping[Hashable, Counts], level: float = LEVEL) -> dict[Hashable, list[Flag]]:
    """The flags of each labeler (an empty list for most)."""
    flags: dict[Hashable, list[Flag]] = {labeler: [] for labeler in counts}

    def test(code: str, p_values: Mapping[Hashable, float], reason) -> set:
        hit = set()
        tested = len(p_values)
        for labeler, p in p_values.items():
            corrected = min(1.0, p * tested)
            if corrected < level:
                flags[labeler].append(Flag(code, reason(labeler), float(f"{corrected:.3g}")))
                hit.add(labeler)
        return hit

    agreeing = {k: c for k, c in counts.items() if c.agreement_items}
    against = test(
        "against",
        {k: binom_below(c.agreed, c.agreement_items, 0.5) for k, c in agreeing.items()},
        lambda k: (
            f"answers against the others: agrees with their consensus on "
            f"{_share(counts[k].agreed, counts[k].agreement_items)} of clear comparisons, below chance"
        ),
    )
    test(
        "random",
        {k: _random_p(c) for k, c in agreeing.items() if k not in against},
        lambda k: (
            f"answers at random: agrees with the others' consensus on "
            f"{_share(counts[k].agreed, counts[k].agreement_items)} of clear comparisons, near chance"
        ),
    )
    test(
        "gold",
        {k: binom_below(c.gold_correct, c.gold_items, 0.5) for k, c in counts.items() if c.gold_items},
        lambda k: f"below chance on gold: right on {_share(counts[k].gold_correct, counts[k].gold_items)}",
    )
    sided = {k: c for k, c in counts.items() if c.side_votes}
    same_side = test(
        "same_side",
        {
            k: min(
                1.0, 2 * binom_above(max(c.left_picks, c.side_votes - c.left_picks), c.side_votes, SAME_SIDE)
            )
            for k, c in sided.items()
        },
        lambda k: (
            f"always the same side: picked the "
            f"{'left' if 2 * counts[k].left_picks >= counts[k].side_votes else 'right'} answer in "
            f"{_share(max(counts[k].left_picks, counts[k].side_votes - counts[k].left_picks), counts[k].side_votes)}"
            " of votes"
        ),
    )
    test(
        "order",
        {
            k: binom_test(c.first_picks, c.order_votes)
            for k, c in counts.items()
            if c.order_votes and k not in same_side
        },
        lambda k: (
            f"follows the order shown: picked the answer shown first in "
            f"{_share(counts[k].first_picks, counts[k].order_votes)} of votes with the order randomized"
        ),
    )
    test(
        "inconsistent",
        {k: binom_below(c.consistent, c.reasked, CONSISTENT_BELOW) for k, c in counts.items() if c.reasked},
        lambda k: (
            f"inconsistent on re-asks: the same answer to {_share(counts[k].consistent, counts[k].reasked)}"
            " of swapped re-asks"
        ),
    )
    fast = _fast_counts(counts)
    test(
        "fast",
        {k: binom_above(below, n, FAST_SHARE) for k, (below, n, _) in fast.items()},
        lambda k: (
            f"too fast: {_share(fast[k][0], fast[k][1])} of timed answers took under "
            f"{fast[k][2]:.1f} s, faster than 90% of the others' answers"
        ),
    )
    return flags

"""Agreement between the labelers of one task. Pure code."""

from __future__ import annotations

from collections import Counter

import orjson


def answer_key(result: list) -> bytes:
    """A canonical form of an annotation's answer: its (control, value) pairs, ignoring result
    ids, origins and order, so equal choices compare equal."""
    pairs = sorted(
        (
            str(item.get("from_name", "")),
            orjson.dumps(item.get("value"), option=orjson.OPT_SORT_KEYS).decode(),
        )
        for item in result
        if isinstance(item, dict)
    )
    return orjson.dumps(pairs)


def agreement(results: list[list]) -> float | None:
    """Share of the annotations that give the most common answer; None with fewer than two.

    For a pairwise task with three labelers choosing left, left, right this is 2/3.
    """
    if len(results) < 2:
        return None
    counts = Counter(answer_key(r) for r in results)
    return max(counts.values()) / len(results)

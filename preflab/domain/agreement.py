"""A task's derived state from its annotations: how many labelers answered or skipped it,
whether it is done, and how far its labelers agree. Pure code; the store keeps these as the
task's counters, and imports compute them with the same function.

Rules
- Each labeler counts once per task, by their newest annotation (the rule the exports follow,
  ``preferences.newest_per_labeler``): a labeler whose newest annotation is a skip counts as
  skipped, any other as answered. Annotations with no labeler count one each.
- A task is labeled when as many labelers answered as it needs (its overlap).
- ``agreement`` is the share of the answering labelers that give the most common *verdict*: for
  a comparison (Pairwise / Ranker config) the verdict of ``preferences`` (answer1 / answer2 / tie
  / both_bad, or the whole ranking), so a differing comment or strength rating is no
  disagreement; for other configs the answer without its free text (TextArea). None with fewer
  than two verdicts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import orjson

from . import preferences
from .labelconfig import LabelConfig


@dataclass(frozen=True, slots=True)
class Counters:
    total_annotations: int  # labelers who answered
    cancelled_annotations: int  # labelers who skipped
    is_labeled: bool
    agreement: float | None
    completed_at: str | None  # when the last counted answer was made, once labeled


def verdict_spec(config: LabelConfig) -> preferences.Spec | None:
    """The comparison a config describes, or None when it describes none."""
    try:
        return preferences.spec(config)
    except preferences.PreferenceConfigError:
        return None


def answer_key(result: list) -> bytes:
    """A canonical form of an annotation's answer: its (control, value) pairs without free text,
    ignoring result ids, origins and order, so equal choices compare equal."""
    pairs = sorted(
        (
            str(item.get("from_name", "")),
            orjson.dumps(item.get("value"), option=orjson.OPT_SORT_KEYS).decode(),
        )
        for item in result
        if isinstance(item, dict) and str(item.get("type", "")).lower() != "textarea"
    )
    return orjson.dumps(pairs)


def verdict(spec: preferences.Spec | None, result: list) -> Hashable | None:
    """What labelers must give alike to agree; None when the annotation gives no verdict."""
    if spec is None:
        return answer_key(result)
    if spec.ranker is not None:
        ranked = preferences.ranking(spec, result)
        return tuple(ranked) if ranked else None
    return preferences.pairwise_verdict(spec, result)[0]


def agreement(results: Sequence[list], spec: preferences.Spec | None = None) -> float | None:
    """Share of the verdicts that are the most common one; None with fewer than two.

    For a pairwise task with three labelers choosing left, left, right this is 2/3.
    """
    verdicts = [v for v in (verdict(spec, r) for r in results) if v is not None]
    if len(verdicts) < 2:
        return None
    return max(Counter(verdicts).values()) / len(verdicts)


def counters(
    annotations: Sequence[preferences.AnnotationIn], needed: int, spec: preferences.Spec | None
) -> Counters:
    """A task's counters from all its annotations (``needed``: the answers it takes)."""
    newest = preferences.newest_per_labeler(annotations)
    done = [a for a in newest if not a.cancelled]
    labeled = len(done) >= needed
    return Counters(
        total_annotations=len(done),
        cancelled_annotations=len(newest) - len(done),
        is_labeled=labeled,
        agreement=agreement([a.result for a in done], spec),
        completed_at=max(a.updated_at for a in done) if labeled and done else None,
    )

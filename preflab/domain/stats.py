"""A project's statistics document, accumulated task by task in flat memory. Pure code.

Figures (``preflab.domain.quality`` has the formulas):
- counts: annotations (finished) and skips, as stored; outcomes per comparison;
- agreement: Krippendorff's alpha over the votes, the mean Cohen's kappa of labeler pairs with at
  least ``min_shared`` comparisons in common, and the mean per-comparison agreement;
- per labeler: agreement with the consensus of the *other* voters (a strict majority among them),
  accuracy on gold comparisons (a ``ground_truth`` annotation decides; the gold annotation itself
  is not scored), median seconds per finished annotation, position bias (share of decisive
  votes for the answer shown first, binomial p-value);
- trust (``preflab.domain.reliability``, ``preflab.domain.flags``): each labeler's estimated
  accuracy with its 95% interval from the one-coin model fitted to every decisive vote, their
  agreement with the reliability-weighted consensus of the others, and the flags of the tests;
  the project's ``noise_ceiling``: the mean posterior that a comparison's consensus is right, the
  accuracy a perfect model could reach against these labelers' consensus;
- leaderboard: every vote between two different named models is a game (tie and both-bad count
  as ties); Bradley-Terry scores with bootstrap intervals, and the win-rate matrix.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from . import quality, reliability
from .flags import Counts, Flag, flag_labelers
from .preferences import UNDECIDED, VERDICTS, AnnotationIn, Comparison, Decision, Options, decide

SIDES = ("answer1", "answer2")


@dataclass(frozen=True)
class Assessment:
    """What the votes say about the labelers: the fitted model, agreement with the others, flags."""

    fit: reliability.Fit
    agreement: dict[Hashable, reliability.Agreement]
    flags: dict[Hashable, list[Flag]]

    def flagged(self) -> frozenset:
        return frozenset(labeler for labeler, found in self.flags.items() if found)


class _Labeler:
    __slots__ = (
        "annotations",
        "bias_votes",
        "consensus_agreed",
        "consensus_items",
        "consistent",
        "first_picks",
        "gold_correct",
        "gold_items",
        "lead_times",
        "order_first",
        "order_votes",
        "reasked",
        "skipped",
    )

    def __init__(self):
        self.annotations = self.skipped = 0
        self.consensus_agreed = self.consensus_items = 0
        self.gold_correct = self.gold_items = 0
        self.first_picks = self.bias_votes = 0
        self.order_votes = self.order_first = 0  # the votes of first_picks with the order randomized
        self.reasked = self.consistent = 0  # answered re-asks, and those answered as the vote
        self.lead_times = array("d")


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _bias(first: int, votes: int) -> dict:
    return {
        "first_shown_share": _round(first / votes) if votes else None,
        "p_value": _round(quality.binom_test(first, votes), 8) if votes else None,
        "votes": votes,
    }


class ProjectStats:
    def __init__(
        self,
        options: Options = Options(),
        *,
        min_shared: int = 10,
        randomized: bool = False,
        assessment: Assessment | None = None,
    ):
        """``assessment``: the one an earlier pass over the same votes made (not made again)."""
        self.options = options
        self.min_shared = min_shared
        self.randomized = randomized  # shown orders come from a randomizing project
        self.votes = reliability.Votes()  # decisive labeler votes, with the gold side
        self._assessment = assessment
        self._given = assessment is not None
        self.annotations = self.skipped = 0
        self.outcomes: Counter = Counter(dict.fromkeys((*VERDICTS, *UNDECIDED), 0))
        self.alpha = quality.Alpha()
        self.kappa = quality.PairwiseKappa()
        self.labelers: dict[int, _Labeler] = defaultdict(_Labeler)
        self.votes_per_task: Counter = Counter()
        self.progress: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.games: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.agreement_sum = 0.0
        self.agreement_items = 0
        self.first_picks = self.bias_votes = 0

    def add(
        self,
        annotations: Iterable[AnnotationIn],
        judged: Iterable[tuple[Comparison, Decision]],
        reasks: Iterable[tuple[int, bool]] = (),
    ) -> None:
        """One task: all its stored annotations, its comparisons with their outcomes, and its
        answered re-asks (``preferences.consistency``)."""
        for user_id, same in reasks:
            self.labelers[user_id].reasked += 1
            self.labelers[user_id].consistent += same
        for a in annotations:
            day = self.progress[a.created_at[:10]]
            labeler = self.labelers[a.labeler] if a.labeler is not None else None
            if a.cancelled:
                self.skipped += 1
                day[1] += 1
                if labeler:
                    labeler.skipped += 1
            else:
                self.annotations += 1
                day[0] += 1
                if labeler:
                    labeler.annotations += 1
                    if a.lead_time is not None:
                        labeler.lead_times.append(a.lead_time)
        voting = set()
        for comparison, decision in judged:
            voting.update(v.annotation for v in comparison.votes)
            self._comparison(comparison, decision)
        self.votes_per_task[len(voting)] += 1

    def _comparison(self, comparison: Comparison, decision: Decision) -> None:
        votes = comparison.votes
        if not votes:
            return
        self.outcomes[decision.outcome] += 1
        self.alpha.add(v.verdict for v in votes)
        self.kappa.add({v.labeler: v.verdict for v in votes if v.labeler is not None})
        if len(votes) > 1:
            self.agreement_sum += decision.agreement
            self.agreement_items += 1
        gold_votes = [v for v in votes if v.ground_truth]
        gold = decide(gold_votes).outcome if gold_votes else None
        self.votes.add(
            ((v.labeler, v.verdict == "answer1") for v in votes if v.verdict in SIDES and not v.ground_truth),
            gold == "answer1" if gold in SIDES else None,
        )
        if not self._given:
            self._assessment = None
        counts = decision.counts
        others = len(votes) - 1
        for v in votes:
            labeler = self.labelers[v.labeler] if v.labeler is not None else None
            if v.verdict in ("answer1", "answer2") and v.shown_first is not None:
                first = v.verdict == v.shown_first
                self.first_picks += first
                self.bias_votes += 1
                if labeler:
                    labeler.first_picks += first
                    labeler.bias_votes += 1
                    if self.randomized:
                        labeler.order_votes += 1
                        labeler.order_first += first
            if labeler is None:
                continue
            if others:
                rest = {k: n - (k == v.verdict) for k, n in counts.items()}
                top = max(rest.values())
                leaders = [k for k, n in rest.items() if n == top]
                if len(leaders) == 1 and 2 * top > others:
                    labeler.consensus_items += 1
                    labeler.consensus_agreed += leaders[0] == v.verdict
            if gold in VERDICTS and not v.ground_truth:
                labeler.gold_items += 1
                labeler.gold_correct += gold == v.verdict
        first, second = comparison.first.model, comparison.second.model
        if first is not None and second is not None and first != second:
            key, flip = ((first, second), False) if first < second else ((second, first), True)
            record = self.games[key]
            for v in votes:
                if v.verdict in ("tie", "both_bad"):
                    record[2] += 1
                else:
                    record[(v.verdict == "answer2") != flip] += 1

    # ------------------------------------------------------------ the document

    def labeler_ids(self) -> list[int]:
        return sorted(self.labelers)

    def assessment(self) -> Assessment:
        """The model fitted to every decisive vote so far, and the flags it and the counts give."""
        if self._assessment is None:
            fit = reliability.fit(self.votes)
            agreement = reliability.agreement_with_others(self.votes, fit)
            counts = {}
            for user_id, t in self.labelers.items():
                agreed = agreement.get(user_id, reliability.Agreement(0, 0))
                counts[user_id] = Counts(
                    agreement_items=agreed.items,
                    agreed=agreed.agreed,
                    clarity=agreed.clarity,
                    gold_items=t.gold_items,
                    gold_correct=t.gold_correct,
                    side_votes=t.bias_votes,
                    left_picks=t.first_picks,
                    order_votes=t.order_votes,
                    first_picks=t.order_first,
                    reasked=t.reasked,
                    consistent=t.consistent,
                    lead_times=t.lead_times,
                )
            self._assessment = Assessment(fit, agreement, flag_labelers(counts))
        return self._assessment

    def noise_ceiling(self) -> float | None:
        """The mean posterior that a voted comparison's consensus is right (gold ones count 1)."""
        posteriors = self.assessment().fit.posteriors
        voted = [
            max(p, 1 - p)
            for i, p in enumerate(posteriors)
            if len(self.votes.item(i)[0]) or self.votes.gold[i] >= 0
        ]
        return sum(voted) / len(voted) if voted else None

    def labelers_json(self, emails: Mapping[int, str], visible: Iterable[int] | None = None) -> list[dict]:
        trust = self.assessment()
        shown = sorted(self.labelers) if visible is None else sorted(set(visible) & self.labelers.keys())
        out = []
        for user_id in shown:
            t = self.labelers[user_id]
            agreed = trust.agreement.get(user_id, reliability.Agreement(0, 0))
            fitted = trust.fit.labelers.get(user_id)
            flags = trust.flags.get(user_id, [])
            out.append(
                {
                    "user_id": user_id,
                    "email": emails.get(user_id),
                    "annotations": t.annotations,
                    "skipped": t.skipped,
                    "agreement_with_consensus": _round(
                        t.consensus_agreed / t.consensus_items if t.consensus_items else None
                    ),
                    "consensus_items": t.consensus_items,
                    "agreement_with_others": {
                        "agreed": agreed.agreed,
                        "items": agreed.items,
                        "rate": _round(agreed.agreed / agreed.items if agreed.items else None),
                    },
                    "reliability": {
                        "estimate": _round(fitted.accuracy if fitted else None, 4),
                        "ci_low": _round(fitted.ci_low if fitted else None, 4),
                        "ci_high": _round(fitted.ci_high if fitted else None, 4),
                        "votes": fitted.votes if fitted else 0,
                    },
                    "gold": {
                        "answered": t.gold_items,
                        "correct": t.gold_correct,
                        "accuracy": _round(t.gold_correct / t.gold_items if t.gold_items else None),
                    },
                    "self_consistency": {
                        "reasked": t.reasked,
                        "consistent": t.consistent,
                        "rate": _round(t.consistent / t.reasked if t.reasked else None),
                    },
                    "median_seconds": _round(quality.median(t.lead_times), 3),
                    "position_bias": _bias(t.first_picks, t.bias_votes),
                    "flags": [{"code": f.code, "reason": f.reason, "p_value": f.p_value} for f in flags],
                    "flagged": [f.reason for f in flags],
                }
            )
        return out

    def document(
        self,
        *,
        project_id: int,
        tasks: int,
        labeled_tasks: int,
        emails: Mapping[int, str],
        visible: Iterable[int] | None = None,
        resamples: int = 200,
        seed: int = 0,
        aggregation: str = "majority",
    ) -> dict:
        """The statistics; ``visible`` limits the per-labeler rows to these users."""
        kappa, pairs = self.kappa.mean(self.min_shared)
        board = quality.leaderboard(self.games, resamples=resamples, seed=seed)
        options = self.options
        return {
            "project": project_id,
            "tasks": tasks,
            "labeled_tasks": labeled_tasks,
            "annotations": self.annotations,
            "skipped": self.skipped,
            "outcomes": dict(self.outcomes),
            "agreement": {
                "krippendorff_alpha": _round(self.alpha.value()),
                "items": self.alpha.units,
                "mean_pairwise_cohen_kappa": _round(kappa),
                "kappa_pairs": pairs,
                "min_shared_items": self.min_shared,
                "mean_comparison_agreement": _round(
                    self.agreement_sum / self.agreement_items if self.agreement_items else None
                ),
            },
            "position_bias": _bias(self.first_picks, self.bias_votes),
            "votes_per_task": [{"votes": k, "tasks": n} for k, n in sorted(self.votes_per_task.items())],
            "progress": [
                {"date": day, "annotations": done, "skipped": skips}
                for day, (done, skips) in sorted(self.progress.items())
            ],
            "labelers": self.labelers_json(emails, visible),
            "noise_ceiling": _round(self.noise_ceiling(), 4),
            "leaderboard": board,
            "win_rates": quality.win_rates(self.games, [row["model"] for row in board]),
            "bootstrap": {"resamples": resamples, "seed": seed, "interval": 0.95},
            "rules": {
                "min_votes": options.min_votes,
                "min_agreement": options.min_agreement,
                "aggregation": aggregation,
                "exclude_flagged": options.exclude_flagged,
            },
        }

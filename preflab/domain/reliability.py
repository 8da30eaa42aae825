"""How far each labeler can be trusted, from all their votes jointly: a one-coin Dawid-Skene model
fitted by EM. Pure code: no I/O.

The model
- Each comparison has a true better answer, ``answer1`` or ``answer2``, equally likely a priori.
- Labeler ``j`` names the better one with probability ``accuracy[j]`` whatever the comparison (one
  coin per labeler); only decisive votes (``answer1`` / ``answer2``) enter the model.
- A comparison with a gold answer (a ground-truth annotation) has its truth known: it anchors the
  fit, and its posterior is 0 or 1.
- Each accuracy has a Beta prior centred on the crowd's accuracy and worth ``prior_votes`` votes, so
  a labeler with few votes shrinks to the crowd, and one with many is read from their votes.

The fit (EM): start from the crowd at 0.75; the E step gives each comparison the posterior that
``answer1`` is better given every vote and the current accuracies; the M step sets each accuracy to
its posterior mean given the expected number of correct votes; the crowd's accuracy is the pooled
share, kept in ``CROWD_BOUNDS``. Only comparisons that carry information about labelers (gold, or
two votes or more) are fitted; every comparison gets a posterior from the fitted accuracies.
A labeler below 0.5 (an adversary) gets a negative weight: their votes count for the other side.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

CROWD_BOUNDS = (0.55, 0.99)  # the crowd's accuracy is kept in here (identifiable, never certain)
ACCURACY_BOUNDS = (0.02, 0.98)  # a labeler's accuracy as a weight is kept in here
USABLE_SHARED = 20  # comparisons with two votes or more that make the model worth fitting
ANONYMOUS = None  # votes with no labeler (imported ones) vote at the crowd's accuracy


class Votes:
    """Decisive votes in compact arrays: item ``i`` has votes ``(labeler, names_answer1)`` and maybe
    a gold answer. Items are added in order; their index is their position."""

    def __init__(self):
        self.labelers: list[Hashable] = []
        self._index: dict[Hashable, int] = {}
        self.starts = array("l", [0])  # item i's votes are votes[starts[i]:starts[i + 1]]
        self.voter = array("l")  # labeler index per vote; -1 for anonymous
        self.side = array("b")  # 1: the vote names answer1 better, 0: answer2
        self.gold = array("b")  # per item: 1 / 0 the known truth, -1 none

    def __len__(self) -> int:
        return len(self.gold)

    def add(self, votes: Iterable[tuple[Hashable, bool]], gold: bool | None = None) -> int:
        """One comparison; returns its index."""
        for labeler, names_answer1 in votes:
            if labeler is ANONYMOUS:
                self.voter.append(-1)
            else:
                index = self._index.get(labeler)
                if index is None:
                    index = self._index[labeler] = len(self.labelers)
                    self.labelers.append(labeler)
                self.voter.append(index)
            self.side.append(1 if names_answer1 else 0)
        self.starts.append(len(self.voter))
        self.gold.append(-1 if gold is None else int(bool(gold)))
        return len(self.gold) - 1

    def item(self, i: int) -> tuple[range, int]:
        return range(self.starts[i], self.starts[i + 1]), self.gold[i]

    def informative(self, i: int) -> bool:
        votes, gold = self.item(i)
        return len(votes) > 0 and (gold >= 0 or len(votes) > 1)


def usable(votes: Votes) -> bool:
    """Whether the model has something to learn from: a labeler vote on a gold comparison, or at
    least ``USABLE_SHARED`` comparisons with two votes or more."""
    shared = 0
    for i in range(len(votes)):
        span, gold = votes.item(i)
        if gold >= 0 and any(votes.voter[k] >= 0 for k in span):
            return True
        shared += len(span) > 1
        if shared >= USABLE_SHARED:
            return True
    return False


@dataclass(frozen=True, slots=True)
class LabelerFit:
    accuracy: float  # posterior mean
    ci_low: float  # 95% equal-tailed posterior interval
    ci_high: float
    votes: int  # decisive votes on fitted comparisons
    expected_correct: float


@dataclass(frozen=True)
class Fit:
    labelers: dict[Hashable, LabelerFit]
    crowd: float  # the crowd's accuracy (the prior's centre)
    prior: float  # prior_votes
    iterations: int
    items: int  # comparisons fitted
    posteriors: array = field(repr=False)  # per item of the Votes: P(answer1 is better)

    def weight(self, labeler: Hashable) -> float:
        """The log-odds a vote of this labeler adds for the side it names."""
        fitted = self.labelers.get(labeler)
        accuracy = self.crowd if fitted is None else fitted.accuracy
        low, high = ACCURACY_BOUNDS
        accuracy = min(max(accuracy, low), high)
        return math.log(accuracy / (1 - accuracy))

    def posterior(self, votes: Iterable[tuple[Hashable, bool]], gold: bool | None = None) -> float:
        """P(answer1 is better) given these votes (and the gold answer, which decides)."""
        if gold is not None:
            return 1.0 if gold else 0.0
        log_odds = 0.0
        for labeler, names_answer1 in votes:
            w = self.weight(labeler)
            log_odds += w if names_answer1 else -w
        return _sigmoid(log_odds)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def fit(votes: Votes, *, prior_votes: float = 4.0, iterations: int = 100, tolerance: float = 1e-6) -> Fit:
    """The labelers' accuracies and every comparison's posterior (see the module docstring)."""
    n_labelers = len(votes.labelers)
    items = [i for i in range(len(votes)) if votes.informative(i)]
    accuracy = [0.75] * n_labelers
    crowd = 0.75
    q = array("d", [0.5]) * len(votes)
    correct = [0.0] * n_labelers
    counts = [0] * n_labelers
    for i in items:
        for k in votes.item(i)[0]:
            if votes.voter[k] >= 0:
                counts[votes.voter[k]] += 1
    done = 0
    low, high = ACCURACY_BOUNDS
    while done < iterations:
        done += 1
        weights = [math.log(a / (1 - a)) for a in (min(max(a, low), high) for a in accuracy)]
        crowd_weight = math.log(crowd / (1 - crowd))
        correct = [0.0] * n_labelers
        for i in items:
            span, gold = votes.item(i)
            if gold >= 0:
                p = float(gold)
            else:
                log_odds = 0.0
                for k in span:
                    j = votes.voter[k]
                    w = weights[j] if j >= 0 else crowd_weight
                    log_odds += w if votes.side[k] else -w
                p = _sigmoid(log_odds)
            q[i] = p
            for k in span:
                j = votes.voter[k]
                if j >= 0:
                    correct[j] += p if votes.side[k] else 1 - p
        total = sum(counts)
        new_crowd = min(max(sum(correct) / total, CROWD_BOUNDS[0]), CROWD_BOUNDS[1]) if total else 0.75
        new = [(new_crowd * prior_votes + correct[j]) / (prior_votes + counts[j]) for j in range(n_labelers)]
        change = max([abs(a - b) for a, b in zip(new, accuracy, strict=True)] + [abs(new_crowd - crowd)])
        accuracy, crowd = new, new_crowd
        if change < tolerance:
            break
    labelers = {}
    for j, labeler in enumerate(votes.labelers):
        a = crowd * prior_votes + correct[j]
        b = (1 - crowd) * prior_votes + counts[j] - correct[j]
        low_ci, high_ci = beta_interval(a, b)
        labelers[labeler] = LabelerFit(accuracy[j], low_ci, high_ci, counts[j], correct[j])
    final = Fit(labelers, crowd, prior_votes, done, len(items), q)
    for i in range(len(votes)):
        span, gold = votes.item(i)
        q[i] = final.posterior(((_labeler(votes, k), bool(votes.side[k])) for k in span), _gold(gold))
    return final


def _labeler(votes: Votes, k: int) -> Hashable:
    j = votes.voter[k]
    return votes.labelers[j] if j >= 0 else ANONYMOUS


def _gold(gold: int) -> bool | None:
    return None if gold < 0 else bool(gold)


@dataclass(frozen=True, slots=True)
class Agreement:
    agreed: int
    items: int
    clarity: tuple[float, ...] = ()  # per item: how likely the others' side is right


def agreement_with_others(votes: Votes, fit: Fit, *, clear: float = 0.75) -> dict[Hashable, Agreement]:
    """Per labeler: on the comparisons where the *other* votes (weighted by the fit, gold deciding)
    make one side at least ``clear`` likely, how often this labeler named that side, and how
    likely that side was each time (so a test can allow for the others being wrong)."""
    agreed = [0] * len(votes.labelers)
    seen = [0] * len(votes.labelers)
    clarity: list[list[float]] = [[] for _ in votes.labelers]
    for i in range(len(votes)):
        span, gold = votes.item(i)
        if len(span) < 2 and gold < 0:
            continue
        pairs = [(votes.voter[k], bool(votes.side[k])) for k in span]
        for n, (j, side) in enumerate(pairs):
            if j < 0:
                continue
            others = [
                (votes.labelers[o] if o >= 0 else ANONYMOUS, s) for m, (o, s) in enumerate(pairs) if m != n
            ]
            if not others and gold < 0:
                continue
            p = fit.posterior(others, _gold(gold))
            if max(p, 1 - p) < clear:
                continue
            seen[j] += 1
            agreed[j] += side == (p > 0.5)
            clarity[j].append(max(p, 1 - p))
    return {
        labeler: Agreement(agreed[j], seen[j], tuple(clarity[j]))
        for j, labeler in enumerate(votes.labelers)
        if seen[j]
    }


# ---------------------------------------------------------------- the Beta distribution


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), by the continued fraction (modified Lentz), as in Numerical Recipes."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    if x > (a + 1) / (a + b + 2):
        return 1.0 - regularized_beta(1 - x, b, a)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-14:
            break
    return math.exp(log_front) * h / a


def beta_quantile(p: float, a: float, b: float) -> float:
    """The x with I_x(a, b) = p, by bisection (60 halvings: exact to double precision)."""
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if regularized_beta(middle, a, b) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def beta_interval(a: float, b: float, level: float = 0.95) -> tuple[float, float]:
    tail = (1 - level) / 2
    return beta_quantile(tail, a, b), beta_quantile(1 - tail, a, b)

"""The labelers' reliability model (preflab.domain.reliability) and the flag tests
(preflab.domain.flags): the EM fit against hand-computed and simulated truths, and each test's
error rates in simulation."""

from __future__ import annotations

import math
import random

import pytest
from scipy import stats as scipy_stats

from preflab.domain import flags, reliability
from preflab.domain.preferences import Options, Vote, decide
from preflab.domain.reliability import Votes


@pytest.mark.parametrize(("x", "a", "b"), [(0.4, 2, 3), (0.8, 50.5, 10.2), (0.1, 0.7, 0.9), (0.95, 300, 20)])
def test_the_beta_functions_match_scipy(x, a, b):
    assert reliability.regularized_beta(x, a, b) == pytest.approx(scipy_stats.beta.cdf(x, a, b), rel=1e-9)
    for p in (0.025, 0.5, 0.975):
        assert reliability.beta_quantile(p, a, b) == pytest.approx(scipy_stats.beta.ppf(p, a, b), rel=1e-9)


def test_a_fit_on_gold_answers_is_the_hand_computed_posterior():
    """All comparisons gold: the expected correct votes are the correct votes. A is right on 6 of 8,
    B on 2 of 8; the crowd's pooled 8/16 is clipped to 0.55; with 4 prior votes
    A = (0.55*4 + 6) / 12, B = (0.55*4 + 2) / 12, and the interval is Beta(0.55*4 + 6, 0.45*4 + 2)'s."""
    votes = Votes()
    for n in range(8):
        votes.add([("A", n < 6), ("B", n < 2)], gold=True)
    single = votes.add([("A", True)])  # one vote, no gold: not fitted, but given a posterior
    fit = reliability.fit(votes, prior_votes=4)
    assert fit.crowd == pytest.approx(0.55)
    assert fit.items == 8
    a, b = fit.labelers["A"], fit.labelers["B"]
    assert a.accuracy == pytest.approx(8.2 / 12) and b.accuracy == pytest.approx(4.2 / 12)
    assert (a.votes, a.expected_correct) == (8, pytest.approx(6))
    assert (a.ci_low, a.ci_high) == pytest.approx(scipy_stats.beta.ppf([0.025, 0.975], 8.2, 3.8), rel=1e-9)
    assert fit.posteriors[0] == 1.0
    assert fit.posteriors[single] == pytest.approx(8.2 / 12)  # log-odds of A's accuracy
    # B is below chance: a B vote for answer1 is evidence for answer2
    assert fit.posterior([("B", True)]) == pytest.approx(4.2 / 12)


def _simulate(accuracies: dict, items: int, overlap: int, seed: int, gold: float = 0.0):
    rng = random.Random(seed)
    votes, truth = Votes(), []
    names = list(accuracies)
    for _ in range(items):
        t = rng.random() < 0.5
        truth.append(t)
        who = rng.sample(names, overlap)
        known = t if rng.random() < gold else None
        votes.add([(w, t if rng.random() < accuracies[w] else not t) for w in who], gold=known)
    return votes, truth


def test_the_fit_is_a_fixed_point_of_the_em_equations():
    votes, _ = _simulate({"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6}, 200, 3, seed=3)
    fit = reliability.fit(votes, prior_votes=4, tolerance=1e-12, iterations=1000)
    correct = dict.fromkeys("abcd", 0.0)
    counts = dict.fromkeys("abcd", 0)
    for i in range(len(votes)):
        span, _ = votes.item(i)
        p = fit.posteriors[i]
        for k in span:
            who = votes.labelers[votes.voter[k]]
            correct[who] += p if votes.side[k] else 1 - p
            counts[who] += 1
    crowd = sum(correct.values()) / sum(counts.values())
    assert fit.crowd == pytest.approx(crowd, abs=1e-9)
    for who in "abcd":
        expected = (crowd * 4 + correct[who]) / (4 + counts[who])
        assert fit.labelers[who].accuracy == pytest.approx(expected, abs=1e-9)


def test_the_fit_recovers_known_accuracies_and_beats_majority_with_an_adversary():
    accuracies = {"g0": 0.9, "g1": 0.85, "g2": 0.85, "liar": 0.15, "coin": 0.5}
    votes, truth = _simulate(accuracies, 600, 3, seed=1)
    fit = reliability.fit(votes)
    right, cast = dict.fromkeys(accuracies, 0), dict.fromkeys(accuracies, 0)
    for i, t in enumerate(truth):
        for k in votes.item(i)[0]:
            who = votes.labelers[votes.voter[k]]
            right[who] += votes.side[k] == t
            cast[who] += 1
    for who in accuracies:  # the accuracy each labeler showed in this draw, from votes alone
        f = fit.labelers[who]
        assert abs(f.accuracy - right[who] / cast[who]) < 0.03, who
        assert f.ci_low < right[who] / cast[who] < f.ci_high, who
    weighted = majority = 0
    for i, t in enumerate(truth):
        span, _ = votes.item(i)
        weighted += (fit.posteriors[i] > 0.5) == t
        sides = [votes.side[k] for k in span]
        majority += (2 * sum(sides) > len(sides)) == t
    assert weighted > majority + 30  # 600 comparisons: well past noise


def test_few_votes_shrink_to_the_crowd():
    votes, _ = _simulate({"a": 0.8, "b": 0.8, "c": 0.8}, 300, 3, seed=2)
    votes.add([("newcomer", False), ("a", True), ("b", True)])  # one vote, and it is wrong
    fit = reliability.fit(votes)
    newcomer = fit.labelers["newcomer"]
    assert newcomer.votes == 1
    assert fit.crowd - 0.2 < newcomer.accuracy < fit.crowd  # pulled down a little, not to 0
    assert newcomer.ci_high - newcomer.ci_low > 0.4  # and known to be unknown


def test_usable_needs_gold_or_enough_overlap():
    votes = Votes()
    for _ in range(100):
        votes.add([("a", True)])
    assert not reliability.usable(votes)
    votes.add([("a", True)], gold=True)
    assert reliability.usable(votes)
    shared = Votes()
    for n in range(reliability.USABLE_SHARED):
        assert not reliability.usable(shared)
        shared.add([("a", True), ("b", n % 2 == 0)])
    assert reliability.usable(shared)


def test_agreement_with_others_leaves_the_labeler_out_and_skips_unclear_comparisons():
    votes = Votes()
    votes.add([("a", True), ("b", True), ("c", True)])
    votes.add([("a", False), ("b", True), ("c", True)])
    votes.add([("a", True), ("b", False)])  # one other vote alone: 0.75 likely, clear at 0.7
    votes.add([("a", True)], gold=False)  # gold decides
    fit = reliability.Fit({}, 0.75, 4, 0, 0, None)  # everyone at the crowd's 0.75
    agreement = reliability.agreement_with_others(votes, fit, clear=0.7)
    assert (agreement["a"].agreed, agreement["a"].items) == (1, 4)
    # on the second comparison, b's others (a against c) are even: not clear
    assert (agreement["b"].agreed, agreement["b"].items) == (1, 2)
    assert (agreement["c"].agreed, agreement["c"].items) == (1, 1)


def test_decide_by_reliability_follows_the_weights_and_gold():
    fit = reliability.Fit({"good": reliability.LabelerFit(0.9, 0.8, 0.95, 100, 90)}, 0.6, 4, 1, 1, None)
    votes = [Vote("good", "answer2"), Vote("x", "answer1"), Vote("y", "answer1")]
    weighted = decide(votes, fit=fit)
    assert decide(votes).outcome == "answer1"  # the majority
    # 0.9 is worth log(9) = 2.20 > 2 * log(1.5) = 0.81
    assert weighted.outcome == "answer2"
    assert weighted.confidence == pytest.approx(
        1 / (1 + math.exp(-(math.log(9) - 2 * math.log(1.5)))), abs=1e-6
    )
    assert weighted.agreement == pytest.approx(1 / 3)
    assert decide(votes, Options(min_agreement=0.9), fit=fit).outcome == "no_majority"
    gold = [*votes, Vote(None, "answer1", ground_truth=True)]
    assert (decide(gold, fit=fit).outcome, decide(gold, fit=fit).confidence) == ("answer1", 1.0)
    ties = [Vote("good", "answer2"), Vote("x", "tie"), Vote("y", "tie")]
    assert decide(ties, fit=fit) == decide(ties)  # ties are most of the votes: rule 5
    even = [Vote("x", "answer1"), Vote("y", "answer2")]
    assert decide(even, fit=fit).outcome == "no_majority"


# ---------------------------------------------------------------- flags


def _counts(rng: random.Random, agreement: float, *, n: int = 80, first: float = 0.5, gold: float = 0.9,
            seconds: float = 20.0, n_gold: int = 30) -> flags.Counts:  # fmt: skip
    agreed = sum(rng.random() < agreement for _ in range(n))
    picks = sum(rng.random() < first for _ in range(n))
    gold_correct = sum(rng.random() < gold for _ in range(n_gold))
    times = [rng.lognormvariate(math.log(seconds), 0.5) for _ in range(n)]
    return flags.Counts(
        agreement_items=n, agreed=agreed, gold_items=n_gold, gold_correct=gold_correct,
        side_votes=n, left_picks=picks, order_votes=n, first_picks=picks,
        reasked=10, consistent=sum(rng.random() < 0.85 for _ in range(10)), lead_times=times,
    )  # fmt: skip


def test_good_labelers_are_flagged_by_no_test_more_often_than_its_level():
    """300 projects of 8 good labelers (agreement with the others from 0.72 to 0.95, median times
    from 15 to 30 s): a project with any good labeler flagged by a test is at most LEVEL likely per test, so
    the share over 300 stays under the binomial bound 0.05 + 3 sigma, about 0.088."""
    rng = random.Random(7)
    projects_with = {}
    for _ in range(300):
        crowd = {k: _counts(rng, rng.uniform(0.72, 0.95), seconds=rng.uniform(15, 30)) for k in range(8)}
        found = {f.code for fl in flags.flag_labelers(crowd).values() for f in fl}
        for code in found:
            projects_with[code] = projects_with.get(code, 0) + 1
    bound = 300 * (0.05 + 3 * math.sqrt(0.05 * 0.95 / 300))
    assert all(n <= bound for n in projects_with.values()), projects_with


@pytest.mark.parametrize(
    ("kind", "counts", "code"),
    [
        ("adversarial", dict(agreement=0.2), "against"),
        ("random", dict(agreement=0.5), "random"),
        ("order follower", dict(first=0.75), "order"),
        ("always left", dict(first=1.0), "same_side"),
        ("below chance on gold", dict(gold=0.1), "gold"),
        ("fast", dict(seconds=2.0), "fast"),
    ],
)
def test_each_bad_kind_is_flagged_with_its_reason(kind, counts, code):
    rng = random.Random(11)
    hits = 0
    for _ in range(50):
        crowd = {k: _counts(rng, 0.85, n=150) for k in range(6)}
        crowd[kind] = _counts(rng, **{"agreement": 0.85, **counts}, n=150)
        found = flags.flag_labelers(crowd)
        hits += code in {f.code for f in found[kind]}
        assert all(0 < f.p_value < 0.05 and f.reason for f in found[kind])
    assert hits >= 45, hits


def test_an_inconsistent_labeler_is_flagged():
    base = flags.Counts(reasked=30, consistent=25)
    found = flags.flag_labelers({1: base, 2: base, 3: flags.Counts(reasked=30, consistent=9)})
    assert [f.code for f in found[3]] == ["inconsistent"]
    assert found[1] == found[2] == []


def test_the_level_is_corrected_for_the_number_of_labelers():
    # 30 of 80 against H0 >= 0.5: p = 0.0201; one labeler is flagged, with ten the corrected p is 0.2
    alone = {1: flags.Counts(agreement_items=80, agreed=30)}
    assert [f.code for f in flags.flag_labelers(alone)[1]] == ["against"]
    crowd = {**alone, **{k: flags.Counts(agreement_items=80, agreed=68) for k in range(2, 11)}}
    assert "against" not in {f.code for f in flags.flag_labelers(crowd)[1]}
    assert flags.binom_below(30, 80, 0.5) == pytest.approx(scipy_stats.binom.cdf(30, 80, 0.5))
    assert flags.binom_above(60, 80, 0.5) == pytest.approx(scipy_stats.binom.sf(59, 80, 0.5))


def test_the_poisson_binomial_tail_is_exact_and_its_normal_form_close():
    same = [0.3] * 40
    assert flags.poisson_binomial_below(9, same) == pytest.approx(scipy_stats.binom.cdf(9, 40, 0.3), rel=1e-9)
    mixed = [0.2, 0.9, 0.5, 0.7]
    brute = 0.0
    for bits in range(16):
        chosen = [(bits >> i) & 1 for i in range(4)]
        if sum(chosen) <= 1:
            brute += math.prod(p if c else 1 - p for p, c in zip(mixed, chosen, strict=True))
    assert flags.poisson_binomial_below(1, mixed) == pytest.approx(brute, rel=1e-12)
    rng = random.Random(3)
    large = [rng.uniform(0.5, 0.9) for _ in range(flags.EXACT_UP_TO + 400)]
    k = int(sum(large)) - 30
    exact = flags.poisson_binomial_below(k, large[: flags.EXACT_UP_TO])  # exact part, for scale
    assert 0 <= exact <= 1
    mean, sd = sum(large), math.sqrt(sum(p * (1 - p) for p in large))
    assert flags.poisson_binomial_below(k, large) == pytest.approx(
        scipy_stats.norm.cdf((k + 0.5 - mean) / sd)
    )


def test_the_random_test_allows_for_others_who_are_wrong():
    """A 0.8-accurate labeler agrees with a consensus that is right 75% of the time on
    0.8 * 0.75 + 0.2 * 0.25 = 65% of comparisons: read as if the consensus were always right that
    would look near chance, but allowing for it, it is not flagged."""
    good = flags.Counts(agreement_items=250, agreed=162, clarity=[0.75] * 250)
    assert flags.binom_below(162, 250, flags.RANDOM_BELOW) < 0.05  # what the naive test would say
    coin = flags.Counts(agreement_items=250, agreed=125, clarity=[0.75] * 250)
    assert flags.flag_labelers({"good": good})["good"] == []  # alone: no correction to hide behind
    assert [f.code for f in flags.flag_labelers({"good": good, "coin": coin})["coin"]] == ["random"]
    assert (
        flags.flag_labelers({"good": flags.Counts(agreement_items=200, agreed=125)})["good"][0].code
        == "random"
    )

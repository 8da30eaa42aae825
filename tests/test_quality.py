"""Quality figures (preflab.domain.quality): hand-computed cases, and checks against scipy,
krippendorff and scikit-learn on random data."""

import math
import random
from collections import Counter

import pytest

from preflab.domain import quality

scipy_stats = pytest.importorskip("scipy.stats")
krippendorff = pytest.importorskip("krippendorff")
sklearn_metrics = pytest.importorskip("sklearn.metrics")
np = pytest.importorskip("numpy")


# ---------------------------------------------------------------- binomial test


def test_binom_test_hand_computed():
    # 9 of 10: P(X <= 1) + P(X >= 9) = 2 * 11 / 1024
    assert quality.binom_test(9, 10) == pytest.approx(22 / 1024, rel=1e-12)
    assert quality.binom_test(5, 10) == 1.0
    assert quality.binom_test(0, 0) == 1.0
    with pytest.raises(ValueError, match="between 0 and n"):
        quality.binom_test(11, 10)


@pytest.mark.parametrize("seed", range(5))
def test_binom_test_matches_scipy(seed):
    rng = random.Random(seed)
    for _ in range(60):
        n = rng.choice([1, 2, 7, 30, 101, 1000, 20000])
        k = rng.randint(0, n)
        p = rng.choice([0.5, 0.5, 0.3, 0.9, 0.01])
        expected = scipy_stats.binomtest(k, n, p).pvalue
        assert quality.binom_test(k, n, p) == pytest.approx(expected, rel=1e-6, abs=1e-300), (k, n, p)


# ---------------------------------------------------------------- Krippendorff's alpha


def alpha_of(units):
    a = quality.Alpha()
    for values in units:
        a.add(values)
    return a.value()


def test_alpha_hand_computed():
    # two units: (x, x) and (x, y). Coincidences: o_xx = 2, o_xy = o_yx = 1; n_x = 3, n_y = 1, n = 4
    # alpha = 1 - (n - 1) * D_o / D_e = 1 - 3 * 2 / (2 * 3 * 1) = 0
    assert alpha_of([["x", "x"], ["x", "y"]]) == pytest.approx(0.0)
    assert alpha_of([["x", "x"], ["y", "y"]]) == 1.0
    assert alpha_of([["x", "x"], ["x"]]) is None  # one category: undefined
    assert alpha_of([["x"], ["y"]]) is None  # nothing pairable


@pytest.mark.parametrize("seed", range(6))
def test_alpha_matches_the_krippendorff_package(seed):
    rng = random.Random(seed)
    coders, units = rng.randint(2, 8), rng.randint(5, 80)
    categories = rng.randint(2, 4)
    skill = [rng.random() for _ in range(coders)]
    matrix = []
    for _ in range(coders):
        matrix.append([np.nan] * units)
    truth = [rng.randrange(categories) for _ in range(units)]
    for c in range(coders):
        for u in range(units):
            if rng.random() < 0.3:
                continue  # a skip: a missing value
            matrix[c][u] = truth[u] if rng.random() < skill[c] else rng.randrange(categories)
    ours = alpha_of([[row[u] for row in matrix if not math.isnan(row[u])] for u in range(units)])
    theirs = krippendorff.alpha(reliability_data=np.array(matrix), level_of_measurement="nominal")
    assert ours == pytest.approx(theirs, abs=1e-9)


# ---------------------------------------------------------------- Cohen's kappa


def test_kappa_hand_computed():
    # 10 items: both "a" 4 times, both "b" 3, a/b 2, b/a 1 -> p_o = 0.7
    # marginals a: 6 and 5, b: 4 and 5 -> p_e = (30 + 20) / 100 = 0.5 -> kappa = 0.4
    table = Counter({("a", "a"): 4, ("b", "b"): 3, ("a", "b"): 2, ("b", "a"): 1})
    assert quality.cohen_kappa(table) == pytest.approx(0.4)
    assert quality.cohen_kappa(Counter({("a", "a"): 5})) is None


@pytest.mark.parametrize("seed", range(6))
def test_pairwise_kappa_matches_scikit_learn(seed):
    rng = random.Random(seed)
    labelers = range(rng.randint(2, 6))
    units = []
    for _ in range(rng.randint(20, 120)):
        truth = rng.choice("abcd")
        units.append(
            {u: truth if rng.random() < 0.6 else rng.choice("abcd") for u in labelers if rng.random() < 0.7}
        )
    kappas = quality.PairwiseKappa()
    for unit in units:
        kappas.add(unit)
    expected = []
    for a in labelers:
        for b in labelers:
            if a < b:
                shared = [u for u in units if a in u and b in u]
                if len(shared) >= 10:
                    expected.append(
                        sklearn_metrics.cohen_kappa_score([u[a] for u in shared], [u[b] for u in shared])
                    )
    mean, pairs = kappas.mean(min_shared=10)
    assert pairs == len(expected)
    assert mean == (pytest.approx(sum(expected) / len(expected), abs=1e-9) if expected else None)


# ---------------------------------------------------------------- Bradley-Terry


def mle(games, prior):
    """A direct maximum-likelihood fit (scipy's optimizer) of the same model, ties half a win."""
    optimize = pytest.importorskip("scipy.optimize")
    models = sorted({m for pair in games for m in pair})
    index = {m: i for i, m in enumerate(models)}

    def negative_log_likelihood(theta):
        total = 0.0
        for (a, b), (wins_a, wins_b, ties) in games.items():
            i, j = index[a], index[b]
            diff = theta[i] - theta[j]
            total += (wins_a + ties / 2) * -np.logaddexp(0, -diff) + (wins_b + ties / 2) * -np.logaddexp(
                0, diff
            )
        for i in range(len(models)):  # virtual ties against a reference of log strength 0
            total += prior / 2 * (-np.logaddexp(0, -theta[i]) - np.logaddexp(0, theta[i]))
        return -total

    fit = optimize.minimize(
        negative_log_likelihood, np.zeros(len(models)), method="BFGS", options={"gtol": 1e-10}
    )
    centred = fit.x - fit.x.mean()
    return {m: centred[index[m]] for m in models}


def test_bradley_terry_hand_computed():
    # a beat b 3 times and lost once: the MLE strength ratio is 3, log strengths -+ log(3)/2
    fitted = quality.bradley_terry({("a", "b"): [3, 1, 0]}, prior=0)
    assert fitted["a"] == pytest.approx(math.log(3) / 2) and fitted["b"] == pytest.approx(-math.log(3) / 2)
    # a tie is half a win each: 2 wins + 2 ties vs 0 wins + 2 ties -> ratio 3 again
    assert quality.bradley_terry({("a", "b"): [2, 0, 2]}, prior=0)["a"] == pytest.approx(math.log(3) / 2)


@pytest.mark.parametrize(("seed", "prior"), [(0, 0.0), (1, 0.0), (2, 1.0), (3, 1.0), (4, 5.0)])
def test_bradley_terry_matches_a_direct_maximum_likelihood_fit(seed, prior):
    rng = random.Random(seed)
    models = [f"m{i}" for i in range(rng.randint(3, 6))]
    strength = {m: rng.gauss(0, 1) for m in models}
    games = {}
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            record = [1, 1, 0]  # every model wins and loses, so the plain MLE exists
            for _ in range(rng.randint(5, 40)):
                p = 1 / (1 + math.exp(strength[b] - strength[a]))
                roll = rng.random()
                record[2 if roll < 0.1 else 0 if roll < 0.1 + 0.9 * p else 1] += 1
            games[(a, b)] = record
    ours = quality.bradley_terry(games, prior=prior)
    theirs = mle(games, prior)
    for m in models:
        assert ours[m] == pytest.approx(theirs[m], abs=1e-5)


def test_a_model_that_never_won_stays_finite_with_the_prior():
    fitted = quality.bradley_terry({("a", "b"): [5, 0, 0]}, prior=1.0)
    assert math.isfinite(fitted["b"]) and fitted["a"] > fitted["b"]


def test_leaderboard_is_seeded_and_brackets_the_score():
    games = {("a", "b"): [30, 10, 4], ("b", "c"): [20, 15, 0], ("a", "c"): [25, 5, 2]}
    board = quality.leaderboard(games, resamples=100, seed=7)
    assert [row["model"] for row in board] == ["a", "b", "c"]
    assert board == quality.leaderboard(games, resamples=100, seed=7)
    assert board != quality.leaderboard(games, resamples=100, seed=8)
    for row in board:
        assert row["ci_low"] <= row["score"] <= row["ci_high"]
    a = board[0]
    assert (a["wins"], a["losses"], a["ties"]) == (55, 15, 6)
    assert sum(row["score"] for row in board) == pytest.approx(3000, abs=0.05)  # centred on 1000


def test_win_rate_matrix():
    rates = quality.win_rates({("a", "b"): [3, 1, 2]}, ["a", "b", "c"])
    assert rates["win_rate"] == [
        [None, round(4 / 6, 6), None],
        [round(2 / 6, 6), None, None],
        [None, None, None],
    ]
    assert rates["games"][0][1] == rates["games"][1][0] == 6


def test_binomial_sampler_has_the_right_mean_and_spread():
    rng = random.Random(1)
    for n, p in ((20, 0.1), (1000, 0.3), (100000, 0.7)):
        draws = [quality.binomial(rng, n, p) for _ in range(4000)]
        mean = sum(draws) / len(draws)
        var = sum((d - mean) ** 2 for d in draws) / len(draws)
        assert abs(mean - n * p) < 4 * math.sqrt(n * p * (1 - p) / len(draws))
        assert var == pytest.approx(n * p * (1 - p), rel=0.1)
        assert all(0 <= d <= n for d in draws)
    assert sum(quality.multinomial(rng, 50, [1, 0, 3])) == 50


# ---------------------------------------------------------------- large counts


@pytest.mark.parametrize(
    ("k", "n"), [(450_000, 900_000), (449_000, 900_000), (440_000, 900_000), (3, 5000), (2400, 5000)]
)
def test_binom_test_is_quick_and_right_for_large_counts(k, n):
    assert quality.binom_test(k, n) == pytest.approx(scipy_stats.binomtest(k, n).pvalue, rel=1e-6, abs=1e-300)

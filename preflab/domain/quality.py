"""Agreement, labeler quality, position bias and the model leaderboard. Pure Python (no numpy,
no scipy), so the base install stays light; every figure accumulates item by item, so a project
of any size streams through in flat memory.

- Krippendorff's alpha, nominal: each comparison a unit, each vote a coder's value (skips are
  missing values); units with fewer than two votes carry no information. None when undefined
  (fewer than two pairable values, or a single category in all the data).
- Cohen's kappa for every two labelers with at least ``min_shared`` comparisons in common, then
  the plain mean over those pairs.
- Position bias: the share of decisive votes that picked the answer shown first, with an exact
  two-sided binomial test against 1/2 (``binom_test``, the same p-value as
  ``scipy.stats.binomtest``).
- Bradley-Terry: every vote between two named models is a game, ties and both-bad are half a
  win each. The maximum-likelihood fit (Newton's method) with ``prior`` virtual tie games of
  every model against a fixed reference (keeps a model that never won finite; 0 gives the plain
  maximum-likelihood fit). Scores are on the Elo scale: ``1000 + 400 * log10(strength / geometric mean)``.
  Confidence intervals: the 2.5th and 97.5th percentiles over ``resamples`` bootstrap resamples
  of the games (multinomial, seeded: the same data and seed give the same intervals).
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from fractions import Fraction
from itertools import combinations

# ---------------------------------------------------------------- small helpers


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default) of sorted values."""
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ---------------------------------------------------------------- binomial test


def binom_test(k: int, n: int, p: float = 0.5) -> float:
    """Exact two-sided binomial test: the probability, under Binomial(n, p), of an outcome no
    more likely than ``k`` (relative tolerance 1e-7, as scipy and R use)."""
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and n, got k={k}, n={n}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must be between 0 and 1, got {p}")
    if n == 0:
        return 1.0
    if p == 0.5:
        return _binom_test_half(k, n)
    if p in (0, 1):
        return 1.0 if k == round(n * p) else 0.0
    logs = [_log_pmf(i, n, p) for i in range(n + 1)]
    bound = logs[k] + math.log1p(1e-7)
    return min(1.0, math.fsum(math.exp(v) for v in logs if v <= bound))


def _log_pmf(i: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
    )


def binom_below(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p): the p-value of k successes against H0 rate >= p."""
    if n == 0 or k >= n:
        return 1.0
    return min(1.0, sum(math.exp(_log_pmf(i, n, p)) for i in range(k + 1)))


def binom_above(k: int, n: int, p: float) -> float:
    """P(X >= k): the p-value of k successes against H0 rate <= p."""
    if k <= 0:
        return 1.0
    return min(1.0, sum(math.exp(_log_pmf(i, n, p)) for i in range(k, n + 1)))


def _binom_test_half(k: int, n: int) -> float:
    """p = 1/2: 2 * P(X <= min(k, n - k)), at most 1; exact integer arithmetic up to n = 2000,
    above it the tail summed from its largest term down until the terms no longer count."""
    low = min(k, n - k)
    if 2 * low == n:
        return 1.0
    if n <= 2000:
        term = total = 1
        for i in range(low):
            term = term * (n - i) // (i + 1)
            total += term
        return min(1.0, float(Fraction(2 * total, 2**n)))
    log_first = math.lgamma(n + 1) - math.lgamma(low + 1) - math.lgamma(n - low + 1) - n * math.log(2)
    total = term = 1.0
    for i in range(low, 0, -1):
        term *= i / (n - i + 1)  # P(X = i - 1) / P(X = i)
        total += term
        if term < total * 1e-17:
            break
    return min(1.0, 2 * math.exp(log_first) * total)


# ---------------------------------------------------------------- Krippendorff's alpha


class Alpha:
    """Krippendorff's alpha (nominal) from a coincidence matrix, unit by unit."""

    def __init__(self) -> None:
        self.coincidences: dict[tuple, float] = defaultdict(float)
        self.units = 0

    def add(self, values: Iterable[Hashable]) -> None:
        """The values the coders gave one unit (missing values left out)."""
        counts = Counter(values)
        m = sum(counts.values())
        if m < 2:
            return
        weight = 1 / (m - 1)
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                if pairs:
                    self.coincidences[(c, k)] += pairs * weight
        self.units += 1

    def value(self) -> float | None:
        totals: dict = defaultdict(float)
        for (c, _), o in self.coincidences.items():
            totals[c] += o
        n = sum(totals.values())
        observed = sum(o for (c, k), o in self.coincidences.items() if c != k)
        expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
        if n <= 1 or expected == 0:
            return None
        return 1 - (n - 1) * observed / expected


# ---------------------------------------------------------------- Cohen's kappa


def cohen_kappa(table: Mapping[tuple, int]) -> float | None:
    """Cohen's kappa of two raters from their joint counts ``{(value_a, value_b): n}``; None when
    chance agreement is already perfect (both gave one and the same value throughout)."""
    n = sum(table.values())
    if n == 0:
        return None
    rows: Counter = Counter()
    cols: Counter = Counter()
    agreed = 0
    for (a, b), count in table.items():
        rows[a] += count
        cols[b] += count
        if a == b:
            agreed += count
    observed = agreed / n
    expected = sum(rows[v] * cols[v] for v in rows) / (n * n)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


class PairwiseKappa:
    """Joint counts for every two labelers, unit by unit."""

    def __init__(self) -> None:
        self.tables: dict[tuple, Counter] = defaultdict(Counter)

    def add(self, values: Mapping[Hashable, Hashable]) -> None:
        """One unit: labeler -> value."""
        for a, b in combinations(sorted(values), 2):
            self.tables[(a, b)][(values[a], values[b])] += 1

    def mean(self, min_shared: int = 10) -> tuple[float | None, int]:
        """(mean kappa over labeler pairs with at least ``min_shared`` units in common, pairs used)."""
        kappas = []
        for table in self.tables.values():
            if sum(table.values()) >= min_shared:
                kappa = cohen_kappa(table)
                if kappa is not None:
                    kappas.append(kappa)
        return (sum(kappas) / len(kappas) if kappas else None), len(kappas)


# ---------------------------------------------------------------- Bradley-Terry

#: games[(a, b)] with a < b: [wins of a, wins of b, ties]
Games = Mapping[tuple[str, str], Sequence[float]]


def bradley_terry(
    games: Games, *, prior: float = 1.0, tol: float = 1e-10, max_iter: int = 100
) -> dict[str, float]:
    """Log strengths (natural log, mean zero) of every model in ``games``: the maximum of the
    likelihood (with the prior's virtual games), by Newton's method with step halving."""
    models = sorted({m for pair in games for m in pair})
    if not models:
        return {}
    index = {m: i for i, m in enumerate(models)}
    size = len(models)
    won = [prior / 2] * size
    meetings: list[tuple[int, int, float]] = []
    for (a, b), (wins_a, wins_b, ties) in games.items():
        total = wins_a + wins_b + ties
        if total > 0:
            i, j = index[a], index[b]
            won[i] += wins_a + ties / 2
            won[j] += wins_b + ties / 2
            meetings.append((i, j, total))
    free = list(range(size)) if prior > 0 else list(range(1, size))  # without a prior, model 0 is pinned
    theta = [0.0] * size
    current = _log_likelihood(theta, won, meetings, prior)
    for _ in range(max_iter):
        gradient, hessian = _derivatives(theta, won, meetings, prior)
        step = _solve([[-hessian[i][j] for j in free] for i in free], [gradient[i] for i in free])
        if step is None:
            break
        scale = 1.0
        while True:
            trial = list(theta)
            for k, i in enumerate(free):
                trial[i] += scale * step[k]
            value = _log_likelihood(trial, won, meetings, prior)
            if value >= current - 1e-12 or scale < 1e-6:
                break
            scale /= 2
        theta, current = trial, value
        if max(abs(scale * x) for x in step) < tol:
            break
    mean = sum(theta) / size
    return {m: theta[index[m]] - mean for m in models}


def _log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x > 0 else x - math.log1p(math.exp(x))


def _log_likelihood(theta, won, meetings, prior) -> float:
    """Ties count half a win each way, so the likelihood only needs the wins and the totals."""
    value = sum(w * t for w, t in zip(won, theta, strict=True))
    for i, j, total in meetings:
        value += total * _log_sigmoid(theta[i] - theta[j]) - total * theta[i]
    for t in theta:  # virtual games against the reference: prior/2 wins each way, already in ``won``
        value += prior * (_log_sigmoid(t) - t)
    return value


def _derivatives(theta, won, meetings, prior):
    size = len(theta)
    gradient = list(won)
    hessian = [[0.0] * size for _ in range(size)]
    for i, j, total in meetings:
        p = 1 / (1 + math.exp(theta[j] - theta[i]))
        gradient[i] -= total * p
        gradient[j] -= total * (1 - p)
        w = total * p * (1 - p)
        hessian[i][i] -= w
        hessian[j][j] -= w
        hessian[i][j] += w
        hessian[j][i] += w
    for i, t in enumerate(theta):
        p = 1 / (1 + math.exp(-t))
        gradient[i] -= prior * p
        hessian[i][i] -= prior * p * (1 - p)
    return gradient, hessian


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when the matrix is singular."""
    size = len(vector)
    rows = [[*matrix[r], vector[r]] for r in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if abs(rows[pivot][col]) < 1e-12:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            if factor:
                for c in range(col, size + 1):
                    rows[r][c] -= factor * rows[col][c]
    out = [0.0] * size
    for r in range(size - 1, -1, -1):
        out[r] = (rows[r][size] - sum(rows[r][c] * out[c] for c in range(r + 1, size))) / rows[r][r]
    return out


def elo(log_strength: float) -> float:
    return 1000 + 400 * log_strength / math.log(10)


def leaderboard(games: Games, *, resamples: int = 200, seed: int = 0, prior: float = 1.0) -> list[dict]:
    """Models by Bradley-Terry score, with bootstrap intervals and their wins / losses / ties."""
    fitted = bradley_terry(games, prior=prior)
    if not fitted:
        return []
    samples: dict[str, list[float]] = {m: [] for m in fitted}
    cells = [(pair, slot) for pair in sorted(games) for slot in range(3)]
    counts = [int(games[pair][slot]) for pair, slot in cells]
    rng = random.Random(seed)
    for _ in range(resamples):
        drawn = multinomial(rng, sum(counts), counts)
        resampled: dict[tuple[str, str], list[float]] = {}
        for (pair, slot), n in zip(cells, drawn, strict=True):
            resampled.setdefault(pair, [0, 0, 0])[slot] = n
        scores = bradley_terry(resampled, prior=prior, tol=1e-8)
        for m in fitted:
            samples[m].append(elo(scores.get(m, 0.0)))
    record = {m: [0, 0, 0] for m in fitted}
    for (a, b), (wins_a, wins_b, ties) in games.items():
        record[a][0] += wins_a
        record[a][1] += wins_b
        record[b][0] += wins_b
        record[b][1] += wins_a
        record[a][2] += ties
        record[b][2] += ties
    out = []
    for m, log_strength in fitted.items():
        ordered = sorted(samples[m])
        score = elo(log_strength)
        out.append(
            {
                "model": m,
                "score": round(score, 2),
                "ci_low": round(percentile(ordered, 0.025), 2) if ordered else None,
                "ci_high": round(percentile(ordered, 0.975), 2) if ordered else None,
                "wins": int(record[m][0]),
                "losses": int(record[m][1]),
                "ties": int(record[m][2]),
            }
        )
    out.sort(key=lambda row: (-row["score"], row["model"]))
    return out


def win_rates(games: Games, models: Sequence[str]) -> dict:
    """Observed share of the games between two models won by the row's model (ties half)."""
    index = {m: i for i, m in enumerate(models)}
    size = len(models)
    rates: list[list[float | None]] = [[None] * size for _ in range(size)]
    played = [[0] * size for _ in range(size)]
    for (a, b), (wins_a, wins_b, ties) in games.items():
        total = wins_a + wins_b + ties
        if not total or a not in index or b not in index:
            continue
        i, j = index[a], index[b]
        rates[i][j] = round((wins_a + ties / 2) / total, 6)
        rates[j][i] = round((wins_b + ties / 2) / total, 6)
        played[i][j] = played[j][i] = int(total)
    return {"models": list(models), "win_rate": rates, "games": played}


# ---------------------------------------------------------------- seeded sampling


def multinomial(rng: random.Random, n: int, weights: Sequence[float]) -> list[int]:
    """A multinomial draw of ``n`` over ``weights`` (conditional binomials)."""
    left, mass = n, float(sum(weights))
    out = []
    for w in weights:
        if left == 0 or mass <= 0:
            out.append(0)
            continue
        k = binomial(rng, left, min(1.0, w / mass))
        out.append(k)
        left -= k
        mass -= w
    return out


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) variate: inversion for small means, Hormann's BTRS otherwise."""
    if p <= 0 or n == 0:
        return 0
    if p >= 1:
        return n
    if p > 0.5:
        return n - binomial(rng, n, 1 - p)
    if n * p < 10:
        q = 1 - p
        s, a = p / q, (n + 1) * p / q
        r = q**n
        u = rng.random()
        x = 0
        while u > r and x < n:
            u -= r
            x += 1
            r *= a / x - s
        return x
    q = 1 - p
    spq = math.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    vr = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = math.log(p / q)
    m = math.floor((n + 1) * p)
    h = math.lgamma(m + 1) + math.lgamma(n - m + 1)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        if us <= 0:
            continue
        k = math.floor((2 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= vr:
            return k
        if v <= 0:
            continue
        v = math.log(v * alpha / (a / (us * us) + b))
        if v <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k

#!/usr/bin/env python3
"""Reference values for DriftOraclesTest, computed independently with numpy/scipy.

Writes numeric.tsv, categorical.tsv and kswin.tsv next to this script. Run from anywhere:

    flock /tmp/sieveml-build.lock python3 monitoring/src/test/resources/oracles/make_oracles.py

Made with Python 3.11.7, scipy 1.17.1, numpy 2.4.6 (any scipy >= 1.9 should reproduce them). Every input is generated here with a seeded numpy
generator and written into the files, so the Java test reads the very same samples.

Definitions followed (as documented in DriftTests / DriftMethod):
- numeric PSI and Jensen-Shannon: NaN is missing and gets its own bucket; 10 bins with inner edges at the
  reference's quantiles by the inverse empirical CDF (Hyndman-Fan type 1: the ceil(n b / 10)-th smallest
  value, b = 1..9), duplicates dropped; a value v falls in bucket #edges <= v (np.searchsorted side=right).
- PSI: sum (c - r) ln(c / r) over bucket proportions (missing included in the totals), each floored at 1e-4.
- Jensen-Shannon: scipy.spatial.distance.jensenshannon(p, q, base=2), the DISTANCE (square root of the
  divergence), which is what we report.
- Wasserstein: scipy.stats.wasserstein_distance(r, c) / std(r, ddof=1), NaN dropped.
- categorical buckets: categories of both samples pooled, None (missing) a category; categories whose
  pooled count is below 5 merged into one bucket when at least one category reaches 5.
- chi-square: scipy.stats.chi2_contingency on the 2 x k table, correction=False (no Yates); the statistic
  we report is Cramer's V = sqrt(chi2 / N). Cochran's rule (no expected count < 1, at most 20 % < 5)
  decides whether the asymptotic p-value applies; where it does not, perm_p is a permutation p-value of the
  chi-square statistic from 200,000 random tables (numpy), to check our Monte-Carlo p-value loosely.
- KSWIN: a transcription of River's river/drift/kswin.py (online-ml/river, KSWIN.update): a deque of
  window_size values; once full, stat_size indices sampled without replacement from the older
  window_size - stat_size positions, scipy.stats.ks_2samp(sampled, most_recent, method="auto"), drift when
  p <= alpha and D > 0.1; on the update after a drift River calls _reset(): empty window, sampler reseeded.
  River samples with Python's random.Random(seed).sample; here the sampler is a transcription of
  java.util.SplittableRandom (JDK 17: SplitMix64, nextInt(bound) by rejection) driving a partial
  Fisher-Yates shuffle, which is what our Kswin does, so that both draw the same indices.
  Mode "river" is River exactly (as above); mode "keep" keeps the most recent stat_size values after a
  drift and does not reseed (scikit-multiflow's KSWIN, and what River's own deque assignment intends),
  which is our Kswin's documented reset semantics.
"""
import math
import os
import warnings

import numpy as np
from scipy import stats
from scipy.spatial import distance

HERE = os.path.dirname(os.path.abspath(__file__))
M64 = (1 << 64) - 1


def fmt(x):
    if x is None:
        return ""
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    return repr(float(x))


def join(values):
    return ",".join(fmt(v) for v in values)


# ---------------------------------------------------------------- numeric distances

def quantile_edges(ref, bins=10):
    s = np.sort(ref)
    n = len(s)
    edges = []
    for b in range(1, bins):
        idx = min(max(math.ceil(b * n / bins) - 1, 0), n - 1)
        q = s[idx]
        if not edges or q > edges[-1]:
            edges.append(q)
    return np.array(edges)


def histogram(values, edges, missing):
    h = np.zeros(len(edges) + 2)
    idx = np.searchsorted(edges, values, side="right")
    for i in idx:
        h[i] += 1
    h[-1] += missing
    return h


def psi(rc, cc):
    r = np.maximum(rc / rc.sum(), 1e-4)
    c = np.maximum(cc / cc.sum(), 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


def js(rc, cc):
    return float(distance.jensenshannon(rc / rc.sum(), cc / cc.sum(), base=2))


def numeric_case(name, ref, cur):
    r = ref[~np.isnan(ref)]
    c = cur[~np.isnan(cur)]
    edges = quantile_edges(r)
    rc = histogram(r, edges, len(ref) - len(r))
    cc = histogram(c, edges, len(cur) - len(c))
    sd = np.std(r, ddof=1) if len(r) > 1 else 0.0
    w = stats.wasserstein_distance(r, c)
    wn = w / sd if sd > 0 else (0.0 if w == 0 else math.inf)
    return [name, join(ref), join(cur), fmt(psi(rc, cc)), fmt(js(rc, cc)), fmt(wn)]


def numeric_cases(rng):
    rows = []
    specs = [("normal-shift", 200, 300, lambda n: rng.normal(0, 1, n), lambda n: rng.normal(0.3, 1.2, n)),
             ("normal-same", 1000, 800, lambda n: rng.normal(5, 2, n), lambda n: rng.normal(5, 2, n)),
             ("lognormal", 500, 500, lambda n: rng.lognormal(0, 1, n), lambda n: rng.lognormal(0.2, 1, n)),
             ("rounded-ties", 400, 350, lambda n: np.round(rng.normal(0, 1, n), 1),
              lambda n: np.round(rng.normal(0.1, 1, n), 1)),
             ("five-levels", 300, 300, lambda n: rng.integers(0, 5, n).astype(float),
              lambda n: rng.choice(5, n, p=[0.1, 0.2, 0.2, 0.2, 0.3]).astype(float)),
             ("small", 7, 5, lambda n: rng.normal(0, 1, n), lambda n: rng.normal(1, 1, n)),
             ("exponential-large", 5000, 4000, lambda n: rng.exponential(1, n), lambda n: rng.exponential(1.1, n))]
    for name, n, m, fr, fc in specs:
        rows.append(numeric_case(name, fr(n), fc(m)))
    # with missing values (NaN)
    ref = rng.normal(0, 1, 600)
    cur = rng.normal(0.2, 1, 500)
    ref[rng.random(600) < 0.05] = np.nan
    cur[rng.random(500) < 0.15] = np.nan
    rows.append(numeric_case("with-missing", ref, cur))
    return rows


# ---------------------------------------------------------------- categorical

def pooled_table(ref, cur):
    pooled = {}
    for s in list(ref) + list(cur):
        pooled[s] = pooled.get(s, 0) + 1
    frequent = [k for k, v in pooled.items() if v >= 5]
    merge = len(frequent) >= 1
    bucket = {}
    names = []
    for k, v in pooled.items():
        if v >= 5 or not merge:
            bucket[k] = len(names)
            names.append(k)
    rare = [k for k, v in pooled.items() if v < 5]
    if merge and rare:
        for k in rare:
            bucket[k] = len(names)
        names.append("<rare>")
    table = np.zeros((2, len(names)))
    for s in ref:
        table[0, bucket[s]] += 1
    for s in cur:
        table[1, bucket[s]] += 1
    return table


def cochran(table):
    expected = stats.contingency.expected_freq(table)
    return bool(expected.min() >= 1 and (expected < 5).sum() <= 0.2 * expected.size)


def permutation_p(table, observed, rng, draws=200_000):
    cols = table.sum(axis=0).astype(np.int64)
    n = int(table[0].sum())
    refs = rng.multivariate_hypergeometric(cols, n, size=draws)
    total = cols.sum()
    er = n * cols / total
    ec = (total - n) * cols / total
    d = refs - er
    chi = (d * d * (1 / er + 1 / ec)).sum(axis=1)
    exceed = np.count_nonzero(chi >= observed - 1e-12 * abs(observed))
    return (1 + exceed) / (1 + draws)


def categorical_case(name, ref, cur, rng):
    table = pooled_table(ref, cur)
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    n = table.sum()
    ok = cochran(table)
    perm = math.nan if ok else permutation_p(table, chi2, rng)
    rc, cc = table[0], table[1]
    return [name, ",".join("" if s is None else s for s in ref), ",".join("" if s is None else s for s in cur),
            fmt(chi2), fmt(p), fmt(math.sqrt(chi2 / n)), str(ok).lower(), fmt(perm), fmt(psi(rc, cc)),
            fmt(js(rc, cc))]


def zipf_sample(rng, n, k, a, prefix):
    w = 1.0 / np.arange(1, k + 1) ** a
    idx = rng.choice(k, n, p=w / w.sum())
    return [prefix + str(i) for i in idx]


def categorical_cases(rng):
    rows = []
    ref = list(rng.choice(["web", "ios", "android"], 800, p=[0.5, 0.3, 0.2]))
    cur = list(rng.choice(["web", "ios", "android"], 700, p=[0.45, 0.35, 0.2]))
    rows.append(categorical_case("three-levels", ref, cur, rng))
    ref = list(rng.choice(["a", "b", "c", "d"], 3000, p=[0.4, 0.3, 0.2, 0.1]))
    cur = list(rng.choice(["a", "b", "c", "d", "e"], 2500, p=[0.38, 0.3, 0.2, 0.1, 0.02]))
    for i in range(0, 3000, 37):
        ref[i] = None
    rows.append(categorical_case("unseen-and-missing", ref, cur, rng))
    rows.append(categorical_case("zipf-high-cardinality", zipf_sample(rng, 400, 300, 1.1, "id"),
                                 zipf_sample(rng, 400, 300, 1.1, "id"), rng))
    rows.append(categorical_case("zipf-shifted", zipf_sample(rng, 500, 200, 1.2, "id"),
                                 zipf_sample(rng, 500, 200, 0.9, "id"), rng))
    rows.append(categorical_case("small-counts", list("aabbbcacbbdaab"), list("bbccdcceeaacc"), rng))
    return rows


# ---------------------------------------------------------------- KSWIN

class JavaSplittableRandom:
    """java.util.SplittableRandom (JDK 17): SplitMix64 with GOLDEN_GAMMA; nextInt(bound) by rejection."""
    GOLDEN_GAMMA = 0x9E3779B97F4A7C15

    def __init__(self, seed):
        self.seed = seed & M64

    def _mix32(self):
        self.seed = (self.seed + self.GOLDEN_GAMMA) & M64
        z = self.seed
        z = ((z ^ (z >> 33)) * 0x62A9D9ED799705F5) & M64
        return (((z ^ (z >> 28)) * 0xCB24D0A5C88C35B3) & M64) >> 32  # unsigned 32 bits

    @staticmethod
    def _int32(x):
        x &= 0xFFFFFFFF
        return x - (1 << 32) if x >= (1 << 31) else x

    def next_int(self, bound):
        r = self._int32(self._mix32())
        m = bound - 1
        if bound & m == 0:
            return r & m
        u = (r & 0xFFFFFFFF) >> 1
        while True:
            r = u % bound
            if self._int32(u + m - r) >= 0:
                return r
            u = self._mix32() >> 1


class Sampler:
    """A partial Fisher-Yates draw of k of range(n), as our Kswin does; replaces River's rng.sample."""

    def __init__(self, seed):
        self.seed = seed
        self.rng = JavaSplittableRandom(seed)

    def sample(self, n, k):
        idx = list(range(n))
        for i in range(k):
            j = i + self.rng.next_int(n - i)
            idx[i], idx[j] = idx[j], idx[i]
        return idx[:k]


class Kswin:
    """River's KSWIN.update, transcribed; mode 'river' resets like River, 'keep' like scikit-multiflow."""

    def __init__(self, alpha, window_size, stat_size, seed, mode):
        self.alpha, self.window_size, self.stat_size, self.seed, self.mode = alpha, window_size, stat_size, seed, mode
        self.sampler = Sampler(seed)
        self.window = []
        self.drift_detected = False
        self.p_value = math.nan
        self.fell_back = False

    def update(self, x):
        self.fell_back = False
        if self.drift_detected and self.mode == "river":
            self.window = []  # River's _reset(): empty deque, random.Random(seed) again
            self.sampler = Sampler(self.seed)
        self.window.append(x)
        if len(self.window) > self.window_size:
            self.window.pop(0)
        if len(self.window) >= self.window_size:
            older = self.window_size - self.stat_size
            rnd_window = [self.window[r] for r in self.sampler.sample(older, self.stat_size)]
            most_recent = self.window[older:self.window_size]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", category=RuntimeWarning)
                st, self.p_value = stats.ks_2samp(rnd_window, most_recent, method="auto")
            # scipy gives up its exact computation on some tied samples and falls back to the asymptotic
            # p-value (as River does, with the warning silenced); ours stays exact: such steps are marked
            self.fell_back = any("Exact calculation unsuccessful" in str(w.message) for w in caught)
            if self.p_value <= self.alpha and st > 0.1:
                self.drift_detected = True
                self.window = list(most_recent)
            else:
                self.drift_detected = False
        else:
            self.drift_detected = False
            self.p_value = math.nan
        return self.drift_detected


def kswin_cases(rng):
    rows = []
    streams = {
        "gaussian-shift": np.concatenate([rng.normal(0, 1, 600), rng.normal(1.5, 1, 600)]),
        "bernoulli-errors": np.concatenate([(rng.random(800) < 0.2), (rng.random(800) < 0.6)]).astype(float),
        "gaussian-stable": rng.normal(0, 1, 1500),
    }
    for name, xs in streams.items():
        for mode in ("river", "keep"):
            for alpha, window, stat, seed in ((0.005, 100, 30, 42), (0.01, 60, 20, 7)):
                d = Kswin(alpha, window, stat, seed, mode)
                ps = []
                drifts = []
                asymptotic = []
                for i, x in enumerate(xs):
                    if d.update(float(x)):
                        drifts.append(i)
                    if d.fell_back:
                        asymptotic.append(i)
                    ps.append(d.p_value)
                rows.append([name, mode, fmt(alpha), str(window), str(stat), str(seed), join(xs),
                             ",".join(str(i) for i in drifts), join(ps), ",".join(str(i) for i in asymptotic)])
    return rows


def write(path, header, rows):
    with open(os.path.join(HERE, path), "w") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


def main():
    rng = np.random.default_rng(20)
    write("numeric.tsv", ["case", "reference", "current", "psi", "js", "wasserstein_over_sd"], numeric_cases(rng))
    write("categorical.tsv", ["case", "reference", "current", "chi2", "chi2_p", "cramers_v", "cochran",
                              "perm_p", "psi", "js"], categorical_cases(rng))
    write("kswin.tsv", ["stream", "mode", "alpha", "window", "stat", "seed", "values", "drifts", "p_values",
                           "asymptotic_steps"],
          kswin_cases(rng))


if __name__ == "__main__":
    main()

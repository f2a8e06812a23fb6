"""Counter-based random numbers."""

from __future__ import annotations

import numba as nb
import numpy as np
from scipy import stats

from taobao_sim.core import rng


@nb.njit
def _draws(seed, n, stream):
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.uniform(seed, i // 100, i % 100, stream)
    return out


def test_same_counters_same_draw():
    a = rng.uniform(np.uint64(7), 3, 11, rng.STREAM_ENTRY)
    b = rng.uniform(np.uint64(7), 3, 11, rng.STREAM_ENTRY)
    assert a == b
    assert 0.0 <= a < 1.0


def test_each_counter_changes_the_draw():
    base = (np.uint64(7), 3, 11, 5)
    ref = rng.uniform(*base)
    for k in range(4):
        changed = list(base)
        changed[k] = changed[k] + 1 if k else np.uint64(8)
        assert rng.uniform(*changed) != ref


def test_uniform_distribution():
    x = _draws(np.uint64(12345), 200_000, 1)
    assert x.min() >= 0.0 and x.max() < 1.0
    assert stats.kstest(x, "uniform").pvalue > 1e-3
    counts = np.histogram(x, bins=50, range=(0, 1))[0]
    assert stats.chisquare(counts).pvalue > 1e-3


def test_streams_are_uncorrelated():
    a = _draws(np.uint64(99), 100_000, 16)
    b = _draws(np.uint64(99), 100_000, 17)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.02
    c = _draws(np.uint64(100), 100_000, 16)  # neighbouring seed
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.02


def test_normal_draws():
    z = np.array([rng.normal(np.uint64(3), t, h, rng.STREAM_REPUTATION)
                  for t in range(200) for h in range(100)])
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1.0) < 0.03
    assert stats.normaltest(z).pvalue > 1e-3


def test_replicate_seeds_do_not_depend_on_ensemble_size():
    five = rng.replicate_seeds(2010, 5)
    assert rng.replicate_seeds(2010, 3) == five[:3]
    assert rng.replicate_seeds(2010, 2, first=3) == five[3:]
    assert len(set(five)) == 5
    assert rng.replicate_seeds(2011, 1) != five[:1]
    expected = int(np.random.SeedSequence(2010, spawn_key=(4,)).generate_state(1, np.uint64)[0])
    assert five[4] == expected

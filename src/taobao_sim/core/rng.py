"""Counter-based random numbers: each draw is a hash of (seed, step, household, stream).

Because a draw depends only on who draws it, when and for what, results do not
depend on the engine, the order in which households are visited, or the number
of threads. The hash chains the SplitMix64 finaliser (Steele, Lea & Flood 2014),
a full-avalanche 64-bit mixer, over the four counters.

Replicate seeds come from :func:`replicate_seeds` (numpy ``SeedSequence`` spawn),
so any replicate can be rerun alone from its seed.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53

# Purposes of draws (the "stream" counter). Per-member draws add the member's slot.
STREAM_ENTRY = 1
STREAM_REPUTATION = 2  # two draws: 2 and 3
STREAM_FIRM = 4
STREAM_CASUAL = 16  # + member slot (< 16; a household has at most 10 members)
STREAM_MIGRATE = 32
STREAM_RETURN = 48
STREAM_HOMEWORK_EXIT = 64
STREAM_HOMEWORK_ENTRY = 80
STREAM_QUIT = 96
STREAM_COMMUTER_QUIT = 112
STREAM_HIRE = 128  # labour flows applied at the start of a month (engines.month)
STREAM_LAYOFF = 144
STREAM_COMMUTER_LAYOFF = 160
STREAM_HIRE_PLACE = 176  # + hire: a village job or a job elsewhere


@nb.njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(cache=True)
def household_key(seed: np.uint64, step: np.int64, household: np.int64) -> np.uint64:
    """The hash of (seed, step, household): every draw of that household in that
    month is one more mix of this key with the draw's stream."""
    h = _mix(seed + _GOLDEN)
    h = _mix(h ^ (np.uint64(step) + _GOLDEN))
    return _mix(h ^ (np.uint64(household) + _GOLDEN))


@nb.njit(cache=True, inline="always")
def key_uniform(key: np.uint64, stream: np.int64) -> float:
    """A uniform draw in [0, 1) with 53 random bits, for a household key and a stream."""
    return float(_mix(key ^ (np.uint64(stream) + _GOLDEN)) >> _S11) * _TWO_M53


@nb.njit(cache=True)
def key_normal(key: np.uint64, stream: np.int64) -> float:
    """A standard normal draw (Box-Muller on streams ``stream`` and ``stream + 1``)."""
    u1 = 1.0 - key_uniform(key, stream)  # in (0, 1], so log is finite
    u2 = key_uniform(key, stream + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@nb.njit(cache=True)
def draw_bits(seed: np.uint64, step: np.int64, household: np.int64, stream: np.int64):
    """64 random bits for (seed, step, household, stream)."""
    return _mix(household_key(seed, step, household) ^ (np.uint64(stream) + _GOLDEN))


@nb.njit(cache=True)
def uniform(seed: np.uint64, step: np.int64, household: np.int64, stream: np.int64) -> float:
    """A uniform draw in [0, 1) with 53 random bits (same as :func:`key_uniform`)."""
    return key_uniform(household_key(seed, step, household), stream)


@nb.njit(cache=True)
def normal(seed: np.uint64, step: np.int64, household: np.int64, stream: np.int64) -> float:
    """A standard normal draw (same as :func:`key_normal`)."""
    return key_normal(household_key(seed, step, household), stream)


def spawned_seed(root: int, spawn_key: tuple[int, ...]) -> int:
    """The 64-bit seed ``SeedSequence(root, spawn_key=spawn_key)`` generates: the seed of
    a replicate (key ``(i,)``) or of a sweep's run (key ``(point, replicate)``)."""
    ss = np.random.SeedSequence(root, spawn_key=spawn_key)
    return int(ss.generate_state(1, dtype=np.uint64)[0])


def replicate_seeds(root: int, n: int, first: int = 0) -> list[int]:
    """64-bit seeds of replicates ``first .. first + n - 1`` spawned from a root seed.

    Replicate ``i`` always gets the same seed, whatever ``n`` is, so a single
    replicate can be replayed alone.
    """
    return [spawned_seed(root, (i,)) for i in range(first, first + n)]

"""The yardstick: a minimal kernel with the fast engine's access pattern.

What the machine does on the engine's memory and draw pattern, with none of the
model: households in villages of :data:`VILLAGE` (300), a ``prange`` over
villages, and for each household in index order

- its ties (CSR, int32: :data:`RING` ring ties within its village and on average
  :data:`WEAK` weak ties to random households of the world) read from a float32
  ``seen`` buffer of last month (NaN: did not sell), their count and mean over
  the ties that sell;
- one counter-based draw with the engine's hash (``rng.household_key`` then
  ``rng.key_uniform``), a second one when it sells;
- a small record (:data:`RECORD_DTYPE`: three float32 and three int8 fields)
  read, updated and written back;
- its own ``seen`` value written to next month's buffer (double buffer), and
  its village's month summed into a per-village row.

:func:`build` makes the world and :func:`household_steps_per_second` times it;
``python benchmarks/kernel.py [--households N] [--months T] [--threads K]``
prints one measurement.
"""

from __future__ import annotations

import argparse
import json
import time

import numba
import numba as nb
import numpy as np

from taobao_sim.core import rng

#: Households per village.
VILLAGE = 300
#: Ring ties of each household (its nearest neighbours on a ring in its village).
RING = 6
#: Mean weak ties per household (to random households anywhere).
WEAK = 1.0
#: Recorded figures per village and month (sellers, sales, capital).
N_VILLAGE_FIELDS = 3

#: The household record: a few float32 and int8 fields, packed like the engine's.
RECORD_DTYPE = np.dtype([("capital", "f4"), ("skill", "f4"), ("reputation", "f4"),
                         ("shop", "i1"), ("members", "i1"), ("losses", "i1")])

ENTRY_STREAM = 1  # the draw of every household
SALES_STREAM = 2  # the second draw of a household that sells


def build(households: int, seed: int = 1) -> dict:
    """A world of ``households`` households in villages of :data:`VILLAGE`.

    Returns:
        dict of arrays: ``village_start`` (int64, villages + 1), ``ties_ptr``
        (int64, households + 1) and ``ties_idx`` (int32) as CSR tie lists,
        ``records`` (:data:`RECORD_DTYPE`), ``seen`` (float32 (2, households),
        NaN: did not sell; buffer ``t % 2`` is month t's view) and ``villages``
        (float64 (villages, N_VILLAGE_FIELDS) of the last month).
    """
    g = np.random.default_rng(seed)
    n = households
    starts = np.arange(0, n, VILLAGE, dtype=np.int64)
    village_start = np.append(starts, n).astype(np.int64)
    weak = g.poisson(WEAK, n)
    deg = RING + weak
    ties_ptr = np.zeros(n + 1, dtype=np.int64)
    ties_ptr[1:] = np.cumsum(deg)
    ties_idx = np.empty(ties_ptr[-1], dtype=np.int32)
    village_of = np.arange(n) // VILLAGE
    lo = village_start[village_of]
    size = village_start[village_of + 1] - lo
    offsets = np.array([-3, -2, -1, 1, 2, 3])
    for k, d in enumerate(offsets):
        ties_idx[ties_ptr[:-1] + k] = lo + (np.arange(n) - lo + d) % size
    has_weak = np.repeat(np.arange(n), weak)
    rank = np.arange(len(has_weak)) - np.repeat(np.cumsum(weak) - weak, weak)  # j-th weak tie
    slot = ties_ptr[has_weak] + RING + rank
    ties_idx[slot] = g.integers(0, n, len(has_weak))
    records = np.zeros(n, dtype=RECORD_DTYPE)
    records["capital"] = g.uniform(0.0, 5000.0, n)
    records["skill"] = g.uniform(0.0, 0.3, n)
    records["members"] = g.integers(2, 7, n)
    seen = np.full((2, n), np.nan, dtype=np.float32)
    villages = np.zeros((len(starts), N_VILLAGE_FIELDS))
    return {"village_start": village_start, "ties_ptr": ties_ptr, "ties_idx": ties_idx,
            "records": records, "seen": seen, "villages": villages}


@nb.njit(cache=True, parallel=True)
def run(village_start: np.ndarray, ties_ptr: np.ndarray, ties_idx: np.ndarray,
        records: np.ndarray, seen: np.ndarray, villages: np.ndarray, seed: np.uint64,
        t0: int, t1: int) -> None:
    """Months ``t0..t1-1`` of the minimal kernel (arrays as :func:`build` makes them).

    Each household: the share of its ties that sold last month and their mean
    profit (yuan); a draw to start selling (more likely the more ties sell) or,
    when it sells, a draw of its month's luck; its profit (NaN if it does not
    sell) written for its ties to see next month.
    """
    n_villages = len(village_start) - 1
    for t in range(t0, t1):
        now = seen[t % 2]
        nxt = seen[1 - t % 2]
        for v in nb.prange(n_villages):
            sellers = 0.0
            sales = 0.0
            capital = 0.0
            for i in range(village_start[v], village_start[v + 1]):
                selling = 0
                total = 0.0
                lo, hi = ties_ptr[i], ties_ptr[i + 1]
                for k in range(lo, hi):
                    x = now[ties_idx[k]]
                    if x == x:  # not NaN
                        selling += 1
                        total += x
                share = selling / (hi - lo) if hi > lo else 0.0
                mean = total / selling if selling > 0 else 0.0
                key = rng.household_key(seed, t, i)
                u = rng.key_uniform(key, ENTRY_STREAM)
                r = records[i]
                cap = np.float64(r.capital)
                skill = np.float64(r.skill)
                rep = np.float64(r.reputation)
                profit = np.nan
                if r.shop == 1:
                    luck = rng.key_uniform(key, SALES_STREAM)
                    profit = 1000.0 * rep * (0.5 + luck) - 300.0 + 0.1 * mean
                    rep += 0.05 * (1.0 - rep) * skill
                    skill += 0.02 * (1.0 - skill)
                    losses = r.losses + 1 if profit < 0.0 else 0
                    if losses >= 6:
                        r.shop = 0
                        rep = 0.0
                        losses = 0
                    r.losses = losses
                    sellers += 1.0
                    sales += profit
                elif u < 0.002 + 0.05 * share and cap > 1000.0:
                    r.shop = 1
                    rep = 0.2
                    cap -= 1000.0
                cap += 50.0 * r.members + (0.3 * profit if profit == profit else 0.0)
                skill += 0.01 * share * (1.0 - skill)
                r.capital = cap
                r.skill = skill
                r.reputation = rep
                nxt[i] = profit
                capital += np.float64(np.float32(cap))
            villages[v, 0] = sellers
            villages[v, 1] = sales
            villages[v, 2] = capital


def household_steps_per_second(households: int, months: int, threads: int | None = None,
                               repeats: int = 3, world: dict | None = None) -> dict:
    """Time the kernel on ``households`` households over ``months`` months (after one
    month that loads the compiled code), best of ``repeats`` from the same start.

    Returns:
        dict: households, villages, months, threads, ties per household, seconds of
        the best repeat, household_steps_per_s.
    """
    if threads is not None:
        numba.set_num_threads(threads)
    w = world if world is not None else build(households)
    start = {k: w[k].copy() for k in ("records", "seen", "villages")}
    seed = np.uint64(rng.spawned_seed(1, (0,)))
    best = float("inf")
    for _ in range(repeats):
        for k, a in start.items():
            w[k][...] = a
        run(w["village_start"], w["ties_ptr"], w["ties_idx"], w["records"], w["seen"],
            w["villages"], seed, 0, 1)
        t = time.perf_counter()
        run(w["village_start"], w["ties_ptr"], w["ties_idx"], w["records"], w["seen"],
            w["villages"], seed, 1, months + 1)
        best = min(best, time.perf_counter() - t)
    n = len(w["records"])
    return {"households": n, "villages": len(w["village_start"]) - 1, "months": months,
            "threads": numba.get_num_threads(), "ties_per_household": len(w["ties_idx"]) / n,
            "seconds": best, "household_steps_per_s": n * months / best}


def main() -> None:
    ap = argparse.ArgumentParser(description="the minimal kernel, timed")
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--threads", type=int)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    print(json.dumps(household_steps_per_second(a.households, a.months, a.threads,
                                                a.repeats)))


if __name__ == "__main__":
    main()

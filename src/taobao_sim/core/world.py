"""The synthetic world: villages, households and their ties, as arrays.

A :class:`World` holds one or more *universes*: independent copies of a
scenario's world (replicates, or the points of a sweep), each with its own seed
and parameter vector, laid end to end in the same arrays so one kernel call
advances them all. Households of a village are contiguous; villages of a
universe are contiguous. Ties never cross universes.

Households are one structured array (:data:`~taobao_sim.core.state.HOUSEHOLD_DTYPE`,
compact types),
because the monthly update reads and writes nearly every field of a household
at once. Ties are CSR arrays of global household indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from scipy.spatial import cKDTree

from . import dates
from .scenario import Scenario
from .state import HOUSEHOLD_DTYPE

#: Villages considered as partners for weak ties from each village (nearest first).
MAX_PARTNER_VILLAGES = 64
MAX_MEMBERS = 10
#: Villages within commuting reach kept for each village (nearest first).
MAX_COMMUTE_VILLAGES = 16


@dataclass
class World:
    """Arrays of a batch of universes. Build with :func:`build_world`.

    Attributes:
        households: structured array, one record per household (all universes).
        ties_ptr, ties_idx: CSR lists of each household's ties (global indices).
        village_start: first household of each village, plus the total at the end.
        village_universe: universe of each village.
        village_internet_step: month index (since start) from which each village can sell.
        village_category: product category of each village (index into categories).
        village_connect_cost: public cost (yuan) of a broadband policy that connects
            the village before its own internet_from, charged in the policy's month.
        commute_neighbours, commute_distance: (villages, K) the villages of the same
            universe within commuting reach of each village (global indices, -1: none)
            and their distances in km, nearest first.
        origin_ptr, origin_dest, origin_slot: for each village, CSR list of the
            (village, slot) entries of ``commute_neighbours`` where it is the origin.
        universe_village_start: first village of each universe, plus the total.
        universe_seed: 64-bit seed of each universe (drives the kernel's draws).
        params: parameter vector of each universe, shape (universes, n_params).
        village_names: names of the villages of one universe (same for all).
        categories: product categories of one universe, in order of first appearance.
    """

    households: np.ndarray
    ties_ptr: np.ndarray
    ties_idx: np.ndarray
    village_start: np.ndarray
    village_universe: np.ndarray
    village_internet_step: np.ndarray
    village_category: np.ndarray
    village_connect_cost: np.ndarray
    commute_neighbours: np.ndarray
    commute_distance: np.ndarray
    origin_ptr: np.ndarray
    origin_dest: np.ndarray
    origin_slot: np.ndarray
    universe_village_start: np.ndarray
    universe_seed: np.ndarray
    params: np.ndarray
    village_names: tuple[str, ...]
    categories: tuple[str, ...]

    @property
    def n_households(self) -> int:
        return len(self.households)

    @property
    def n_villages(self) -> int:
        return len(self.village_universe)

    @property
    def n_universes(self) -> int:
        return len(self.universe_seed)

    def universe_households(self, u: int) -> slice:
        """Slice of the household arrays that belongs to universe ``u``."""
        v0, v1 = self.universe_village_start[u], self.universe_village_start[u + 1]
        return slice(int(self.village_start[v0]), int(self.village_start[v1]))

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    def state_bytes(self) -> int:
        """Bytes of per-household state, ties included (not the outputs)."""
        return (self.households.nbytes + self.ties_ptr.nbytes + self.ties_idx.nbytes
                + 2 * 4 * self.n_households)  # the two seen-profit buffers of the kernel


def build_world(scenarios: list[Scenario], seeds: list[int]) -> World:
    """Build one universe per (scenario, seed) pair.

    All scenarios must have the same villages (a sweep varies parameters, not the
    map); each universe draws its households and ties from its own seed, so a
    universe is the same whether built alone or in a batch.
    """
    if len(scenarios) != len(seeds) or not scenarios:
        raise ValueError("need one seed per scenario, and at least one")
    names = tuple(v.name for v in scenarios[0].villages)
    for s in scenarios[1:]:
        if tuple(v.name for v in s.villages) != names:
            raise ValueError("all universes of a batch need the same villages")
    parts = [_build_universe(s, seed) for s, seed in zip(scenarios, seeds, strict=True)]
    households = parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts])
    sizes = [len(p[0]) for p in parts]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    if offsets[-1] >= 2**31:
        raise ValueError("worlds above 2**31 households are not supported")
    if len(parts) == 1:
        ties_ptr, ties_idx = parts[0][1], parts[0][2].astype(np.int32, copy=False)
    else:
        ptr_parts, idx_parts = [], []
        tie_offset = 0
        for k, (_hh, ptr, idx) in enumerate(parts):
            ptr_parts.append(ptr[:-1].astype(np.int64) + tie_offset)
            idx_parts.append(idx.astype(np.int64) + offsets[k])
            tie_offset += len(idx)
        ties_ptr = np.concatenate([*ptr_parts, [tie_offset]]).astype(
            np.int32 if tie_offset < 2**31 else np.int64)
        ties_idx = np.concatenate(idx_parts).astype(np.int32) if tie_offset else \
            np.zeros(0, np.int32)

    n_v = len(names)
    village_sizes = np.array([v.households for v in scenarios[0].villages], dtype=np.int64)
    all_sizes = np.tile(village_sizes, len(scenarios))
    village_start = np.concatenate([[0], np.cumsum(all_sizes)]).astype(np.int64)
    village_universe = np.repeat(np.arange(len(scenarios), dtype=np.int32), n_v)
    internet = np.concatenate([internet_steps(s) for s in scenarios]).astype(np.int32)
    connect_cost = np.concatenate([connect_costs(s) for s in scenarios])
    categories = scenarios[0].categories
    category = np.tile(np.array([categories.index(v.category) for v in scenarios[0].villages],
                                dtype=np.int32), len(scenarios))
    reach = [commuting_reach(s) for s in scenarios]
    neighbours = np.concatenate([np.where(nb >= 0, nb + k * n_v, -1)
                                 for k, (nb, _d) in enumerate(reach)])
    distance = np.concatenate([d for _nb, d in reach])
    origin_ptr, origin_dest, origin_slot = _origins(neighbours)
    return World(
        households=households,
        ties_ptr=ties_ptr,
        ties_idx=ties_idx,
        village_start=village_start,
        village_universe=village_universe,
        village_internet_step=internet,
        village_category=category,
        village_connect_cost=connect_cost,
        commute_neighbours=neighbours.astype(np.int32),
        commute_distance=distance.astype(np.float64),
        origin_ptr=origin_ptr,
        origin_dest=origin_dest,
        origin_slot=origin_slot,
        universe_village_start=np.arange(0, n_v * len(scenarios) + 1, n_v, dtype=np.int64),
        universe_seed=np.array(seeds, dtype=np.uint64),
        params=np.stack([s.param_vector() for s in scenarios]),
        village_names=names,
        categories=categories,
    )


def internet_steps(s: Scenario) -> np.ndarray:
    """Month index from which each village can sell online: its own internet_from,
    or the broadband policy's month if that is earlier."""
    own = np.array([v.internet_from - s.start for v in s.villages])
    broadband = s["policy.broadband_from"]
    if not broadband:
        return own
    return np.minimum(own, dates.parse_month(broadband) - s.start)


def connect_costs(s: Scenario) -> np.ndarray:
    """Public cost of the broadband policy per village (yuan): its households times
    the cost per household, for villages it connects earlier than their own date."""
    broadband = s["policy.broadband_from"]
    if not broadband:
        return np.zeros(len(s.villages))
    step = dates.parse_month(broadband) - s.start
    return np.array([v.households * s["policy.broadband_cost_yuan"]
                     if v.internet_from - s.start > step else 0.0 for v in s.villages])


def commuting_reach(s: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(villages, K) the villages within ``labour.commute_km`` of each village (local
    indices, -1: none) and their distances in km, nearest first (ties by index)."""
    n = len(s.villages)
    K = min(MAX_COMMUTE_VILLAGES, max(n - 1, 0))
    nb = np.full((n, max(K, 1)), -1, dtype=np.int64)
    dist = np.zeros((n, max(K, 1)))
    reach = s["labour.commute_km"]
    if K == 0 or reach <= 0:
        return nb, dist
    xy = np.array([[v.x_km, v.y_km] for v in s.villages])
    d, idx = cKDTree(xy).query(xy, k=K + 1, distance_upper_bound=reach)
    d = np.asarray(d).reshape(n, -1)
    idx = np.asarray(idx).reshape(n, -1)
    for v in range(n):
        keep = [(dd, j) for dd, j in zip(d[v], idx[v], strict=True)
                if j < n and j != v and np.isfinite(dd)]
        keep.sort()
        for k, (dd, j) in enumerate(keep[:K]):
            nb[v, k] = j
            dist[v, k] = dd
    return nb, dist


def _origins(neighbours: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each village, the (destination village, slot) pairs of ``neighbours`` in
    which it is the origin: CSR (ptr, destination, slot), in destination order."""
    n = neighbours.shape[0]
    dest, slot = np.nonzero(neighbours >= 0)
    origin = neighbours[dest, slot]
    order = np.lexsort((slot, dest, origin))
    counts = np.bincount(origin, minlength=n)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return ptr, dest[order].astype(np.int64), slot[order].astype(np.int64)


def _build_universe(s: Scenario, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Households and ties (local indices) of one universe."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    sizes = np.array([v.households for v in s.villages], dtype=np.int64)
    n = int(sizes.sum())
    hh = np.zeros(n, dtype=HOUSEHOLD_DTYPE)
    _members(s, hh, rng)
    hh["capital"] = s["world.capital_median_yuan"] * rng.lognormal(0.0, s["world.capital_sigma"], n)
    mean, conc = s["world.skill_mean"], s["world.skill_concentration"]
    hh["skill"] = rng.beta(mean * conc, (1.0 - mean) * conc, n)
    hh["ability"] = rng.lognormal(0.0, s["world.ability_sigma"], n)
    sigma = s["world.land_sigma"]
    hh["land"] = rng.lognormal(-0.5 * sigma * sigma, sigma, n)
    base = np.repeat([v.industry_base for v in s.villages], sizes)
    hh["craft"] = rng.random(n) < base
    hh["skill"] = np.where(hh["craft"] == 1, np.maximum(hh["skill"], mean), hh["skill"])
    hh["poor"] = initial_poverty(s, hh)

    ptr, idx = _ties(s, sizes, rng)
    return hh, ptr, idx


def _members(s: Scenario, hh: np.ndarray, rng: np.random.Generator) -> None:
    """Members, working-age members, elderly able to work, migrants and head's age of
    each household: a share are one or two elderly people alone; the others have a
    working-age head. Elderly members too frail to work count among the dependants,
    like children."""
    # counts are kept as int8 and ages as float32 as soon as drawn (the draws are the
    # same): a world's peak memory stays near its state's
    n = len(hh)
    small = np.int8
    alone = rng.random(n) < s["world.elderly_only_share"]
    members = np.minimum(1 + rng.poisson(max(s["world.members_mean"] - 1.0, 0.0), n),
                         MAX_MEMBERS).astype(small)
    workers = (1 + rng.binomial(members - 1, s["world.working_age_share"])).astype(small)
    elderly = rng.binomial(members - workers, s["world.elderly_share"]).astype(small)
    away = rng.binomial(workers, s["world.initial_migrant_share"]).astype(small)
    old_pair = (1 + (rng.random(n) < 0.5)).astype(small)
    age = np.clip(rng.normal(s["world.head_age_mean"], s["world.head_age_sd"], n), 20, 65)
    old_age = rng.uniform(62, 82, n)
    hh["head_age"] = np.rint(np.where(alone, old_age, age))
    del age, old_age
    hh["members"] = np.where(alone, old_pair, members)
    hh["workers"] = np.where(alone, 0, workers)
    able = rng.binomial(np.where(alone, old_pair, elderly), s["world.elderly_able_share"])
    hh["elderly"] = able
    hh["away"] = np.where(alone, 0, away)


def initial_poverty(s: Scenario, hh: np.ndarray) -> np.ndarray:
    """Households registered poor at the start: expected income per member in the
    first month, annualised, below the first year's poverty line (no industry yet)."""
    year = dates.year_of(s.start)
    wage = s.series.get("migrant_wage_yuan_month", year)
    line = s.series.get("poverty_line_yuan_head_year", year)
    home = hh["workers"].astype(np.float64) - hh["away"]
    monthly = (
        hh["members"] * s["income.farm_income_yuan_head_year"] / 12.0 * hh["land"]
        + hh["away"] * wage * s["migration.remittance_share"]
        + home * wage * s["labour.casual_wage_ratio"] * s["labour.casual_work_prob"]
    )
    return (12.0 * monthly / hh["members"] < line).astype(np.int8)


def _ties(s: Scenario, sizes: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """CSR tie lists (local indices): a Watts-Strogatz ring inside each village
    plus weak ties to households of other villages, more likely the nearer and
    the larger the village. Each household's ring ties come first.

    Villages are processed in runs of equal size, each run at once, so that a
    world of many identical villages builds in seconds. The ring ties are drawn
    straight into the tie array, which then grows in place (no copy of the ties is
    ever held beside it: a world's peak memory is its state's).
    """
    n = int(sizes.sum())
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    k = max(2, int(s["world.ties_per_household"]) // 2 * 2)
    beta = s["world.tie_rewiring"]
    ring_of_size = np.where(sizes <= 1, 0, np.where(sizes <= k, sizes - 1, k))
    ring_len = np.repeat(ring_of_size, sizes).astype(np.int8)
    idx = np.empty(int(ring_len.sum(dtype=np.int64)), dtype=np.int32 if n < 2**31 else np.int64)
    pos = 0
    v = 0
    while v < len(sizes):
        run = 1
        while v + run < len(sizes) and sizes[v + run] == sizes[v]:
            run += 1
        m, width = int(sizes[v]), int(ring_of_size[v])
        out = idx[pos:pos + run * m * width].reshape(run, m, width)
        _rings(m, run, k, beta, rng, out)  # local to each village ...
        out += starts[v:v + run, None, None].astype(idx.dtype)  # ... made global in place
        pos += run * m * width
        v += run
    del out

    n_weak = np.zeros(n, dtype=np.int32)
    weak_dst = np.zeros(0, dtype=np.int64)
    mean_weak = s["world.inter_village_ties"]
    if len(sizes) > 1 and mean_weak > 0:
        n_weak = rng.poisson(mean_weak, n).astype(np.int32)
        weak_dst = _weak_targets(s, sizes, starts, n_weak, rng)

    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(ring_len + n_weak, out=ptr[1:])
    if ptr[-1] < 2**31:
        ptr = ptr.astype(np.int32)
    # grows in place where the allocator can (large arrays are remapped, not copied)
    idx.resize(int(ptr[-1]), refcheck=False)
    _interleave(idx, ptr, ring_len, n_weak, weak_dst.astype(idx.dtype, copy=False))
    return ptr, idx


@nb.njit(cache=True)
def _interleave(idx: np.ndarray, ptr: np.ndarray, ring_len: np.ndarray, n_weak: np.ndarray,
                weak_dst: np.ndarray) -> None:
    """Spread the ring ties, held compactly at the start of ``idx``, to their places in
    the CSR lists, each followed by the household's weak ties (``weak_dst``, in order
    of source household). From the last household back, so that no tie is
    overwritten before it has moved (a household's place is never before its
    compact one)."""
    ring_end = 0
    for i in range(len(ring_len)):
        ring_end += ring_len[i]
    weak_end = len(weak_dst)
    for i in range(len(ring_len) - 1, -1, -1):
        r = ring_len[i]
        ring_start = ring_end - r
        at = ptr[i]
        for j in range(r - 1, -1, -1):
            idx[at + j] = idx[ring_start + j]
        w = n_weak[i]
        for j in range(w):
            idx[at + r + j] = weak_dst[weak_end - w + j]
        ring_end = ring_start
        weak_end -= w


def _weak_targets(s: Scenario, sizes: np.ndarray, starts: np.ndarray, n_weak: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """The household each weak tie points to, in order of source household.

    A tie from village v goes to one of v's nearest villages (at most
    MAX_PARTNER_VILLAGES) with probability proportional to its households times
    exp(-distance / tie_distance_km), then to a uniformly drawn household there.
    """
    n_villages = len(sizes)
    xy = np.array([[v.x_km, v.y_km] for v in s.villages])
    n_partners = min(n_villages - 1, MAX_PARTNER_VILLAGES)
    dist, nearest = cKDTree(xy).query(xy, k=n_partners + 1)
    dist = np.asarray(dist).reshape(n_villages, -1)
    nearest = np.asarray(nearest).reshape(n_villages, -1)
    # drop each village itself (nearest first, but ties in distance may reorder)
    keep = nearest != np.arange(n_villages)[:, None]
    order = np.argsort(~keep, axis=1, kind="stable")[:, :n_partners]
    partners = np.take_along_axis(nearest, order, axis=1)
    d = np.take_along_axis(dist, order, axis=1)
    w = sizes[partners] * np.exp(-d / s["world.tie_distance_km"])
    total = w.sum(axis=1, keepdims=True)
    cdf = np.cumsum(np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0), axis=1)
    cdf[:, -1] = np.where(total[:, 0] > 0, 1.0, 0.0)

    per_village = np.add.reduceat(n_weak.astype(np.int64), starts[:-1])
    src_village = np.repeat(np.arange(n_villages, dtype=np.int32), per_village)
    # search every tie's row of the cdf at once: offset row v by v
    flat = (cdf + np.arange(n_villages)[:, None]).ravel()
    target_village = np.empty(src_village.size, dtype=np.int32)
    step = 1 << 20  # in slices: the same draws as one call, a slice's memory
    for a in range(0, src_village.size, step):
        src = src_village[a:a + step]
        pos = np.searchsorted(flat, rng.random(src.size) + src, side="right") \
            - src.astype(np.int64) * n_partners
        target_village[a:a + step] = partners[src, np.minimum(pos, n_partners - 1)]
    del src_village
    dst = rng.integers(0, sizes.astype(np.int32)[target_village])
    for a in range(0, dst.size, step):
        dst[a:a + step] += starts[target_village[a:a + step]]
    return dst


def _rings(m: int, g: int, k: int, beta: float, rng: np.random.Generator,
           out: np.ndarray) -> None:
    """Watts-Strogatz ties of ``g`` villages of ``m`` households, written to ``out``,
    shape (g, m, k_eff), local indices.

    Each household listens to its k nearest neighbours on a ring; each tie is
    rewired with probability ``beta`` to a random other household of its village,
    redrawn until the household's ties are distinct. Villages of k or fewer
    households are fully connected.
    """
    if m <= 1:
        return
    if m <= k:
        out[:] = np.array([[j for j in range(m) if j != i] for i in range(m)])[None]
        return
    offsets = np.concatenate([np.arange(1, k // 2 + 1), -np.arange(1, k // 2 + 1)])
    out[:] = ((np.arange(m)[:, None] + offsets[None, :]) % m)[None]
    ties = out.reshape(g * m, k)
    # the rewiring draws in slices: the same draws as one call, a slice's memory
    rewire = np.empty((g * m, k), dtype=bool)
    step = 1 << 18
    for a in range(0, g * m, step):
        b = min(g * m, a + step)
        rewire[a:b] = rng.random((b - a, k)) < beta
    rows, cols = np.nonzero(rewire)
    del rewire
    while rows.size:
        # a random household other than oneself: draw from m - 1 and skip self
        draws = rng.integers(0, m - 1, size=rows.size)
        ties[rows, cols] = draws + (draws >= rows % m)
        # a tie that repeats an earlier one of the same household is drawn again;
        # only rows just redrawn can hold a repeat
        touched = rows[np.concatenate(([True], rows[1:] != rows[:-1]))]  # rows are sorted
        sub = ties[touched]
        dup = np.zeros(sub.shape, dtype=bool)
        for j in range(1, k):
            dup[:, j] = (sub[:, j:j + 1] == sub[:, :j]).any(axis=1)
        r, cols = np.nonzero(dup)
        rows = touched[r]

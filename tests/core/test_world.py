"""The synthetic world: households, ties, universes."""

from __future__ import annotations

import numpy as np

from taobao_sim.core.state import HOUSEHOLD_DTYPE
from taobao_sim.core.world import build_world


def test_dinglou_world(dinglou):
    w = build_world([dinglou], [42])
    hh = w.households
    assert len(hh) == 330 and hh.dtype == HOUSEHOLD_DTYPE
    assert (hh["members"] >= hh["workers"] + hh["elderly"]).all()
    alone = hh["workers"] == 0  # elderly people living alone, the only households without
    assert (hh["members"][alone] <= 2).all()  # a working-age member
    assert abs(alone.mean() - dinglou["world.elderly_only_share"]) < 0.04
    assert (hh["head_age"][~alone] >= 20).all() and (hh["head_age"][~alone] <= 65).all()
    assert (hh["head_age"][alone] > 60).all()
    assert (hh["workers"] >= hh["away"]).all() and (hh["away"] >= 0).all()
    assert abs(hh["members"].mean() - 3.4) < 0.3
    share_away = hh["away"].sum() / hh["workers"].sum()
    assert abs(share_away - dinglou["world.initial_migrant_share"]) < 0.06
    assert (hh["shop_state"] == 0).all() and (hh["reputation"] == 0).all()
    assert 0 < hh["poor"].mean() < 0.6  # a poor village, not all poor
    assert ((hh["skill"] > 0) & (hh["skill"] < 1)).all()


def test_ties_stay_in_village_and_skip_self(dinglou):
    w = build_world([dinglou], [1])
    deg = np.diff(w.ties_ptr)
    assert (deg == 6).all()  # ring degree, no weak ties with one village
    for i in range(w.n_households):
        ties = w.ties_idx[w.ties_ptr[i]:w.ties_ptr[i + 1]]
        assert i not in ties
        assert ((ties >= 0) & (ties < 330)).all()


def test_weak_ties_cross_villages_and_favour_near_ones(daiji):
    w = build_world([daiji], [3])
    v_of = np.repeat(np.arange(w.n_villages), np.diff(w.village_start))
    src = np.repeat(np.arange(w.n_households), np.diff(w.ties_ptr))
    cross = v_of[src] != v_of[w.ties_idx]
    per_household = cross.sum() / w.n_households
    assert abs(per_household - daiji["world.inter_village_ties"]) < 0.05
    xy = np.array([[v.x_km, v.y_km] for v in daiji.villages])
    d = np.hypot(*(xy[v_of[src[cross]]] - xy[v_of[w.ties_idx[cross]]]).T)
    all_pairs = np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1))
    assert d.mean() < all_pairs[all_pairs > 0].mean()


def test_universe_is_the_same_alone_or_in_a_batch(dinglou):
    alone = build_world([dinglou], [77])
    batch = build_world([dinglou] * 3, [5, 77, 9])
    part = batch.universe_households(1)
    assert np.array_equal(alone.households, batch.households[part])
    ptr = batch.ties_ptr[part.start:part.stop + 1]
    ties = batch.ties_idx[ptr[0]:ptr[-1]] - part.start
    assert np.array_equal(alone.ties_idx, ties)
    assert np.array_equal(alone.ties_ptr, ptr - ptr[0])


def test_different_seeds_differ(dinglou):
    a = build_world([dinglou], [1]).households
    b = build_world([dinglou], [2]).households
    assert not np.array_equal(a["capital"], b["capital"])


def test_state_is_compact(daiji):
    """The memory budget for a national run is 120 bytes a household, state, ties and
    recorded series together; the state and ties must leave room for the series."""
    w = build_world([daiji], [3])
    assert HOUSEHOLD_DTYPE.itemsize <= 72
    assert w.state_bytes() / w.n_households <= 110


def test_no_repeated_ties(dinglou):
    s = dinglou.replace({"world.tie_rewiring": 0.9, "world.ties_per_household": 12})
    w = build_world([s], [5])
    for i in range(w.n_households):
        ties = w.ties_idx[w.ties_ptr[i]:w.ties_ptr[i + 1]]
        assert len(set(ties.tolist())) == len(ties) == 12
        assert i not in ties


def test_state_bytes_count_the_arrays_the_engine_holds(daiji):
    """State, ties and the fast engine's two seen-profit buffers (float32 each)."""
    from taobao_sim.engines.fast import FastRun

    run = FastRun.for_scenarios([daiji], [3], panel=False)
    w = run.world
    expected = w.households.nbytes + w.ties_ptr.nbytes + w.ties_idx.nbytes + run.seen.nbytes
    assert w.state_bytes() == expected

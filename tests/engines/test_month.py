"""The village month's shared pieces: the labour market across villages and the
exact draws that hand hires and layoffs to households."""

from __future__ import annotations

import numpy as np
import pytest

from taobao_sim.core import params
from taobao_sim.core.params import P
from taobao_sim.core.records import N_METRICS, M
from taobao_sim.engines import month
from taobao_sim.engines.month import N_AGG, N_LAB, A, L


def _params(**kw):
    vec = np.array([float(x.default) if x.kind != "month" else -1.0
                    for x in params.KERNEL_PARAMS])
    for key, value in kw.items():
        vec[P[key.upper()]] = value
    return vec[None, :]


class Market:
    """A small labour market of villages on a line, 2 km apart."""

    def __init__(self, n=3, **kw):
        self.params = _params(**kw)
        self.universe = np.zeros(n, dtype=np.int32)
        self.agg = np.zeros((n, N_AGG))
        self.lab = np.zeros((n, N_LAB))
        self.lab[:, L.WAGE] = 2000.0
        K = n - 1
        self.nb = np.full((n, max(K, 1)), -1, dtype=np.int32)
        self.dist = np.zeros((n, max(K, 1)))
        for v in range(n):
            others = sorted((abs(u - v) * 2.0, u) for u in range(n) if u != v)
            for k, (d, u) in enumerate(others):
                self.nb[v, k], self.dist[v, k] = u, d
        self.commute = np.zeros(self.nb.shape, dtype=np.int64)
        dest, slot = np.nonzero(self.nb >= 0)
        origin = self.nb[dest, slot]
        order = np.lexsort((slot, dest, origin))
        self.optr = np.concatenate([[0], np.cumsum(np.bincount(origin, minlength=n))])
        self.odest, self.oslot = dest[order].astype(np.int64), slot[order].astype(np.int64)
        self.record = np.zeros((n, N_METRICS))

    def clear(self, growth=1.0, floor=0.0):
        month.labour_market(self.params, self.universe, self.agg, self.lab, self.commute,
                            self.nb, self.dist, self.optr, self.odest, self.oslot,
                            np.array([growth]), np.array([floor]), self.record)


def test_local_hires_fill_vacancies_from_idle_seekers():
    m = Market(commute_share=0.0)
    m.agg[0, A.DEMAND], m.agg[0, A.JOBS], m.agg[0, A.SEEKERS] = 10.0, 4.0, 3.0
    m.clear()
    assert m.lab[0, L.HIRE_LOCAL] == 3 and m.lab[0, L.LAYOFF_LOCAL] == 0
    assert m.lab[0, L.EMPLOYED] == 7 and m.record[0, M.VACANCIES] == 3
    assert m.lab[0, L.STAFF_RATIO] == pytest.approx(0.7)
    assert m.lab[0, L.JOB_CHANCE] == 1.0


def test_with_no_vacancies_nobody_commutes():
    m = Market(commute_share=1.0)
    m.agg[:, A.SEEKERS] = 50.0
    m.agg[:, A.DEMAND] = m.agg[:, A.JOBS] = 5.0
    m.clear()
    assert m.commute.sum() == 0 and m.lab[:, L.HIRE_COMMUTE].sum() == 0
    assert m.record[:, M.VACANCIES].sum() == 0


def test_vacancies_left_draw_commuters_nearest_first():
    m = Market(n=3, commute_share=0.5, commute_decay_km=1e6)
    m.agg[0, A.DEMAND] = 20.0  # village 0 wants 20 and has no one
    m.agg[1, A.SEEKERS] = 10.0  # 2 km away
    m.agg[2, A.SEEKERS] = 30.0  # 4 km away
    m.clear()
    # half of each neighbour's seekers is ready: 5 from village 1, then 15 from village 2
    assert m.commute[0].tolist() == [5, 15]
    assert m.lab[1, L.HIRE_COMMUTE] == 5 and m.lab[2, L.HIRE_COMMUTE] == 15
    assert m.lab[0, L.COMMUTERS_IN] == 20 and m.lab[0, L.EMPLOYED] == 20


def test_commuting_falls_with_distance():
    near, far = Market(commute_decay_km=2.0), Market(commute_decay_km=2.0)
    for m in (near, far):
        m.agg[0, A.DEMAND] = 100.0
    near.agg[1, A.SEEKERS] = 40.0  # 2 km
    far.agg[2, A.SEEKERS] = 40.0   # 4 km
    near.clear()
    far.clear()
    share = near.params[0, P.COMMUTE_SHARE]
    assert near.commute.sum() == int(share * np.exp(-1.0) * 40 + 0.5)
    assert far.commute.sum() == int(share * np.exp(-2.0) * 40 + 0.5)


def test_layoffs_when_employers_want_fewer_workers_reach_commuters_too():
    m = Market(commute_share=0.0)
    m.agg[0, A.JOBS] = 6.0
    m.commute[0, 0] = 4  # from village 1
    m.agg[0, A.DEMAND] = 5.0
    m.clear()
    assert m.record[0, M.LAID_OFF] == 5
    assert m.lab[0, L.LAYOFF_LOCAL] == 3 and m.commute[0, 0] == 2
    assert m.lab[1, L.LAYOFF_COMMUTE] == 2 and m.lab[0, L.EMPLOYED] == 5


def test_commuters_who_quit_leave_the_stocks_they_worked_in():
    m = Market()
    m.commute[0, 0] = 3  # from village 1 to village 0
    m.commute[2, 0] = 1  # from village 1 to village 2
    m.agg[0, A.DEMAND], m.agg[2, A.DEMAND] = 3.0, 1.0
    m.agg[1, A.COMMUTER_QUITS] = 2.0
    m.clear()
    # 2 of the 4 quit, taken off in proportion: 3:1 -> 1.5:0.5, the tie to the first
    assert m.commute[0, 0] == 1 and m.commute[2, 0] == 1


@pytest.mark.parametrize("demand, jobs, seekers, direction", [
    (30.0, 10.0, 0.0, 1), (10.0, 10.0, 20.0, -1), (10.0, 10.0, 0.0, 0)])
def test_wage_moves_with_vacancy_rate_against_idle_seekers_rate(demand, jobs, seekers,
                                                                direction):
    m = Market(commute_share=0.0, wage_response=0.05, wage_smoothing_workers=5.0)
    m.agg[0, A.DEMAND], m.agg[0, A.JOBS], m.agg[0, A.SEEKERS] = demand, jobs, seekers
    m.clear(growth=1.1)
    employed = jobs + min(seekers, demand - jobs)
    vacancies = demand - employed
    idle = seekers - (employed - jobs)
    tight = vacancies / (employed + vacancies + 5) - idle / (employed + idle + 5)
    assert m.lab[0, L.WAGE] == pytest.approx(2000.0 * 1.1 * np.exp(0.05 * tight))
    assert np.sign(round(m.lab[0, L.WAGE] - 2200.0, 6)) == direction


def test_wage_never_below_the_casual_wage():
    m = Market(wage_response=1.0)
    m.agg[0, A.SEEKERS] = 1000.0
    m.clear(floor=1500.0)
    assert m.lab[0, L.WAGE] == 1500.0


def test_commuters_are_paid_their_destinations_mean_wage():
    m = Market(commute_share=1.0, commute_decay_km=1e6, wage_response=0.0)
    m.lab[:, L.WAGE] = [1000.0, 2000.0, 3000.0]
    m.commute[0, 0] = 1  # village 1 -> 0
    m.commute[2, 0] = 3  # village 1 -> 2
    m.agg[0, A.DEMAND], m.agg[2, A.DEMAND] = 1.0, 3.0
    m.clear()
    assert m.lab[1, L.COMMUTE_WAGE] == pytest.approx((1 * 1000 + 3 * 3000) / 4)


@pytest.mark.parametrize("total", [0, 1, 5, 13])
def test_share_out_is_exact_and_proportional(total):
    stocks = np.array([7, 0, 3, 3], dtype=np.int64)
    out = month._share_out(total, stocks)
    assert out.sum() == min(total, stocks.sum()) and (out <= stocks).all()
    assert (np.abs(out - total * stocks / stocks.sum()) < 1.0 + 1e-9).all()


def test_selection_sampling_draws_exactly_what_is_left():
    """Over a village's households, the draws hand out exactly the layoffs and hires
    asked for, whatever the seed."""
    from taobao_sim.core import rng

    for seed in range(20):
        left = np.array([7.0])
        pool = np.array([40.0])
        drawn = sum(month._draw_out(np.uint64(rng.household_key(np.uint64(seed), 3, h)),
                                    rng.STREAM_HIRE, 4, left, pool, 0) for h in range(10))
        assert drawn == 7 and left[0] == 0 and pool[0] == 0


def test_category_size_is_demand_relative_to_costumes(dinglou):
    """Costumes are the unit; another category's nationwide reputation is its 2019
    demand over the costumes' 2019 demand."""
    costumes = dinglou.series.get("demand_costumes_yuan_year", 2019)
    other = dinglou.series.get("demand_other_yuan_year", 2019)
    size = month.category_size(dinglou, ("costumes", "other"))
    assert size[0] == 1.0
    assert size[1] == pytest.approx(other / costumes)


@pytest.mark.parametrize("kind", ["local", "commute"])
def test_layoffs_alone_reach_the_households(dinglou, kind):
    """Phase 2 hands out last month's layoffs even when there is nothing else to hand
    out: two of three commuters (or village job holders) lose their jobs."""
    from taobao_sim.core.world import build_world

    from ..core.test_rules import view

    w = build_world([dinglou], [4])
    hh = w.households.copy()
    hh["jobs"] = 0
    hh["commuters"] = 0
    field = "commuters" if kind == "commute" else "jobs"
    hh[field][[3, 50, 200]] = 1
    lab = np.zeros(N_LAB)
    lab[L.COMMUTERS_OUT if kind == "commute" else L.JOBS] = 3
    lab[L.LAYOFF_COMMUTE if kind == "commute" else L.LAYOFF_LOCAL] = 2
    p = _params()[0]
    month.open_village_month(p, hh, 0, len(hh), 0, np.uint64(7), 5, view(), lab)
    assert hh[field].sum() == 1
    assert hh["jobs" if kind == "commute" else "commuters"].sum() == 0

"""The decision rules, one at a time."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from taobao_sim.core import rules
from taobao_sim.core.params import P
from taobao_sim.core.rules import NeighbourView
from taobao_sim.core.state import ACTIVE, NO_SHOP, PREPARING, HouseholdState


@pytest.fixture
def p(dinglou):
    return dinglou.param_vector()


def view(p, **kw):
    """A village view for a typical month of 2012, with overrides."""
    base = rules.village_view(p, 36, 4, 2290.0, 500.0, 20.0, 1e6, 30.0, 100.0, True, 1.0)
    return base._replace(**kw)


def household(**kw):
    base = dict(members=4, workers=2, away=1, employed=0, shop_state=NO_SHOP, shop_age=0,
                loss_run=0, poor=0, capital=5000.0, debt=0.0, skill=0.5, reputation=0.0,
                land=1.0, income_ytd=0.0, sales_ytd=0.0, profit_ytd=0.0)
    base.update(kw)
    return HouseholdState(**base)


def neighbours(ties, selling, mean_profit):
    """What a household sees of its ``ties``: ``selling`` of them sold, earning
    ``mean_profit`` on average last month."""
    return NeighbourView(ties, selling, selling / ties if ties else 0.0, mean_profit)


def entry(p, nv, vv):
    return rules.entry_probability(p, nv, vv, rules.entry_exposure(p, nv, vv))


def step(p, hs, nv=None, vv=None, t=36, hid=0, month=4, seed=1):
    nv = nv or neighbours(6, 0, 0.0)
    vv = vv or view(p)
    return rules.household_step(p, hs, nv, vv, np.uint64(seed), t, hid, month, 70.0, 2625.0)


def test_logistic():
    assert rules.logistic(0.0) == 0.5
    assert rules.logistic(800.0) == 1.0 and rules.logistic(-800.0) == 0.0
    assert math.isclose(rules.logistic(1.0) + rules.logistic(-1.0), 1.0)


def test_demand_grows_and_has_seasons(p):
    jan = [rules.market_demand(p, 12 * y, 0) for y in range(10)]
    assert all(b > a for a, b in itertools.pairwise(jan))
    may, aug = rules.market_demand(p, 40, 4), rules.market_demand(p, 43, 7)
    assert may > aug
    year = [rules.market_demand(p, 0, m) for m in range(12)]
    assert math.isclose(np.mean(year), p[P.DEMAND_START_YUAN_MONTH], rel_tol=1e-9)


def test_competition_squeezes_margin(p):
    lo = rules.village_view(p, 36, 4, 2290.0, 10.0, 1.0, 0.0, 0.0, 10.0, True, 1.0)
    hi = rules.village_view(p, 36, 4, 2290.0, 1e6, 1.0, 0.0, 0.0, 10.0, True, 1.0)
    assert hi.margin < lo.margin
    assert hi.yuan_per_reputation < lo.yuan_per_reputation


def test_scarce_labour_raises_wage_and_job_chance(p):
    slack = rules.village_view(p, 36, 4, 2290.0, 0.0, 0.0, 0.0, 10.0, 100.0, True, 1.0)
    tight = rules.village_view(p, 36, 4, 2290.0, 0.0, 0.0, 0.0, 300.0, 100.0, True, 1.0)
    assert slack.job_chance == pytest.approx(0.1) and tight.job_chance == 1.0
    assert tight.local_wage > slack.local_wage
    assert tight.local_wage <= p[P.WAGE_CAP_RATIO] * 2290.0 + 1e-9
    assert tight.fill_share == pytest.approx(100 / 300)


def test_no_exposure_no_entry(p):
    vv = view(p, discovery=0.0)
    assert entry(p, neighbours(6, 0, 0.0), vv) == 0.0
    assert entry(p, neighbours(6, 3, 2000.0), vv) > 0.0
    no_net = rules.village_view(p, 36, 4, 2290.0, 0.0, 0.0, 0.0, 0.0, 1.0, False, 1.0)
    assert no_net.discovery == 0.0


def test_entry_rises_with_neighbours_profit_and_number(p):
    vv = view(p)
    few = entry(p, neighbours(6, 1, 1500.0), vv)
    many = entry(p, neighbours(6, 4, 1500.0), vv)
    rich = entry(p, neighbours(6, 4, 5000.0), vv)
    assert few < many < rich


def test_credit_constraint(p):
    cost, limit = p[P.STARTUP_COST_YUAN], p[P.CREDIT_LIMIT_YUAN]
    assert rules.can_afford_start(p, cost, 0.0)
    assert rules.can_afford_start(p, cost - limit, 0.0)
    assert not rules.can_afford_start(p, cost - limit - 1.0, 0.0)
    assert not rules.can_afford_start(p, cost - 1.0, limit)


def test_higher_city_wage_means_more_leaving_and_fewer_returns(p):
    nv = neighbours(6, 0, 0.0)
    for wage in (1000.0, 2000.0, 3000.0):
        low = rules.village_view(p, 36, 4, wage, 0.0, 0.0, 0.0, 0.0, 50.0, True, 1.0)
        high = rules.village_view(p, 36, 4, wage * 1.5, 0.0, 0.0, 0.0, 0.0, 50.0, True, 1.0)
        assert high.leave > low.leave
        assert rules.return_probability(p, nv, high) < rules.return_probability(p, nv, low)


def test_e_commerce_pulls_migrants_home(p):
    vv = view(p)
    quiet = rules.return_probability(p, neighbours(6, 0, 0.0), vv)
    busy = rules.return_probability(p, neighbours(6, 5, 6000.0), vv)
    assert busy > quiet


def test_reputation_grows_to_capacity(p):
    r, skill = 1.0, 0.8
    for _ in range(600):
        r = rules.next_reputation(p, r, skill, 0.0)
    cap = rules.reputation_capacity(p, skill)
    # with sigma > 0 the zero-luck path settles slightly below capacity
    assert 0.9 * cap < r <= cap


def test_household_step_keeps_people(p):
    hs = household(workers=3, away=2, members=5)
    for t in range(60):
        new, out = step(p, hs, t=t, hid=3)
        assert new.members == hs.members and new.workers == hs.workers
        assert 0 <= new.away <= new.workers
        assert new.away == hs.away - out.returns + out.departures
        hs = new


def test_preparing_shop_opens_after_setup(p):
    hs = household(shop_state=PREPARING, shop_age=1)
    setup = int(p[P.SETUP_MONTHS])
    for _ in range(setup - 1):
        hs, out = step(p, hs)
        assert out.sales == 0.0
    assert hs.shop_state == ACTIVE and hs.reputation == p[P.INITIAL_REPUTATION]
    hs, out = step(p, hs)
    assert out.opened == 1 and out.sales > 0 and out.engaged == 1
    assert not math.isnan(out.seen_profit)


def test_shop_closes_after_a_run_of_losses(p):
    vv = view(p, yuan_per_reputation=0.0)  # no orders at all
    hs = household(shop_state=ACTIVE, shop_age=5, reputation=3.0)
    months = int(p[P.MAX_LOSS_MONTHS])
    for k in range(months):
        hs, out = step(p, hs, vv=vv)
        assert out.profit == -p[P.FIXED_COST_YUAN_MONTH]
        assert (out.closed == 1) == (k == months - 1)
    assert hs.shop_state == NO_SHOP and hs.reputation == 0.0


def test_shop_staffs_itself_then_hires(p):
    big = household(shop_state=ACTIVE, shop_age=10, reputation=100.0, workers=2, away=0)
    vv = view(p, yuan_per_reputation=3000.0, fill_share=0.5)
    _, out = step(p, big, vv=vv)
    need = 100.0 * 3000.0 / p[P.SALES_PER_WORKER_YUAN_MONTH]
    assert out.vacancies == pytest.approx(need - 2)
    assert out.hired == pytest.approx(0.5 * (need - 2))
    assert out.sales == pytest.approx(300000.0 * (2 + out.hired) / need)


def test_start_costs_money_and_sets_up(p):
    nv = neighbours(6, 6, 20000.0)  # every tie sells, and well
    vv = view(p, discovery=1.0)
    hs = household(capital=10000.0, away=0)
    opened = 0
    for hid in range(50):
        new, _ = step(p, hs, nv=nv, vv=vv, hid=hid)
        if new.shop_state == PREPARING:
            opened += 1
            assert new.capital < hs.capital  # paid the start-up cost
    assert opened > 40


def test_december_assessment_resets_the_year(p):
    hs = household(income_ytd=100.0, members=4)
    new, out = step(p, hs, month=11)
    assert new.income_ytd == 0.0 and out.year_income == pytest.approx(100.0 + out.income)
    assert new.poor == (1 if out.year_income / 4 < 2625.0 else 0)
    mid, out_mid = step(p, hs, month=5)
    assert mid.income_ytd == pytest.approx(100.0 + out_mid.income)
    assert math.isnan(out_mid.year_income)


def test_piecework_only_when_no_worker_is_home(p):
    vv = view(p, job_chance=1.0)
    alone = household(members=4, workers=1, away=1)
    outs = [step(p, alone, vv=vv, hid=h)[1] for h in range(400)]
    share = sum(o.engaged for o in outs) / 400
    assert abs(share - p[P.PIECEWORK_PROB]) < 0.08
    pay = p[P.PIECEWORK_WAGE_RATIO] * vv.local_wage
    without = step(p, alone, vv=view(p, job_chance=0.0))[1].income
    assert {round(o.income - without, 6) for o in outs} == {0.0, round(pay, 6)}
    nobody = household(members=1, workers=1, away=1)
    assert sum(step(p, nobody, vv=vv, hid=h)[1].engaged for h in range(50)) == 0


def test_no_internet_no_imitation_either(p):
    offline = rules.village_view(p, 36, 4, 2290.0, 0.0, 0.0, 0.0, 0.0, 1.0, False, 1.0)
    assert entry(p, neighbours(6, 6, 50000.0), offline) == 0.0


def test_short_first_year_is_annualised(p):
    # a run starting in July: December is the sixth month counted
    hs = household(income_ytd=6000.0, members=4)
    _, out = step(p, hs, t=5, month=11)
    assert out.year_income == pytest.approx((6000.0 + out.income) * 2.0)

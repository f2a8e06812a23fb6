"""The rules, one at a time, against expectations written out from docs/ODD.md.

Each test builds the inputs by hand (a parameter vector, a household, what it
sees), computes the expected value from the model's equation in the test itself,
and compares. A term dropped or its sign flipped in the code makes a test fail.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from taobao_sim.core import params, rules
from taobao_sim.core.params import P
from taobao_sim.core.rules import GoodsMarket, LabourUse, NeighbourView, VillageView
from taobao_sim.core.state import ACTIVE, NO_SHOP, PREPARING, HouseholdState


@pytest.fixture
def p():
    """The parameter table's defaults, with round numbers where a test reads them."""
    vec = np.array([float(x.default) if x.kind != "month" else -1.0
                    for x in params.KERNEL_PARAMS])
    vec[P.SALES_PER_SELLER_YUAN_MONTH] = 100_000.0
    vec[P.STOCK_BUFFER] = 0.5
    vec[P.GOODS_SHARE_MIN] = 0.5
    vec[P.GOODS_SHARE_MAX] = 0.7
    vec[P.COMPETITION_SELLERS] = 100.0
    vec[P.LOCAL_PRICE] = 0.9
    vec[P.MATERIAL_SHARE] = 0.5
    vec[P.FIXED_COST_YUAN_MONTH] = 200.0
    return vec


def view(**kw) -> VillageView:
    base = dict(orders_per_rep=1000.0, service_cost=3000.0, goods_per_worker=5000.0,
                goods_share=0.6, selling_cost=0.1, courier_subsidy=0.0, wage=2000.0,
                commute_wage=2200.0, staff_ratio=1.0, job_chance=0.5, casual_income=300.0,
                city_net=1500.0, remittance=400.0, discovery=0.001, internet=1.0,
                local_income=1150.0, leave=0.01)
    base.update(kw)
    return VillageView(**base)


def market(**kw) -> GoodsMarket:
    base = dict(local_share=0.5, utilisation=1.0, homework_chance=0.0, firm_chance=0.0)
    base.update(kw)
    return GoodsMarket(**base)


def household(**kw) -> HouseholdState:
    base = dict(members=4, workers=2, elderly=1, away=1, jobs=0, commuters=0, homeworkers=0,
                returned=0, craft=0, head_age=45, shop_state=NO_SHOP, shop_age=0, loss_run=0,
                stores=0, firm=0, poor=0, capital=5000.0, debt=0.0, skill=0.5, ability=1.0,
                reputation=0.0, orders=0.0, shop_staff=0.0, firm_staff=0.0, land=1.0,
                income_ytd=0.0, sales_ytd=0.0, profit_ytd=0.0)
    base.update(kw)
    return HouseholdState(**base)


def neighbours(ties, selling, mean_profit):
    """What a household sees of its ``ties``: ``selling`` of them sold, earning
    ``mean_profit`` on average last month."""
    return NeighbourView(ties, selling, selling / ties if ties else 0.0, mean_profit)


def step(p, hs, nv=None, vv=None, gm=None, t=36, hid=0, month=4, seed=1):
    return rules.household_step(p, hs, nv or neighbours(6, 0, 0.0), vv or view(),
                                gm or market(), np.uint64(seed), t, hid, month, 70.0, 2625.0)


# -- the market ---------------------------------------------------------------------

def test_logistic_is_safe_far_out():
    assert rules.logistic(0.0) == 0.5
    assert rules.logistic(2.0) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert rules.logistic(-2.0) == pytest.approx(1 / (1 + math.exp(2.0)))
    assert rules.logistic(1000.0) == 1.0 and rules.logistic(-1000.0) == 0.0


def test_neighbours_mean_profit_is_over_the_ties_that_sell():
    seen = np.array([np.nan, 1200.0, np.nan, 600.0, -300.0, 5000.0])
    ties = np.array([0, 1, 2, 3, 4, 2])  # the household's six ties; household 5 not among them
    nv = rules.neighbour_view(ties, 0, 6, seen)
    assert nv.ties == 6 and nv.selling == 3
    assert nv.share == pytest.approx(3 / 6)
    assert nv.mean_profit == pytest.approx((1200.0 + 600.0 - 300.0) / 3)
    nobody = rules.neighbour_view(ties, 0, 6, np.full(6, np.nan))
    assert nobody.selling == 0 and nobody.mean_profit == 0.0 and nobody.share == 0.0


def test_village_view_outside_options(p):
    """What an idle worker can earn at home: a job with the chance the village's seekers
    were hired last month, else casual work; the city pays its wage less city costs.
    Each term is written out here from docs/ODD.md 7.2."""
    p[P.CASUAL_WAGE_RATIO], p[P.CASUAL_WORK_PROB], p[P.CITY_COST_SHARE] = 0.4, 0.25, 0.45
    p[P.REMITTANCE_SHARE], p[P.SERVICE_COST_RATIO], p[P.GOODS_PER_WORKER_RATIO] = 0.2, 1.3, 2.5
    w = 3000.0
    vv = rules.village_view(p, 30, 500.0, w, 10.0, 1e5, 2400.0, 2600.0, 0.9, 0.3, True)
    casual = 0.4 * 0.25 * w
    assert vv.casual_income == pytest.approx(casual)
    assert vv.local_income == pytest.approx(0.3 * 2400.0 + 0.7 * casual)
    assert vv.city_net == pytest.approx(0.55 * w)
    assert vv.remittance == pytest.approx(0.2 * w)
    assert vv.service_cost == pytest.approx(1.3 * w) and vv.goods_per_worker == 2.5 * w
    assert vv.leave == pytest.approx(rules.leave_probability(p, 0.55 * w, vv.local_income))
    assert (vv.wage, vv.commute_wage, vv.staff_ratio, vv.orders_per_rep) == \
        (2400.0, 2600.0, 0.9, 500.0)
    offline = rules.village_view(p, 30, 500.0, w, 10.0, 1e5, 2400.0, 2600.0, 0.9, 0.3, False)
    assert offline.orders_per_rep == 0.0 and offline.discovery == 0.0 and offline.internet == 0
    p[P.NO_ECOMMERCE] = 1.0
    assert rules.village_view(p, 30, 500.0, w, 10.0, 1e5, 2400.0, 2600.0, 0.9, 0.3,
                              True).orders_per_rep == 0.0


def test_orders_per_reputation_is_a_share_of_national_demand(p):
    p[P.OUTSIDE_REPUTATION], p[P.OUTSIDE_GROWTH_PER_YEAR], p[P.MAX_SHARE] = 1000.0, 0.0, 0.5
    assert rules.orders_per_reputation(p, 36, 2e6, 100.0, 1.0) == pytest.approx(2e6 / 1000.0)
    # the simulated shops together take at most max_share of demand
    assert rules.orders_per_reputation(p, 36, 2e6, 4000.0, 1.0) == \
        pytest.approx(2e6 / (4000 / 0.5))
    # a category ten times larger has ten times the sellers' reputation nationwide: a unit of
    # reputation brings the same orders from ten times the demand
    assert rules.orders_per_reputation(p, 36, 2e7, 100.0, 10.0) == pytest.approx(2e6 / 1000.0)


def test_national_reputation_grows(p):
    p[P.OUTSIDE_REPUTATION], p[P.OUTSIDE_GROWTH_PER_YEAR] = 1000.0, 0.2
    assert rules.national_reputation(p, 24) == pytest.approx(1000.0 * math.exp(0.4))


def test_neighbours_selling_squeeze_prices(p):
    p[P.COURIER_SUBSIDY_SHARE] = 0.0
    goods, selling, subsidy = rules.selling_terms(p, 100.0, 0.0)
    assert goods == pytest.approx(0.5 + 0.2 * 100 / 200)
    courier = p[P.COURIER_RATE_MAX]  # no parcels yet
    assert selling == pytest.approx(courier + p[P.PLATFORM_FEE_SHARE]) and subsidy == 0.0
    assert rules.selling_terms(p, 0.0, 0.0)[0] == pytest.approx(0.5)


def test_courier_rate_falls_with_volume_and_subsidy_pays_part(p):
    p[P.COURIER_SUBSIDY_SHARE] = 0.02
    scale = p[P.COURIER_VOLUME_SCALE_YUAN]
    _g, selling, subsidy = rules.selling_terms(p, 0.0, scale)
    lo, hi = p[P.COURIER_RATE_MIN], p[P.COURIER_RATE_MAX]
    courier = lo + (hi - lo) * math.exp(-1.0)
    assert subsidy == 0.02
    assert selling == pytest.approx(courier + p[P.PLATFORM_FEE_SHARE] - 0.02)


def test_goods_market_local_share_and_utilisation(p):
    vv = view()
    short = rules.goods_market(p, vv, 1000.0, 400.0, 50.0, 100.0)
    assert short.local_share == pytest.approx(0.4) and short.utilisation == 1.0
    idle = rules.goods_market(p, vv, 400.0, 1000.0, 50.0, 100.0)
    assert idle.local_share == 1.0 and idle.utilisation == pytest.approx(0.4)
    assert idle.homework_chance == 0.0 and idle.firm_chance == 0.0
    # ODD 7.3: without capacity nothing stands idle (mu = 1) and nothing is bought
    # locally (lambda = 0); without demand everything is local (lambda = 1)
    none = rules.goods_market(p, vv, 1000.0, 0.0, 50.0, 100.0)
    assert none.utilisation == 1.0 and none.local_share == 0.0
    no_demand = rules.goods_market(p, vv, 0.0, 500.0, 50.0, 100.0)
    assert no_demand.local_share == 1.0 and no_demand.utilisation == 0.0


def test_shortage_opens_piecework_and_workshops_in_proportion(p):
    vv = view(goods_per_worker=5000.0)
    p[P.HOMEWORK_SHARE], p[P.HOMEWORK_ENTRY] = 0.25, 0.1
    p[P.FIRM_INITIAL_STAFF], p[P.FIRM_ENTRY_RATE] = 4.0, 0.2
    gm = rules.goods_market(p, vv, 100_000.0, 25_000.0, 600.0, 300.0)
    pieces = 75_000.0 / (0.25 * 5000.0)  # 60 home workers' worth
    assert gm.homework_chance == pytest.approx(0.1 * pieces / 600.0)
    assert gm.firm_chance == pytest.approx(0.2 * (75_000.0 / (4 * 5000.0)) / 300.0)
    offline = rules.goods_market(p, view(internet=0.0), 100_000.0, 25_000.0, 600.0, 300.0)
    assert offline.homework_chance == 0.0


# -- who works where -------------------------------------------------------------------

@pytest.mark.parametrize("kw, expected", [
    (dict(workers=3, away=1, jobs=1), dict(free=1, manager=0, business=0, idle=1)),
    (dict(workers=3, away=0, firm=1), dict(free=3, manager=1, business=1, idle=2)),
    (dict(workers=3, away=0, shop_state=ACTIVE, orders=250_000.0),
     dict(free=3, manager=0, business=3, idle=0)),
    (dict(workers=3, away=0, shop_state=ACTIVE, orders=10_000.0),
     dict(free=3, manager=0, business=1, idle=2)),
    (dict(workers=2, away=0, shop_state=PREPARING), dict(free=2, business=1, idle=1)),
    (dict(workers=0, away=0, elderly=2, members=2, homeworkers=2),
     dict(free=0, idle=0, homeworkers=2)),
])
def test_labour_use(p, kw, expected):
    lab = rules.labour_use(p, household(**kw))
    for key, value in expected.items():
        assert getattr(lab, key) == value, key


def test_shop_owner_works_at_least_one_month_and_as_orders_need(p):
    small = rules.labour_use(p, household(workers=3, away=0, shop_state=ACTIVE,
                                          orders=10_000.0))
    assert small.shop_own == 1.0
    big = rules.labour_use(p, household(workers=3, away=0, shop_state=ACTIVE, orders=150_000.0))
    assert big.shop_own == pytest.approx(1.5) and big.business == 2


def test_homeworkers_capped_by_who_is_at_home(p):
    lab = rules.labour_use(p, household(workers=1, away=1, elderly=1, homeworkers=3))
    assert lab.homeworkers == 1  # only the elderly member is at home


# -- shops --------------------------------------------------------------------------

def test_sales_follow_reputation_up_to_the_goods_ready(p):
    vv = view(orders_per_rep=1000.0)
    orders, sales = rules.sell(p, household(shop_state=ACTIVE, reputation=20.0, orders=12_000.0),
                               vv)
    assert orders == 20_000.0 and sales == pytest.approx(1.5 * 12_000.0)
    _o, sales = rules.sell(p, household(shop_state=ACTIVE, reputation=20.0, orders=30_000.0), vv)
    assert sales == 20_000.0


@pytest.mark.parametrize("rep", [0.5, 5.0, 20.0, 80.0])
@pytest.mark.parametrize("avg", [0.0, 1_000.0, 10_000.0, 40_000.0])
def test_unserved_sales_are_zero_only_when_the_goods_ready_cover_the_orders(p, rep, avg):
    """One category, no competition: a shop's orders are its reputation's share of
    demand; what it cannot serve (orders beyond the goods it has ready, its averaged
    orders plus the buffer) is unserved, and nothing else is."""
    vv = view(orders_per_rep=1000.0)
    hs = household(shop_state=ACTIVE, shop_age=5, reputation=rep, orders=avg)
    lab = rules.labour_use(p, hs)
    shop = rules.shop_month(p, hs, vv, market(), lab, np.uint64(3))
    ready = (1.0 + p[P.STOCK_BUFFER]) * avg
    assert shop.orders == 1000.0 * rep
    assert (shop.unserved == 0.0) == (ready >= shop.orders)
    assert shop.unserved == pytest.approx(max(0.0, shop.orders - ready))


def test_shop_costs(p):
    vv = view(goods_share=0.6, selling_cost=0.1, wage=2000.0, service_cost=3000.0)
    gm = market(local_share=0.25)
    sales, own, staff = 300_000.0, 1.0, 1.0
    profit, goods, local = rules.shop_costs(p, sales, own, staff, vv, gm)
    goods_expected = 0.6 * sales
    goods_cost = 0.25 * goods_expected * 0.9 + 0.75 * goods_expected
    outsourced = sales / 100_000.0 - own - staff  # one worker-month bought in
    expected = sales - goods_cost - 0.1 * sales - staff * 2000.0 - outsourced * 3000.0 - 200.0
    assert goods == pytest.approx(goods_expected) and local == pytest.approx(0.25 * goods)
    assert profit == pytest.approx(expected)


def test_shop_hires_only_while_cheaper_than_service_providers(p):
    hs = household(workers=1, away=0, shop_state=ACTIVE, shop_age=10, reputation=50.0,
                   orders=200_000.0, skill=0.9)
    cheap = rules.shop_month(p, hs, view(wage=2600.0, service_cost=3000.0), market(),
                             rules.labour_use(p, hs), np.uint64(7))
    p_avg = 200_000.0 + (50_000.0 - 200_000.0) / p[P.ORDER_SMOOTHING_MONTHS]
    assert cheap.staff == pytest.approx(p_avg / 100_000.0 - 1.0)
    dear = rules.shop_month(p, hs, view(wage=3500.0, service_cost=3000.0), market(),
                            rules.labour_use(p, hs), np.uint64(7))
    assert dear.staff == 0.0
    between = rules.shop_month(p, hs, view(wage=3000.0, service_cost=3000.0), market(),
                               rules.labour_use(p, hs), np.uint64(7))
    assert between.staff == pytest.approx(0.5 * cheap.staff)


def test_reputation_grows_as_far_as_orders_are_served(p):
    p[P.REPUTATION_NOISE] = 0.0
    cap = rules.reputation_capacity(p, 2.0, 0.5)
    assert cap == pytest.approx(p[P.REPUTATION_CAPACITY] * 2.0 * 0.5 ** p[
        P.CAPACITY_SKILL_ELASTICITY])
    full = rules.next_reputation(p, 1.0, 2.0, 0.5, 1.0, 0.0)
    half = rules.next_reputation(p, 1.0, 2.0, 0.5, 0.5, 0.0)
    g = p[P.REPUTATION_GROWTH] * (1 - 1.0 / cap)
    assert full == pytest.approx(math.exp(g)) and half == pytest.approx(math.exp(0.5 * g))
    assert rules.next_reputation(p, 2 * cap, 2.0, 0.5, 1.0, 0.0) < 2 * cap


def test_stores_grow_with_reputation(p):
    per, most = p[P.REPUTATION_PER_STORE], int(p[P.MAX_STORES])
    assert rules.stores_for(p, 0.5 * per) == 1
    assert rules.stores_for(p, 2.5 * per) == 3
    assert rules.stores_for(p, 1000 * per) == most


def test_preparing_shop_opens_after_setup_stocked_for_its_first_orders(p):
    hs = household(shop_state=PREPARING, shop_age=1, away=0)
    vv = view(orders_per_rep=800.0)
    setup = int(p[P.SETUP_MONTHS])
    for _ in range(setup - 1):
        hs, out = step(p, hs, vv=vv)
        assert out.sales == 0.0
    assert hs.shop_state == ACTIVE and hs.reputation == p[P.INITIAL_REPUTATION]
    assert hs.orders == pytest.approx(800.0 * p[P.INITIAL_REPUTATION])
    hs, out = step(p, hs, vv=vv)
    assert out.opened == 1 and out.sales > 0 and out.engaged == 1
    assert not math.isnan(out.seen_profit)


def test_shop_closes_after_a_run_of_losses(p):
    vv = view(orders_per_rep=0.0)  # no orders at all
    hs = household(shop_state=ACTIVE, shop_age=5, reputation=3.0, away=0)
    months = int(p[P.MAX_LOSS_MONTHS])
    for k in range(months):
        hs, out = step(p, hs, vv=vv)
        assert out.profit == -p[P.FIXED_COST_YUAN_MONTH]
        assert (out.closed == 1) == (k == months - 1)
    assert hs.shop_state == NO_SHOP and hs.reputation == 0.0 and hs.stores == 0


# -- workshops and home work ------------------------------------------------------------

def test_workshop_makes_its_share_and_pays_wages(p):
    hs = household(firm=1, firm_staff=10.0, away=0)
    vv = view(goods_per_worker=5000.0, wage=1500.0, staff_ratio=0.8)
    f = rules.firm_month(p, hs, vv, market(utilisation=0.5, local_share=1.0))
    workers = 8.0
    made = 0.5 * workers * 5000.0
    assert f.workers == workers and f.wages == workers * 1500.0
    assert f.profit == pytest.approx(made * (0.9 - 0.5) - workers * 1500.0
                                     - p[P.FIRM_FIXED_COST_YUAN_MONTH])


@pytest.mark.parametrize("wage, gm, change", [
    (1500.0, market(local_share=0.5, utilisation=1.0), "grow"),   # short, worker pays 2000
    (1900.0, market(local_share=0.5, utilisation=1.0), "keep"),   # pays, but not the hurdle
    (2500.0, market(local_share=0.5, utilisation=1.0), "shrink"),  # a worker earns < the wage
    (1500.0, market(local_share=1.0, utilisation=0.7), "shrink"),  # not enough orders
    (1500.0, market(local_share=0.97, utilisation=1.0), "keep"),  # nearly all made locally
    (1500.0, market(local_share=1.0, utilisation=0.95), "keep"),  # a slack month
])
def test_workshop_size_follows_shortage_and_pay(p, wage, gm, change):
    p[P.FIRM_HURDLE], p[P.FIRM_GROWTH], p[P.FIRM_SHRINK] = 0.1, 0.05, 0.1
    hs = household(firm=1, firm_staff=10.0)
    f = rules.firm_month(p, hs, view(goods_per_worker=5000.0, wage=wage), gm)
    if change == "grow":  # ... but not before it has found the workers it wanted
        unfilled = rules.firm_month(p, hs, view(goods_per_worker=5000.0, wage=wage,
                                                staff_ratio=0.8), gm)
        assert unfilled.staff == 10.0
    expected = {"grow": 10.0 * 1.05 + 0.05, "keep": 10.0, "shrink": 9.0}[change]
    assert f.staff == pytest.approx(expected) and f.firm == 1


def test_workshop_closes_below_one_worker(p):
    p[P.FIRM_SHRINK] = 0.5
    f = rules.firm_month(p, household(firm=1, firm_staff=0.8),
                         view(goods_per_worker=5000.0, wage=3000.0), market())
    assert f.firm == 0 and f.closed == 1 and f.staff == 0.0


def test_piecework_pay(p):
    p[P.HOMEWORK_SHARE] = 0.25
    hs = household(workers=0, away=0, elderly=2, members=2, homeworkers=2)
    vv = view(goods_per_worker=4000.0)
    earned, _casual, _n = rules.home_work(p, hs, vv, market(utilisation=0.5),
                                          rules.labour_use(p, hs), np.uint64(3), 36)
    assert earned == pytest.approx(2 * 0.25 * 4000.0 * 0.5 * (0.9 - 0.5))


def test_registered_poor_come_first_once_targeting_starts(p):
    p[P.TARGETING_FROM], p[P.POOR_PRIORITY] = 40.0, 10.0
    gm = market(homework_chance=0.05)
    poor = household(workers=0, away=0, elderly=2, members=2, poor=1)

    def joined(t):
        return sum(rules.home_work(p, poor, view(), gm, rules.labour_use(p, poor),
                                   np.uint64(h), t)[2] for h in range(2000)) / 4000

    assert joined(36) == pytest.approx(0.05, abs=0.015)
    assert joined(48) == pytest.approx(0.5, abs=0.04)


# -- income and savings -------------------------------------------------------------------

def test_month_income_adds_every_source(p):
    p[P.TRANSFER_YUAN_HEAD_MONTH] = 50.0
    hs = household(members=4, away=1, jobs=1, commuters=1, poor=1, land=1.5)
    vv = view(wage=2000.0, commute_wage=2400.0, remittance=400.0)
    shop = rules.ShopMonth(*([0.0] * 3), 1000.0, *([0.0] * 16))
    firm = rules.FirmMonth(500.0, 0.0, 0.0, 0, 0.0, 0)
    income, wages, transfer = rules.month_income(p, hs, vv, 70.0, shop, firm, 300.0, 100.0,
                                                 3000.0, 24)
    assert wages == 2000.0 + 2400.0 and transfer == 4 * 50.0
    assert income == pytest.approx(4 * 70.0 * 1.5 + 1000 + 500 + 4400 + 300 + 100 + 400 + 200)


def test_social_assistance_tops_up_to_the_line(p):
    """Households without a working-age member get, once the policy has started, what
    brings their month's income to the poverty line (registered poor or not); others
    do not."""
    p[P.TRANSFER_YUAN_HEAD_MONTH] = 10.0
    p[P.ASSISTANCE_FROM] = 24.0
    shop = rules.ShopMonth(*([0.0] * 20))
    firm = rules.FirmMonth(0.0, 0.0, 0.0, 0, 0.0, 0)
    vv = view(remittance=0.0)
    old = household(members=2, workers=0, elderly=1, away=0, poor=1, land=1.0)

    def paid(hs, step, homework=0.0):
        return rules.month_income(p, hs, vv, 40.0, shop, firm, homework, 0.0, 3000.0, step)

    income, _, transfer = paid(old, 24)
    assert income == pytest.approx(2 * 3000.0 / 12) and transfer == pytest.approx(500 - 80)
    assert paid(old, 23)[2] == 20.0  # before the policy: the flat transfer only
    assert paid(old, 24, homework=600.0)[2] == 20.0  # above the line: the flat transfer
    unregistered = paid(household(members=2, workers=0, elderly=1, away=0, poor=0), 30)
    assert unregistered[2] == pytest.approx(500 - 80)  # means-tested, not registration-based
    assert paid(household(members=2, workers=1, elderly=1, away=0, poor=1), 30)[2] == 20.0


def test_savings_debt_and_repayment(p):
    p[P.SAVINGS_RATE], p[P.LOAN_INTEREST_MONTH], p[P.DEBT_REPAY_SHARE] = 0.25, 0.01, 0.5
    assert rules.save(p, 1000.0, 0.0, 400.0) == pytest.approx((1100.0, 0.0))
    capital, debt = rules.save(p, 1000.0, 400.0, 400.0)  # debt grows, then half of savings repays
    assert debt == pytest.approx(0.0) and capital == pytest.approx(1100.0 - 404.0)
    capital, debt = rules.save(p, 100.0, 0.0, -300.0)  # a loss beyond savings becomes debt
    assert capital == 0.0 and debt == pytest.approx(200.0)


def test_learning_from_ties_work_and_training(p):
    p[P.SKILL_SPILLOVER], p[P.SKILL_LEARNING] = 0.1, 0.2
    skill, cost = rules.learn(p, 0.5, neighbours(4, 2, 0.0), 36, 1, False)
    assert skill == pytest.approx(0.5 + 0.1 * 0.5 * 0.5) and cost == 0.0
    skill, _ = rules.learn(p, 0.5, neighbours(4, 0, 0.0), 36, 1, True)
    assert skill == pytest.approx(0.5 + 0.2 * 0.5)
    p[P.TRAINING_FROM], p[P.TRAINING_SKILL] = 36.0, 0.8
    skill, cost = rules.learn(p, 0.5, neighbours(4, 0, 0.0), 36, 1, False)
    assert skill == 0.8 and cost == p[P.TRAINING_COST_YUAN]


# -- starting a shop ---------------------------------------------------------------------

def test_entry_exposure_terms(p):
    p[P.IMITATION], p[P.WORK_EXPOSURE], p[P.CRAFT_DISCOVERY_RATE] = 0.4, 0.03, 0.01
    vv = view(discovery=0.001)
    hs = household()
    assert rules.entry_exposure(p, hs, neighbours(4, 1, 0.0), vv, False) == \
        pytest.approx(0.001 + 0.4 * 0.25)
    assert rules.entry_exposure(p, hs, neighbours(4, 0, 0.0), vv, True) == pytest.approx(0.031)
    craft = household(craft=1)
    assert rules.entry_exposure(p, craft, neighbours(4, 0, 0.0), vv, False) == \
        pytest.approx(0.01)
    assert rules.entry_exposure(p, hs, neighbours(4, 4, 0.0), view(internet=0.0), True) == 0.0


def test_entry_probability_logit(p):
    p[P.ENTRY_BETA], p[P.AGE_EFFECT], p[P.RETURNEE_EFFECT] = 1.0, 0.3, 0.5
    vv = view(local_income=1000.0)
    hs = household(head_age=35, returned=1)
    prob = rules.entry_probability(p, hs, neighbours(4, 2, 3000.0), vv, 0.2, 120)
    age = 35 + 10.0
    utility = (3000.0 - 1000.0) / 1000.0 + 0.3 * (45.0 - age) / 10.0 + 0.5
    assert prob == pytest.approx(0.2 / (1 + math.exp(-utility)))
    older = rules.entry_probability(p, household(head_age=55), neighbours(4, 2, 3000.0), vv,
                                    0.2, 120)
    assert older < prob


def test_credit_constraint(p):
    cost, limit = p[P.STARTUP_COST_YUAN], p[P.CREDIT_LIMIT_YUAN]
    assert rules.can_afford(p, cost - limit, 0.0, cost)
    assert not rules.can_afford(p, cost - limit - 1.0, 0.0, cost)
    assert not rules.can_afford(p, cost - 1.0, limit, cost)


def test_startup_paid_from_savings_then_credit_then_public_line(p):
    p[P.CREDIT_LIMIT_YUAN], p[P.MICROCREDIT_COST_SHARE] = 1000.0, 0.1
    capital, debt, public = rules.pay_startup(p, 500.0, 200.0, 3000.0)
    assert capital == 0.0 and debt == 200.0 + 2500.0
    assert public == pytest.approx(0.1 * (2500.0 - 800.0))


def test_start_needs_someone_at_home(p):
    nv, vv = neighbours(6, 6, 20_000.0), view(discovery=1.0)
    p[P.IMITATION] = 1.0
    away = household(workers=1, away=1)
    assert not any(rules.decides_to_start(p, away, nv, vv, np.uint64(h), 36, 9000.0, 0.0, False)
                   for h in range(50))
    home = household(workers=1, away=0)
    assert sum(rules.decides_to_start(p, home, nv, vv, np.uint64(h), 36, 9000.0, 0.0, False)
               for h in range(50)) > 40


# -- jobs and migration ---------------------------------------------------------------------

def test_quits_and_a_job_left_to_run_a_new_business(p):
    p[P.QUIT_RATE] = 0.0
    hs = household(workers=2, away=0, jobs=2)
    assert rules.quit_jobs(p, hs, np.uint64(1), False) == (2, 0, 0, 0)
    assert rules.quit_jobs(p, hs, np.uint64(1), True) == (1, 0, 1, 0)
    p[P.QUIT_RATE] = 1.0
    assert rules.quit_jobs(p, household(jobs=1, commuters=1, workers=2, away=0),
                           np.uint64(1), False) == (0, 0, 1, 1)


def test_leaving_depends_on_the_gap(p):
    p[P.MIGRATE_RATE], p[P.MIGRATION_BETA], p[P.MIGRATION_COST_YUAN_MONTH] = 0.1, 2.0, 100.0
    prob = rules.leave_probability(p, 2000.0, 1200.0)
    assert prob == pytest.approx(0.1 / (1 + math.exp(-2.0 * (2000 - 1200 - 100) / 1000)))


def test_higher_local_earnings_never_lower_returns(p):
    nv = neighbours(6, 0, 0.0)
    chances = [rules.return_probability(p, nv, view(local_income=w))
               for w in range(0, 6000, 250)]
    assert all(b >= a for a, b in itertools.pairwise(chances))
    assert chances[-1] > chances[0]


def test_e_commerce_pulls_migrants_home(p):
    vv = view(local_income=500.0)
    quiet = rules.return_probability(p, neighbours(6, 0, 0.0), vv)
    busy = rules.return_probability(p, neighbours(6, 5, 6000.0), vv)
    gap = max(500.0, 5 / 6 * 6000.0) + p[P.FAMILY_PULL_YUAN_MONTH] - vv.city_net
    assert busy == pytest.approx(p[P.RETURN_RATE] / (1 + math.exp(
        -p[P.MIGRATION_BETA] * gap / 1000)))
    assert busy > quiet


def test_only_idle_members_of_households_without_a_business_leave(p):
    vv = view(leave=1.0)
    hs = household(workers=3, away=0)
    assert rules.migrate(p, hs, neighbours(6, 0, 0.0), vv, np.uint64(1), 2, False)[0] == 2
    assert rules.migrate(p, hs, neighbours(6, 0, 0.0), vv, np.uint64(1), 2, True)[0] == 0


# -- the year's end and the whole month --------------------------------------------------

def test_december_assessment_with_the_asset_test(p):
    p[P.ASSET_TEST_YEARS] = 2.0
    hs = household(members=4, income_ytd=8000.0)
    year = rules.close_year(p, hs, 1000.0, 0.0, 0.0, 36, 11, 2625.0, 0.0)
    assert year.poor == 1 and year.year_income == 9000.0 and year.income_ytd == 0.0
    saved = rules.close_year(p, hs, 1000.0, 0.0, 0.0, 36, 11, 2625.0, 4 * 2 * 2625.0 + 1)
    assert saved.poor == 0
    rich = rules.close_year(p, hs, 4000.0, 0.0, 0.0, 36, 11, 2625.0, 0.0)
    assert rich.poor == 0
    mid = rules.close_year(p, hs, 1000.0, 0.0, 0.0, 36, 5, 2625.0, 0.0)
    assert mid.poor == hs.poor and mid.income_ytd == 9000.0 and math.isnan(mid.year_income)
    # at the line is not under it; a yuan under it is
    line = rules.close_year(p, household(members=4, income_ytd=4 * 2625.0 - 1000.0), 1000.0,
                            0.0, 0.0, 36, 11, 2625.0, 0.0)
    assert line.poor == 0
    under = rules.close_year(p, household(members=4, income_ytd=4 * 2625.0 - 1001.0), 1000.0,
                             0.0, 0.0, 36, 11, 2625.0, 0.0)
    assert under.poor == 1


def test_short_first_year_is_annualised(p):
    # a run starting in July: December is the sixth month counted
    year = rules.close_year(p, household(income_ytd=5000.0), 1000.0, 0.0, 0.0, 5, 11, 2625.0,
                            0.0)
    assert year.year_income == pytest.approx(6000.0 * 2.0)


def test_household_step_keeps_people_and_jobs_within_members(p):
    hs = household(workers=3, away=2, members=5, elderly=1)
    vv = view(leave=0.2)
    for t in range(60):
        new, out = step(p, hs, vv=vv, t=t, hid=3)
        assert new.members == hs.members and new.workers == hs.workers
        assert 0 <= new.away <= new.workers
        assert new.away == hs.away - out.returns + out.departures
        assert new.jobs + new.commuters <= new.workers - new.away
        assert new.homeworkers >= 0
        hs = new


def test_no_internet_no_selling(p):
    offline = view(internet=0.0, discovery=0.0, orders_per_rep=0.0)
    hs = household(workers=2, away=0, craft=1)
    for h in range(100):
        new, _ = step(p, hs, nv=neighbours(6, 6, 50_000.0), vv=offline, hid=h)
        assert new.shop_state == NO_SHOP and new.firm == 0


def test_labour_use_type_is_a_tuple_of_counts(p):
    lab = rules.labour_use(p, household())
    assert isinstance(lab, LabourUse) and lab.free == 1


def test_a_shop_opening_at_once_stocks_for_a_new_shops_orders(p):
    """ODD 7.5: a shop opens with the initial reputation, one store, and averaged
    orders of what that reputation brings (orders per reputation times reputation)."""
    p[P.INITIAL_REPUTATION] = 3.0
    state, age, rep, stores, avg = rules.open_shop(p, view(orders_per_rep=1000.0))
    assert (state, age, rep, stores) == (ACTIVE, 0, 3.0, 1)
    assert avg == pytest.approx(3000.0)

"""The model's behaviour, written once as small compiled functions.

Both engines call these through :mod:`taobao_sim.engines.month`: the fast
engine from its loop over household records, the Mesa engine from each
``Household`` agent. Nothing here reads or writes shared state; every function
maps values at month t to values at month t+1.

A household's month has two parts. First (:func:`household_supply`) what it
brings to its village's goods market: the goods its shop sells and the goods
its workshop and home workers can make. Once the village has added these up
(:func:`goods_market`), :func:`household_step` runs the month proper, a
sequence of named sub-steps in this order (docs/ODD.md, section 3):

1. :func:`labour_use` — who works where: jobs, the household's own business,
   idle members;
2. :func:`shop_month` — orders, sales, staffing, profit, reputation, closing;
3. :func:`firm_month` — the workshop's production, profit and size;
4. :func:`home_work` — piece-work at home and casual work;
5. :func:`month_income` and :func:`save` — income, savings and debt;
6. :func:`learn` — skill from ties that sell, from work, and from training;
7. :func:`decides_to_start` / :func:`decides_to_open_firm` — a new shop or
   workshop, paid by :func:`pay_startup`;
8. :func:`quit_jobs` and :func:`migrate` — quits, departures and returns;
9. :func:`close_year` — the December poverty assessment.

Units: money in yuan (current prices) per month unless named otherwise;
reputation in units of a new shop's reputation; skill on 0-1.

:func:`household_step` and the sub-steps that take the whole household state are
compiled inline into their callers (``inline="always"``): as separate functions,
each call passed the state, the village's view and the goods market as some
hundred flattened arguments, which took more time than the rules themselves.
Inlining changes no number (no fast-math: the operations and their order stay).
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba as nb
import numpy as np

from . import rng
from .params import P
from .state import ACTIVE, NO_SHOP, PREPARING, HouseholdState

#: Deviation of each calendar month's demand from the yearly mean (Jan..Dec), mean 0.
#: Peaks: orders for Children's Day (1 June) in April-May, Halloween in
#: September-October, New Year performances in November and January; troughs
#: around Spring Festival (February, couriers stop) and in the summer holidays.
SEASON_PROFILE = np.array(
    [0.2, -0.8, -0.2, 0.4, 1.0, 0.0, -0.8, -0.8, 0.2, 0.6, 0.2, 0.0], dtype=np.float64
)

#: Age of the household head at which age neither raises nor lowers the chance of
#: starting a shop, years.
REFERENCE_AGE = 45.0
#: A workshop grows while its village makes less than this share of its goods, and
#: shrinks while the village's production capacity is used less than FIRM_SLACK
#: (between the two it keeps its size, so it does not follow the seasons).
FIRM_SHORT = 0.95
FIRM_SLACK = 0.9
#: A workshop plans to grow only once it has this share of the workers it wanted.
FIRM_FILLED = 0.95

NeighbourView = namedtuple(
    "NeighbourView",
    [
        "ties",  # number of ties
        "selling",  # ties whose shop sold last month
        "share",  # selling / ties (0 without ties)
        "mean_profit",  # their mean profit last month, yuan (0 if none sells)
    ],
)

VillageView = namedtuple(
    "VillageView",
    [
        "orders_per_rep",  # orders per unit of reputation this month, yuan (0 offline)
        "service_cost",  # outsourced selling-side work, yuan per worker-month
        "goods_per_worker",  # goods a workshop worker makes, yuan per month at outside prices
        "goods_share",  # cost of goods at outside prices per yuan of sales
        "selling_cost",  # courier and platform fee less the courier subsidy, per yuan
        "courier_subsidy",  # share of sales the state pays towards courier costs
        "wage",  # industry wage in the village, yuan per worker-month
        "commute_wage",  # mean wage of the village's commuters, yuan per worker-month
        "staff_ratio",  # share of the workers they want that employers have this month
        "job_chance",  # share of the village's idle job seekers hired last month
        "casual_income",  # expected casual earnings of an idle worker, yuan per month
        "city_net",  # migrant wage less city living costs, yuan per month
        "remittance",  # sent home per migrant, yuan per month
        "discovery",  # chance of independent discovery this month (0 offline)
        "internet",  # 1.0 if households can sell online yet, else 0.0
        "local_income",  # expected earnings of an idle worker at home, yuan per month
        "leave",  # chance an idle working-age member leaves this month
    ],
)

GoodsMarket = namedtuple(
    "GoodsMarket",
    [
        "local_share",  # share of the village's goods demand made in the village
        "utilisation",  # share of the village's production capacity used
        "homework_chance",  # chance an eligible member takes up piece-work this month
        "firm_chance",  # chance a household able to opens a workshop this month
    ],
)

LabourUse = namedtuple(
    "LabourUse",
    [
        "free",  # working-age members at home without a job
        "manager",  # 1 if a member runs the household's workshop
        "shop_own",  # members' work in the shop, worker-months
        "business",  # members busy in the household's own business (people)
        "idle",  # free members not in the business (job seekers)
        "homeworkers",  # members doing piece-work this month
    ],
)

ShopMonth = namedtuple(
    "ShopMonth",
    ["orders", "sales", "unserved", "profit", "employed", "wages", "goods", "local_goods",
     "subsidy", "seen", "opened", "closed", "state", "age", "loss_run", "stores", "skill",
     "reputation", "orders_avg", "staff"],
)

FirmMonth = namedtuple(
    "FirmMonth", ["profit", "wages", "workers", "firm", "staff", "closed"])

Outcome = namedtuple(
    "Outcome",
    [
        "active",  # 1 if the household's shop sold this month (was active at its start)
        "stores",  # online stores that sold this month
        "orders",  # orders the shop received, yuan
        "sales",  # shop sales this month, yuan
        "unserved",  # orders it could not serve, yuan
        "profit",  # shop profit this month, yuan (0 without a shop)
        "firm_profit",  # workshop profit this month, yuan
        "seen_profit",  # what ties see next month: profit if the shop sold, else NaN
        "goods",  # goods sold, at outside prices, yuan
        "local_goods",  # of which made in the village, yuan
        "wages_paid",  # wages the shop and workshop paid, yuan
        "wages_received",  # industry wages its members received, yuan
        "staff",  # workers the shop and workshop employed this month
        "labour_demand",  # workers they want next month
        "business_workers",  # members working in the shop or the workshop, people
        "homeworkers",  # members doing piece-work this month
        "income",  # household income this month, yuan
        "quits",  # members who left an industry job in their village
        "commuter_quits",  # members who left an industry job in another village
        "returns",  # members who came back from the city this month
        "departures",  # members who left for the city this month
        "opened",  # 1 if the shop made its first sales this month
        "closed",  # 1 if the shop closed this month
        "firm_opened",  # 1 if a workshop was opened this month
        "firm_closed",  # 1 if the workshop closed this month
        "engaged",  # 1 if in the trade this month (see docs/ODD.md 4.10)
        "year_income",  # December only (else NaN): this calendar year's income, yuan
        #                 (annualised if the run started after January)
        "year_sales",  # December only: this year's shop sales, yuan
        "year_profit",  # December only: this year's shop profit, yuan
        "public_cost",  # public spending on the household this month, yuan
    ],
)

YearEnd = namedtuple(
    "YearEnd",
    ["income_ytd", "sales_ytd", "profit_ytd", "poor", "year_income", "year_sales",
     "year_profit"],
)


@nb.njit(cache=True)
def logistic(x: float) -> float:
    """1 / (1 + exp(-x)), safe for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


# -- the market and the village ---------------------------------------------------

@nb.njit(cache=True)
def season(p: np.ndarray, month_of_year: int) -> float:
    """Demand in a calendar month relative to the year's mean (mean 1)."""
    return 1.0 + p[P.SEASON_AMPLITUDE] * SEASON_PROFILE[month_of_year]


@nb.njit(cache=True)
def national_reputation(p: np.ndarray, step: int) -> float:
    """Reputation of all sellers of a category nationwide in a month."""
    return p[P.OUTSIDE_REPUTATION] * math.exp(p[P.OUTSIDE_GROWTH_PER_YEAR] * step / 12.0)


@nb.njit(cache=True)
def orders_per_reputation(p: np.ndarray, step: int, demand: float,
                          simulated_reputation: float, size: float) -> float:
    """Orders a unit of reputation brings in a month, yuan.

    Args:
        demand: national online demand for the category this month, yuan.
        simulated_reputation: reputation of all simulated shops of the category.
        size: the category's nationwide reputation relative to costumes' (its demand
            relative to theirs in a reference year): a larger market has
            proportionally more and better sellers.

    A shop's share of national demand is its reputation over the national
    reputation; together the simulated shops take at most ``max_share`` of it.
    """
    denominator = max(size * national_reputation(p, step),
                      simulated_reputation / p[P.MAX_SHARE])
    return demand / denominator if denominator > 0.0 else 0.0


@nb.njit(cache=True)
def farm_income_head(p: np.ndarray, step: int) -> float:
    """Mean farm income per household member in a month, yuan."""
    growth = (1.0 + p[P.FARM_GROWTH_PER_YEAR]) ** (step / 12.0)
    return p[P.FARM_INCOME_YUAN_HEAD_YEAR] * growth / 12.0


@nb.njit(cache=True)
def selling_terms(p: np.ndarray, village_sellers: float, village_sales_last: float):
    """(goods share, selling cost, courier subsidy), per yuan of sales: neighbours
    selling the same goods push prices down against their cost; the courier rate
    falls with the village's parcel volume."""
    goods = p[P.GOODS_SHARE_MIN] + (p[P.GOODS_SHARE_MAX] - p[P.GOODS_SHARE_MIN]) * \
        village_sellers / (village_sellers + p[P.COMPETITION_SELLERS])
    courier = p[P.COURIER_RATE_MIN] + (p[P.COURIER_RATE_MAX] - p[P.COURIER_RATE_MIN]) * \
        math.exp(-village_sales_last / p[P.COURIER_VOLUME_SCALE_YUAN])
    subsidy = min(courier, p[P.COURIER_SUBSIDY_SHARE])
    return goods, courier + p[P.PLATFORM_FEE_SHARE] - subsidy, subsidy


@nb.njit(cache=True)
def village_view(p: np.ndarray, step: int, orders_per_rep: float, city_wage: float,
                 village_sellers: float, village_sales_last: float, wage: float,
                 commute_wage: float, staff_ratio: float, job_chance: float,
                 internet: bool) -> VillageView:
    """What every household of a village faces this month.

    Args:
        p: parameter vector.
        step: months since the start.
        orders_per_rep: :func:`orders_per_reputation` for the village's category.
        city_wage: migrant wage this month, yuan per month.
        village_sellers: households of the village whose shop was active at the end
            of last month.
        village_sales_last: the village's sales last month, yuan.
        wage, commute_wage: industry wage in the village and mean wage of its
            commuters, from the labour market at the end of last month.
        staff_ratio: share of the workers they want that employers have this month.
        job_chance: share of the village's idle job seekers hired last month.
        internet: whether the village can sell online yet.
    """
    goods, selling, subsidy = selling_terms(p, village_sellers, village_sales_last)
    online = internet and p[P.NO_ECOMMERCE] == 0.0
    casual = city_wage * p[P.CASUAL_WAGE_RATIO] * p[P.CASUAL_WORK_PROB]
    city_net = city_wage * (1.0 - p[P.CITY_COST_SHARE])
    local_income = job_chance * wage + (1.0 - job_chance) * casual
    return VillageView(
        orders_per_rep if online else 0.0, p[P.SERVICE_COST_RATIO] * city_wage,
        p[P.GOODS_PER_WORKER_RATIO] * city_wage, goods, selling, subsidy, wage, commute_wage,
        staff_ratio, job_chance, casual, city_net, city_wage * p[P.REMITTANCE_SHARE],
        p[P.DISCOVERY_RATE] if online else 0.0, 1.0 if online else 0.0, local_income,
        # the chance of leaving is the same for every idle member of the village
        leave_probability(p, city_net, local_income),
    )


@nb.njit(cache=True)
def goods_market(p: np.ndarray, vv: VillageView, goods_demand: float, capacity: float,
                 eligible: float, households: float) -> GoodsMarket:
    """The village's goods this month: shops buy locally what the village's
    workshops and home workers can make, and the rest from outside. The goods
    short locally open piece-work for members at home and room for new workshops,
    in proportion to the shortage.

    Args:
        goods_demand, capacity: the village's goods demand and production capacity,
            yuan at outside prices (:func:`household_supply`).
        eligible: members at home who could take up piece-work and do not.
        households: households in the village.
    """
    local = min(1.0, capacity / goods_demand) if goods_demand > 0.0 else 1.0
    used = min(1.0, goods_demand / capacity) if capacity > 0.0 else 1.0
    short = max(0.0, goods_demand - capacity) if vv.internet > 0.0 else 0.0
    pieces = short / max(p[P.HOMEWORK_SHARE] * vv.goods_per_worker, 1e-9)  # home workers
    shops = short / max(p[P.FIRM_INITIAL_STAFF] * vv.goods_per_worker, 1e-9)  # workshops
    homework = min(1.0, p[P.HOMEWORK_ENTRY] * pieces / eligible) if eligible > 0.0 else 0.0
    firm = min(1.0, p[P.FIRM_ENTRY_RATE] * shops / households) if households > 0.0 else 0.0
    return GoodsMarket(local, used, homework, firm)


@nb.njit(cache=True)
def neighbour_view(ties: np.ndarray, lo: int, hi: int, seen_profit: np.ndarray) -> NeighbourView:
    """Summarise what a household sees of its ties' shops last month.

    Args:
        ties, lo, hi: the household's ties are ``ties[lo:hi]`` (indices into
            ``seen_profit``); passed as bounds because a slice per household
            costs an atomic reference count in parallel code.
        seen_profit: each household's profit last month, NaN if it did not sell.
    """
    selling = 0
    total = 0.0
    for k in range(lo, hi):
        v = seen_profit[ties[k]]
        if v == v:  # not NaN
            selling += 1
            total += v
    mean = total / selling if selling > 0 else 0.0
    n = hi - lo
    return NeighbourView(n, selling, selling / n if n > 0 else 0.0, mean)


# -- who works where ------------------------------------------------------------------

@nb.njit(cache=True)
def labour_use(p: np.ndarray, hs: HouseholdState) -> LabourUse:
    """Step 1: the household's members this month (:func:`members_at_work`)."""
    return members_at_work(p, hs.workers, hs.away, hs.jobs, hs.commuters, hs.firm,
                           hs.shop_state, hs.orders, hs.homeworkers, hs.elderly)


@nb.njit(cache=True)
def members_at_work(p: np.ndarray, workers: int, away: int, jobs: int, commuters: int,
                    firm: int, shop_state: int, orders: float, homeworkers: int,
                    elderly: int) -> LabourUse:
    """Who works where. Working-age members at home without a job run the workshop
    (one manager) and the shop (as much as its averaged orders need, at least the
    owner); the rest are idle job seekers. Piece-work at home is done by the
    elderly and idle members."""
    free = workers - away - jobs - commuters
    manager = 1 if firm == 1 and free > 0 else 0
    avail = free - manager
    shop_own = 0.0
    business = manager
    if shop_state == ACTIVE and avail > 0:
        shop_own = min(float(avail), max(1.0, orders / p[P.SALES_PER_SELLER_YUAN_MONTH]))
        business += int(math.ceil(shop_own))  # noqa: RUF046 (typed for numba)
    elif shop_state == PREPARING and avail > 0:
        business += 1
    idle = free - business
    return LabourUse(free, manager, shop_own, business, idle, min(homeworkers, elderly + idle))


@nb.njit(cache=True)
def production_capacity(p: np.ndarray, hs: HouseholdState, vv: VillageView,
                        lab: LabourUse) -> float:
    """Goods (at outside prices) the household's workshop staff and home workers can
    make this month, yuan."""
    cap = lab.homeworkers * p[P.HOMEWORK_SHARE] * vv.goods_per_worker
    if hs.firm == 1:
        cap += vv.staff_ratio * hs.firm_staff * vv.goods_per_worker
    return cap


@nb.njit(cache=True)
def sell(p: np.ndarray, hs: HouseholdState, vv: VillageView):
    """(orders, sales), yuan: an active shop receives orders in proportion to its
    reputation and sells as far as the goods it has ready go (its averaged orders
    plus a buffer)."""
    orders = vv.orders_per_rep * hs.reputation
    ready = (1.0 + p[P.STOCK_BUFFER]) * hs.orders
    return orders, min(orders, ready)


@nb.njit(cache=True)
def household_supply(p: np.ndarray, hs: HouseholdState, vv: VillageView):
    """(goods demand, production capacity, members who could take up piece-work):
    what the household brings to its village's goods market this month (yuan at
    outside prices)."""
    goods = 0.0
    if hs.shop_state == ACTIVE:
        _orders, sales = sell(p, hs, vv)
        goods = vv.goods_share * sales
    lab = labour_use(p, hs)
    return goods, production_capacity(p, hs, vv, lab), hs.elderly + lab.idle - lab.homeworkers


# -- decisions ---------------------------------------------------------------------

@nb.njit(cache=True)
def entry_exposure(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
                   works_in_trade: bool) -> float:
    """Monthly chance that a household considers selling: independent discovery
    (more likely where it already made the product), imitation of the ties that
    sell, and what members working in the trade see; zero offline."""
    if vv.internet == 0.0:
        return 0.0
    discovery = p[P.CRAFT_DISCOVERY_RATE] if hs.craft == 1 else vv.discovery
    seen_at_work = p[P.WORK_EXPOSURE] if works_in_trade else 0.0
    return min(1.0, discovery + p[P.IMITATION] * nv.share + seen_at_work)


@nb.njit(cache=True)
def entry_probability(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
                      exposure: float, step: int) -> float:
    """Monthly chance that a household decides to start a shop: its exposure times
    the logit attraction of the profit it expects (what its selling ties earn, or
    a prior) over a worker's local earnings, higher for younger heads and for
    households with a member back from the city."""
    if exposure <= 0.0:
        return 0.0
    expected = nv.mean_profit if nv.selling > 0 else p[P.PRIOR_PROFIT_YUAN_MONTH]
    age = hs.head_age + step / 12.0
    utility = p[P.ENTRY_BETA] * (expected - vv.local_income) / 1000.0 \
        + p[P.AGE_EFFECT] * (REFERENCE_AGE - age) / 10.0 \
        + p[P.RETURNEE_EFFECT] * hs.returned
    return exposure * logistic(utility)


@nb.njit(cache=True)
def can_afford(p: np.ndarray, capital: float, debt: float, cost: float) -> bool:
    """Credit constraint: savings plus unused credit (informal and, if any, the public
    credit line) cover a cost, yuan."""
    limit = p[P.CREDIT_LIMIT_YUAN] + p[P.MICROCREDIT_YUAN]
    return capital + max(0.0, limit - debt) >= cost


@nb.njit(cache=True)
def leave_probability(p: np.ndarray, city_net: float, local_income: float) -> float:
    """Monthly chance that an idle working-age member at home leaves for the city,
    given the migrant wage net of city costs and the expected local earnings of
    an idle worker (yuan per month)."""
    gap = city_net - local_income - p[P.MIGRATION_COST_YUAN_MONTH]
    return p[P.MIGRATE_RATE] * logistic(p[P.MIGRATION_BETA] * gap / 1000.0)


@nb.njit(cache=True)
def return_probability(p: np.ndarray, nv: NeighbourView, vv: VillageView) -> float:
    """Monthly chance that a migrant comes home for good.

    The migrant weighs the better of what an idle worker earns at home (an
    industry job with the village's hiring chance, else casual work) and the
    e-commerce income it hears of from the household's ties (their mean profit
    times the share that sell), plus the pull of family, against the city wage
    net of living costs.
    """
    prospect = max(vv.local_income, nv.share * nv.mean_profit)
    gap = prospect + p[P.FAMILY_PULL_YUAN_MONTH] - vv.city_net
    return p[P.RETURN_RATE] * logistic(p[P.MIGRATION_BETA] * gap / 1000.0)


# -- shops ------------------------------------------------------------------------

@nb.njit(cache=True)
def reputation_capacity(p: np.ndarray, ability: float, skill: float) -> float:
    """Reputation a shop grows towards, given its owner's ability and skill."""
    return p[P.REPUTATION_CAPACITY] * ability * skill ** p[P.CAPACITY_SKILL_ELASTICITY]


@nb.njit(cache=True)
def next_reputation(p: np.ndarray, reputation: float, ability: float, skill: float,
                    served: float, z: float) -> float:
    """Logistic growth towards capacity, as fast as the shop serves its orders,
    times a lognormal luck factor with mean 1."""
    cap = max(reputation_capacity(p, ability, skill), 1e-9)
    sigma = p[P.REPUTATION_NOISE]
    growth = p[P.REPUTATION_GROWTH] * served * (1.0 - reputation / cap)
    return reputation * math.exp(growth + sigma * z - 0.5 * sigma * sigma)


@nb.njit(cache=True)
def stores_for(p: np.ndarray, reputation: float) -> int:
    """Online stores a household runs with a given reputation."""
    return min(int(p[P.MAX_STORES]), 1 + int(reputation / p[P.REPUTATION_PER_STORE]))


@nb.njit(cache=True)
def own_staff_share(vv: VillageView) -> float:
    """Share of its selling-side work beyond its members' a shop wants done by its own
    staff rather than by service providers: all of it while the village wage is under
    90% of what providers charge, none above 110%, falling in between."""
    return min(1.0, max(0.0, (1.1 * vv.service_cost - vv.wage) / (0.2 * vv.service_cost)))


@nb.njit(cache=True)
def open_shop(p: np.ndarray, vv: VillageView):
    """A shop's first selling month: (shop state, months in it, reputation, stores,
    averaged orders): it stocks for what a new shop's reputation brings."""
    rep = p[P.INITIAL_REPUTATION]
    return ACTIVE, 0, rep, 1, vv.orders_per_rep * rep


@nb.njit(cache=True)
def shop_costs(p: np.ndarray, sales: float, own: float, staff: float, vv: VillageView,
               gm: GoodsMarket):
    """(profit, goods, locally made goods) of a month's sales, yuan: goods bought
    locally at the local price and the rest from outside, selling costs, staff
    wages, the selling-side work beyond the members' and staff's paid to service
    providers, and the running cost."""
    goods = vv.goods_share * sales
    local = gm.local_share * goods
    goods_cost = local * p[P.LOCAL_PRICE] + (goods - local)
    outsourced = max(0.0, sales / p[P.SALES_PER_SELLER_YUAN_MONTH] - own - staff)
    profit = sales - goods_cost - vv.selling_cost * sales - staff * vv.wage \
        - outsourced * vv.service_cost - p[P.FIXED_COST_YUAN_MONTH]
    return profit, goods, local


@nb.njit(cache=True, inline="always")
def shop_month(p: np.ndarray, hs: HouseholdState, vv: VillageView, gm: GoodsMarket,
               lab: LabourUse, key: np.uint64) -> ShopMonth:
    """Step 2: an active shop sells, pays its costs, plans its staff, grows its
    reputation as far as it serves its orders, learns, and closes after too many
    losing months; a shop in preparation opens when its set-up is done."""
    orders = sales = staff = profit = goods = local = 0.0
    seen = np.nan
    opened = closed = 0
    state, age, losses, stores = hs.shop_state, hs.shop_age, hs.loss_run, hs.stores
    skill, rep, avg, want = hs.skill, hs.reputation, hs.orders, hs.shop_staff
    if state == ACTIVE:
        orders, sales = sell(p, hs, vv)
        staff = vv.staff_ratio * hs.shop_staff
        profit, goods, local = shop_costs(p, sales, lab.shop_own, staff, vv, gm)
        seen = profit
        opened = 1 if age == 0 else 0
        age += 1
        served = sales / orders if orders > 0.0 else 1.0
        rep = next_reputation(p, rep, hs.ability, skill, served,
                              rng.key_normal(key, rng.STREAM_REPUTATION))
        stores = stores_for(p, rep)
        avg += (orders - avg) / p[P.ORDER_SMOOTHING_MONTHS]
        want = max(0.0, avg / p[P.SALES_PER_SELLER_YUAN_MONTH] - lab.shop_own) \
            * own_staff_share(vv)
        losses = losses + 1 if profit < 0.0 else 0
        skill += p[P.SKILL_LEARNING] * (1.0 - skill)
        if losses >= p[P.MAX_LOSS_MONTHS]:
            state, age, losses, stores, rep, avg, want = NO_SHOP, 0, 0, 0, 0.0, 0.0, 0.0
            closed = 1
    elif state == PREPARING:
        age += 1
        if age >= p[P.SETUP_MONTHS]:
            state, age, rep, stores, avg = open_shop(p, vv)
    return ShopMonth(orders, sales, orders - sales, profit, staff, staff * vv.wage, goods,
                     local, vv.courier_subsidy * sales, seen, opened, closed, state, age, losses,
                     stores, skill, rep, avg, want)


# -- workshops -------------------------------------------------------------------------

@nb.njit(cache=True)
def worker_value(p: np.ndarray, vv: VillageView) -> float:
    """What a workshop worker's month of output earns the workshop before wages, yuan:
    goods at the local price less the materials bought outside."""
    return (p[P.LOCAL_PRICE] - p[P.MATERIAL_SHARE]) * vv.goods_per_worker


@nb.njit(cache=True)
def firm_month(p: np.ndarray, hs: HouseholdState, vv: VillageView, gm: GoodsMarket
               ) -> FirmMonth:
    """Step 3: a workshop makes its share of the village's local goods with the staff
    it has, pays wages, and plans its size: it grows while the village makes less
    than 95% of its goods, a worker earns it more than the wage by the hurdle, and
    it has found the workers it wanted so far,
    shrinks while the village's workshops have less than 90% of a full order book
    or a worker earns less than the wage, and closes below half a worker."""
    if hs.firm == 0:
        return FirmMonth(0.0, 0.0, 0.0, 0, 0.0, 0)
    workers = vv.staff_ratio * hs.firm_staff
    made = gm.utilisation * workers * vv.goods_per_worker
    wages = workers * vv.wage
    profit = made * (p[P.LOCAL_PRICE] - p[P.MATERIAL_SHARE]) - wages \
        - p[P.FIRM_FIXED_COST_YUAN_MONTH]
    value = worker_value(p, vv)
    want = hs.firm_staff
    if gm.local_share < FIRM_SHORT and value > vv.wage * (1.0 + p[P.FIRM_HURDLE]) \
            and vv.staff_ratio >= FIRM_FILLED:
        want = want * (1.0 + p[P.FIRM_GROWTH]) + p[P.FIRM_GROWTH]
    elif gm.utilisation < FIRM_SLACK or value < vv.wage:
        want *= 1.0 - p[P.FIRM_SHRINK]
    if want < 0.5:
        return FirmMonth(profit, wages, workers, 0, 0.0, 1)
    return FirmMonth(profit, wages, workers, 1, want, 0)


@nb.njit(cache=True)
def decides_to_open_firm(p: np.ndarray, hs: HouseholdState, vv: VillageView,
                         gm: GoodsMarket, lab: LabourUse, key: np.uint64, capital: float,
                         debt: float, shop_started: bool) -> bool:
    """Step 7: whether a household without a workshop, with a member at home to run
    one and the means, opens one this month: only while the village's goods are
    short and making them pays, with a chance that grows with the shortage."""
    if hs.firm == 1 or shop_started or lab.idle < 1 or vv.internet == 0.0:
        return False
    if gm.local_share >= 1.0 or worker_value(p, vv) <= vv.wage * (1.0 + p[P.FIRM_HURDLE]):
        return False
    if not can_afford(p, capital, debt, p[P.FIRM_STARTUP_COST_YUAN]):
        return False
    return rng.key_uniform(key, rng.STREAM_FIRM) < gm.firm_chance


# -- work, income, savings ------------------------------------------------------------

@nb.njit(cache=True, inline="always")
def home_work(p: np.ndarray, hs: HouseholdState, vv: VillageView, gm: GoodsMarket,
              lab: LabourUse, key: np.uint64, step: int):
    """Step 4: (piece-work earnings, casual earnings, home workers next month). Home
    workers are paid for the goods they make (their share of the village's
    orders); idle members not doing piece-work may find casual work; members
    take up piece-work while the village's goods are short and give it up now
    and then (in a slack month they earn less, but keep their place); registered
    poor households come first once the targeting policy has started."""
    value = p[P.HOMEWORK_SHARE] * vv.goods_per_worker * gm.utilisation
    earned = lab.homeworkers * value * (p[P.LOCAL_PRICE] - p[P.MATERIAL_SHARE])
    working_age_home = max(0, lab.homeworkers - hs.elderly)
    casual = 0
    for j in range(lab.idle - working_age_home):
        if rng.key_uniform(key, rng.STREAM_CASUAL + j) < p[P.CASUAL_WORK_PROB]:
            casual += 1
    casual_wage = vv.casual_income / p[P.CASUAL_WORK_PROB] if p[P.CASUAL_WORK_PROB] > 0 \
        else 0.0
    targeted = hs.poor == 1 and 0.0 <= p[P.TARGETING_FROM] <= step
    priority = p[P.POOR_PRIORITY] if targeted else 1.0
    stay = 0
    leave = p[P.HOMEWORK_EXIT] / priority
    for j in range(lab.homeworkers):
        if rng.key_uniform(key, rng.STREAM_HOMEWORK_EXIT + j) >= leave:
            stay += 1
    join = 0
    if gm.homework_chance > 0.0:
        chance = min(1.0, gm.homework_chance * priority)
        for j in range(hs.elderly + lab.idle - lab.homeworkers):
            if rng.key_uniform(key, rng.STREAM_HOMEWORK_ENTRY + j) < chance:
                join += 1
    return earned, casual * casual_wage, stay + join


@nb.njit(cache=True)
def month_income(p: np.ndarray, hs: HouseholdState, vv: VillageView, farm_head: float,
                 shop: ShopMonth, firm: FirmMonth, homework: float, casual: float,
                 poverty_line: float, step: int):
    """Step 5: (household income, industry wages received, transfer received) this
    month, yuan: farm income, shop and workshop profit, industry wages (own
    village and commuting), piece-work, casual work, remittances and the transfers
    to registered poor households (a flat transfer per member) and, once the policy
    has started, social assistance to households without a working-age member: a
    means-tested top-up of their month's income to the poverty line of the year
    (``poverty_line``, yuan per person per year), whether or not they are registered
    poor, as long as they are under it."""
    wages = hs.jobs * vv.wage + hs.commuters * vv.commute_wage
    earned = (
        hs.members * farm_head * hs.land
        + shop.profit
        + firm.profit
        + wages
        + homework
        + casual
        + hs.away * vv.remittance
    )
    transfer = hs.poor * hs.members * p[P.TRANSFER_YUAN_HEAD_MONTH]
    if hs.workers == 0 and 0.0 <= p[P.ASSISTANCE_FROM] <= step:
        transfer = max(transfer, hs.members * poverty_line / 12.0 - earned)
    return earned + transfer, wages, transfer


@nb.njit(cache=True)
def save(p: np.ndarray, capital: float, debt: float, income: float):
    """Step 5 (cont.): (savings, debt) after a month's income, yuan. Debt accrues
    interest; a share of positive income is saved, losses come out of savings and
    then add to debt; a share of savings repays debt."""
    debt *= 1.0 + p[P.LOAN_INTEREST_MONTH]
    capital += p[P.SAVINGS_RATE] * income if income > 0.0 else income
    if capital < 0.0:
        debt -= capital
        capital = 0.0
    if debt > 0.0 and capital > 0.0:
        repay = min(debt, p[P.DEBT_REPAY_SHARE] * capital)
        debt -= repay
        capital -= repay
    return capital, debt


@nb.njit(cache=True)
def learn(p: np.ndarray, skill: float, nv: NeighbourView, step: int, home: int,
          works_in_trade: bool):
    """Step 6: (skill, public cost of training) after watching ties sell, working in
    the trade and, in the month of a training programme, training (households
    with a member at home)."""
    skill += p[P.SKILL_SPILLOVER] * nv.share * (1.0 - skill)
    if works_in_trade:
        skill += p[P.SKILL_LEARNING] * (1.0 - skill)
    cost = 0.0
    if step == p[P.TRAINING_FROM] and home > 0:
        skill = max(skill, p[P.TRAINING_SKILL])
        cost = p[P.TRAINING_COST_YUAN]
    return skill, cost


# -- starting a shop ------------------------------------------------------------------

@nb.njit(cache=True)
def decides_to_start(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
                     key: np.uint64, step: int, capital: float, debt: float,
                     works_in_trade: bool) -> bool:
    """Step 7: whether a household without a shop, with a working-age member at home
    and the means to start, decides this month to open one. The chance is at most
    the exposure, so the logit is only evaluated for draws below it."""
    if hs.shop_state != NO_SHOP or hs.workers - hs.away <= 0:
        return False
    if not can_afford(p, capital, debt, p[P.STARTUP_COST_YUAN]):
        return False
    exposure = entry_exposure(p, hs, nv, vv, works_in_trade)
    u = rng.key_uniform(key, rng.STREAM_ENTRY)
    return u < exposure and u < entry_probability(p, hs, nv, vv, exposure, step)


@nb.njit(cache=True)
def pay_startup(p: np.ndarray, capital: float, debt: float, cost: float):
    """Step 7 (cont.): (savings, debt, public cost) after paying a start-up cost from
    savings first, then informal credit, then the public credit line."""
    from_savings = min(capital, cost)
    borrowed = cost - from_savings
    # beyond the informal credit, the public line lends (at a public cost)
    public_loan = max(0.0, borrowed - max(0.0, p[P.CREDIT_LIMIT_YUAN] - debt))
    return capital - from_savings, debt + borrowed, p[P.MICROCREDIT_COST_SHARE] * public_loan


# -- jobs, migration and the year's end -----------------------------------------------

@nb.njit(cache=True, inline="always")
def quit_jobs(p: np.ndarray, hs: HouseholdState, key: np.uint64, free_needed: bool):
    """Step 8: (jobs, commuting jobs, quits, commuter quits) after each job is left
    with the quit rate; if the household starts a business and has nobody free, a
    member leaves a job (a village one first) to run it."""
    jobs, commuters = hs.jobs, hs.commuters
    quits = commuter_quits = 0
    for j in range(hs.jobs):
        if rng.key_uniform(key, rng.STREAM_QUIT + j) < p[P.QUIT_RATE]:
            quits += 1
    for j in range(hs.commuters):
        if rng.key_uniform(key, rng.STREAM_COMMUTER_QUIT + j) < p[P.QUIT_RATE]:
            commuter_quits += 1
    jobs -= quits
    commuters -= commuter_quits
    if free_needed and hs.workers - hs.away - jobs - commuters <= 0:
        if jobs > 0:
            jobs -= 1
            quits += 1
        elif commuters > 0:
            commuters -= 1
            commuter_quits += 1
    return jobs, commuters, quits, commuter_quits


@nb.njit(cache=True, inline="always")
def migrate(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
            key: np.uint64, idle: int, business: bool):
    """Step 8 (cont.): (departures, returns). Idle working-age members of a household
    without its own business may leave; migrants may return. The return chance is
    at most ``return_rate``, so it is computed only for a draw below that."""
    departures = 0
    if not business:
        for j in range(idle):
            if rng.key_uniform(key, rng.STREAM_MIGRATE + j) < vv.leave:
                departures += 1
    returns = 0
    p_return = -1.0
    for j in range(hs.away):
        u = rng.key_uniform(key, rng.STREAM_RETURN + j)
        if u < p[P.RETURN_RATE]:
            if p_return < 0.0:
                p_return = return_probability(p, nv, vv)
            if u < p_return:
                returns += 1
    return departures, returns


@nb.njit(cache=True)
def close_year(p: np.ndarray, hs: HouseholdState, income: float, sales: float, profit: float,
               step: int, month_of_year: int, poverty_line: float, capital: float) -> YearEnd:
    """Step 9: add the month to the year's accounts; in December assess poverty, report
    the year, and start again. A household is poor if its calendar year's income per
    member is below the poverty line (by more than half a yuan for the household: incomes
    count to the yuan, and the year is summed in float32), unless its savings per
    member exceed ``asset_test_years`` years of the line."""
    income_ytd = hs.income_ytd + income
    sales_ytd = hs.sales_ytd + sales
    profit_ytd = hs.profit_ytd + profit
    poor = hs.poor
    year_income = year_sales = year_profit = np.nan
    if month_of_year == 11:
        # a run that starts after January has a short first year: annualise it
        months_counted = min(12, step + 1)
        year_income = income_ytd * 12.0 / months_counted
        year_sales = sales_ytd
        year_profit = profit_ytd
        poor = 1 if (year_income < hs.members * poverty_line - 0.5 and capital / hs.members
                     < p[P.ASSET_TEST_YEARS] * poverty_line) else 0
        income_ytd = sales_ytd = profit_ytd = 0.0
    return YearEnd(income_ytd, sales_ytd, profit_ytd, poor, year_income, year_sales,
                   year_profit)


# -- the month -------------------------------------------------------------------------

@nb.njit(cache=True, inline="always")
def start_business(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
                   gm: GoodsMarket, lab: LabourUse, key: np.uint64, step: int,
                   capital: float, debt: float, in_trade: bool):
    """Step 7: (shop started, workshop opened, savings, debt, public cost)."""
    cost = 0.0
    shop = decides_to_start(p, hs, nv, vv, key, step, capital, debt, in_trade)
    if shop:
        capital, debt, cost = pay_startup(p, capital, debt, p[P.STARTUP_COST_YUAN])
    firm = decides_to_open_firm(p, hs, vv, gm, lab, key, capital, debt, shop)
    if firm:
        capital, debt, cost = pay_startup(p, capital, debt, p[P.FIRM_STARTUP_COST_YUAN])
    return shop, firm, capital, debt, cost


@nb.njit(cache=True, inline="always")
def household_step(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
                   gm: GoodsMarket, seed: np.uint64, step: int, hid: int, month_of_year: int,
                   farm_head: float, poverty_line: float):
    """Advance one household by one month: steps 1-9 in order.

    Args:
        p: parameter vector.
        hs: the household's state at month t.
        nv, vv, gm: what it sees of its ties, what its village offers, and its
            village's goods market, at month t.
        seed, step, hid: counters of its random draws (replicate seed, month
            index since the start, household index within the replicate).
        month_of_year: 0 (January) to 11.
        farm_head: mean farm income per member this month, yuan.
        poverty_line: this year's poverty line, yuan per person per year.

    Returns:
        (HouseholdState at t+1, Outcome of month t).
    """
    key = rng.household_key(seed, step, hid)
    lab = labour_use(p, hs)
    shop = shop_month(p, hs, vv, gm, lab, key)
    firm = firm_month(p, hs, vv, gm)
    homework, casual, homeworkers = home_work(p, hs, vv, gm, lab, key, step)
    income, wages, transfer = month_income(p, hs, vv, farm_head, shop, firm, homework, casual,
                                           poverty_line, step)
    capital, debt = save(p, hs.capital, hs.debt, income)
    in_trade = hs.jobs + hs.commuters + lab.homeworkers > 0
    skill, training = learn(p, shop.skill, nv, step, hs.workers - hs.away, in_trade)
    started, opened_firm, capital, debt, credit = start_business(
        p, hs, nv, vv, gm, lab, key, step, capital, debt, in_trade)
    jobs, commuters, quits, c_quits = quit_jobs(p, hs, key, started or opened_firm)
    state, age, rep, stores, avg = shop.state, shop.age, shop.reputation, shop.stores, \
        shop.orders_avg
    if started:
        state, age = PREPARING, 1
        if p[P.SETUP_MONTHS] <= 1:
            state, age, rep, stores, avg = open_shop(p, vv)
    has_firm = 1 if opened_firm else firm.firm
    departures, returns = migrate(p, hs, nv, vv, key, lab.idle - int(started) - int(opened_firm),
                                  state != NO_SHOP or has_firm == 1)
    if returns > 0:
        skill = max(skill, p[P.RETURNEE_SKILL])
    year = close_year(p, hs, income, shop.sales, shop.profit, step, month_of_year,
                      poverty_line, capital)
    new = HouseholdState(
        hs.members, hs.workers, hs.elderly, hs.away - returns + departures, jobs, commuters,
        homeworkers, 1 if (hs.returned == 1 or returns > 0) else 0, hs.craft, hs.head_age,
        state, age, shop.loss_run, stores, has_firm, year.poor, capital, debt, skill,
        hs.ability, rep, avg, shop.staff if state == ACTIVE else 0.0,
        p[P.FIRM_INITIAL_STAFF] if opened_firm else firm.staff, hs.land, year.income_ytd,
        year.sales_ytd, year.profit_ytd)
    public = transfer + shop.subsidy + training + credit
    out = outcome(shop, firm, lab, hs, income, wages, quits, c_quits, returns, departures,
                  opened_firm, year, public, new)
    return new, out


@nb.njit(cache=True)
def outcome(shop: ShopMonth, firm: FirmMonth, lab: LabourUse, hs: HouseholdState,
            income: float, wages: float, quits: int, commuter_quits: int, returns: int,
            departures: int, firm_opened: bool, year: YearEnd, public_cost: float,
            new: HouseholdState) -> Outcome:
    """The month's outcome of a household, for its village's record and its ties."""
    active = 1 if hs.shop_state == ACTIVE else 0
    employed = hs.jobs + hs.commuters
    engaged = 1 if (active == 1 or hs.firm == 1 or employed > 0 or lab.homeworkers > 0) \
        else 0
    return Outcome(
        active, hs.stores if active == 1 else 0, shop.orders, shop.sales, shop.unserved,
        shop.profit, firm.profit, shop.seen, shop.goods, shop.local_goods,
        shop.wages + firm.wages, wages, shop.employed + firm.workers,
        new.shop_staff + new.firm_staff,
        lab.business if (active == 1 or hs.firm == 1) else 0, lab.homeworkers, income, quits,
        commuter_quits, returns, departures, shop.opened, shop.closed, 1 if firm_opened else 0,
        firm.closed, engaged, year.year_income, year.year_sales, year.year_profit,
        public_cost,
    )

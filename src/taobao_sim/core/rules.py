"""The model's behaviour, written once as small compiled functions.

Both engines call these through :mod:`taobao_sim.engines.month`: the fast
engine from its loop over household records, the Mesa engine from each
``Household`` agent. Nothing here reads or writes shared state; every function
maps values at month t to values at month t+1.

A household's month (:func:`household_step`) is a sequence of named sub-steps,
in this order (docs/ODD.md, section 3):

1. :func:`shop_month` — sales, staffing, profit, reputation, closing;
2. :func:`work_for_others` — industry jobs, casual work, piece-work;
3. :func:`month_income` and :func:`save` — income, savings and debt;
4. :func:`learn` — skill from ties that sell, and from training;
5. :func:`decides_to_start` and :func:`pay_startup` — starting a shop;
6. :func:`migrate` — departures and returns;
7. :func:`close_year` — the December poverty assessment.

Units: money in yuan (current prices) per month unless named otherwise;
reputation in units of a new shop's reputation; skill on 0-1.
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
        "yuan_per_reputation",  # a shop's monthly sales per unit of reputation, yuan
        "margin",  # net margin on sales after goods, courier and cluster savings
        "local_wage",  # industry wage in the village, yuan per worker-month
        "job_chance",  # chance a worker at home gets an industry job this month
        "fill_share",  # share of a shop's vacancies it can fill this month
        "casual_income",  # expected casual earnings of a worker at home, yuan per month
        "city_net",  # migrant wage less city living costs, yuan per month
        "remittance",  # sent home per migrant, yuan per month
        "discovery",  # chance of independent discovery this month
        "internet",  # 1.0 if households can sell online yet, else 0.0
        "courier_subsidy",  # share of sales the state pays towards courier costs
        "local_income",  # expected earnings of a worker at home without a shop, yuan/month
        "leave",  # chance a working-age member at home (no shop) leaves this month
    ],
)

Outcome = namedtuple(
    "Outcome",
    [
        "active",  # 1 if the household's shop sold this month (was active at its start)
        "sales",  # shop sales this month, yuan
        "profit",  # shop profit this month, yuan (0 without a shop)
        "seen_profit",  # what ties see next month: profit if the shop sold, else NaN
        "vacancies",  # workers the shop wanted to hire
        "hired",  # workers it hired
        "income",  # household income this month, yuan
        "returns",  # members who came back from the city this month
        "departures",  # members who left for the city this month
        "opened",  # 1 if the shop made its first sales this month
        "closed",  # 1 if the shop closed this month
        "engaged",  # 1 if the household runs a shop or a member works for the industry
        "year_income",  # December only (else NaN): this calendar year's income, yuan
        #                 (annualised if the run started after January)
        "year_sales",  # December only: this year's shop sales, yuan
        "year_profit",  # December only: this year's shop profit, yuan
        "public_cost",  # public spending on the household this month, yuan
    ],
)

ShopMonth = namedtuple(
    "ShopMonth",
    ["sales", "profit", "seen", "vacancies", "hired", "opened", "closed",
     "shop_state", "shop_age", "loss_run", "skill", "reputation"],
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
def market_demand(p: np.ndarray, step: int, month_of_year: int) -> float:
    """National online demand for the product in a month, yuan.

    Logistic growth from ``demand_start_yuan_month`` towards
    ``demand_max_multiple`` times that, times the season.
    """
    years = step / 12.0
    k = p[P.DEMAND_MAX_MULTIPLE]
    trend = k / (1.0 + (k - 1.0) * math.exp(-p[P.DEMAND_GROWTH_PER_YEAR] * years))
    season = 1.0 + p[P.SEASON_AMPLITUDE] * SEASON_PROFILE[month_of_year]
    return p[P.DEMAND_START_YUAN_MONTH] * trend * season


@nb.njit(cache=True)
def farm_income_head(p: np.ndarray, step: int) -> float:
    """Mean farm income per household member in a month, yuan."""
    growth = (1.0 + p[P.FARM_GROWTH_PER_YEAR]) ** (step / 12.0)
    return p[P.FARM_INCOME_YUAN_HEAD_YEAR] * growth / 12.0


@nb.njit(cache=True)
def outside_reputation(p: np.ndarray, step: int) -> float:
    """Reputation of all sellers outside the simulated world in a month."""
    return p[P.OUTSIDE_REPUTATION] * math.exp(p[P.OUTSIDE_GROWTH_PER_YEAR] * step / 12.0)


@nb.njit(cache=True)
def market_terms(p: np.ndarray, step: int, month_of_year: int, reputation_total: float,
                 village_shops: float, village_sales_last: float):
    """What selling pays in a village this month.

    Returns (sales per unit of reputation in yuan, net margin, courier subsidy share):
    demand is shared by reputation with the outside sellers; the gross margin falls
    as the simulated shops take more of the market; a cluster of shops saves
    costs; the courier rate falls with the village's parcel volume.
    """
    outside = outside_reputation(p, step)
    demand = market_demand(p, step, month_of_year)
    yuan_per_rep = demand / (outside + reputation_total) if outside + reputation_total > 0 \
        else 0.0
    cluster_share = reputation_total / (outside + reputation_total) \
        if outside + reputation_total > 0 else 1.0
    gross = p[P.MARGIN_MAX] - (p[P.MARGIN_MAX] - p[P.MARGIN_MIN]) * cluster_share
    saving = p[P.CLUSTER_SAVING] * (1.0 - math.exp(-village_shops / p[P.CLUSTER_SCALE_SHOPS]))
    courier = p[P.COURIER_RATE_MIN] + (p[P.COURIER_RATE_MAX] - p[P.COURIER_RATE_MIN]) * \
        math.exp(-village_sales_last / p[P.COURIER_VOLUME_SCALE_YUAN])
    subsidy = min(courier, p[P.COURIER_SUBSIDY_SHARE])
    return yuan_per_rep, gross + saving - courier + subsidy, subsidy


@nb.njit(cache=True)
def labour_terms(p: np.ndarray, city_wage: float, vacancies_last: float,
                 labour_supply: float):
    """The village's labour market this month, from last month's vacancies.

    Returns (chance a worker at home gets an industry job, share of vacancies a
    shop can fill, industry wage in yuan per worker-month): the wage rises with
    the excess of vacancies over available workers, up to a cap.
    """
    if labour_supply > 0.0:
        job_chance = min(1.0, vacancies_last / labour_supply)
        tightness = vacancies_last / labour_supply - 1.0
    else:
        job_chance = 0.0
        tightness = 1.0 if vacancies_last > 0.0 else 0.0
    fill_share = min(1.0, labour_supply / vacancies_last) if vacancies_last > 0.0 else 1.0
    wage_ratio = p[P.LOCAL_WAGE_RATIO] * (1.0 + p[P.WAGE_TIGHTNESS] * max(0.0, tightness))
    return job_chance, fill_share, city_wage * min(p[P.WAGE_CAP_RATIO], wage_ratio)


@nb.njit(cache=True)
def village_view(
    p: np.ndarray,
    step: int,
    month_of_year: int,
    city_wage: float,
    reputation_total: float,
    village_shops: float,
    village_sales_last: float,
    vacancies_last: float,
    labour_supply: float,
    internet: bool,
    discovery_multiplier: float,
) -> VillageView:
    """What every household of a village faces this month.

    Args:
        p: parameter vector.
        step: months since the start.
        month_of_year: 0 (January) to 11.
        city_wage: migrant wage this month, yuan per month.
        reputation_total: reputation of all active shops in the world (this replicate).
        village_shops: active shops in the village.
        village_sales_last: the village's sales last month, yuan.
        vacancies_last: workers the village's shops wanted to hire last month.
        labour_supply: working-age members at home in households without a shop.
        internet: whether the village can sell online yet.
        discovery_multiplier: village factor on the discovery rate.
    """
    yuan_per_rep, margin, subsidy = market_terms(
        p, step, month_of_year, reputation_total, village_shops, village_sales_last)
    job_chance, fill_share, local_wage = labour_terms(p, city_wage, vacancies_last,
                                                      labour_supply)
    casual = city_wage * p[P.CASUAL_WAGE_RATIO] * p[P.CASUAL_WORK_PROB]
    discovery = p[P.DISCOVERY_RATE] * discovery_multiplier if internet else 0.0
    city_net = city_wage * (1.0 - p[P.CITY_COST_SHARE])
    local_income = job_chance * local_wage + (1.0 - job_chance) * casual
    return VillageView(
        yuan_per_rep, margin, local_wage, job_chance, fill_share, casual, city_net,
        city_wage * p[P.REMITTANCE_SHARE], discovery, 1.0 if internet else 0.0, subsidy,
        local_income,
        # the chance of leaving is the same for every household of the village
        leave_probability(p, city_net, local_income),
    )


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


# -- decisions ---------------------------------------------------------------------

@nb.njit(cache=True)
def entry_exposure(p: np.ndarray, nv: NeighbourView, vv: VillageView) -> float:
    """Monthly chance that a household considers selling: independent discovery
    plus imitation of the ties that sell; zero before the village has internet."""
    if vv.internet == 0.0:
        return 0.0
    return min(1.0, vv.discovery + p[P.IMITATION] * nv.share)


@nb.njit(cache=True)
def entry_probability(p: np.ndarray, nv: NeighbourView, vv: VillageView,
                      exposure: float) -> float:
    """Monthly chance that a household with a member at home decides to start a shop:
    its exposure (:func:`entry_exposure`) times the logit attraction of the profit it
    expects (what its selling ties earn, or a prior) over a worker's local earnings."""
    if exposure <= 0.0:
        return 0.0
    expected = nv.mean_profit if nv.selling > 0 else p[P.PRIOR_PROFIT_YUAN_MONTH]
    gap = expected - vv.local_income
    return exposure * logistic(p[P.ENTRY_BETA] * gap / 1000.0)


@nb.njit(cache=True)
def can_afford_start(p: np.ndarray, capital: float, debt: float) -> bool:
    """Credit constraint: savings plus unused credit (informal and, if any, the public
    credit line) cover the start-up cost."""
    limit = p[P.CREDIT_LIMIT_YUAN] + p[P.MICROCREDIT_YUAN]
    return capital + max(0.0, limit - debt) >= p[P.STARTUP_COST_YUAN]


@nb.njit(cache=True)
def leave_probability(p: np.ndarray, city_net: float, local_income: float) -> float:
    """Monthly chance that a working-age member at home (no shop) leaves for the city,
    given the migrant wage net of city costs and the expected local earnings
    of a worker at home (yuan per month)."""
    gap = city_net - local_income - p[P.MIGRATION_COST_YUAN_MONTH]
    return p[P.MIGRATE_RATE] * logistic(p[P.MIGRATION_BETA] * gap / 1000.0)


@nb.njit(cache=True)
def return_probability(p: np.ndarray, nv: NeighbourView, vv: VillageView) -> float:
    """Monthly chance that a migrant comes home for good.

    The migrant weighs the better of a local job and the e-commerce income it
    hears of from the household's ties (their mean profit times the share that
    sell), plus the pull of family, against the city wage net of living costs.
    """
    prospect = max(vv.local_income, nv.share * nv.mean_profit)
    gap = prospect + p[P.FAMILY_PULL_YUAN_MONTH] - vv.city_net
    return p[P.RETURN_RATE] * logistic(p[P.MIGRATION_BETA] * gap / 1000.0)


# -- shops ------------------------------------------------------------------------

@nb.njit(cache=True)
def reputation_capacity(p: np.ndarray, skill: float) -> float:
    """Reputation a shop grows towards, given its owner's skill."""
    return p[P.REPUTATION_CAPACITY] * skill ** p[P.CAPACITY_SKILL_ELASTICITY]


@nb.njit(cache=True)
def next_reputation(p: np.ndarray, reputation: float, skill: float, z: float) -> float:
    """Logistic growth towards capacity, times a lognormal luck factor with mean 1."""
    cap = max(reputation_capacity(p, skill), 1e-9)
    sigma = p[P.REPUTATION_NOISE]
    growth = p[P.REPUTATION_GROWTH] * (1.0 - reputation / cap)
    return reputation * math.exp(growth + sigma * z - 0.5 * sigma * sigma)


@nb.njit(cache=True)
def open_shop(p: np.ndarray):
    """A shop's first selling month: (shop state, months in it, reputation)."""
    return ACTIVE, 0, p[P.INITIAL_REPUTATION]


@nb.njit(cache=True)
def sell(p: np.ndarray, reputation: float, home: int, vv: VillageView):
    """One month of an active shop's trade: (sales, profit, vacancies, hired), yuan
    and workers. Orders follow reputation; the shop staffs them from its members
    at home, then hires in the village as far as the labour market allows."""
    potential = vv.yuan_per_reputation * reputation
    need = potential / p[P.SALES_PER_WORKER_YUAN_MONTH]
    vacancies = max(0.0, need - home)
    hired = vacancies * vv.fill_share
    staffed = 1.0 if need <= 0.0 else min(1.0, (home + hired) / need)
    sales = potential * staffed
    profit = sales * vv.margin - p[P.FIXED_COST_YUAN_MONTH] - hired * vv.local_wage
    return sales, profit, vacancies, hired


@nb.njit(cache=True)
def shop_month(p: np.ndarray, hs: HouseholdState, vv: VillageView, key: np.uint64,
               home: int) -> ShopMonth:
    """Step 1: an active shop sells, learns, grows its reputation and closes after
    too many losing months; a shop in preparation opens when its set-up is done."""
    sales = profit = vacancies = hired = 0.0
    seen = np.nan
    opened = closed = 0
    state, age, losses = hs.shop_state, hs.shop_age, hs.loss_run
    skill, reputation = hs.skill, hs.reputation
    if state == ACTIVE:
        sales, profit, vacancies, hired = sell(p, reputation, home, vv)
        seen = profit
        if age == 0:
            opened = 1
        age += 1
        z = rng.key_normal(key, rng.STREAM_REPUTATION)
        reputation = next_reputation(p, reputation, skill, z)
        losses = losses + 1 if profit < 0.0 else 0
        skill += p[P.SKILL_LEARNING] * (1.0 - skill)
        if losses >= p[P.MAX_LOSS_MONTHS]:
            state, age, losses, reputation = NO_SHOP, 0, 0, 0.0
            closed = 1
    elif state == PREPARING:
        age += 1
        if age >= p[P.SETUP_MONTHS]:
            state, age, reputation = open_shop(p)
    return ShopMonth(sales, profit, seen, vacancies, hired, opened, closed, state, age,
                     losses, skill, reputation)


# -- work, income, savings ------------------------------------------------------------

@nb.njit(cache=True)
def work_for_others(p: np.ndarray, hs: HouseholdState, vv: VillageView, key: np.uint64,
                    home: int):
    """Step 2: (industry jobs, casual jobs, piece-work) of a household without an
    active shop: each working-age member at home may get an industry job, else
    casual work; where only children and elderly are at home, they may take
    piece-work."""
    jobs = 0
    casual_work = 0
    piecework = 0
    if hs.shop_state != ACTIVE:
        for j in range(home):
            if rng.key_uniform(key, rng.STREAM_EMPLOY + j) < vv.job_chance:
                jobs += 1
            elif rng.key_uniform(key, rng.STREAM_CASUAL + j) < p[P.CASUAL_WORK_PROB]:
                casual_work += 1
        if home == 0 and hs.members > hs.workers:
            chance = vv.job_chance * p[P.PIECEWORK_PROB]
            if rng.key_uniform(key, rng.STREAM_PIECEWORK) < chance:
                piecework = 1
    return jobs, casual_work, piecework


@nb.njit(cache=True)
def month_income(p: np.ndarray, hs: HouseholdState, vv: VillageView, farm_head: float,
                 jobs: int, casual_work: int, piecework: int, profit: float):
    """Step 3: (household income, transfer received) this month, yuan: farm income,
    wages, piece-work, casual work, remittances, transfers to registered poor
    households and shop profit."""
    casual_wage = vv.casual_income / p[P.CASUAL_WORK_PROB] if p[P.CASUAL_WORK_PROB] > 0 \
        else 0.0
    transfer = hs.poor * hs.members * p[P.TRANSFER_YUAN_HEAD_MONTH]
    income = (
        hs.members * farm_head * hs.land
        + jobs * vv.local_wage
        + piecework * p[P.PIECEWORK_WAGE_RATIO] * vv.local_wage
        + casual_work * casual_wage
        + hs.away * vv.remittance
        + transfer
        + profit
    )
    return income, transfer


@nb.njit(cache=True)
def save(p: np.ndarray, capital: float, debt: float, income: float):
    """Step 3 (cont.): (savings, debt) after a month's income, yuan. Debt accrues
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
def learn(p: np.ndarray, skill: float, nv: NeighbourView, step: int, home: int):
    """Step 4: (skill, public cost of training) after watching ties sell and, in the
    month of a training programme, training (households with a member at home)."""
    skill += p[P.SKILL_SPILLOVER] * nv.share * (1.0 - skill)
    cost = 0.0
    if step == p[P.TRAINING_FROM] and home > 0:
        skill = max(skill, p[P.TRAINING_SKILL])
        cost = p[P.TRAINING_COST_YUAN]
    return skill, cost


# -- starting a shop ------------------------------------------------------------------

@nb.njit(cache=True)
def decides_to_start(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
                     key: np.uint64, home: int, capital: float, debt: float) -> bool:
    """Step 5: whether a household without a shop, with a member at home and the
    means to start, decides this month to open one. The chance is at most the
    exposure, so the logit is only evaluated for draws below it (the outcome is
    the same, the exp is saved)."""
    if hs.shop_state != NO_SHOP or home <= 0 or not can_afford_start(p, capital, debt):
        return False
    exposure = entry_exposure(p, nv, vv)
    u = rng.key_uniform(key, rng.STREAM_ENTRY)
    return u < exposure and u < entry_probability(p, nv, vv, exposure)


@nb.njit(cache=True)
def pay_startup(p: np.ndarray, capital: float, debt: float):
    """Step 5 (cont.): (savings, debt, public cost) after paying the start-up cost from
    savings first, then informal credit, then the public credit line."""
    cost = p[P.STARTUP_COST_YUAN]
    from_savings = min(capital, cost)
    borrowed = cost - from_savings
    # beyond the informal credit, the public line lends (at a public cost)
    public_loan = max(0.0, borrowed - max(0.0, p[P.CREDIT_LIMIT_YUAN] - debt))
    return capital - from_savings, debt + borrowed, p[P.MICROCREDIT_COST_SHARE] * public_loan


# -- migration and the year's end -------------------------------------------------------

@nb.njit(cache=True)
def migrate(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
            key: np.uint64, home: int, shop_state: int):
    """Step 6: (departures, returns). Members at home of a household that neither
    had nor now has a shop may leave; migrants may return. The return chance is at
    most ``return_rate``, so it is computed only for a draw below that."""
    departures = 0
    if hs.shop_state == NO_SHOP and shop_state == NO_SHOP:
        for j in range(home):
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
def close_year(hs: HouseholdState, income: float, sales: float, profit: float, step: int,
               month_of_year: int, poverty_line: float) -> YearEnd:
    """Step 7: add the month to the year's accounts; in December assess poverty on
    the calendar year's income per member, report the year, and start again."""
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
        poor = 1 if year_income / hs.members < poverty_line else 0
        income_ytd = sales_ytd = profit_ytd = 0.0
    return YearEnd(income_ytd, sales_ytd, profit_ytd, poor, year_income, year_sales,
                   year_profit)


# -- the month -------------------------------------------------------------------------

@nb.njit(cache=True)
def household_step(p: np.ndarray, hs: HouseholdState, nv: NeighbourView, vv: VillageView,
                   seed: np.uint64, step: int, hid: int, month_of_year: int,
                   farm_head: float, poverty_line: float):
    """Advance one household by one month: steps 1-7 in order.

    Args:
        p: parameter vector.
        hs: the household's state at month t.
        nv: what it sees of its ties at month t.
        vv: what its village and the market offer at month t.
        seed, step, hid: counters of its random draws (replicate seed, month
            index since the start, household index within the replicate).
        month_of_year: 0 (January) to 11.
        farm_head: mean farm income per member this month, yuan.
        poverty_line: this year's poverty line, yuan per person per year.

    Returns:
        (HouseholdState at t+1, Outcome of month t).
    """
    key = rng.household_key(seed, step, hid)
    home = hs.workers - hs.away
    shop = shop_month(p, hs, vv, key, home)
    jobs, casual_work, piecework = work_for_others(p, hs, vv, key, home)
    income, transfer = month_income(p, hs, vv, farm_head, jobs, casual_work, piecework,
                                    shop.profit)
    public_cost = transfer + vv.courier_subsidy * shop.sales
    capital, debt = save(p, hs.capital, hs.debt, income)
    skill, training_cost = learn(p, shop.skill, nv, step, home)
    public_cost += training_cost
    state, age, reputation = shop.shop_state, shop.shop_age, shop.reputation
    if decides_to_start(p, hs, nv, vv, key, home, capital, debt):
        capital, debt, credit_cost = pay_startup(p, capital, debt)
        public_cost += credit_cost
        if p[P.SETUP_MONTHS] <= 1:
            state, age, reputation = open_shop(p)
        else:
            state, age = PREPARING, 1
    departures, returns = migrate(p, hs, nv, vv, key, home, state)
    if returns > 0:
        skill = max(skill, p[P.RETURNEE_SKILL])
    year = close_year(hs, income, shop.sales, shop.profit, step, month_of_year, poverty_line)
    employed = jobs + piecework
    active = 1 if hs.shop_state == ACTIVE else 0
    new = HouseholdState(
        hs.members, hs.workers, hs.away - returns + departures, employed, state, age,
        shop.loss_run, year.poor, capital, debt, skill, reputation, hs.land,
        year.income_ytd, year.sales_ytd, year.profit_ytd,
    )
    out = Outcome(
        active, shop.sales, shop.profit, shop.seen, shop.vacancies, shop.hired, income,
        returns, departures, shop.opened, shop.closed, 1 if (active == 1 or employed > 0) else 0,
        year.year_income, year.year_sales, year.year_profit, public_cost,
    )
    return new, out

"""The model's behaviour, written once as small compiled functions.

Both engines call these: the fast engine (:mod:`taobao_sim.kernel`) from its
loop over household arrays, and the Mesa engine (:mod:`taobao_sim.model`) from
each ``Household`` agent. Nothing here reads or writes shared state; every
function maps values at month t to values at month t+1.

Units: money in yuan (current prices) per month unless named otherwise;
reputation in units of a new shop's reputation; skill on 0-1.
"""

from __future__ import annotations

import math
from collections import namedtuple
from enum import IntEnum

import numba as nb
import numpy as np

from . import rng
from .params import KERNEL_PARAMS

#: Index of each kernel parameter in the parameter vector ``p`` (e.g. ``p[P.IMITATION]``).
P = IntEnum("P", {spec.key.upper(): i for i, spec in enumerate(KERNEL_PARAMS)})

#: Shop states.
NO_SHOP = 0
PREPARING = 1
ACTIVE = 2

#: Deviation of each calendar month's demand from the yearly mean (Jan..Dec), mean 0.
#: Peaks: orders for Children's Day (1 June) in April-May, Halloween in
#: September-October, New Year performances in November and January; troughs
#: around Spring Festival (February, couriers stop) and in the summer holidays.
SEASON_PROFILE = np.array(
    [0.2, -0.8, -0.2, 0.4, 1.0, 0.0, -0.8, -0.8, 0.2, 0.6, 0.2, 0.0], dtype=np.float64
)

HouseholdState = namedtuple(
    "HouseholdState",
    [
        "members",  # people in the household, home and away
        "workers",  # working-age members, home and away
        "away",  # working-age members away in the city (migrants)
        "employed",  # members working for another shop or workshop this month
        "shop_state",  # NO_SHOP, PREPARING or ACTIVE
        "shop_age",  # months in the current shop state
        "loss_run",  # months of losses in a row
        "poor",  # 1 if below the poverty line at the last assessment (December)
        "capital",  # savings, yuan
        "debt",  # yuan
        "skill",  # e-commerce skill, 0-1
        "reputation",  # shop reputation; 0 without an active shop
        "land",  # farm income factor (mean 1 across households)
        "income_ytd",  # household income so far this calendar year, yuan
        "sales_ytd",  # shop sales so far this year, yuan
        "profit_ytd",  # shop profit so far this year, yuan
    ],
)

NeighbourView = namedtuple(
    "NeighbourView",
    [
        "ties",  # number of ties
        "selling",  # ties whose shop sold last month
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


@nb.njit(cache=True)
def logistic(x: float) -> float:
    """1 / (1 + exp(-x)), safe for large |x|."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


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
    if labour_supply > 0.0:
        job_chance = min(1.0, vacancies_last / labour_supply)
        tightness = vacancies_last / labour_supply - 1.0
    else:
        job_chance = 0.0
        tightness = 1.0 if vacancies_last > 0.0 else 0.0
    fill_share = min(1.0, labour_supply / vacancies_last) if vacancies_last > 0.0 else 1.0
    wage_ratio = p[P.LOCAL_WAGE_RATIO] * (1.0 + p[P.WAGE_TIGHTNESS] * max(0.0, tightness))
    local_wage = city_wage * min(p[P.WAGE_CAP_RATIO], wage_ratio)
    casual = city_wage * p[P.CASUAL_WAGE_RATIO] * p[P.CASUAL_WORK_PROB]
    discovery = p[P.DISCOVERY_RATE] * discovery_multiplier if internet else 0.0
    city_net = city_wage * (1.0 - p[P.CITY_COST_SHARE])
    local_income = job_chance * local_wage + (1.0 - job_chance) * casual
    return VillageView(
        yuan_per_rep,
        gross + saving - courier + subsidy,
        local_wage,
        job_chance,
        fill_share,
        casual,
        city_net,
        city_wage * p[P.REMITTANCE_SHARE],
        discovery,
        1.0 if internet else 0.0,
        subsidy,
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
    return NeighbourView(hi - lo, selling, mean)


@nb.njit(cache=True)
def entry_exposure(p: np.ndarray, nv: NeighbourView, vv: VillageView) -> float:
    """Monthly chance that a household considers selling: independent discovery
    plus imitation of the ties that sell; zero before the village has internet."""
    if vv.internet == 0.0:
        return 0.0
    share = nv.selling / nv.ties if nv.ties > 0 else 0.0
    return min(1.0, vv.discovery + p[P.IMITATION] * share)


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
    share = nv.selling / nv.ties if nv.ties > 0 else 0.0
    prospect = max(vv.local_income, share * nv.mean_profit)
    gap = prospect + p[P.FAMILY_PULL_YUAN_MONTH] - vv.city_net
    return p[P.RETURN_RATE] * logistic(p[P.MIGRATION_BETA] * gap / 1000.0)


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
def household_step(
    p: np.ndarray,
    hs: HouseholdState,
    nv: NeighbourView,
    vv: VillageView,
    seed: np.uint64,
    step: int,
    hid: int,
    month_of_year: int,
    farm_income_head: float,
    poverty_line: float,
):
    """Advance one household by one month.

    Args:
        p: parameter vector.
        hs: the household's state at month t.
        nv: what it sees of its ties at month t.
        vv: what its village and the market offer at month t.
        seed, step, hid: counters of its random draws (replicate seed, month
            index since the start, household index within the replicate).
        month_of_year: 0 (January) to 11.
        farm_income_head: mean farm income per member this month, yuan.
        poverty_line: this year's poverty line, yuan per person per year.

    Returns:
        (HouseholdState at t+1, Outcome of month t).
    """
    key = rng.household_key(seed, step, hid)
    members = hs.members
    workers = hs.workers
    away = hs.away
    home = workers - away
    shop_state = hs.shop_state
    shop_age = hs.shop_age
    loss_run = hs.loss_run
    capital = hs.capital
    debt = hs.debt
    skill = hs.skill
    reputation = hs.reputation

    # 1. Shop: sales, staffing, profit, reputation, closing.
    sales = 0.0
    profit = 0.0
    seen = np.nan
    vacancies = 0.0
    hired = 0.0
    opened = 0
    closed = 0
    if shop_state == ACTIVE:
        potential = vv.yuan_per_reputation * reputation
        need = potential / p[P.SALES_PER_WORKER_YUAN_MONTH]
        vacancies = max(0.0, need - home)
        hired = vacancies * vv.fill_share
        staffed = 1.0 if need <= 0.0 else min(1.0, (home + hired) / need)
        sales = potential * staffed
        profit = sales * vv.margin - p[P.FIXED_COST_YUAN_MONTH] - hired * vv.local_wage
        seen = profit
        if shop_age == 0:
            opened = 1
        shop_age += 1
        z = rng.key_normal(key, rng.STREAM_REPUTATION)
        reputation = next_reputation(p, reputation, skill, z)
        loss_run = loss_run + 1 if profit < 0.0 else 0
        skill += p[P.SKILL_LEARNING] * (1.0 - skill)
        if loss_run >= p[P.MAX_LOSS_MONTHS]:
            shop_state = NO_SHOP
            shop_age = 0
            loss_run = 0
            reputation = 0.0
            closed = 1
    elif shop_state == PREPARING:
        shop_age += 1
        if shop_age >= p[P.SETUP_MONTHS]:
            shop_state = ACTIVE
            shop_age = 0
            reputation = p[P.INITIAL_REPUTATION]

    # 2. Work for others: members at home of households without an active shop.
    #    Where only children and elderly are at home, they may take piece-work.
    jobs = 0
    casual_work = 0
    piecework = 0
    if hs.shop_state != ACTIVE:
        for j in range(home):
            if rng.key_uniform(key, rng.STREAM_EMPLOY + j) < vv.job_chance:
                jobs += 1
            elif rng.key_uniform(key, rng.STREAM_CASUAL + j) < p[P.CASUAL_WORK_PROB]:
                casual_work += 1
        if home == 0 and members > workers:
            chance = vv.job_chance * p[P.PIECEWORK_PROB]
            if rng.key_uniform(key, rng.STREAM_PIECEWORK) < chance:
                piecework = 1
    employed = jobs + piecework
    casual_wage = vv.casual_income / p[P.CASUAL_WORK_PROB] if p[P.CASUAL_WORK_PROB] > 0 \
        else 0.0

    # 3. Income and savings.
    transfer = hs.poor * members * p[P.TRANSFER_YUAN_HEAD_MONTH]
    public_cost = transfer + vv.courier_subsidy * sales
    income = (
        members * farm_income_head * hs.land
        + jobs * vv.local_wage
        + piecework * p[P.PIECEWORK_WAGE_RATIO] * vv.local_wage
        + casual_work * casual_wage
        + away * vv.remittance
        + transfer
        + profit
    )
    debt *= 1.0 + p[P.LOAN_INTEREST_MONTH]
    capital += p[P.SAVINGS_RATE] * income if income > 0.0 else income
    if capital < 0.0:
        debt -= capital
        capital = 0.0
    if debt > 0.0 and capital > 0.0:
        repay = min(debt, p[P.DEBT_REPAY_SHARE] * capital)
        debt -= repay
        capital -= repay

    # 4. Learning from ties that sell, and from a training programme.
    share_selling = nv.selling / nv.ties if nv.ties > 0 else 0.0
    skill += p[P.SKILL_SPILLOVER] * share_selling * (1.0 - skill)
    if step == p[P.TRAINING_FROM] and home > 0:
        skill = max(skill, p[P.TRAINING_SKILL])
        public_cost += p[P.TRAINING_COST_YUAN]

    # 5. Starting a shop (decided on month t's view; sells setup_months later).
    #    The chance is at most the exposure, so the logit is only evaluated for
    #    draws below it (the outcome is the same, the exp is saved).
    start = False
    if hs.shop_state == NO_SHOP and home > 0 and can_afford_start(p, capital, debt):
        exposure = entry_exposure(p, nv, vv)
        u = rng.key_uniform(key, rng.STREAM_ENTRY)
        start = u < exposure and u < entry_probability(p, nv, vv, exposure)
    if start:
        cost = p[P.STARTUP_COST_YUAN]
        from_savings = min(capital, cost)
        borrowed = cost - from_savings
        # beyond the informal credit, the public line lends (at a public cost)
        public_loan = max(0.0, borrowed - max(0.0, p[P.CREDIT_LIMIT_YUAN] - debt))
        public_cost += p[P.MICROCREDIT_COST_SHARE] * public_loan
        capital -= from_savings
        debt += borrowed
        if p[P.SETUP_MONTHS] <= 1:
            shop_state = ACTIVE
            shop_age = 0
            reputation = p[P.INITIAL_REPUTATION]
        else:
            shop_state = PREPARING
            shop_age = 1

    # 6. Migration: members at home of households without a shop may leave;
    #    migrants may return. Both decided on month t's view.
    departures = 0
    if hs.shop_state == NO_SHOP and shop_state == NO_SHOP:
        for j in range(home):
            if rng.key_uniform(key, rng.STREAM_MIGRATE + j) < vv.leave:
                departures += 1
    returns = 0
    p_return = -1.0  # computed on first need: the chance is at most return_rate
    for j in range(away):
        u = rng.key_uniform(key, rng.STREAM_RETURN + j)
        if u < p[P.RETURN_RATE]:
            if p_return < 0.0:
                p_return = return_probability(p, nv, vv)
            if u < p_return:
                returns += 1
    if returns > 0:
        skill = max(skill, p[P.RETURNEE_SKILL])
    away = away - returns + departures

    # 7. Year-end poverty assessment on the calendar year's income per member;
    #    the year's accounts are reported and start again from zero.
    income_ytd = hs.income_ytd + income
    sales_ytd = hs.sales_ytd + sales
    profit_ytd = hs.profit_ytd + profit
    poor = hs.poor
    year_income = np.nan
    year_sales = np.nan
    year_profit = np.nan
    if month_of_year == 11:
        # a run that starts after January has a short first year: annualise it
        months_counted = min(12, step + 1)
        year_income = income_ytd * 12.0 / months_counted
        year_sales = sales_ytd
        year_profit = profit_ytd
        poor = 1 if year_income / members < poverty_line else 0
        income_ytd = 0.0
        sales_ytd = 0.0
        profit_ytd = 0.0

    engaged = 1 if (hs.shop_state == ACTIVE or employed > 0) else 0
    new_state = HouseholdState(
        members, workers, away, employed, shop_state, shop_age, loss_run, poor,
        capital, debt, skill, reputation, hs.land, income_ytd, sales_ytd, profit_ytd,
    )
    outcome = Outcome(
        sales, profit, seen, vacancies, hired, income, returns, departures,
        opened, closed, engaged, year_income, year_sales, year_profit, public_cost,
    )
    return new_state, outcome

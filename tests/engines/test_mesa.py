"""The Mesa engine: households as Mesa agents, on the same trajectory as the fast engine."""

from __future__ import annotations

import dataclasses

import mesa
import numba
import numpy as np
import pytest

from taobao_sim import simulate
from taobao_sim.core.records import VILLAGE_MONTH, M
from taobao_sim.engines.mesa import Household, TaobaoModel, simulate_mesa
from taobao_sim.output import tables

from ..conftest import SCENARIOS

DINGLOU = str(SCENARIOS / "dinglou.toml")


def _identical(fast, slow):
    """Every column of the time series and the household panel, month by month.

    Both engines add households up in the same order with the same compiled
    tally, so even the money columns agree exactly, not just to rounding."""
    assert fast.seeds == slow.seeds
    assert np.array_equal(fast.first_open, slow.first_open)
    for k, column in enumerate(VILLAGE_MONTH):
        assert np.array_equal(fast.metrics[..., k], slow.metrics[..., k]), column.name
    assert np.array_equal(fast.panel, slow.panel, equal_nan=True)
    assert tables.timeseries_table(fast).equals(tables.timeseries_table(slow))
    assert tables.households_table(fast).equals(tables.households_table(slow))


@pytest.fixture(scope="module")
def mini_township(daiji):
    """Daiji's 32 villages at a tenth of their size, with selling discovered often in
    all of them: every cross-village path of the model (weak ties, commuting, the
    shared market) in a few seconds per run."""
    villages = tuple(dataclasses.replace(v, households=max(8, v.households // 10))
                     for v in daiji.villages)
    return dataclasses.replace(daiji, villages=villages).replace(
        {"shops.discovery_rate": 0.01})


def _fast(scenario, seed, threads):
    before = numba.get_num_threads()
    try:
        out = simulate(scenario, replicates=3, seed=seed, threads=threads)
        assert out.threads == threads  # two threads on any runner (conftest)
        return out
    finally:
        numba.set_num_threads(before)


@pytest.fixture(scope="module")
def dinglou_mesa(dinglou):
    return simulate_mesa(dinglou, replicates=3, seed=17)


@pytest.fixture(scope="module")
def township_mesa(mini_township):
    return simulate_mesa(mini_township, replicates=3, seed=4)


@pytest.mark.parametrize("threads", [1, 2])
def test_dinglou_same_trajectory_in_both_engines(dinglou, dinglou_mesa, threads):
    _identical(_fast(dinglou, 17, threads), dinglou_mesa)


@pytest.mark.parametrize("threads", [1, 2])
def test_township_same_trajectory_in_both_engines(mini_township, township_mesa, threads):
    fast = _fast(mini_township, 4, threads)
    assert (fast.metrics[:, -1, :, M.SELLERS] > 0).sum() > 20  # many villages sell
    assert fast.metrics[..., M.COMMUTERS_IN].sum() > 0  # and hire from each other
    _identical(fast, township_mesa)


@pytest.fixture(scope="module")
def daiji_mesa(daiji):
    return simulate_mesa(daiji, replicates=3, seed=6)


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_daiji_same_trajectory_in_both_engines(daiji, daiji_mesa, threads):
    """The full township, 3 seeds: about three minutes on the Mesa engine."""
    _identical(_fast(daiji, 6, threads), daiji_mesa)


def test_agents_are_households_with_readable_state():
    model = TaobaoModel(DINGLOU, replicate=2, seed=5)
    assert len(model.agents) == 330
    assert all(isinstance(a, Household) for a in model.agents)
    h = model.households[10]
    assert h.home == h.workers - h.away and h.shop == "none"
    assert len(h.neighbours) == 6 and h not in h.neighbours
    assert h.village.name == "Dinglou"
    for _ in range(60):
        model.step()
    assert model.date == "2013-12" and model.steps == 60
    people = sum(x.members for x in model.households)
    assert people == sum(x.members - x.away for x in model.households) + \
        sum(x.away for x in model.households)
    sellers = [x for x in model.households if x.has_shop]
    assert sellers and all(x.reputation > 0 for x in sellers)
    assert all(x.seen_profit == x.seen_profit for x in model.households
               if x.last is not None and x.last.sales > 0)


class ShuffledModel(TaobaoModel):
    """The model with households stepping in a random order each month."""

    def step_households(self) -> None:
        self.agents.shuffle_do("step")


def test_synchronous_step_is_order_free():
    """Shuffling the order in which households step changes nothing, to the bit."""
    a = TaobaoModel(DINGLOU, replicate=0, seed=3, collect_agents=False)
    b = ShuffledModel(DINGLOU, replicate=0, seed=3, collect_agents=False)
    for _ in range(48):
        a.step()
        b.step()
    assert np.array_equal(a.metrics[:48], b.metrics[:48])
    assert np.array_equal(a.records, b.records)


def test_model_matches_one_replicate_of_the_fast_engine(dinglou):
    model = TaobaoModel(dinglou, replicate=1, seed=8)
    model.run()
    assert not model.running and model.t == 120
    fast = simulate(dinglou, replicates=2, seed=8)
    assert np.array_equal(model.metrics, fast.metrics[1])


def test_datacollector(dinglou):
    model = TaobaoModel(dinglou, replicate=0)
    for _ in range(24):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == ["date", "participation", "sellers", "shops", "firms",
                                   "industry_workers", "sales_yuan", "poor", "migrants",
                                   "returns"]
    assert len(frame) == 24 and frame["date"].iloc[-1] == "2010-12"
    assert ((frame["participation"] >= 0) & (frame["participation"] <= 1)).all()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 24 * 330 and "capital_yuan" in agents.columns


def test_overrides_by_bare_or_dotted_key(dinglou):
    a = TaobaoModel(dinglou, imitation=0.05)
    b = TaobaoModel(dinglou, **{"shops.imitation": 0.05})
    assert a.scenario["shops.imitation"] == b.scenario["shops.imitation"] == 0.05
    with pytest.raises(Exception, match="did you mean"):
        TaobaoModel(dinglou, imitaton=0.05)


def test_batch_run():
    results = mesa.batch_run(
        TaobaoModel,
        parameters={"scenario": DINGLOU, "imitation": [0.1, 0.3],
                    "replicate": 0, "collect_agents": False},
        max_steps=200, display_progress=False)
    assert len(results) == 2
    assert {r["imitation"] for r in results} == {0.1, 0.3}
    assert all(r["date"] == "2018-12" for r in results)

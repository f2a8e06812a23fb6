"""The Mesa engine: households as Mesa agents, on the same trajectory as the fast engine,
with Mesa's conventions (steps, DataCollector rows, batch_run, network space, rng)."""

from __future__ import annotations

import dataclasses
import inspect
import sys

import mesa
import numba
import numpy as np
import pandas as pd
import pytest
from mesa.discrete_space import Network

from taobao_sim import simulate
from taobao_sim.core import dates
from taobao_sim.core.records import VILLAGE_MONTH, M
from taobao_sim.core.state import ACTIVE
from taobao_sim.engines.mesa import (
    AGENT_REPORTERS,
    Household,
    TaobaoModel,
    TiesNetwork,
    simulate_mesa,
)
from taobao_sim.engines.mesa.model import SCENARIO_KEYS
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
    assert list(model.households) == list(model.agents)  # households are model.agents
    h = model.households[10]
    assert h.household_id == 10 and h.unique_id == 11  # the panel's id; Mesa's counts from 1
    assert h.home == h.workers - h.away
    assert h.shop == 0 and h.shop_state == 0 and h.shop_label == "none"
    assert len(h.neighbours) == 6 and h not in h.neighbours
    assert h.village.name == "Dinglou"
    for _ in range(60):
        model.step()
    assert model.date == "2013-12" and model.steps == 60
    people = sum(x.members for x in model.households)
    assert people == sum(x.members - x.away for x in model.households) + \
        sum(x.away for x in model.households)
    sellers = [x for x in model.households if x.has_shop]
    assert sellers and all(x.reputation > 0 and x.shop_label == "active" for x in sellers)
    assert all(x.seen_profit == x.seen_profit for x in model.households
               if x.last is not None and x.last.sales > 0)
    # shop: sold this month (the panel's coding); shop_state: the shop now (0/1/2)
    assert sum(x.shop for x in model.households) == model.series(M.SELLERS) > 0
    assert all(x.shop == int(x.last.active) for x in model.households)


class ShuffledModel(TaobaoModel):
    """The model with households stepping in a random order each month (Mesa's
    ``shuffle_do``, drawing on the model's seeded ``random``)."""

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


def test_mesa_generators_are_seeded_by_the_replicate_and_never_reach_the_model():
    """model.rng and model.random come from the replicate's seed (reproducible), and
    drawing on them does not move the model: its draws are counter-based hashes."""
    a = TaobaoModel(DINGLOU, replicate=1, seed=9, collect_agents=False)
    b = TaobaoModel(DINGLOU, replicate=1, seed=9, collect_agents=False)
    c = TaobaoModel(DINGLOU, replicate=2, seed=9, collect_agents=False)
    first = a.rng.random(4)
    assert np.array_equal(first, b.rng.random(4))
    assert not np.array_equal(first, c.rng.random(4))
    assert a.random.random() == b.random.random() != c.random.random()
    for _ in range(30):
        b.rng.random(1000)  # a Mesa-level user of the generators, every month
        b.random.shuffle(list(range(100)))
        a.step()
        b.step()
    assert np.array_equal(a.metrics, b.metrics)
    assert np.array_equal(a.records, b.records)


def test_model_matches_one_replicate_of_the_fast_engine(dinglou):
    model = TaobaoModel(dinglou, replicate=1, seed=8)
    model.run()
    assert not model.running and model.steps == 120 and model.date == "2018-12"
    fast = simulate(dinglou, replicates=2, seed=8)
    assert np.array_equal(model.metrics, fast.metrics[1])
    # past the last month a step does nothing and is not counted
    model.step()
    assert model.steps == 120 and model.date == "2018-12"
    assert len(model.datacollector.model_vars["month"]) == 121


def test_datacollector_row_k_is_the_state_after_k_months(dinglou):
    model = TaobaoModel(dinglou, replicate=0)
    start_poor, start_away = model.records["poor"].sum(), model.records["away"].sum()
    for _ in range(24):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == ["month", "date", "participation", "sellers", "shops",
                                   "firms", "industry_workers", "sales_yuan", "poor",
                                   "migrants", "returns"]
    assert len(frame) == 25 and frame["month"].tolist() == list(range(25))
    assert frame["date"].iloc[0] == "2008-12" and frame["date"].iloc[-1] == "2010-12"
    assert ((frame["participation"] >= 0) & (frame["participation"] <= 1)).all()
    # row 0 is the households as they start: stocks as they are, no month's flows yet
    assert frame["poor"].iloc[0] == start_poor > 0
    assert frame["migrants"].iloc[0] == start_away != frame["migrants"].iloc[1]
    assert frame.loc[0, ["sellers", "sales_yuan", "returns"]].tolist() == [0, 0, 0]
    # rows 1..24 are the village series of months 0..23
    assert np.array_equal(frame["sellers"].iloc[1:], model.metrics[:24, :, M.SELLERS].sum(1))
    assert np.array_equal(frame["poor"].iloc[1:], model.metrics[:24, :, M.POOR].sum(1))
    agents = model.datacollector.get_agent_vars_dataframe()
    assert len(agents) == 25 * 330 and list(agents.columns) == list(AGENT_REPORTERS)
    assert agents.index.get_level_values("Step").unique().tolist() == list(range(25))


def test_agent_reporters_add_up_to_the_model_reporters(dinglou):
    """Summed over households, each agent column gives its village series at every step
    (money to rounding: the model adds up village by village)."""
    model = TaobaoModel(dinglou.replace({"shops.discovery_rate": 0.01}), replicate=0, seed=2)
    for _ in range(48):  # shops from month 13, workshops and jobs from month 41
        model.step()
    by_step = model.datacollector.get_agent_vars_dataframe().groupby(level="Step")
    frame = model.datacollector.get_model_vars_dataframe()
    pairs = {"shop": "sellers", "stores": "shops", "firm": "firms", "poor": "poor",
             "members_away": "migrants"}
    for agent_column, model_column in pairs.items():
        assert np.array_equal(by_step[agent_column].sum(), frame[model_column]), agent_column
    assert frame["sellers"].iloc[-1] > 0 and frame["firms"].iloc[-1] > 0
    assert np.allclose(by_step["sales_yuan"].sum(), frame["sales_yuan"], rtol=1e-12)
    employed = np.concatenate([[0], model.metrics[:48, :, M.EMPLOYED].sum(1)])
    homeworkers = np.concatenate([[0], model.metrics[:48, :, M.HOMEWORKERS].sum(1)])
    assert np.array_equal(by_step["employed"].sum(), employed) and employed.sum() > 0
    assert np.array_equal(by_step["homeworkers"].sum(), homeworkers)


def test_agent_rows_join_the_household_panel(dinglou):
    """Agent rows of December steps carry the household panel's rows: same household id
    (not Mesa's unique_id), same codings (shop: sold this month, 0/1, not the shop's
    state)."""
    scenario = dinglou.replace({"shops.discovery_rate": 0.01})
    model = TaobaoModel(scenario, replicate=0, seed=2)
    for _ in range(48):
        model.step()
    agents = model.datacollector.get_agent_vars_dataframe().reset_index()
    december = agents[(agents["Step"] % 12 == 0) & (agents["Step"] > 0)].assign(
        year=lambda f: 2008 + f["Step"] // 12)
    panel = tables.households_table(simulate(scenario, replicates=1, seed=2)).to_pandas()
    joined = december.merge(panel, on=["household", "year"], suffixes=("_mesa", "_panel"))
    assert len(joined) == 4 * 330
    shared = ["village", "shop", "stores", "members_home", "members_away", "employed",
              "homeworkers", "poor", "capital_yuan"]
    for column in shared:
        mesa_values = joined[f"{column}_mesa"].to_numpy()
        panel_values = joined[f"{column}_panel"].to_numpy()
        assert (mesa_values == panel_values).all(), column
    for column in ("shop", "stores", "employed", "homeworkers", "poor"):
        assert joined[f"{column}_mesa"].sum() > 0, column  # every coding was exercised
    # here the state coding (shop_state == active) differs from the panel's, so a shop
    # column coded from the state would have failed above
    assert (joined["shop_state"] == ACTIVE).sum() != joined["shop_mesa"].sum()
    assert (joined["AgentID"] == joined["household"] + 1).all()


def test_overrides_by_bare_or_dotted_key(dinglou):
    a = TaobaoModel(dinglou, imitation=0.05)
    b = TaobaoModel(dinglou, **{"shops.imitation": 0.05})
    assert a.scenario["shops.imitation"] == b.scenario["shops.imitation"] == 0.05
    assert TaobaoModel(dinglou, imitation=None).scenario["shops.imitation"] == \
        dinglou["shops.imitation"]  # None: the scenario's value
    with pytest.raises(Exception, match="did you mean"):
        TaobaoModel(dinglou, imitaton=0.05)


def test_signature_names_every_scenario_key(tmp_path, monkeypatch):
    """Tools that read the signature (SolaraViz checks model_params against it) see every
    scenario key as a keyword argument, and no catch-all; every one has a default, the
    scenario too (a shipped one, found from any folder)."""
    monkeypatch.chdir(tmp_path)
    assert TaobaoModel(collect_agents=False).scenario.name == "dinglou"
    parameters = inspect.signature(TaobaoModel).parameters
    assert list(parameters)[:4] == ["scenario", "replicate", "seed", "collect_agents"]
    for p in SCENARIO_KEYS:
        assert parameters[p.key].kind is inspect.Parameter.KEYWORD_ONLY, p.key
        assert parameters[p.key].default is None
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    assert {"imitation", "startup_cost_yuan", "ties_per_household"} <= set(parameters)


def test_ties_are_a_mesa_network_space():
    model = TaobaoModel(DINGLOU, replicate=0, seed=4)
    grid = model.grid
    assert isinstance(grid, Network) and isinstance(grid, TiesNetwork)
    ptr, idx = model.ties_ptr, model.ties_idx
    for h in model.households:
        i = h.household_id
        assert h.cell is grid[i] and h.cell.agents == [h] and h.cell.coordinate == i
        ties = idx[ptr[i]:ptr[i + 1]].tolist()
        assert list(h.cell.connections) == list(dict.fromkeys(ties))
        assert [n.household_id for n in h.neighbours] == list(dict.fromkeys(ties))
    g = grid.G  # networkx, for Mesa's drawing: every tie, directed
    assert g.is_directed() and g.number_of_nodes() == 330 and g.number_of_edges() == len(idx)
    assert sorted(g.edges()) == sorted(zip(np.repeat(np.arange(330), np.diff(ptr)).tolist(),
                                           idx.tolist(), strict=True))
    with pytest.raises(TypeError, match="ties are fixed"):
        grid.add_connection(grid[0], grid[200])
    with pytest.raises(TypeError, match="ties are fixed"):
        grid.remove_cell(grid[0])


def test_model_needs_no_networkx(monkeypatch):
    """networkx comes with the viz extra only: without it the model builds and steps,
    and only the networkx view of the ties asks for it."""
    monkeypatch.setitem(sys.modules, "networkx", None)  # import networkx now fails
    model = TaobaoModel(DINGLOU, replicate=0, seed=4, collect_agents=False)
    model.step()
    assert len(model.households[3].neighbours) == 6
    with pytest.raises(ImportError, match="viz"):
        model.grid.G  # noqa: B018


def test_batch_run():
    results = mesa.batch_run(
        TaobaoModel,
        parameters={"scenario": DINGLOU, "imitation": [0.1, 0.3],
                    "replicate": 0, "collect_agents": False},
        max_steps=200, display_progress=False)
    assert len(results) == 2
    assert {r["imitation"] for r in results} == {0.1, 0.3}
    # Mesa 3.3's batch_run reports up to Step model.steps - 1 (not the state after the
    # last step), and Step k is the state after k months
    assert all(r["Step"] == 119 == r["month"] and r["date"] == "2018-11" for r in results)


def test_batch_run_pairs_model_and_agent_rows_of_the_same_month():
    """Every Step k of mesa.batch_run carries the model's row k and the agents' rows of
    the same month: month k, its date, and agent columns that add up to the model's."""
    rows = mesa.batch_run(
        TaobaoModel,
        parameters={"scenario": DINGLOU, "replicate": 0, "seed": 21, "discovery_rate": 0.01},
        max_steps=14, data_collection_period=1, display_progress=False)
    frame = pd.DataFrame(rows)
    assert sorted(frame["Step"].unique()) == list(range(15))
    start = dates.parse_month("2009-01")
    for k, step in frame.groupby("Step"):
        assert len(step) == 330 and step["household"].tolist() == list(range(330)), k
        assert (step["month"] == k).all() and (step["date"] == dates.format_month(
            start + k - 1)).all(), k
        assert step["shop"].sum() == step["sellers"].iloc[0], k
        assert step["stores"].sum() == step["shops"].iloc[0], k
        assert step["members_away"].sum() == step["migrants"].iloc[0], k
        assert step["firm"].sum() == step["firms"].iloc[0], k
    assert frame["sellers"].max() > 0  # the pairing was tested on months that differ
    assert frame.groupby("Step")["migrants"].first().diff().abs().max() > 0

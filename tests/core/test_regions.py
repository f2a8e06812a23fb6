"""Worlds drawn from regional statistics (core.regions), checked against the table
they are drawn from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from taobao_sim import load_scenario
from taobao_sim.core import dates, regions
from taobao_sim.core.errors import ScenarioError

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def world():
    return load_scenario(DATA / "regions.toml")


def test_counts_follow_the_table(world):
    rows = {r["province"]: r for r in world.regions}
    hill = regions.region_of(rows["Hill"], 2018)
    # 2018 is 9/11 of the way from 2009 (90 villages) to 2020 (60)
    assert hill.villages == round(90 + (60 - 90) * 9 / 11)
    assert hill.households == round(70000 / 3.5)
    d = regions.draw_region(hill, world.values)
    assert len(d.households) == hill.villages
    assert d.households.sum() == hill.households
    assert d.households.min() >= regions.MIN_HOUSEHOLDS
    # every township and county index is one of the region's
    assert set(d.township) <= set(range(hill.townships))
    assert set(d.county) <= set(range(hill.counties))
    # a village sells from the later of its internet and courier months, drawn around
    # the region's (2010-06 and 2011-01, spread 12 months)
    assert abs(np.median(d.internet_from) - dates.parse_month("2011-01")) <= 12


def test_world_holds_every_region_in_full(world):
    assert len(world.villages) == sum(
        regions.region_of(r, 2018).villages for r in world.regions)
    assert world.households == sum(regions.region_of(r, 2018).households
                                   for r in world.regions)
    assert {v.category for v in world.villages} == {regions.CATEGORY}
    # villages of a township are in one county
    county_of = {}
    for v in world.villages:
        assert county_of.setdefault(v.township, v.county) == v.county


def test_a_region_alone_has_the_villages_it_has_in_the_whole(world):
    alone = world.replace({"regions.province": "Coast"})
    together = [v for v in world.villages if v.name.startswith("72-")]
    assert alone.villages == tuple(together)


def test_craft_bases_follow_industry_base(world):
    share = {r: np.mean([v.industry_base > 0 for v in world.villages if v.name[:2] == c])
             for r, c in (("Coast", "72"), ("Plain", "73"))}
    assert share["Plain"] == 0.0
    assert 0.25 < share["Coast"] < 0.75  # 0.5 of 60 villages
    assert {v.industry_base for v in world.villages} == {0.0, world["regions.craft_share"]}


def test_sample_keeps_whole_townships_and_scales_back(world):
    s = world.replace({"regions.sample": 0.25, "regions.sample_seed": 3})
    full_by_town: dict[str, int] = {}
    for v in world.villages:
        full_by_town[v.township] = full_by_town.get(v.township, 0) + 1
    kept: dict[str, int] = {}
    for v in s.villages:
        kept[v.township] = kept.get(v.township, 0) + 1
    assert kept == {t: full_by_town[t] for t in kept}  # whole townships
    for r in regions.regions_of(s.regions, s.values):
        towns = len(regions.townships_with_villages(r, s.values))
        simulated = len(regions.sampled_townships(r, s.values))
        assert simulated == max(1, round(towns * 0.25))
        assert regions.region_scale(r, s.values) == towns / simulated
    other = world.replace({"regions.sample": 0.25, "regions.sample_seed": 4})
    assert other.villages != s.villages  # another replicate, another sample


def test_market_scale_and_courier_factor(world):
    assert world.market_scale == pytest.approx(world.households / 20_000.0)
    assert world.courier_factor() == 1.0  # several regions: no regional rates
    plain = world.replace({"regions.province": "Plain"})
    assert plain.courier_factor() == pytest.approx(1.0 + 1500.0 / 3000.0)
    p = plain.param_vector()
    from taobao_sim.core.params import P

    assert p[P.COURIER_RATE_MIN] == pytest.approx(1.5 * plain["market.courier_rate_min"])
    assert p[P.MARKET_SCALE] == pytest.approx(plain.households / 20_000.0)


def test_unknown_region_is_refused(world):
    with pytest.raises(ScenarioError, match=r"regions\.province.*'Plane'.*did you mean"):
        world.replace({"regions.province": "Plane"})
    with pytest.raises(ScenarioError, match=r"regions\.file"):
        world.replace({"regions.file": "other.csv"})

"""Villages from a CSV table (``villages_file``): the Heze world's table, and every
class of bad input naming the file, the row and the key."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from taobao_sim import ScenarioError, load_scenario

from ..conftest import SCENARIOS

HEZE_DATA = SCENARIOS / "data" / "heze"

HEADER = "name,households,x_km,y_km,township,county\n"


def _scenario(write_toml, table: str, extra: str = "") -> str:
    (write_toml("villages.csv", table))
    return write_toml("s.toml", f'name = "s"\nvillages_file = "villages.csv"\n{extra}')


def _error(path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_villages_come_from_the_table(write_toml):
    s = load_scenario(_scenario(write_toml, HEADER + "A,40,0,0,T1,C1\nB,50,1.5,0,T1,C1\n"))
    assert [(v.name, v.households, v.township, v.county) for v in s.villages] == [
        ("A", 40, "T1", "C1"), ("B", 50, "T1", "C1")]
    assert s.villages[1].x_km == 1.5


@pytest.mark.parametrize(("table", "key", "expected"), [
    ("name,households,colour\nA,40,red\n", "colour", "is not a village key"),
    (HEADER + "A,forty,0,0,T,C\n", "row 2.households", "expected a whole number"),
    (HEADER + "A,40,0,0,T,C\nB,-3,0,0,T,C\n", "row 3.households", ""),
    (HEADER + "A,40,east,0,T,C\n", "row 2.x_km", "expected a number"),
])
def test_bad_tables_name_file_row_and_key(write_toml, table, key, expected):
    err = _error(_scenario(write_toml, table))
    assert err.path.endswith("villages.csv")
    assert err.key == key
    assert expected in str(err)


def test_a_missing_table_names_the_scenario(write_toml):
    path = write_toml("s.toml", 'name = "s"\nvillages_file = "nowhere.csv"\n')
    err = _error(path)
    assert err.key == "villages_file" and "file not found" in str(err)


def test_table_and_villages_together_are_refused(write_toml):
    err = _error(_scenario(write_toml, HEADER + "A,40,0,0,T,C\n",
                           '\n[[villages]]\nname = "X"\nhouseholds = 10\n'))
    assert err.key == "villages_file"


def test_heze_county_totals_match_the_data_files():
    """The scenario's villages add up, county by county, to the township table that
    build.py writes separately, and hold every village of villages.csv once."""
    heze = load_scenario(SCENARIOS / "heze.toml")
    by_county = Counter()
    villages = Counter()
    for v in heze.villages:
        by_county[v.county] += v.households
        villages[v.county] += 1
    with (HEZE_DATA / "townships.csv").open(encoding="utf-8") as f:
        townships = list(csv.DictReader(f))
    expected = Counter()
    expected_villages = Counter()
    for t in townships:
        expected[t["county"]] += int(t["households"])
        expected_villages[t["county"]] += int(t["villages"])
    assert by_county == expected and villages == expected_villages
    assert len(by_county) == 9 and sum(villages.values()) == 4694
    with (HEZE_DATA / "villages.csv").open(encoding="utf-8") as f:
        codes = [r["village_code"] for r in csv.DictReader(f)]
    assert sorted(v.name.rsplit("-", 1)[1] for v in heze.villages) == sorted(codes)
    dinglou = next(v for v in heze.villages if v.name == heze.focus_village)
    assert dinglou.households == 330 and dinglou.industry_base > 0
    daiji = [v for v in heze.villages if v.township == dinglou.township]
    assert {v.category for v in daiji} == {"costumes"}

"""Scenario files: loading, extends, and every class of bad input."""

from __future__ import annotations

import pytest

from taobao_sim import ScenarioError, load_scenario
from taobao_sim.core import params
from taobao_sim.core.dates import format_month, parse_month

from ..conftest import MINIMAL, SCENARIOS


def _error(path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def test_dinglou_loads_with_its_figures(dinglou):
    assert dinglou.name == "dinglou"
    assert [v.name for v in dinglou.villages] == ["Dinglou"]
    assert dinglou.households == 330
    assert format_month(dinglou.start) == "2009-01"
    assert format_month(dinglou.end) == "2018-12"
    assert dinglou.months == 120
    assert dinglou.targets == "dinglou"


def test_daiji_extends_dinglou(daiji, dinglou):
    assert len(daiji.villages) == 32
    assert daiji.villages[0].name == "Dinglou"
    assert daiji.focus_village == "Dinglou"
    # parameters come from the parent unless overridden
    assert daiji["shops.imitation"] == dinglou["shops.imitation"]
    # no model parameter differs from Dinglou's: only facts about the villages do
    model = [k for k in dinglou.values if "." in k]
    assert model and all(daiji[k] == dinglou[k] for k in model)
    assert [v.industry_base for v in daiji.villages if v.industry_base] == [0.03]
    assert [p for p, _ in daiji.sources][1].endswith("dinglou.toml")


def test_defaults_fill_missing_keys(write_toml):
    s = load_scenario(write_toml("mini.toml", MINIMAL))
    for p in params.KERNEL_PARAMS:
        assert s[p.dotted] == p.default
    assert s.villages[0].internet_from == s.start


def test_variant_is_a_few_lines(write_toml, dinglou):
    path = write_toml("variant.toml", f"""\
        extends = "{SCENARIOS / 'dinglou.toml'}"
        name = "cheap_start"
        [shops]
        startup_cost_yuan = 500.0
        """)
    s = load_scenario(path)
    assert s["shops.startup_cost_yuan"] == 500.0
    assert s["shops.imitation"] == dinglou["shops.imitation"]
    assert s.villages == dinglou.villages
    assert s.digest() != dinglou.digest()


def test_digest_is_stable(dinglou):
    assert dinglou.digest() == load_scenario(SCENARIOS / "dinglou.toml").digest()


def test_unknown_key_names_file_key_and_suggestion(write_toml):
    path = write_toml("typo.toml", MINIMAL + "[shops]\nimitaton = 0.2\n")
    err = _error(path)
    assert err.path == str(path)
    assert err.key == "shops.imitaton"
    assert "did you mean 'shops.imitation'" in str(err)


def test_unknown_top_level_key_suggests(write_toml):
    err = _error(write_toml("t.toml", 'replicats = 3\n' + MINIMAL))
    assert err.key == "replicats" and "did you mean 'replicates'" in str(err)


def test_section_key_at_top_level_is_pointed_to_its_section(write_toml):
    err = _error(write_toml("t.toml", 'imitation = 0.2\n' + MINIMAL))
    assert err.key == "imitation" and "shops.imitation" in str(err)


def test_unknown_section(write_toml):
    err = _error(write_toml("t.toml", MINIMAL + "[shop]\nimitation = 0.2\n"))
    assert err.key == "shop" and "did you mean 'shops'" in str(err)


@pytest.mark.parametrize("line, key, expected", [
    ('[shops]\nimitation = "high"\n', "shops.imitation", "expected a number"),
    ("[shops]\nsetup_months = 2.5\n", "shops.setup_months", "expected a whole number"),
    ("[shops]\nimitation = true\n", "shops.imitation", "expected a number"),
    ("[output]\nhouseholds_panel = 1\n", "output.households_panel", "expected true or false"),
    ("[shops]\nimitation = 1.5\n", "shops.imitation", "expected 0 to 1"),
    ("[market]\noutside_growth_per_year = -1.0\n", "market.outside_growth_per_year", "expected"),
    ("[shops]\nimitation = nan\n", "shops.imitation", "finite"),
    ("[shops]\n", None, None),  # an empty table is fine
])
def test_wrong_type_or_range(write_toml, line, key, expected):
    path = write_toml("t.toml", MINIMAL + line)
    if key is None:
        load_scenario(path)
        return
    err = _error(path)
    assert err.key == key
    assert expected in str(err)
    assert str(path) in str(err)


@pytest.mark.parametrize("start, end, key, expected", [
    ("2009-13", "2010-12", "start", "months run 01 to 12"),
    ("2009-1", "2010-12", "start", "YYYY-MM"),
    ("2009-01", "2008-12", "end", "before start"),
    ("2009-01", "2010-00", "end", "months run 01 to 12"),
])
def test_impossible_dates(write_toml, start, end, key, expected):
    text = MINIMAL.replace('"2009-01"', f'"{start}"').replace('"2010-12"', f'"{end}"')
    err = _error(write_toml("t.toml", text))
    assert err.key == key and expected in str(err)


def test_series_must_cover_the_run(write_toml):
    text = MINIMAL.replace('"2010-12"', '"2025-12"')
    err = _error(write_toml("t.toml", text))
    assert err.key == "series.poverty_line_yuan_head_year" or \
        err.key == "series.migrant_wage_yuan_month"
    assert "has no value for" in str(err)


def test_series_can_be_extended(write_toml):
    text = MINIMAL.replace('"2010-12"', '"2021-12"') + """
[series.migrant_wage_yuan_month]
"2020" = 4072
"2021" = 4432
[series.poverty_line_yuan_head_year]
"2021" = 4100
"""
    s = load_scenario(write_toml("t.toml", text))
    assert s.series.get("migrant_wage_yuan_month", 2021) == 4432


@pytest.mark.parametrize("text, key, expected", [
    ('[series.wages]\n"2010" = 1\n', "series.wages", "not a known series"),
    ('[series.migrant_wage_yuan_month]\n"10" = 1\n', "series.migrant_wage_yuan_month.10",
     "YYYY"),
    ('[series.migrant_wage_yuan_month]\n"2010" = -5\n', "series.migrant_wage_yuan_month.2010",
     "positive"),
])
def test_bad_series(write_toml, text, key, expected):
    err = _error(write_toml("t.toml", MINIMAL + text))
    assert err.key == key and expected in str(err)


def test_missing_file(tmp_path):
    err = _error(tmp_path / "nope.toml")
    assert "file not found" in str(err) and "nope.toml" in str(err)


def test_folder_instead_of_file(tmp_path):
    assert "is a folder" in str(_error(tmp_path))


def test_not_utf8(tmp_path):
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    assert "not UTF-8" in str(_error(path))


def test_invalid_toml(write_toml):
    err = _error(write_toml("t.toml", "name = \n"))
    assert "not valid TOML" in str(err) and err.key is None


def test_extends_missing_parent(write_toml):
    err = _error(write_toml("child.toml", 'extends = "parent.toml"\n'))
    assert err.key == "extends" and "file not found" in str(err)


def test_extends_cycle(write_toml):
    write_toml("a.toml", 'extends = "b.toml"\n' + MINIMAL)
    path = write_toml("b.toml", 'extends = "a.toml"\n')
    err = _error(path)
    assert err.key == "extends" and "cycle" in str(err)


def test_extends_self(write_toml):
    err = _error(write_toml("a.toml", 'extends = "a.toml"\n' + MINIMAL))
    assert "cycle" in str(err)


def test_error_in_parent_names_the_parent(write_toml):
    parent = write_toml("parent.toml", MINIMAL + "[labour]\nwage_cap_ratio = -1.0\n")
    child = write_toml("child.toml", 'extends = "parent.toml"\n')
    err = _error(child)
    assert err.path == str(parent.resolve()) and err.key == "labour.wage_cap_ratio"


def test_cross_key_constraint(write_toml):
    err = _error(write_toml("t.toml", MINIMAL + "[market]\nmargin_min = 0.5\nmargin_max = 0.3\n"))
    assert err.key == "market.margin_min"


@pytest.mark.parametrize("villages, key, expected", [
    ("[[villages]]\nhouseholds = 3\n", "villages[0].name", "missing"),
    ('[[villages]]\nname = "A"\nhouseholds = 3\n[[villages]]\nname = "A"\nhouseholds = 4\n',
     "villages[1].name", "repeats"),
    ('[[villages]]\nname = "A"\nhouseholds = 0\n', "villages[0].households", "expected 1 to"),
    ('[[villages]]\nname = "A"\nhouseholds = 3\nsize = 3\n', "villages[0].size",
     "not a known key"),
    ('[[villages]]\nname = "A"\nhouseholds = 3\ninternet_from = "2009-14"\n',
     "villages[0].internet_from", "01 to 12"),
    ("villages = 3\n", "villages", "list of [[villages]]"),
])
def test_bad_villages(write_toml, villages, key, expected):
    err = _error(write_toml("t.toml", 'start = "2009-01"\nend = "2010-12"\n' + villages))
    assert err.key == key and expected in str(err)


def test_no_villages(write_toml):
    err = _error(write_toml("t.toml", 'start = "2009-01"\n'))
    assert err.key == "villages"


def test_focus_village_must_exist(write_toml):
    err = _error(write_toml("t.toml", 'focus_village = "B"\n' + MINIMAL))
    assert err.key == "focus_village"


def test_targets_value_checked(write_toml):
    err = _error(write_toml("t.toml", 'targets = "hezee"\n' + MINIMAL))
    assert err.key == "targets" and "'dinglou'" in str(err)


def test_dinglou_targets_need_the_years(write_toml):
    err = _error(write_toml("t.toml", 'targets = "dinglou"\n' + MINIMAL))
    assert err.key == "targets" and "2018" in str(err)


def test_replace_validates(dinglou):
    s = dinglou.replace({"shops.imitation": 0.2}, replicates=3)
    assert s["shops.imitation"] == 0.2 and s.replicates == 3
    assert dinglou["shops.imitation"] != 0.2  # the original is untouched (frozen)
    with pytest.raises(ScenarioError, match=r"did you mean 'shops\.imitation'"):
        dinglou.replace({"shops.imitaton": 0.2})
    with pytest.raises(ScenarioError, match="expected 0 to 1"):
        dinglou.replace({"shops.imitation": 2.0})
    with pytest.raises(ScenarioError, match="before start"):
        dinglou.replace(end="2008-01")


def test_scenario_is_frozen(dinglou):
    with pytest.raises(AttributeError):
        dinglou.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        dinglou.values["shops.imitation"] = 1.0  # type: ignore[index]


def test_month_round_trip():
    for text in ("2009-01", "2018-12", "2200-06"):
        assert format_month(parse_month(text)) == text


def test_scenario_pickles(dinglou):
    import pickle

    again = pickle.loads(pickle.dumps(dinglou))
    assert again == dinglou and again.digest() == dinglou.digest()
    with pytest.raises(TypeError):
        again.values["seed"] = 1  # type: ignore[index]


def test_synthetic_world():
    s = load_scenario(SCENARIOS / "synthetic.toml")
    assert len(s.villages) == 100 and s.households == 30_000
    assert len({v.name for v in s.villages}) == 100
    assert s.villages[1].x_km == 2.0 and s.villages[10].y_km == 2.0
    assert s.resolved()["villages"] == "generated by [synthetic]"
    bigger = s.replace({"synthetic.villages": 7, "synthetic.households": 50,
                        "synthetic.seed_villages": 2, "synthetic.industry_base": 0.03})
    assert len(bigger.villages) == 7 and bigger.households == 350
    assert [v.industry_base for v in bigger.villages] == [0.03, 0.03, 0, 0, 0, 0, 0]
    assert bigger.digest() != s.digest()


def test_synthetic_and_listed_villages_in_one_file(write_toml):
    err = _error(write_toml("t.toml", MINIMAL + "[synthetic]\nvillages = 3\n"))
    assert err.key == "synthetic.villages" and "one or the other" in str(err)


def test_child_map_replaces_parent_map(write_toml):
    parent = write_toml("p.toml", MINIMAL)
    child = write_toml("c.toml", 'extends = "p.toml"\n[synthetic]\nvillages = 4\n')
    assert len(load_scenario(child).villages) == 4
    grandchild = write_toml("g.toml", 'extends = "c.toml"\n[[villages]]\nname = "Z"\n'
                            "households = 9\n")
    assert [v.name for v in load_scenario(grandchild).villages] == ["Z"]
    assert parent.exists()

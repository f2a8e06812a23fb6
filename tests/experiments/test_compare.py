"""The scenario comparison (policies on the same seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from taobao_sim import load_scenario
from taobao_sim.experiments import compare

from ..conftest import SCENARIOS

POLICIES = SCENARIOS / "policies"


def test_gini():
    assert compare.gini(np.ones(10)) == 0.0
    assert compare.gini(np.array([0, 0, 0, 1.0])) == pytest.approx(0.75)


def test_compare_policies(tmp_path):
    names = ["baseline", "no_ecommerce", "transfers_only", "training"]
    scenarios = [load_scenario(POLICIES / f"{n}.toml") for n in names]
    cmp = compare.compare(scenarios, replicates=4, seed=2)
    rows = {r["scenario"]: r for r in cmp.table()}
    assert rows["no_ecommerce"]["engaged_end"] == 0.0
    assert rows["baseline"]["engaged_end"] > 0.8
    assert rows["transfers_only"]["public_cost"] > rows["no_ecommerce"]["public_cost"]
    # e-commerce raises the poorest fifth's income far above the no-e-commerce world
    assert rows["baseline"]["bottom20_income"] > 1.5 * rows["no_ecommerce"]["bottom20_income"]
    folder = compare.write_comparison(cmp, tmp_path, ["test"])
    assert (folder / "comparison.csv").exists() and (folder / "figures" / "comparison.png").exists()


def test_compare_command(tmp_path, capsys):
    from taobao_sim.apps import cli

    code = cli.main(["compare", str(POLICIES / "baseline.toml"), str(POLICIES / "training.toml"),
                     "--replicates", "3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "baseline" in out and "training" in out and "poverty-exit" in out


def test_a_never_exiting_majority_is_not_hidden():
    # 1 of 5 replicates exits in 2018, the others never within the run: the
    # mean over the one that exits said "2018"; the table must not
    years = np.array([2018.0, np.nan, np.nan, np.nan, np.nan])
    row = compare.summary("poverty_exit_year", years)
    assert row["poverty_exit_year"] is None and row["poverty_exit_year_p95"] is None
    assert row["poverty_exit_year_p5"] == 2018.0 and row["poverty_exit_year_n"] == 1
    row = compare.summary("poverty_exit_year", np.array([2015.0, 2016.0, 2016.0, np.nan]))
    assert row["poverty_exit_year"] == 2016.0  # an observed year, not 2015.5
    assert row["poverty_exit_year_p95"] is None and row["poverty_exit_year_n"] == 3


def test_cost_is_per_extra_person_over_the_baseline():
    """A policy is charged for the people it lifts beyond the baseline, not for
    everyone e-commerce lifts anyway."""
    names = ["baseline", "transfers_only"]
    scenarios = [load_scenario(POLICIES / f"{n}.toml") for n in names]
    cmp = compare.compare(scenarios, replicates=4, seed=2)
    assert "cost_per_person_lifted" not in compare.MEASURES
    assert all("cost_per_person_lifted" not in row for row in cmp.table())
    (effect,) = cmp.effects()
    base, pol = cmp.values["baseline"], cmp.values["transfers_only"]
    extra = pol["people_lifted"] - base["people_lifted"]
    spent = (pol["public_cost"] - base["public_cost"]) * 1e6
    lifted_more = extra > 0
    assert effect["cost_per_extra_person_n"] == int(lifted_more.sum())
    if lifted_more.any():
        assert effect["cost_per_extra_person"] == pytest.approx(
            np.median(spent[lifted_more] / extra[lifted_more]))
    assert effect["extra_public_cost"] == pytest.approx(np.median(spent / 1e6))


def test_the_same_scenario_twice_gets_a_safe_name(tmp_path):
    s = load_scenario(POLICIES / "baseline.toml")
    cmp = compare.compare([s, s], replicates=1, seed=2)
    assert cmp.names == ["baseline", "baseline-2"]
    folder = compare.write_comparison(cmp, tmp_path, ["test"])
    assert folder.parent.name == "baseline-baseline-2"

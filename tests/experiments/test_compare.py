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

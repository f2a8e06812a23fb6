"""Scenario values written back as TOML read back the same."""

from __future__ import annotations

import tomllib

import pytest

from taobao_sim.io.scenario_file import toml_value


@pytest.mark.parametrize("value", [0.123, 3.0, 1e-7, 2.5e12, 7, True, False, "Dinglou",
                                   'say "hi" \\ back'])
def test_toml_value_round_trip(value):
    assert tomllib.loads(f"x = {toml_value(value)}")["x"] == value
    assert type(tomllib.loads(f"x = {toml_value(value)}")["x"]) is type(value)

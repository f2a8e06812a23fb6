"""Names that become folders: one safe path component, from files and the API."""

from __future__ import annotations

import pytest

from taobao_sim.core.errors import ScenarioError
from taobao_sim.core.names import name_from_stem, name_problem
from taobao_sim.io.scenario_file import load_scenario

from ..conftest import MINIMAL


@pytest.mark.parametrize("name", ["dinglou", "Daiji-2", "heze_2018", "v1.2", "丁楼"])
def test_safe_names(name):
    assert name_problem(name) is None


@pytest.mark.parametrize("name", ["", "..", ".", "../x", "../../etc", "/tmp/x", "a/b", "a\\b",
                                  "-rf", ".hidden", "a b", "a\x00b", "x" * 101, "~"])
def test_names_that_could_leave_the_output_folder(name):
    assert name_problem(name) is not None


def test_a_file_name_cannot_escape(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL.replace('name = "mini"', 'name = "../../x"'))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.key == "name" and "becomes a folder" in str(info.value)


def test_the_api_checks_names_too(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(MINIMAL)
    s = load_scenario(path)
    with pytest.raises(ScenarioError, match="key 'name'"):
        s.replace(name="..")
    assert s.replace(name="variant").name == "variant"


def test_a_name_from_an_awkward_file_name_is_made_safe(tmp_path):
    path = tmp_path / "my variant (2).toml"
    path.write_text(MINIMAL.replace('name = "mini"\n', ""))
    assert load_scenario(path).name == "my_variant__2_"
    assert name_from_stem("..x") == "x..x" and name_problem(name_from_stem("..x")) is None

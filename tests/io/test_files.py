"""Paths the user names are checked before they are opened: one clear line for
every odd file, never a hang, a traceback or an exhausted memory."""

from __future__ import annotations

import os

import pytest

from taobao_sim.core.errors import ScenarioError
from taobao_sim.io import files
from taobao_sim.io.scenario_file import load_scenario

from ..conftest import MINIMAL


def _error(path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    # opening a FIFO for reading would block until a writer comes: never reached
    assert "is a FIFO (named pipe); expected a scenario .toml file" in _error(fifo)


def test_a_device_is_refused():
    assert "is a character device" in _error("/dev/zero")


def test_a_symlink_loop_is_refused(tmp_path):
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    assert "is a symbolic link loop" in _error(loop)
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    assert "symbolic link loop" in _error(a)


def test_a_dangling_symlink_says_so(tmp_path):
    link = tmp_path / "gone.toml"
    link.symlink_to(tmp_path / "nowhere.toml")
    assert "symbolic link to a missing file" in _error(link)


def test_a_huge_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_TEXT_BYTES", 1000)
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 200 + MINIMAL)
    assert "expected a scenario .toml file of at most" in _error(big)


@pytest.mark.parametrize("name, expected", [
    ("a\x00b.toml", "contains a NUL byte"),
    ("x" * 300 + ".toml", "too long for the file system"),
    ("/" + "d/" * 3000 + "s.toml", "too long for the file system"),
])
def test_impossible_paths(name, expected):
    message = _error(name)
    assert expected in message and "\x00" not in message


def test_a_file_used_as_a_folder(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert files.path_problem(afile / "s.toml") == "has a part that is a file, not a folder"


def test_extends_and_villages_file_get_the_same_checks(tmp_path):
    os.mkfifo(tmp_path / "parent.toml")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n')
    message = _error(child)
    assert "key 'extends'" in message and "is a FIFO" in message
    os.mkfifo(tmp_path / "v.csv")
    scen = tmp_path / "v.toml"
    scen.write_text('villages_file = "v.csv"\n')
    message = _error(scen)
    assert "key 'villages_file'" in message and "is a FIFO" in message

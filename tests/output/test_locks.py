"""One process at a time per sweep or calibration folder, and what killed runs left
behind is cleaned at the next one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from taobao_sim.core.errors import UsageError
from taobao_sim.output import locks, rundir


def test_a_held_folder_names_its_holder(tmp_path):
    folder = tmp_path / "sweep"
    with locks.folder_lock(folder):
        with pytest.raises(UsageError) as info:
            locks.check_free(folder)
        message = str(info.value)
        assert f"is in use by process {os.getpid()}" in message and "since" in message
    locks.check_free(folder)  # released
    assert not locks.lock_path(folder).exists()  # and its file removed


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    folder = tmp_path / "cal"
    code = ("import sys, time; from pathlib import Path; "
            "from taobao_sim.output.locks import folder_lock\n"
            f"with folder_lock(Path({str(folder)!r})):\n"
            "    print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UsageError, match=f"process {holder.pid}"):
            locks.check_free(folder)
        holder.kill()
        holder.wait()
        locks.check_free(folder)  # the kernel released it with the process
    finally:
        holder.kill()


def test_what_dead_processes_left_is_cleaned(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".run1.partial-{dead.pid}").mkdir()
    (tmp_path / f".run1.partial-{dead.pid}" / "timeseries.csv").write_text("half")
    (tmp_path / f".summary.json.tmp-{dead.pid}").write_text("half")
    (tmp_path / f".run2.partial-{os.getpid()}").mkdir()  # a live process's: kept
    (tmp_path / "run3").mkdir()  # a finished run: kept
    removed = rundir.clean_stale(tmp_path)
    assert len(removed) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".run2.partial-{os.getpid()}", "run3"])


def test_run_folder_cleans_before_it_starts(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / "s" / f".old.partial-{dead.pid}"
    stale.mkdir(parents=True)
    with rundir.run_folder(tmp_path, "s", "id1") as run:
        (run.path / "x.txt").write_text("x")
    assert not stale.exists() and (tmp_path / "s" / "id1" / "x.txt").exists()

"""Signals are interruptions, and workers end with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from taobao_sim.core.lifeline import Interrupted, interrupted, signals_as_interrupts


def test_sigterm_and_sighup_become_interruptions():
    for sig, status in ((signal.SIGTERM, 143), (signal.SIGHUP, 129)):
        with pytest.raises(Interrupted) as info, signals_as_interrupts():
            os.kill(os.getpid(), sig)
            time.sleep(5)  # the handler raises before this ends
        assert info.value.exit_status == status
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored


def test_an_interruption_says_what_was_kept():
    assert Interrupted().exit_status == 130
    exc = interrupted(Interrupted("SIGTERM"), "3 runs kept")
    assert exc.signal_name == "SIGTERM" and exc.kept == "3 runs kept"
    assert isinstance(exc, KeyboardInterrupt)  # every clean-up for Ctrl-C runs for it too


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie is dead
        return fh.read().split(")")[-1].split()[0] != "Z"


def test_a_watched_child_ends_when_its_parent_is_killed(tmp_path):
    """parent (killed with SIGKILL: no clean-up at all) -> child watching it."""
    pid_file = tmp_path / "child.pid"
    parent_code = textwrap.dedent(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", '''
        import os, time
        from taobao_sim.core.lifeline import watch_parent
        watch_parent()
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(120)
        '''])
        time.sleep(120)
    """)
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        deadline = time.time() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.time() < deadline:
            time.sleep(0.1)
        child = int(pid_file.read_text())
        assert _alive(child)
        parent.kill()
        parent.wait()
        deadline = time.time() + 10
        while _alive(child) and time.time() < deadline:
            time.sleep(0.1)
        assert not _alive(child)
    finally:
        parent.kill()

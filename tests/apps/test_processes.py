"""Interruptions and processes, with the command run as users run it (a separate
process): SIGTERM is handled like Ctrl-C, no worker outlives the command even
when it is killed with SIGKILL, one command at a time per folder, and the
dashboard neither orphans its server nor calls an outside server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from taobao_sim.apps import cli
from taobao_sim.output import locks

from ..conftest import SCENARIOS

COMMAND = [sys.executable, "-m", "taobao_sim.apps.cli"]

SPEC = f"""\
name = "signals"
scenario = "{SCENARIOS / 'dinglou.toml'}"
seed = 4
replicates = 2
runs_per_task = 4
[design]
kind = "grid"
[parameters]
"shops.imitation" = {{ range = [0.05, 0.9], steps = 40 }}
"""


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def start_sweep(tmp_path: Path, *where: str) -> tuple[subprocess.Popen, Path]:
    spec = tmp_path / "signals.toml"
    spec.write_text(SPEC)
    proc = subprocess.Popen([*COMMAND, "sweep", str(spec), *(where or ("--workers", "2")),
                             "--out", str(tmp_path / "o"), "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    return proc, spec


def parts(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "o").glob("sweeps/signals/*/parts/outputs-*.parquet"))


def test_sigterm_stops_workers_keeps_finished_runs_and_resumes(tmp_path):
    proc, spec = start_sweep(tmp_path)
    try:
        assert wait_for(lambda: len(parts(tmp_path)) >= 2), proc.stderr.read()
        workers = children(proc.pid)
        assert workers
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "stopped by SIGTERM" in lines[0], err
    assert "runs finished are kept in" in lines[0] and "add --resume" in lines[0]
    assert wait_for(lambda: not any(alive(w) for w in workers), 10)
    kept = len(parts(tmp_path))
    done = subprocess.run([*COMMAND, "sweep", str(spec), "--out", str(tmp_path / "o"),
                           "--resume", "--workers", "2", "--quiet"], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert len(parts(tmp_path)) == 20 > kept


@pytest.mark.parametrize("where", [("--workers", "2"), ("--cluster", "local")])
def test_sigkill_of_the_command_leaves_no_worker(tmp_path, where):
    proc, _spec = start_sweep(tmp_path, *where)
    try:
        assert wait_for(lambda: len(parts(tmp_path)) >= 1), proc.stderr.read()
        workers = children(proc.pid)
        assert workers
        proc.kill()  # no handler runs: the workers must notice by themselves
        proc.wait()
        assert wait_for(lambda: not any(alive(w) for w in workers), 15), \
            [w for w in workers if alive(w)]
    finally:
        proc.kill()


def run_cli(capsys, *args):
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_one_command_per_sweep_folder(tmp_path, capsys):
    from taobao_sim.experiments.sweep import load_sweep, sweep_folder

    spec = tmp_path / "signals.toml"
    spec.write_text(SPEC)
    folder = sweep_folder(tmp_path / "o", load_sweep(spec))
    folder.parent.mkdir(parents=True)
    with locks.folder_lock(folder):
        code, _out, err = run_cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "o"),
                                  "--quiet")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"is in use by process {os.getpid()}" in err
    assert not folder.exists()


def test_a_calibration_is_never_discarded_silently(tmp_path, capsys):
    from taobao_sim.experiments.calibrate import load_spec, work_folder

    from ..experiments.test_calibrate import SPEC as CALIBRATION

    path = tmp_path / "cal.toml"
    path.write_text(CALIBRATION)
    work = work_folder(tmp_path / "o", load_spec(path))
    work.mkdir(parents=True)
    (work / "checkpoint.npz").write_bytes(b"an hour of work")
    code, _out, err = run_cli(capsys, "calibrate", str(path), "--out", str(tmp_path / "o"),
                              "--quiet")
    assert code == 2 and "add --resume to continue it, or --restart to discard it" in err
    assert (work / "checkpoint.npz").read_bytes() == b"an hour of work"
    with locks.folder_lock(work):  # another calibration of the same spec is running
        code, _out, err = run_cli(capsys, "calibrate", str(path), "--out",
                                  str(tmp_path / "o"), "--restart", "--quiet")
    assert code == 2 and "is in use by process" in err
    assert (work / "checkpoint.npz").exists()
    with pytest.raises(SystemExit):
        cli.main(["calibrate", str(path), "--resume", "--restart"])
    assert "not allowed with argument" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dashboard_port_in_use_is_one_line_and_no_url(capfd):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli.main(["dashboard", "--port", str(port)])
    out, err = capfd.readouterr()
    assert code == 2 and "the port is in use" in err and len(err.strip().splitlines()) == 1
    assert "http://" not in out  # no address printed for a server that cannot start


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_dashboard_server_ends_with_the_command_and_stays_offline(tmp_path, how):
    import urllib.request

    port = free_port()
    proc = subprocess.Popen([*COMMAND, "dashboard", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                    return True
            except OSError:
                return False

        assert wait_for(answers, 120)
        servers = children(proc.pid)
        assert len(servers) == 1
        server = servers[0]
        cmdline = Path(f"/proc/{server}/cmdline").read_bytes().split(b"\0")
        environ = Path(f"/proc/{server}/environ").read_bytes().split(b"\0")
        assert b"--no-check-version" in cmdline  # no call to PyPI at each start
        assert b"SOLARA_TELEMETRY_MIXPANEL_ENABLE=False" in environ
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=30)
        assert wait_for(lambda: not alive(server), 15)
        assert not answers()  # the port is free again
    finally:
        proc.kill()

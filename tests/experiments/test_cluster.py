"""Sweeps and ABC-SMC calibrations on a real Dask cluster that loses a worker.

The other Dask tests use a LocalCluster inside the test process. Here the
scheduler and two workers are separate OS processes on localhost, started with
the ``dask`` command as on a real cluster, and ``taobao-sim`` reaches them
through ``--scheduler ADDRESS`` from a process of its own, as a user would. One
worker is SIGKILLed (with its nanny) while it runs a task: nothing is flushed,
nothing says goodbye, as when a node of a cluster dies. The run must still
finish on the surviving worker, lose and duplicate nothing, and give results
bit-identical to the same spec run in-process: every task's seeds are fixed by
the spec, so neither the executor nor a retried task may change a single bit.

Below them, what a cluster adds to one machine and these tests brought up:
workers that share numba's cache, task keys that one generation (or another
command on the same scheduler) uses again.

Slow (about two minutes): run with ``pytest -m slow``.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client

from taobao_sim.experiments.abc_smc import executor_map
from taobao_sim.experiments.executors import DaskCluster

from ..conftest import SCENARIOS

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
#: Longest wait for the cluster to come up (workers import numba, pyarrow, ...).
START_TIMEOUT = 120.0
#: Longest a taobao-sim command may take before the test gives up on it.
RUN_TIMEOUT = 400.0


def _command(name: str, module: str, *args: str) -> list[str]:
    """The console script beside this interpreter, or its module if the script is
    missing: the same installation either way."""
    script = BIN / name
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", module, *args]


def _dask(*args: str) -> list[str]:
    return _command("dask", "dask", *args)


def _taobao_sim(*args: str) -> list[str]:
    return _command("taobao-sim", "taobao_sim.apps.cli", *args)


def _start(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start a process in a session (and process group) of its own, so that it and
    its children (a worker's nanny spawns the worker) can be killed together.
    Output goes to a file: a pipe nobody reads would fill and block the process."""
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=env)


def _kill_group(proc: subprocess.Popen, sig: signal.Signals = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it, and reap the
    leader. Safe to call on a group that is already gone."""
    if proc.poll() is None:
        _kill_group(proc, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    _kill_group(proc, signal.SIGKILL)  # also a child that outlived its leader
    proc.wait()


def _group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (zombies are dead: their parent
    may be an init that never reaps them)."""
    for p in psutil.process_iter(["status"]):
        try:
            if p.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(p.pid) == pgid:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False


def _tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    """A scheduler and named workers, each a process group of its own, and a client
    of the test's own to watch them."""

    address: str
    client: Client
    workers: dict[str, subprocess.Popen]
    killed: list[str] = field(default_factory=list)

    def names(self) -> dict[str, str]:
        """Worker name by address, for the workers the scheduler knows now."""
        return {addr: str(w["name"])
                for addr, w in self.client.scheduler_info()["workers"].items()}

    def survivors(self) -> set[str]:
        """The workers the scheduler still counts (a SIGKILLed one is gone at once:
        its connections close with it)."""
        return set(self.names().values())

    def busy_worker(self) -> str | None:
        """The name of a worker now running a taobao-sim task, if any: killing it
        loses a task in flight, the case that needs a retry elsewhere."""
        names = self.names()
        for addr, keys in self.client.processing().items():
            if addr in names and any(str(k).startswith("taobao-sim-") for k in keys):
                return names[addr]
        return None

    def kill(self, name: str) -> None:
        """SIGKILL a worker and its nanny at once: no clean shutdown, no goodbye to
        the scheduler, as when a node dies."""
        proc = self.workers[name]
        _kill_group(proc)
        proc.wait(timeout=30)
        self.killed.append(name)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """``dask scheduler`` and two ``dask worker`` processes (one thread each) on
    127.0.0.1, on free ports; every process group is killed afterwards, whatever
    happened, and none may outlive the test.

    The scheduler closes itself after 10 idle minutes and the workers after a
    minute without a scheduler: a safety net should the test process itself be
    killed before this finalizer runs.
    """
    logs = tmp_path / "cluster"
    logs.mkdir()
    info = logs / "scheduler.json"
    procs: list[subprocess.Popen] = []
    client: Client | None = None
    try:
        # --no-dashboard still serves /health on the dashboard address: a free port,
        # not 8787, so that the test takes no well-known port
        scheduler = _start(_dask("scheduler", "--host", "127.0.0.1", "--port", "0",
                                 "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                                 "--scheduler-file", str(info), "--idle-timeout", "600s"),
                           logs / "scheduler.log")
        procs.append(scheduler)
        workers = {}
        for name in ("w0", "w1"):
            workers[name] = _start(_dask("worker", "--scheduler-file", str(info),
                                         "--host", "127.0.0.1", "--name", name,
                                         "--nthreads", "1", "--nworkers", "1",
                                         "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                                         "--death-timeout", "60",
                                         "--local-directory", str(logs / name)),
                                   logs / f"{name}.log")
            procs.append(workers[name])
        deadline = time.monotonic() + START_TIMEOUT
        while not info.exists():
            if scheduler.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dask scheduler did not start:\n{_tail(logs / 'scheduler.log')}")
            time.sleep(0.1)
        client = Client(scheduler_file=str(info), timeout=START_TIMEOUT)
        try:
            client.wait_for_workers(2, timeout=START_TIMEOUT)
        except TimeoutError:
            pytest.fail("2 dask workers did not join:\n" + "\n".join(
                _tail(logs / f"{n}.log") for n in workers))
        cluster = Cluster(client.scheduler.address, client, workers)
        assert sorted(cluster.names().values()) == ["w0", "w1"]
        yield cluster
    finally:
        if client is not None:
            client.close()
        for proc in reversed(procs):  # workers first: they would wait for a lost scheduler
            _stop(proc)
    left = [p.pid for p in procs if _group_alive(p.pid)]
    assert not left, f"process groups outlived the test: {left}"


def _run_killing_a_worker(cmd: list[str], cluster: Cluster, log: Path,
                          ready: Callable[[], bool]) -> int:
    """Run a taobao-sim command against the cluster; once ``ready()`` and a worker
    is busy with a task, SIGKILL that worker. Returns the command's exit status."""
    proc = _start(cmd, log)
    try:
        deadline = time.monotonic() + RUN_TIMEOUT
        while proc.poll() is None:
            if time.monotonic() > deadline:
                pytest.fail(f"{' '.join(cmd)} did not finish in {RUN_TIMEOUT:g} s:\n"
                            f"{_tail(log)}")
            if not cluster.killed and ready():
                victim = cluster.busy_worker()
                if victim is not None:
                    cluster.kill(victim)
            time.sleep(0.05)
        return proc.returncode
    finally:
        _stop(proc)


def _run(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    """Run a command to its end (in a process group of its own, stopped whatever
    happens) and check that it succeeded."""
    proc = _start(cmd, log, env)
    try:
        code = proc.wait(timeout=RUN_TIMEOUT)
    finally:
        _stop(proc)
    assert code == 0, f"{' '.join(cmd)} failed:\n{_tail(log)}"


def _bits(table: pa.Table) -> dict[str, tuple[list[bool], list]]:
    """Each column's nulls and values, floats as their bit patterns: pyarrow's
    ``Table.equals`` counts NaN as unequal to itself, and outputs have NaN (a
    poverty exit year never reached), so equality is checked bit by bit."""
    out = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        values = column.to_numpy(zero_copy_only=False)
        if values.dtype.kind == "f":
            values = values.view(f"u{values.dtype.itemsize}")
        out[name] = (column.is_null().to_pylist(), values.tolist())
    return out


def _assert_identical(got: pa.Table, want: pa.Table) -> None:
    assert got.schema == want.schema
    assert _bits(got) == _bits(want)


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- sweep --------------------------------------------------------------------------

#: 40 identical villages of 300 households: one run takes about half a second on
#: one thread, so a task is still running when the worker is killed.
TINY = f"""\
extends = "{SCENARIOS / 'synthetic.toml'}"
name = "tiny"

[synthetic]
villages = 40
households = 300
"""

#: 20 points x 2 replicates, one run per task: 40 tasks.
SWEEP = """\
name = "cluster"
scenario = "tiny.toml"
seed = 3
replicates = 2
runs_per_task = 1
[design]
kind = "grid"
[parameters]
"shops.imitation" = { range = [0.1, 0.9], steps = 20 }
[record]
every = "end"
"""
SWEEP_RUNS = 20 * 2


def test_sweep_survives_a_killed_worker(cluster: Cluster, tmp_path: Path) -> None:
    _write(tmp_path / "tiny.toml", TINY)
    spec = _write(tmp_path / "sweep.toml", SWEEP)
    out, ref = tmp_path / "out", tmp_path / "ref"
    _run(_taobao_sim("sweep", str(spec), "--out", str(ref), "--quiet"), tmp_path / "ref.log")

    def some_tasks_done() -> bool:
        return len(list(out.glob("sweeps/cluster/*/parts/outputs-*.parquet"))) >= 3

    code = _run_killing_a_worker(
        _taobao_sim("sweep", str(spec), "--scheduler", cluster.address, "--out", str(out),
                    "--quiet"), cluster, tmp_path / "sweep.log", some_tasks_done)
    assert cluster.killed, "the sweep finished before a worker could be killed"
    assert code == 0, _tail(tmp_path / "sweep.log")
    assert cluster.survivors() == set(cluster.workers) - set(cluster.killed)

    [folder] = out.glob("sweeps/cluster/*")
    [reference] = ref.glob("sweeps/cluster/*")
    assert folder.name == reference.name  # same spec, same digest
    assert len(list((folder / "parts").glob("outputs-*.parquet"))) == SWEEP_RUNS
    outputs = pq.read_table(folder / "outputs.parquet")
    assert sorted(outputs.column("run_id").to_pylist()) == list(range(SWEEP_RUNS))
    _assert_identical(outputs.sort_by("run_id"),
                      pq.read_table(reference / "outputs.parquet").sort_by("run_id"))


# -- ABC-SMC calibration ------------------------------------------------------------

#: Dinglou ten times over (3,300 households): about 0.15 s a simulation, so that a
#: generation of ABC-SMC lasts seconds and the kill lands inside one. Its targets
#: are missed; the posterior is still a well-defined function of the seeds.
BIG_DINGLOU = f"""\
extends = "{SCENARIOS / 'dinglou.toml'}"
name = "dinglou-big"

[[villages]]
name = "Dinglou"
households = 3300
internet_from = "2009-11"
industry_base = 0.03
"""

POPULATION = 24

#: No screening, no township (T1 and P1 would need Daiji), no checks.
ABC = f"""\
name = "cluster-abc"
method = "abc-smc"
scenario = "big.toml"
seed = 3
[abc]
population = {POPULATION}
generations = 2
min_acceptance = 0.0
max_simulations = 3000
[check]
posterior_draws = 10
final_replicates = 2
[parameters]
"shops.imitation" = [0.05, 0.8]
"market.outside_reputation" = {{ bounds = [2e3, 5e4], log = true }}
[targets]
D2 = 1.0
D4 = 1.0
D6 = 1.0
"""


def test_abc_smc_calibration_survives_a_killed_worker(cluster: Cluster,
                                                      tmp_path: Path) -> None:
    _write(tmp_path / "big.toml", BIG_DINGLOU)
    spec = _write(tmp_path / "abc.toml", ABC)
    out, ref = tmp_path / "out", tmp_path / "ref"
    # In-process first: it also fills numba's cache in one process, so that this
    # test is about the lost worker, not about workers that compile side by side
    # (test_a_process_uses_an_engine_cache_another_process_began is about that).
    _run(_taobao_sim("calibrate", str(spec), "--out", str(ref), "--quiet"),
         tmp_path / "ref.log")

    # The kill lands after the prior's generation (one task per particle, the only
    # tasks the cluster runs here), in a generation that perturbs its particles.
    cluster.client.get_task_stream()  # installs the scheduler's task-stream plugin

    def prior_generation_done() -> bool:
        stream = cluster.client.get_task_stream()
        return sum(str(t["key"]).startswith("taobao-sim-") for t in stream) > POPULATION

    code = _run_killing_a_worker(
        _taobao_sim("calibrate", str(spec), "--scheduler", cluster.address, "--out",
                    str(out), "--quiet"), cluster, tmp_path / "abc.log", prior_generation_done)
    assert cluster.killed, "the calibration finished before a worker could be killed"
    assert code == 0, _tail(tmp_path / "abc.log")
    assert cluster.survivors() == set(cluster.workers) - set(cluster.killed)

    [folder] = [p.parent for p in out.glob("calibration/cluster-abc/*/posterior.parquet")]
    [reference] = [p.parent for p in ref.glob("calibration/cluster-abc/*/posterior.parquet")]
    posterior = pq.read_table(folder / "posterior.parquet")
    assert posterior.num_rows == POPULATION
    _assert_identical(posterior, pq.read_table(reference / "posterior.parquet"))
    # the same epsilons and the same number of simulations in every generation
    _assert_identical(pq.read_table(folder / "generations.parquet"),
                      pq.read_table(reference / "generations.parquet"))


# -- task keys ---------------------------------------------------------------------

def _adder(base: int) -> functools.partial:
    """A task function that travels by reference (workers cannot import tests)."""
    return functools.partial(operator.add, base)


def test_one_generation_after_another(cluster: Cluster) -> None:
    """ABC-SMC maps each generation's tasks right after the previous generation's,
    under the same name: each generation must get its own tasks' results (not the
    previous generation's, nor a cancellation meant for them)."""
    with contextlib.closing(DaskCluster(scheduler=cluster.address)) as executor:
        map_ = executor_map(executor)
        for generation in range(4):
            assert map_(_adder(100 * generation), list(range(8))) == \
                [100 * generation + i for i in range(8)]


def test_two_commands_share_a_scheduler(cluster: Cluster) -> None:
    """Two calibrations (say, two users) on one scheduler, each in a generation at
    the same time: each gets its own results."""
    with contextlib.closing(DaskCluster(scheduler=cluster.address)) as first, \
            contextlib.closing(DaskCluster(scheduler=cluster.address)) as second:
        # as abc_smc.executor_map maps: fn(task) for each task, under the name "abc"
        running = first.map(operator.call, _adder(1000), {i: i for i in range(4)}, name="abc")
        with contextlib.closing(running):
            next(running)  # the first generation's tasks are submitted and held
            got = dict(second.map(operator.call, _adder(2000), {i: i for i in range(4)},
                                  name="abc"))
    assert got == {i: 2000 + i for i in range(4)}


def test_national_run_on_the_cluster(cluster: Cluster) -> None:
    """A world of regions split into region tasks on a real scheduler and its workers
    gives the numbers of the same run in this process."""
    from taobao_sim import load_scenario
    from taobao_sim.experiments.national import run_national

    world = load_scenario(Path(__file__).resolve().parents[1] / "data" / "regions.toml"
                          ).replace({"regions.sample": 0.5})
    here = sorted(run_national(world, 1, 9), key=lambda r: r.region)
    with contextlib.closing(DaskCluster(scheduler=cluster.address)) as executor:
        there = sorted(run_national(world, 1, 9, executor), key=lambda r: r.region)
    assert [r.region for r in there] == ["Coast", "Hill", "Plain"]
    for a, b in zip(here, there, strict=True):
        assert a.seed == b.seed and a.names == b.names
        assert np.array_equal(a.table, b.table) and np.array_equal(a.totals, b.totals)

"""taobao-sim benchmarks: speed, size, and distance from the machine's limit.

Run with ``make bench`` (or ``make bench QUICK=1`` for a reduced version that
takes well under a minute). Writes ``benchmarks/results.json`` and prints a
table. Every figure comes from this one run on this machine, so ratios (fast
engine / Mesa engine, kernel bandwidth / copy bandwidth) are measured side by
side and mean more than absolute times on a noisy machine.

Sections:
  machine     cores, memory bandwidth (large numpy copy)
  startup     first-call compile time (empty cache), cached start (import to
              first month), the whole `taobao-sim run` command
  dinglou     simulation part of a 20-replicate Dinglou run; Dinglou-size runs
              per second in large batches
  scaling     fast-engine household-steps per second on synthetic worlds of
              villages of ~300 households, 1e3..1e7 households, 1 and 2 threads;
              bytes of state per household; peak memory; effective bandwidth
  yardstick   the fast engine and the minimal kernel of benchmarks/kernel.py (the
              engine's access pattern without the model) side by side in one
              process at 1e6 households on 2 threads (quick: 1e5): household-steps
              per second and their ratio; instructions per household-month of the
              engine from `perf stat` where hardware counters are readable
  sweeps      Dinglou-size runs per second through the sweep runner: in-process,
              1 and 2 local processes, a Dask LocalCluster with 1 and 2 workers;
              wall time of the shipped Sobol example
  engines     fast engine vs Mesa engine on Dinglou and Daiji
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
RESULTS = ROOT / "benchmarks" / "results.json"
#: The quick version's results: a smoke test of the benchmarks, not figures to keep.
QUICK_RESULTS = ROOT / "benchmarks" / "results-quick.json"
PY = sys.executable


# -- helpers ---------------------------------------------------------------------

def best_of(fn, repeats: int) -> float:
    """Shortest wall time of ``repeats`` calls (the least disturbed by the machine)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def run_child(code: str, env: dict | None = None, timeout: float = 900) -> dict:
    """Run Python code in a fresh process; it prints one JSON line as its result."""
    proc = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- machine -------------------------------------------------------------------

def memory_bandwidth(gib: float = 1.0, repeats: int = 5) -> dict:
    """Copy a large array with numpy: bytes read + written per second."""
    n = int(gib * 2**30 / 8)
    a = np.ones(n)
    b = np.empty_like(a)
    t = best_of(lambda: np.copyto(b, a), repeats)
    return {"array_gib": gib, "copy_seconds": t, "bandwidth_gb_s": 2 * a.nbytes / t / 1e9}


# -- startup -------------------------------------------------------------------

_FIRST_CALL = """
import json, time
t0 = time.perf_counter()
from taobao_sim import load_scenario, simulate
t1 = time.perf_counter()
s = load_scenario('scenarios/dinglou.toml')
out = simulate(s, replicates=1, seed=1)
t2 = time.perf_counter()
print(json.dumps({'import_seconds': t1 - t0, 'first_run_seconds': t2 - t1}))
"""

_CACHED_START = """
import json, time
t0 = time.perf_counter()
from taobao_sim import load_scenario
from taobao_sim.engines.fast import FastRun
s = load_scenario('scenarios/dinglou.toml')
FastRun.for_scenarios([s], [1], panel=False).advance(1)
print(json.dumps({'import_to_first_month_seconds': time.perf_counter() - t0}))
"""


def startup(repeats: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        env = {"TAOBAO_SIM_CACHE_DIR": cache}
        cold = run_child(_FIRST_CALL, env)
        warm = [run_child(_CACHED_START, env) for _ in range(repeats)]
    cached = min(w["import_to_first_month_seconds"] for w in warm)
    with tempfile.TemporaryDirectory() as out:
        cmd = [str(Path(PY).parent / "taobao-sim"), "run", "scenarios/dinglou.toml",
               "--replicates", "20", "--out", out, "--quiet"]
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)  # warm
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=True)
            times.append(time.perf_counter() - t)
    return {
        "compile_seconds_first_call": cold["first_run_seconds"],
        "import_seconds_cold": cold["import_seconds"],
        "cached_start_seconds": cached,
        "cli_run_20_replicates_seconds": min(times),
    }


# -- Dinglou -------------------------------------------------------------------

def dinglou(repeats: int, batch: int) -> dict:
    from taobao_sim import load_scenario, simulate

    s = load_scenario(SCENARIOS / "dinglou.toml")
    simulate(s, replicates=2, seed=1)  # warm
    t20 = best_of(lambda: simulate(s, replicates=20, seed=s.seed), repeats)
    t20_nopanel = best_of(lambda: simulate(s, replicates=20, seed=s.seed, panel=False), repeats)
    tb = best_of(lambda: simulate(s, replicates=batch, seed=1, panel=False), max(1, repeats // 2))
    return {
        "simulation_20_replicates_seconds": t20,
        "simulation_20_replicates_no_panel_seconds": t20_nopanel,
        "batch_replicates": batch,
        "runs_per_second": batch / tb,
    }


# -- scaling -------------------------------------------------------------------

# Peak resident memory of this process since its exec (VmHWM), in MB. (ru_maxrss
# would also count the parent's pages at fork time.)
_PEAK = """
def peak_mb():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
    return float('nan')
"""

_SCALE = _PEAK + """
import json, time, numba
from taobao_sim import load_scenario
from taobao_sim.engines.fast import FastRun
numba.set_num_threads({threads})
s = load_scenario('scenarios/synthetic.toml').replace(
    {{'synthetic.villages': {villages}, 'synthetic.households': {per_village}}})
T = {months}
best = float('inf')
build = float('inf')
for rep in range({repeats}):  # a fresh world for each timed repeat
    t = time.perf_counter(); run = FastRun.for_scenarios([s], [1], panel=False)
    build = min(build, time.perf_counter() - t)
    run.advance(1)  # load the compiled kernel
    t = time.perf_counter()
    run.advance(T - 1)
    best = min(best, time.perf_counter() - t)
w = run.world
n = w.n_households
deg = len(w.ties_idx) / n
print(json.dumps({{
    'households': n, 'villages': w.n_villages, 'threads': {threads}, 'months': T,
    'build_seconds': build, 'run_seconds': best,
    'household_steps_per_s': n * (T - 1) / best,
    'state_bytes_per_household': w.state_bytes() / n,
    'ties_per_household': deg,
    'peak_rss_mb': peak_mb(),
}}))
"""


def bytes_touched_per_household_step(record_bytes: int, ties: float) -> float:
    """Memory traffic of one household-step in the kernel, in bytes: its record read
    and written, its tie pointer and tie list read, one seen-profit value read per
    tie and one written. A lower bound (caches may serve the repeated reads)."""
    return 2 * record_bytes + 8 + 4 * ties + 4 * ties + 4


def scaling(sizes: list[int], threads: list[int]) -> list[dict]:
    from taobao_sim.core.state import HOUSEHOLD_DTYPE

    rows = []
    for n in sizes:
        villages = max(1, round(n / 300))
        per_village = round(n / villages)
        months = 120
        repeats = 3 if n <= 100_000 else 1
        for th in threads:
            code = _SCALE.format(threads=th, villages=villages, per_village=per_village,
                                 months=months, repeats=repeats)
            r = run_child(code, timeout=3600)
            r["bytes_touched_per_household_step"] = bytes_touched_per_household_step(
                HOUSEHOLD_DTYPE.itemsize, r["ties_per_household"])
            r["effective_gb_s"] = r["household_steps_per_s"] * \
                r["bytes_touched_per_household_step"] / 1e9
            rows.append(r)
            print(f"  {r['households']:>10,d} households, {th} thread(s): "
                  f"{r['household_steps_per_s'] / 1e6:6.1f} M household-steps/s", flush=True)
    return rows


_FULL_RUN = _PEAK + """
import json, tempfile, time, numba
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
t0 = time.perf_counter()
start_mb = peak_mb()
from taobao_sim import load_scenario
from taobao_sim.core.records import VILLAGE_YEAR
from taobao_sim.engines.fast import simulate_years
numba.set_num_threads(2)
s = load_scenario('scenarios/synthetic.toml').replace({{'synthetic.villages': {villages}}})
folder = Path(tempfile.mkdtemp())
names = [n for n, _how in VILLAGE_YEAR]
def write(year, table):
    # each year's village-years go to disk as the run goes
    pq.write_table(pa.table({{n: table[:, k] for k, n in enumerate(names)}}),
                   folder / f'{{year}}.parquet')
res = simulate_years(s, 1, write)
n = int(res['households'])
print(json.dumps({{'households': n, 'months': s.months, 'streamed': 'village-years to Parquet',
    'wall_seconds_simulate': res['wall_seconds'], 'wall_seconds_process': time.perf_counter() - t0,
    'peak_rss_mb': peak_mb(), 'start_rss_mb': start_mb,
    'peak_bytes_per_household': peak_mb() * 2**20 / n,
    'state_bytes_per_household': res['state_bytes'] / n,
    'files': len(list(folder.iterdir()))}}))
"""


def full_run(villages: int) -> dict:
    """One whole run (world building included) of a synthetic world, 120 months, its
    village-years streamed to Parquet files year by year: wall time and peak memory."""
    return run_child(_FULL_RUN.format(villages=villages), timeout=3600)


# -- the national run ----------------------------------------------------------------

def national_runs(quick: bool) -> dict:
    """The national scenario at a 1% sample (this run), and the whole country as last
    measured by ``benchmarks/national.py --sample 1`` (about an hour; not rerun here)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import national

    out: dict = {}
    if not quick:
        out["sample_0.01"] = national.national(0.01, replicates=1, workers=2)
    full = national.result_path(1.0)
    if full.exists():
        out["full"] = json.loads(full.read_text())
    return out


# -- yardstick -----------------------------------------------------------------

_YARDSTICK = """
import json, sys, time, numba
sys.path.insert(0, 'benchmarks')
import kernel
from taobao_sim import load_scenario
from taobao_sim.engines.fast import FastRun
numba.set_num_threads({threads})
s = load_scenario('scenarios/synthetic.toml').replace(
    {{'synthetic.villages': {villages}, 'synthetic.households': {per_village}}})
T = {months}
engine = float('inf')
for rep in range({repeats}):  # engine and kernel alternate, so both see the same machine
    run = FastRun.for_scenarios([s], [1], panel=False)  # a fresh world for each repeat
    run.advance(1)  # load the compiled engine
    t = time.perf_counter()
    run.advance(T - 1)
    engine = min(engine, time.perf_counter() - t)
    n = run.world.n_households
    del run
    k = kernel.household_steps_per_second(n, T - 1, repeats=1)  # a fresh world too
    best = k if rep == 0 else min(best, k, key=lambda r: r['seconds'])
print(json.dumps({{'households': n, 'threads': {threads}, 'months': T,
    'engine_household_steps_per_s': n * (T - 1) / engine,
    'kernel_household_steps_per_s': best['household_steps_per_s'],
    'kernel_ties_per_household': best['ties_per_household']}}))
"""

# A run of the engine for ``perf stat``: build, load, then ``months`` months.
_PERF_RUN = """
import numba
from taobao_sim import load_scenario
from taobao_sim.engines.fast import FastRun
numba.set_num_threads(1)
s = load_scenario('scenarios/synthetic.toml').replace(
    {{'synthetic.villages': {villages}, 'synthetic.households': 300}})
run = FastRun.for_scenarios([s], [1], panel=False)
run.advance({months})
"""


def perf_instructions(code: str) -> float:
    """Instructions retired by a child Python process running ``code``
    (``perf stat -e instructions``); raises RuntimeError if they cannot be counted."""
    with tempfile.NamedTemporaryFile("r", suffix=".csv") as out:
        proc = subprocess.run(["perf", "stat", "-e", "instructions", "-x,", "-o", out.name,
                               PY, "-c", code], capture_output=True, text=True, cwd=ROOT,
                              timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"perf stat failed: {proc.stderr.strip()[-500:]}")
        for line in out.read().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2].startswith("instructions"):
                if not fields[0].replace(".", "").isdigit():
                    raise RuntimeError(f"perf stat cannot count instructions here "
                                       f"({fields[0]}; a virtual machine without a PMU?)")
                return float(fields[0])
    raise RuntimeError("perf stat printed no instruction count")


def instructions_per_household_month(villages: int, months: int) -> dict:
    """Instructions per household-month of the fast engine (1 thread): a run of
    ``months`` months less a run of one month (imports, world, compiled code loaded),
    over the household-months between them. ``available`` is False, with the reason,
    where ``perf`` or the hardware counter is missing."""
    if shutil.which("perf") is None:
        return {"available": False, "reason": "perf is not installed"}
    try:
        perf_instructions("pass")
        short = perf_instructions(_PERF_RUN.format(villages=villages, months=1))
        long = perf_instructions(_PERF_RUN.format(villages=villages, months=months))
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        return {"available": False, "reason": str(e)}
    household_months = villages * 300 * (months - 1)
    return {"available": True, "households": villages * 300, "months": months,
            "threads": 1, "instructions_per_household_month": (long - short) / household_months}


def yardstick(households: int, repeats: int, perf_villages: int) -> dict:
    """The fast engine against the minimal kernel (benchmarks/kernel.py), measured in
    turn in one child process at ``households`` households on 2 threads, 120 months;
    and the engine's instructions per household-month (perf, 1 thread, on
    ``perf_villages`` villages of 300)."""
    villages = max(1, round(households / 300))
    code = _YARDSTICK.format(threads=2, villages=villages, per_village=round(households / villages),
                             months=120, repeats=repeats)
    r = run_child(code, timeout=3600)
    r["engine_over_kernel"] = r["engine_household_steps_per_s"] / r["kernel_household_steps_per_s"]
    r["perf"] = instructions_per_household_month(perf_villages, 25)
    print(f"  {r['households']:,} households, 2 threads: engine "
          f"{r['engine_household_steps_per_s'] / 1e6:.1f}, kernel "
          f"{r['kernel_household_steps_per_s'] / 1e6:.1f} M household-steps/s "
          f"(engine/kernel {r['engine_over_kernel']:.2f})", flush=True)
    return r


# -- engines -------------------------------------------------------------------

def engines(names: list[str], months: int | None) -> list[dict]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from engines import compare

    return [compare(n, replicates=1, months=months) for n in names]


# -- sweeps --------------------------------------------------------------------

_SWEEP_SPEC = """
name = "bench"
scenario = "{scenario}"
seed = 1
replicates = 4
runs_per_task = 25
[design]
kind = "grid"
[parameters]
"shops.imitation" = {{ range = [0.05, 0.8], steps = {steps} }}
"""


def sweeps(quick: bool) -> dict:
    """Dinglou-size runs per second through the sweep runner, per executor; and the
    wall time of the shipped Sobol example."""
    from taobao_sim.experiments import executors, sweep

    out: dict = {"executors": []}
    with tempfile.TemporaryDirectory() as tmp:
        spec_path = Path(tmp) / "bench.toml"
        steps = 12 if quick else 150
        spec_path.write_text(_SWEEP_SPEC.format(scenario=SCENARIOS / "dinglou.toml",
                                                steps=steps))
        spec = sweep.load_sweep(spec_path)
        n_runs = steps * 4
        cases = [("in-process (threads)", lambda: executors.InProcess()),
                 ("local processes", lambda: executors.LocalProcesses(1)),
                 ("local processes", lambda: executors.LocalProcesses(2)),
                 ("Dask LocalCluster", lambda: executors.DaskCluster(workers=1)),
                 ("Dask LocalCluster", lambda: executors.DaskCluster(workers=2))]
        if quick:  # one of each kind
            cases = [cases[0], cases[2], cases[4]]
        for k, (label, make) in enumerate(cases):
            t = time.perf_counter()
            ex = make()
            startup = time.perf_counter() - t
            try:
                t = time.perf_counter()
                sweep.run_sweep(spec, Path(tmp) / f"r{k}", executor=ex)
                wall = time.perf_counter() - t
            finally:
                ex.close()
            row = {"executor": label, "workers": ex.workers, "runs": n_runs,
                   "startup_seconds": startup, "wall_seconds": wall,
                   "runs_per_second": n_runs / wall}
            out["executors"].append(row)
            print(f"  {label:18s} {ex.workers} worker(s): {row['runs_per_second']:6.0f} runs/s",
                  flush=True)
        if not quick:
            sobol = sweep.load_sweep(SCENARIOS / "sweeps" / "sobol.toml")
            ex = executors.LocalProcesses(2)
            try:
                t = time.perf_counter()
                sweep.run_sweep(sobol, Path(tmp) / "sobol", executor=ex)
                out["sobol_example"] = {"runs": len(sobol.points()) * sobol.replicates,
                                        "workers": 2, "wall_seconds": time.perf_counter() - t}
            finally:
                ex.close()
    return out


# -- report --------------------------------------------------------------------

def report(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    c = Console(width=150)
    m = res["machine"]
    c.print(f"[bold]taobao-sim benchmarks[/bold] ({'quick' if res['quick'] else 'full'}), "
            f"{m['cpus']} cores, {m['platform']}")
    c.print(f"memory bandwidth (numpy copy of {m['memory']['array_gib']:.1f} GiB): "
            f"{m['memory']['bandwidth_gb_s']:.1f} GB/s")
    t = Table(title="fast engine scaling (synthetic villages of ~300 households)")
    for col in ("households", "threads", "months", "M household-steps/s", "ns/household-step",
                "bytes/household", "eff. GB/s", "% of copy bw", "peak MB"):
        t.add_column(col, justify="right")
    bw = m["memory"]["bandwidth_gb_s"]
    for r in res["scaling"]:
        t.add_row(f"{r['households']:,}", str(r["threads"]), str(r["months"]),
                  f"{r['household_steps_per_s'] / 1e6:.1f}",
                  f"{1e9 / r['household_steps_per_s']:.0f}",
                  f"{r['state_bytes_per_household']:.0f}", f"{r['effective_gb_s']:.2f}",
                  f"{100 * r['effective_gb_s'] / bw:.0f}%", f"{r['peak_rss_mb']:.0f}")
    c.print(t)
    flat = res.get("flatness")
    if flat:
        c.print(f"cost per household-step, 1e4..{flat['largest']:,} households, 2 threads: "
                f"max/min = {flat['max_over_min']:.2f}")
    if res.get("full_run"):
        f = res["full_run"]
        c.print(f"whole run, {f['households']:,} households x {f['months']} months "
                f"(2 threads, world building included, village-years streamed to Parquet): "
                f"{f['wall_seconds_simulate']:.1f} s, peak {f['peak_rss_mb']:.0f} MB = "
                f"{f['peak_bytes_per_household']:.0f} bytes a household (start-up "
                f"{f['start_rss_mb']:.0f} MB; state {f['state_bytes_per_household']:.0f})")
    for key, nat in res.get("national", {}).items():
        c.print(f"national run ({key}, {nat['when']}): {nat['households']:,} households x "
                f"{nat['months']} months in {nat['wall_seconds']:,.0f} s "
                f"({nat['household_steps_per_s'] / 1e6:.1f} M household-steps/s, "
                f"{nat['workers'] or 'in-process'} workers), peak {nat['peak_rss_gb']:.2f} GB")
    y = res.get("yardstick")
    if y:
        k = Table(title="fast engine vs the minimal kernel (benchmarks/kernel.py), same process")
        for col in ("households", "threads", "months", "engine M household-steps/s",
                    "kernel M household-steps/s", "engine / kernel",
                    "instructions/household-month"):
            k.add_column(col, justify="right")
        pf = y["perf"]
        k.add_row(f"{y['households']:,}", str(y["threads"]), str(y["months"]),
                  f"{y['engine_household_steps_per_s'] / 1e6:.1f}",
                  f"{y['kernel_household_steps_per_s'] / 1e6:.1f}",
                  f"{y['engine_over_kernel']:.2f}",
                  f"{pf['instructions_per_household_month']:.0f}" if pf["available"]
                  else "n/a")
        c.print(k)
        if not pf["available"]:
            c.print(f"instructions per household-month not measured: {pf['reason']}")
    e = Table(title="fast engine vs Mesa engine (1 replicate, same run)")
    for col in ("scenario", "households", "months", "fast s", "Mesa s", "Mesa / fast"):
        e.add_column(col, justify="right")
    for r in res["engines"]:
        e.add_row(r["scenario"], f"{r['households']:,}", str(r["months"]),
                  f"{r['fast_seconds']:.4f}", f"{r['mesa_seconds']:.2f}",
                  f"{r['ratio_mesa_over_fast']:.0f}x")
    c.print(e)
    sw = Table(title="sweeps: Dinglou-size runs through the sweep runner")
    for col in ("executor", "workers", "runs", "start-up s", "runs/s"):
        sw.add_column(col, justify="right")
    for r in res["sweeps"]["executors"]:
        sw.add_row(r["executor"], str(r["workers"]), str(r["runs"]),
                   f"{r['startup_seconds']:.1f}", f"{r['runs_per_second']:.0f}")
    c.print(sw)
    if "sobol_example" in res["sweeps"]:
        so = res["sweeps"]["sobol_example"]
        c.print(f"shipped Sobol example: {so['runs']:,} runs on {so['workers']} local workers in "
                f"{so['wall_seconds']:.1f} s")
    d, st = res["dinglou"], res["startup"]
    c.print(f"Dinglou, 20 replicates, simulation: {d['simulation_20_replicates_seconds']:.3f} s "
            f"({d['simulation_20_replicates_no_panel_seconds']:.3f} s without the household "
            f"panel); Dinglou-size runs per second (batches of {d['batch_replicates']}): "
            f"{d['runs_per_second']:.0f}")
    c.print(f"compile on first call: {st['compile_seconds_first_call']:.1f} s; cached start "
            f"(import to first month): {st['cached_start_seconds']:.2f} s; "
            f"`taobao-sim run` Dinglou 20 replicates with files and figures: "
            f"{st['cli_run_20_replicates_seconds']:.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description="taobao-sim benchmarks")
    ap.add_argument("--quick", action="store_true", help="reduced version, under a minute")
    ap.add_argument("--out", type=Path,
                    help=f"where to write (default: {RESULTS.name}; with --quick "
                         f"{QUICK_RESULTS.name}, which is not tracked)")
    args = ap.parse_args()
    quick = args.quick
    args.out = args.out or (QUICK_RESULTS if quick else RESULTS)
    t0 = time.perf_counter()
    import numba

    res: dict = {
        "quick": quick,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
                    "platform": platform.platform(), "python": platform.python_version(),
                    "numba": numba.__version__, "numpy": np.__version__},
    }
    print("memory bandwidth...", flush=True)
    res["machine"]["memory"] = memory_bandwidth(0.5 if quick else 1.0)
    print("startup...", flush=True)
    res["startup"] = startup(1 if quick else 3)
    print("Dinglou...", flush=True)
    res["dinglou"] = dinglou(3 if quick else 5, 100 if quick else 500)
    print("scaling...", flush=True)
    sizes = [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000,
                                                    10_000_000]
    res["scaling"] = scaling(sizes, [1, 2])
    two = [r for r in res["scaling"] if r["threads"] == 2 and r["households"] >= 9_000]
    if two:
        cost = [1 / r["household_steps_per_s"] for r in two]
        res["flatness"] = {"largest": max(r["households"] for r in two),
                           "max_over_min": max(cost) / min(cost)}
    if not quick:
        print("whole 1e7 run...", flush=True)
        res["full_run"] = full_run(33_334)
    print("national run...", flush=True)
    res["national"] = national_runs(quick)
    print("yardstick...", flush=True)
    res["yardstick"] = yardstick(100_000 if quick else 1_000_000, 2 if quick else 3,
                                 34 if quick else 334)
    print("sweeps...", flush=True)
    res["sweeps"] = sweeps(quick)
    print("engines...", flush=True)
    res["engines"] = engines(["dinglou"] if quick else ["dinglou", "daiji"],
                             months=12 if quick else None)
    res["bench_seconds"] = time.perf_counter() - t0
    args.out.write_text(json.dumps(res, indent=2) + "\n")
    report(res)
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}"
          f" in {res['bench_seconds']:.0f} s")


if __name__ == "__main__":
    main()

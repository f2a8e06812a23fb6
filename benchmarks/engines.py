"""Fast engine against the Mesa engine, side by side in one run.

Each engine runs the same replicates of the same scenario (after a warm-up
that compiles the fast engine); the ratio is Mesa wall time / fast wall time.
Usage: python benchmarks/engines.py [--replicates N] [--scenarios dinglou daiji]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from taobao_sim import load_scenario, simulate
from taobao_sim.core.dates import format_month
from taobao_sim.engines.mesa import simulate_mesa

ROOT = Path(__file__).resolve().parents[1]


def compare(name: str, replicates: int, repeats: int = 3, months: int | None = None) -> dict:
    """Time both engines on a scenario (optionally only its first ``months``)."""
    s = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    if months is not None:
        s = s.replace(end=format_month(s.start + months - 1), targets="none")
    simulate(s, replicates=1, seed=1)  # compile / load the cache
    fast = min(_timed(lambda: simulate(s, replicates=replicates, seed=1, panel=False))
               for _ in range(repeats))
    slow = _timed(lambda: simulate_mesa(s, replicates=replicates, seed=1, panel=False))
    steps = s.households * s.months * replicates
    return {
        "scenario": name, "households": s.households, "months": s.months,
        "replicates": replicates,
        "fast_seconds": fast, "mesa_seconds": slow, "ratio_mesa_over_fast": slow / fast,
        "fast_household_steps_per_s": steps / fast, "mesa_household_steps_per_s": steps / slow,
    }


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--replicates", type=int, default=1)
    ap.add_argument("--scenarios", nargs="+", default=["dinglou", "daiji"])
    args = ap.parse_args()
    rows = [compare(n, args.replicates) for n in args.scenarios]
    for r in rows:
        print(f"{r['scenario']:8s} {r['households']:6d} households x {r['months']} months x "
              f"{r['replicates']}: fast {r['fast_seconds']:.3f} s, mesa {r['mesa_seconds']:.1f} s,"
              f" ratio {r['ratio_mesa_over_fast']:.0f}x")
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

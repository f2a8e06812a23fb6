"""The golden record: fingerprints of the shipped scenarios' outputs for fixed seeds.

``record.json`` holds, per case, a SHA-256 per column of the time series and of
the household panel, the first shops, and a few headline sums. ``make golden``
(``python -m tests.golden.cases``) rewrites it and prints how every headline
figure moved; commit the new record with a message that says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from taobao_sim import load_scenario, simulate
from taobao_sim.output import tables

from .fingerprint import column_hashes, headline

HERE = Path(__file__).resolve().parent
RECORD = HERE / "record.json"
SCENARIOS = HERE.parents[1] / "scenarios"

#: (scenario file under scenarios/, root seed, replicates)
CASES = (
    ("dinglou", 11, 3),
    ("dinglou", 2010, 2),
    ("daiji", 5, 2),
    ("policies/combined", 3, 2),
    ("policies/courier_subsidy", 3, 1),
    ("policies/no_ecommerce", 3, 1),
    ("policies/microcredit", 3, 1),
)


def case_id(name: str, seed: int, replicates: int) -> str:
    return f"{name}-s{seed}-r{replicates}"


def fingerprint(name: str, seed: int, replicates: int, engine: str = "numba") -> dict:
    """The fingerprint of one case, run on ``engine``."""
    out = simulate(load_scenario(SCENARIOS / f"{name}.toml"), replicates=replicates, seed=seed,
                   engine=engine)
    ts = tables.timeseries_table(out)
    return {"timeseries": column_hashes(ts),
            "households": column_hashes(tables.households_table(out)),
            "headline": headline(ts), "first_open": out.first_open.tolist()}


def differences(expected: dict, got: dict) -> list[str]:
    """What changed between two fingerprints of a case, in words."""
    lines = []
    for table in ("timeseries", "households"):
        moved = sorted(k for k in set(expected[table]) | set(got[table])
                       if expected[table].get(k) != got[table].get(k))
        if moved:
            lines.append(f"{table} columns changed: {', '.join(moved)}")
    if expected["first_open"] != got["first_open"]:
        lines.append("first shops changed")
    for key, old in expected["headline"].items():
        new = got["headline"].get(key, float("nan"))
        if old != new:
            change = f"{(new - old) / old:+.2%}" if old else "from 0"
            lines.append(f"  {key}: {old:,.6g} -> {new:,.6g} ({change})")
    return lines


def main() -> int:
    old = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    new = {case_id(*c): fingerprint(*c) for c in CASES}
    for key, got in new.items():
        lines = differences(old[key], got) if key in old else ["new case"]
        print(f"{key}: " + ("unchanged" if not lines else "\n  " + "\n  ".join(lines)))
    RECORD.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

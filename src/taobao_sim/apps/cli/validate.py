"""``taobao-sim validate``: check a scenario file and print what it resolves to."""

from __future__ import annotations

import argparse


def add(sub) -> None:
    p = sub.add_parser("validate", help="check a scenario file and print what it resolves to",
                       description="Load and validate a scenario file (with its extends chain) "
                                   "without running it.")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file (.toml)")


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...core import dates
    from ...io.scenario_file import load_scenario

    s = load_scenario(args.scenario)
    print(f"{s.path}: valid")
    print(f"  name {s.name}; {dates.format_month(s.start)} to {dates.format_month(s.end)} "
          f"({s.months} months); {len(s.villages)} villages, {s.households} households; "
          f"{s.replicates} replicates from seed {s.seed}; targets: {s.targets}")
    if len(s.sources) > 1:
        print("  extends: " + " -> ".join(p for p, _ in s.sources))
    print(f"  digest {s.digest()[:16]}")
    return 0

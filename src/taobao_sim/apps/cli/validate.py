"""``taobao-sim validate``: check a scenario file, a sweep spec or a calibration spec
and print what it resolves to, without running anything."""

from __future__ import annotations

import argparse


def add(sub) -> None:
    p = sub.add_parser("validate", help="check a scenario file or a spec without running it",
                       description="Load and validate a scenario file (with its extends "
                                   "chain), a sweep spec or a calibration spec (told apart "
                                   "by their keys: a spec names a 'scenario', a sweep spec "
                                   "has a [design]) and print what it resolves to. Every "
                                   "check a run makes before it starts is made here.")
    p.add_argument("file", metavar="FILE", help="scenario file or spec (.toml)")


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...core.errors import SpecError
    from ...io.shipped import resolve
    from ...io.toml_files import read_toml

    path = str(resolve(args.file))
    raw, _text = read_toml(path, SpecError)
    if isinstance(raw.get("scenario"), str):
        return _sweep(path) if "design" in raw else _calibration(path)
    return _scenario(path)


def _scenario(path: str) -> int:
    from ...core import dates
    from ...io.scenario_file import load_scenario

    s = load_scenario(path)
    print(f"{s.path}: valid scenario")
    print(f"  name {s.name}; {dates.format_month(s.start)} to {dates.format_month(s.end)} "
          f"({s.months} months); {len(s.villages)} villages, {s.households} households; "
          f"{s.replicates} replicates from seed {s.seed}; targets: {s.targets}")
    if len(s.sources) > 1:
        print("  extends: " + " -> ".join(p for p, _ in s.sources))
    print(f"  digest {s.digest()[:16]}")
    return 0


def _sweep(path: str) -> int:
    from ...experiments.sweep import load_sweep

    spec = load_sweep(path)
    points = len(spec.points())
    print(f"{spec.path}: valid sweep spec")
    print(f"  name {spec.name}; scenario {spec.scenario.name}; {spec.design.kind} design over "
          f"{', '.join(p.name for p in spec.parameters)}; {points:,} points x "
          f"{spec.replicates} replicates = {points * spec.replicates:,} runs")
    print(f"  digest {spec.digest()[:16]}")
    return 0


def _calibration(path: str) -> int:
    from ...experiments.calibrate import load_spec

    spec = load_spec(path)
    print(f"{spec.path}: valid calibration spec")
    print(f"  name {spec.name}; method {spec.method}; scenario {spec.scenario.name}; "
          f"free: {', '.join(spec.names)}; targets: "
          f"{', '.join(t.id for t in spec.targets if spec.weights.get(t.id, 0) > 0)}")
    print(f"  digest {spec.digest()[:16]}")
    return 0

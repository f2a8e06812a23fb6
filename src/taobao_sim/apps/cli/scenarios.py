"""``taobao-sim scenarios``: the scenarios and specs shipped with the package."""

from __future__ import annotations

import argparse
import textwrap


def add(sub) -> None:
    sub.add_parser("scenarios", help="list the scenarios and specs shipped with the package",
                   description="List the shipped scenario files, policy scenarios, sweep "
                               "specs and calibration specs. Any command that takes a file "
                               "also takes one of these names (taobao-sim run dinglou, "
                               "taobao-sim sweep sweeps/sobol); a file of that name in the "
                               "working folder comes first.")


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...io.shipped import SHIPPED, shipped

    kind = None
    for i, s in enumerate(shipped()):
        if s.kind != kind:
            kind = s.kind
            print(("\n" if i else "") + f"{kind} files:")
        # one line each, within 80 columns
        print(f"  {s.name:24s} {textwrap.shorten(s.description, 53, placeholder=' ...')}")
    print(f"\n(in {SHIPPED})")
    return 0

"""``taobao-sim keys``: every scenario key with its unit, default and range."""

from __future__ import annotations

import argparse


def add(sub) -> None:
    p = sub.add_parser("keys", help="list every scenario key with unit, default and range",
                       description="List every key a scenario file may hold.")
    p.add_argument("--markdown", action="store_true",
                   help="print the reference page docs/SCENARIO.md")


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...core import params

    if args.markdown:
        print(params.reference_markdown())
        return 0
    for p in params.ALL_PARAMS:
        default = p.default if p.default != "" else "-"
        print(f"{p.dotted:42s} {p.unit or '-':28s} default {default!s:12s} {p.range_text()}")
    return 0

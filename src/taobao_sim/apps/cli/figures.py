"""``taobao-sim figures``: regenerate the README's headline figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import REPLICATES, figure_format_flag, folder, shown


def add(sub) -> None:
    p = sub.add_parser("figures", help="regenerate the README's headline figures",
                       description="Run the shipped scenarios and write the figures the README "
                                   "shows (Dinglou, Daiji, policies) into DIR.")
    p.add_argument("folder", metavar="DIR", type=folder, nargs="?",
                   default=Path("results/figures"), help="default: results/figures")
    p.add_argument("--replicates", type=REPLICATES, default=20, metavar="N",
                   help="replicates per scenario (default: 20)")
    figure_format_flag(p)


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ..headline import make_headline_figures

    for path in make_headline_figures(args.folder, args.replicates, args.figure_format):
        print(shown(path))
    return 0

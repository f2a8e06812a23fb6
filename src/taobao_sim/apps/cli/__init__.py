"""The ``taobao-sim`` command: one module per subcommand, each with ``add(sub)`` (its
arguments) and ``execute(args, argv)`` (what it does).

Every error a user can cause (a bad scenario file, a bad flag) ends in one line
on standard error and exit status 2, before anything is written.
"""

from __future__ import annotations

import argparse
import os
import sys

from ...core.errors import TaobaoSimError
from ...core.lifeline import Interrupted, signals_as_interrupts
from . import (
    analyze,
    calibrate,
    compare,
    dashboard,
    figures,
    keys,
    run,
    scenarios,
    sweep,
    validate,
)
from .common import PROG, Parser, memory_limit, one_line

#: Subcommands in the order ``--help`` lists them.
COMMANDS = {m.__name__.rsplit(".", 1)[-1]: m for m in (
    run, calibrate, sweep, analyze, compare, dashboard, figures, validate, keys, scenarios)}

EPILOG = """\
Examples:
  taobao-sim run dinglou                                a shipped scenario by name
  taobao-sim run scenarios/dinglou.toml                 20 replicates, the scenario's seed
  taobao-sim run scenarios/daiji.toml --replicates 5 --seed 7 --threads 2
  taobao-sim calibrate scenarios/calibration/dinglou.toml
  taobao-sim sweep scenarios/sweeps/tipping_point.toml --workers 2
  taobao-sim analyze results/sweeps/tipping_point/<digest>
  taobao-sim compare scenarios/policies/*.toml --replicates 20
  taobao-sim dashboard                                  interactive page on localhost
  taobao-sim validate scenarios/my_variant.toml         check a file without running it
  taobao-sim keys                                       every scenario key with its unit
  taobao-sim scenarios                                  the shipped scenarios and specs

Exit status: 0 done; 2 bad input (a file, a spec or a flag), nothing written;
130 interrupted by Ctrl-C, 143 by SIGTERM, 129 by SIGHUP: nothing written but
finished work a sweep or calibration keeps for --resume (the message says so).
"""


def build_parser() -> argparse.ArgumentParser:
    from ...core.version import __version__

    parser = Parser(
        prog=PROG,
        description="Agent-based model of rural e-commerce (Taobao villages): households "
                    "start online shops, work for others' shops, migrate to the city or come "
                    "back; the model follows adoption, income, poverty and migration month by "
                    "month.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for module in COMMANDS.values():
        module.add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` (default: the process's arguments); return the exit
    status: 0 done, 2 bad input, 128 + the signal's number when interrupted."""
    with signals_as_interrupts():
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            if args.command is None:
                parser.print_help()
                return 2
            with memory_limit(getattr(args, "memory_limit", None)):
                return COMMANDS[args.command].execute(args, argv)
        except BrokenPipeError:
            # the reader went away (`taobao-sim keys | head`): not an error of ours;
            # point stdout at nothing so that the interpreter's final flush is quiet
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 141  # 128 + SIGPIPE, as shells report it
        except TaobaoSimError as exc:
            sys.stderr.write(f"{PROG}: error: {one_line(str(exc))}\n")
            return exc.exit_status
        except KeyboardInterrupt as exc:
            interruption = exc if isinstance(exc, Interrupted) else Interrupted()
            what = "interrupted" if interruption.signal_name == "SIGINT" else \
                f"stopped by {interruption.signal_name}"
            sys.stderr.write(f"{PROG}: {what}; "
                             f"{interruption.kept or 'nothing was written'}\n")
            return interruption.exit_status


__all__ = ["build_parser", "main"]

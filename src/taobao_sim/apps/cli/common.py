"""What every subcommand shares: one-line errors, number arguments, progress bars,
the target table, and how paths are shown."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

from ...output.format import number, year

PROG = "taobao-sim"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")
        sys.exit(2)


def whole(lo: int, hi: int, grouped: bool = True) -> Callable[[str], int]:
    """An argparse type: a whole number from ``lo`` to ``hi`` (messages write
    thousands separators if ``grouped``)."""
    f = "{:,}" if grouped else "{}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"is {f.format(value)}; expected {f.format(lo)} "
                                             f"to {f.format(hi)}")
        return value

    parse.__name__ = "whole number"
    return parse


def _param_range(key: str) -> Callable[[str], int]:
    from ...core.params import TOP_LEVEL

    p = next(p for p in TOP_LEVEL if p.key == key)
    return whole(int(p.lo), int(p.hi))


#: The flags that stand for a scenario's keys accept exactly the file's range.
REPLICATES = _param_range("replicates")
SEED = _param_range("seed")
THREADS = whole(1, 4096)
WORKERS = whole(0, 4096)
PORT = whole(1, 65535, grouped=False)


def folder(text: str) -> Path:
    """An argparse type: a folder to write under or read from (not empty, usable as
    a path; what is there is checked by the command)."""
    from ...io.files import path_text_problem

    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; expected a folder")
    problem = path_text_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return Path(text)


def memory_flag(p: argparse.ArgumentParser) -> None:
    """--memory-limit, for the commands that run the model."""
    p.add_argument("--memory-limit", type=gib, metavar="GIB",
                   help="refuse runs estimated to need more memory than this "
                        "(default: 80%% of the memory available when the run starts)")


def gib(text: str) -> float:
    """An argparse type: a positive number of GiB."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of GiB, got {text!r}") from None
    if not 0 < value < 2**40:
        raise argparse.ArgumentTypeError(f"is {text}; expected a positive number of GiB")
    return value


@contextlib.contextmanager
def memory_limit(value: float | None) -> Iterator[None]:
    """Within the block, the memory limit is ``value`` GiB (None: the default). Set
    in the environment, so that worker processes started within inherit it."""
    from ...core.resources import LIMIT_ENV

    if value is None:
        yield
        return
    old = os.environ.get(LIMIT_ENV)
    os.environ[LIMIT_ENV] = repr(value)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(LIMIT_ENV, None)
        else:
            os.environ[LIMIT_ENV] = old


def one_line(text: str, most: int = 400) -> str:
    """A message on one line: line breaks, NUL bytes and other control characters
    shown escaped (``\\n``, ``\\x00``), very long messages shortened in the middle."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= most else text[:most // 2] + " ... " + text[-most // 2:]


def command_line(argv: list[str] | None) -> list[str]:
    """The command as typed, for manifests."""
    return [PROG, *(argv if argv is not None else sys.argv[1:])]


def shown(path: Path) -> str:
    """A path relative to the working folder where possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


def check_threads(threads: int | None, flag: str = "--threads") -> None:
    import numba

    from ...core.errors import UsageError

    most = numba.config.NUMBA_NUM_THREADS
    if threads is not None and threads > most:
        raise UsageError(f"{flag} {threads}: this machine has {most} "
                         f"(numba's thread limit); expected 1 to {most}")


class Progress:
    """Context manager yielding a ``tick(stage, done, total, note)`` callback that
    drives one rich progress bar per stage on a terminal (silent otherwise, or
    with --quiet). ``transient`` bars vanish when done."""

    def __init__(self, quiet: bool, unit: str = "", transient: bool = True) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.unit = unit
        self.transient = transient
        self._bar = None
        self._tasks: dict[str, int] = {}

    def __enter__(self):
        if not self.enabled:
            return lambda stage, done, total, note="": None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("{task.description}"), BarColumn(),
                             TextColumn("{task.completed}/{task.total} " + self.unit),
                             TextColumn("{task.fields[note]}"), TimeRemainingColumn(),
                             console=Console(stderr=True), transient=self.transient)
        self._bar.__enter__()

        def tick(stage: str, done: int, total: int, note: str = "") -> None:
            if stage not in self._tasks:
                self._tasks[stage] = self._bar.add_task(stage, total=total, note=note)
            self._bar.update(self._tasks[stage], completed=done, total=total, note=note)

        return tick

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def print_table(name: str, rows: list, replicates: int, seconds: float,
                what: str = "simulation") -> None:
    """Print a target (or headline) table to standard output."""
    from rich.console import Console
    from rich.table import Table

    has_targets = any(r.met is not None for r in rows)
    title = (f"{name}: targets, {replicates} replicates" if has_targets
             else f"{name}: headline figures, {replicates} replicates")
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("", style="bold")
    table.add_column("figure")
    if has_targets:
        table.add_column("real")
    table.add_column("mean", justify="right")
    table.add_column("5-95%", justify="right")
    if has_targets:
        table.add_column("target")
        table.add_column("", justify="center")
    for r in rows:
        cells = [r.id, r.label]
        if has_targets:
            cells.append(r.real)
        fmt = year if r.unit == "year" else number
        spread = f"{fmt(r.p5)} - {fmt(r.p95)}" if r.n and r.p5 == r.p5 else "-"
        cells += [fmt(r.mean), spread]
        if has_targets:
            verdict = {True: "[green]met[/green]", False: "[red]MISSED[/red]", None: ""}
            cells += [r.tolerance, verdict[r.met]]
        table.add_row(*cells)
        if r.detail:
            table.add_row("", f"[dim]{r.detail}[/dim]", *[""] * (len(cells) - 2))
    console = Console(width=max(140, Console().width))
    console.print(table)
    if has_targets:
        judged = [r for r in rows if r.met is not None]
        met = sum(1 for r in judged if r.met)
        console.print(f"{met} of {len(judged)} targets met; {what} {seconds:.2f} s")
    else:
        console.print(f"{what} {seconds:.2f} s")

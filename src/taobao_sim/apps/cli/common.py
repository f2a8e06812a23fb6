"""What every subcommand shares: one-line errors, number arguments, progress bars,
the target table, and how paths are shown."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from ...output.format import number, year

PROG = "taobao-sim"


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def nonneg_int(text: str) -> int:
    """A whole number >= 0 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def pos_int(text: str) -> int:
    """A whole number >= 1 (argparse type)."""
    value = nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


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

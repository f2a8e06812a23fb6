"""What every subcommand shares: one-line errors, number arguments, progress bars,
the --format flag of figures, tables at the terminal's width, and how paths are
shown."""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

from ...figures import FORMATS
from ...output.format import by_unit, interval

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


def SHARE(text: str) -> float:  # noqa: N802 (an argparse type, named like the others)
    """An argparse type: a share above 0 and at most 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"is {text}; expected a share above 0 and at most 1")
    return value


SHARE.__name__ = "share"
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


def figure_format_flag(p: argparse.ArgumentParser) -> None:
    """--format, for the commands that draw figures (png, svg or pdf)."""
    p.add_argument("--format", dest="figure_format", choices=FORMATS, default=FORMATS[0],
                   help="file format of the figures: png (default, for screens and "
                        "reports), svg or pdf (vector graphics, for papers)")


def figure_writer(draw: Callable, fmt: str) -> Callable:
    """``draw(out, folder)`` writing its figures as ``fmt`` files: ``draw`` itself for
    the default format (png), else ``draw`` with ``fmt=fmt``."""
    return draw if fmt == FORMATS[0] else functools.partial(draw, fmt=fmt)


# -- tables on the terminal ----------------------------------------------------------------

def terminal():
    """A rich console on standard output at the terminal's own width (rich reads it
    from the terminal, or from COLUMNS; 80 columns when output is not a terminal)."""
    from rich.console import Console

    return Console()


def new_table(title: str):
    """A table in the style of every table the commands print: a rule under the
    header, no outer frame, two spaces between columns (narrow terminals keep
    their width for the figures)."""
    from rich import box
    from rich.table import Table

    return Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAD,
                 show_edge=False, pad_edge=False, collapse_padding=True)


def fit(table, console, weights: dict[int, float] | None = None) -> None:
    """Give the columns of ``table`` widths that fit the console, without breaking
    numbers: columns marked ``no_wrap`` keep their widest cell; the others wrap
    at spaces, never narrower than their longest word, and share the room left
    in proportion to ``weights`` (column index -> weight, default 1). A table
    that fits as it is, or cannot fit at all, is left to rich."""
    from rich.measure import Measurement

    wide = console.options.update_width(10**6)
    lo, hi = [], []
    for col in table.columns:
        col.width = None
        sizes = [Measurement.get(console, wide, cell) for cell in (col.header, *col.cells)]
        widest = max(m.maximum for m in sizes)
        lo.append(widest if col.no_wrap else max(m.minimum for m in sizes))
        hi.append(widest)
    room = console.width - (Measurement.get(console, wide, table).maximum - sum(hi))
    if sum(hi) <= room or sum(lo) > room:
        return
    weight = [0.0 if col.no_wrap else (weights or {}).get(k, 1.0)
              for k, col in enumerate(table.columns)]

    def widths(level: float) -> list[int]:
        return [min(h, max(low, int(level * w))) for low, h, w in zip(lo, hi, weight,
                                                                      strict=True)]

    low_level, high_level = 0.0, float(max(hi))
    for _ in range(50):  # the highest level whose widths still fit
        mid = (low_level + high_level) / 2
        low_level, high_level = (mid, high_level) if sum(widths(mid)) <= room else \
            (low_level, mid)
    for col, width in zip(table.columns, widths(low_level), strict=True):
        col.width = width


def print_table(name: str, rows: list, replicates: int, seconds: float,
                what: str = "simulation") -> None:
    """Print a target (or headline) table to standard output, at the terminal's
    width: the text columns wrap, the numbers never break."""
    has_targets = any(r.met is not None for r in rows)
    title = (f"{name}: targets, {replicates} replicates" if has_targets
             else f"{name}: headline figures, {replicates} replicates")
    table = new_table(title)
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("figure")
    if has_targets:
        table.add_column("real")
    # the interval wraps under the mean on narrow terminals
    table.add_column("mean [5-95%]", justify="right")
    if has_targets:
        table.add_column("target")
        table.add_column("", no_wrap=True)
    verdict = {True: "[green]met[/green]", False: "[red]MISSED[/red]", None: ""}
    for r in rows:
        cells = [escape(r.id), escape(r.label)]
        if has_targets:
            cells.append(escape(r.real))
        shown = by_unit(r.mean, r.unit)
        if r.n and r.p5 == r.p5:
            shown += f" [{interval(r.p5, r.p95, r.unit)}]"
        cells.append(escape(shown))
        if has_targets:
            cells += [escape(r.tolerance), verdict[r.met]]
        table.add_row(*cells)
        if r.detail:
            table.add_row("", f"[dim]{escape(r.detail)}[/dim]", *[""] * (len(cells) - 2))
    console = terminal()
    fit(table, console, {1: 2.0})  # the figure's label takes twice the others' share
    console.print(table)
    if has_targets:
        judged = [r for r in rows if r.met is not None]
        met = sum(1 for r in judged if r.met)
        console.print(f"{met} of {len(judged)} targets met; {what} {seconds:.2f} s")
    else:
        console.print(f"{what} {seconds:.2f} s")


def print_columns(title: str, labels: list[str], columns: list[tuple[str, list[str]]],
                  console=None, label_width: int = 24) -> None:
    """Print a table with one row per label and one column per (header, cells),
    as many tables as needed to fit the terminal: columns keep their widest cell
    (numbers never break) and each table holds as many as fit beside the labels,
    which wrap to no less than ``label_width`` characters (or their longest word)."""
    from rich.measure import Measurement

    console = console or terminal()
    wide = console.options.update_width(10**6)

    def widest(cells: list[str]) -> int:
        return max(Measurement.get(console, wide, c).maximum for c in cells)

    longest_word = max(Measurement.get(console, wide, label).minimum for label in labels)
    first = max(min(label_width, widest(labels)), longest_word)
    gap = 2  # the space between columns of new_table()
    groups: list[list[tuple[str, list[str]]]] = [[]]
    used = first
    for header, cells in columns:
        need = gap + widest([header, *cells])
        if groups[-1] and used + need > console.width:
            groups.append([])
            used = first
        groups[-1].append((header, cells))
        used += need
    start = 0
    for group in groups:
        which = f"{start + 1}" if len(group) == 1 else f"{start + 1}-{start + len(group)}"
        part = title if len(groups) == 1 else f"{title}; columns {which} of {len(columns)}"
        start += len(group)
        table = new_table(part)
        table.add_column("")
        for header, _cells in group:
            table.add_column(escape(header), justify="right", no_wrap=True)
        for k, label in enumerate(labels):
            table.add_row(escape(label), *[escape(cells[k]) for _header, cells in group])
        fit(table, console)
        console.print(table)


def escape(text: str) -> str:
    """Text shown as it is by rich (brackets, as in [5-95%], are not markup)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)

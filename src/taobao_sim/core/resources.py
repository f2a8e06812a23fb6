"""Will a run fit in this machine's memory? Checked before it starts.

A world or an ensemble within every key's range can still need more memory than
the machine has (10^7 villages of 10^5 households; 10^5 replicates of a county).
Instead of a MemoryError (or the kernel's OOM killer) minutes in, the tool
estimates what a run needs and refuses it with one line when that exceeds the
limit: by default 80% of the memory available when the run starts; the
environment variable ``TAOBAO_SIM_MEMORY_LIMIT_GIB`` (set by the command line's
``--memory-limit``) overrides it, e.g. on a machine with swap.
"""

from __future__ import annotations

import os

from .errors import TaobaoSimError

LIMIT_ENV = "TAOBAO_SIM_MEMORY_LIMIT_GIB"

#: Peak bytes per household of the fast engine's state (households, ties, the
#: kernel's buffers and the world being built), an upper bound of what
#: benchmarks/ measures.
BYTES_PER_HOUSEHOLD = 250

#: Bytes per village of the scenario's description (Python objects).
BYTES_PER_VILLAGE = 1_500

#: Recorded outputs exist up to four times at once (the kernel's arrays, their
#: per-universe copies and the derived tables).
OUTPUT_COPIES = 4


class ResourceError(TaobaoSimError):
    """A run that would need more memory than the limit allows."""


def available_bytes() -> int:
    """Memory available to new work now (``MemAvailable`` on Linux, else the
    physical memory), bytes."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - unknown platform
        return 2**63 - 1


def limit_bytes() -> tuple[int, str]:
    """The memory limit, bytes, and where it comes from (for messages)."""
    text = os.environ.get(LIMIT_ENV, "").strip()
    if text:
        try:
            gib = float(text)
        except ValueError:
            raise ResourceError(f"{LIMIT_ENV}={text!r}: expected a number of GiB") from None
        if not 0 < gib < 2**40:
            raise ResourceError(f"{LIMIT_ENV}={text!r}: expected a positive number of GiB")
        return int(gib * 2**30), f"the limit set to {gib:g} GiB"
    avail = available_bytes()
    return int(0.8 * avail), f"80% of the {avail / 2**30:.1f} GiB this machine has available"


#: Bytes per household of the Mesa engine (a Python object per household).
MESA_BYTES_PER_HOUSEHOLD = 5_000


def world_bytes(households: int, villages: int,
                per_household: int = BYTES_PER_HOUSEHOLD) -> int:
    """Bytes one universe's world needs (state, ties, village descriptions)."""
    return households * per_household + villages * BYTES_PER_VILLAGE


def run_bytes(households: int, villages: int, months: int, universes: int,
              panel_households: int, panel_years: int, metrics: int, panel_columns: int,
              per_household: int = BYTES_PER_HOUSEHOLD) -> int:
    """Bytes a batch of ``universes`` universes needs on the fast engine: the worlds,
    the monthly village series (float64) and the yearly household panel (float32).

    Args:
        households, villages: per universe.
        panel_households: households per universe the panel holds (0: no panel).
        per_household: bytes of state per household (the engine's).
    """
    state = universes * world_bytes(households, villages, per_household)
    series = months * villages * universes * metrics * 8
    panel = panel_years * panel_households * universes * panel_columns * 4
    return state + OUTPUT_COPIES * (series + panel)


def check_fits(needed: int, what: str, advice: str) -> None:
    """Raise :class:`ResourceError` if ``needed`` bytes exceed the memory limit.

    Args:
        what: what needs it, e.g. "1,000 replicates of 13,823 households over 120 months".
        advice: what to change, e.g. "run fewer replicates".
    """
    limit, source = limit_bytes()
    if needed > limit:
        raise ResourceError(f"{what} needs about {needed / 2**30:,.1f} GiB of memory, more "
                            f"than {source}; {advice}, or raise the limit with "
                            f"--memory-limit GIB ({LIMIT_ENV})")

"""The headline figures the README shows (``make results``): the Dinglou story,
the spread through Daiji, and the policy comparison, regenerated from the
shipped scenarios."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..engines import simulate
from ..experiments.compare import MEASURES, compare
from ..figures import run as run_figures
from ..figures.compare import comparison_figures
from ..figures.style import check_format, figure_path, save
from ..io.scenario_file import load_scenario
from ..io.shipped import SHIPPED

FIGURES = ("dinglou_adoption.png", "dinglou_poverty.png", "dinglou_migration.png",
           "dinglou_sales.png", "daiji_spread.png", "policies.png", "policies_poverty.png")


def make_headline_figures(out: Path, replicates: int = 20,
                          fmt: str = "png") -> list[Path]:
    """Write the README's figures into ``out`` as ``fmt`` files (png, svg or pdf; the
    names of :data:`FIGURES` with that suffix), from the shipped scenarios."""
    out = Path(out)
    check_format(fmt)  # before the runs
    out.mkdir(parents=True, exist_ok=True)
    scen = SHIPPED
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        dinglou = simulate(load_scenario(scen / "dinglou.toml"), replicates=replicates)
        (tmp / "dinglou").mkdir()
        for path in run_figures.run_figures(dinglou, tmp / "dinglou", fmt):
            written.append(_copy(path, out / f"dinglou_{path.name}"))
        daiji = simulate(load_scenario(scen / "daiji.toml"), replicates=max(2, replicates // 4),
                         panel=False)
        spread = figure_path(out, "daiji_spread", fmt)
        save(run_figures.spread(daiji), spread)
        written.append(spread)
        names = ["baseline", "no_ecommerce", "transfers_only", "training", "microcredit",
                 "courier_subsidy", "early_broadband", "combined"]
        cmp = compare([load_scenario(scen / "policies" / f"{n}.toml") for n in names],
                      replicates=replicates)
        bars, poverty = comparison_figures(cmp, MEASURES, tmp, fmt)
        written.append(_copy(bars, figure_path(out, "policies", fmt)))
        written.append(_copy(poverty, figure_path(out, "policies_poverty", fmt)))
    return written


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst

"""Figures of a run: the ensemble mean with a 5-95% band, and the real figures
marked where the scenario has targets (read from :mod:`taobao_sim.output.targets`).

The figures describe the focus village when the scenario has targets, and the
whole world otherwise (plus a map and a count of Taobao villages when there is
more than one village). Each drawing function returns its figure;
:func:`run_figures` writes them all as png, svg or pdf files.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..core.run_output import RunOutput
from ..output import metrics
from ..output.targets import FIRST_SHOP_YEAR, HEZE_YEAR, POVERTY_EXIT_YEAR, TARGETS_BY_ID
from .style import (
    BAND,
    COLOURS,
    band,
    figure_path,
    finish,
    month_x,
    plain_ticks,
    save,
    subplots,
    year_axis,
    year_ticks,
    year_x,
)


def _years(out: RunOutput) -> tuple[int, int]:
    """The first and last calendar years of a run (for its time axis)."""
    return int(out.months[0] // 12), int(out.months[-1] // 12)


def _focus(out: RunOutput) -> tuple[int | None, str]:
    s = out.scenario
    if s.targets != "none" or len(out.village_names) == 1:
        name = s.focus_village
        return metrics.village_index(out, name), name
    return None, f"{s.name} ({len(out.village_names)} villages)"


def run_figures(out: RunOutput, folder: Path, fmt: str = "png") -> list[Path]:
    """Write the standard figures of a run into ``folder`` as ``fmt`` files (png, svg
    or pdf); return their paths."""
    folder = Path(folder)
    drawings = [("adoption", adoption), ("poverty", poverty), ("migration", migration),
                ("sales", sales)]
    if len(out.village_names) > 1:
        drawings.append(("spread", spread))
    if len({v.county for v in out.scenario.villages if v.county}) > 1:
        drawings.append(("counties", counties))
    paths = []
    for name, draw in drawings:
        path = figure_path(folder, name, fmt)  # checks fmt before anything is drawn
        save(draw(out), path)
        paths.append(path)
    return paths


def _caption(out: RunOutput) -> str:
    return (f"taobao-sim, scenario '{out.scenario.name}', {len(out.seeds)} replicates, "
            f"{out.engine} engine")


def adoption(out: RunOutput) -> Figure:
    """Adoption S-curve: share of households engaged and share running a shop."""
    v, where = _focus(out)
    x = month_x(out.months)
    fig, ax = subplots(figsize=(8, 4.8))
    hh = metrics.series(out, "households", v)
    band(ax, x, metrics.series(out, "engaged", v) / hh, COLOURS["main"],
         "engaged in the trade (shop or industry job)")
    band(ax, x, metrics.series(out, "sellers", v) / hh, COLOURS["second"], "running a shop")
    if out.scenario.targets == "dinglou":
        d4 = TARGETS_BY_ID["D4"]
        ax.errorbar(month_x([2018 * 12 + 11]), [d4.center],
                    yerr=[[d4.center - d4.lower], [d4.upper - d4.center]],
                    fmt="D", color=COLOURS["real"], capsize=4,
                    label=f"real: {d4.real} engaged in 2018-19 (target {d4.tolerance})")
        ax.axvspan(FIRST_SHOP_YEAR, FIRST_SHOP_YEAR + 1, color=COLOURS["real"], alpha=0.08,
                   label=f"real: first online shop, {FIRST_SHOP_YEAR}")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("year")
    ax.set_ylabel("share of households")
    return finish(fig, ax, f"Online selling in {where}", _caption(out), years=_years(out))


def poverty(out: RunOutput) -> Figure:
    """Poverty incidence at each assessment (December), with the official exit line
    (2%) and the real exit year."""
    v, where = _focus(out)
    years, share = metrics.incidence(out, v)
    x = year_x(years)
    fig, ax = subplots(figsize=(8, 4.8))
    lo, hi = np.percentile(share, BAND, axis=0)
    ax.bar(x, share.mean(axis=0), color=COLOURS["main"], alpha=0.8, width=0.7,
           label="poverty incidence: people in poor households (mean of replicates)")
    ax.vlines(x, lo, hi, color="black", lw=1.2, label="5-95% of replicates")
    ax.axhline(metrics.EXIT_INCIDENCE, color=COLOURS["grey"], ls=":", lw=1.2,
               label="official exit line: incidence under 2%")
    if out.scenario.targets == "dinglou":
        # at the start of the exit year: its assessment is the first under the line
        ax.axvline(POVERTY_EXIT_YEAR, color=COLOURS["real"], ls="--", lw=1.5,
                   label=f"real: whole village out of poverty in {POVERTY_EXIT_YEAR}")
    ax.set_xlabel("year (assessment in December on the year's income)")
    ax.set_ylabel("share of registered residents in poor households")
    ax.set_ylim(bottom=0)
    return finish(fig, ax, f"Poverty in {where}", _caption(out), years=_years(out))


def migration(out: RunOutput) -> Figure:
    """People away in the city (line) and people returning per year (bars)."""
    v, where = _focus(out)
    fig, ax = subplots(figsize=(8, 4.8))
    band(ax, month_x(out.months), metrics.series(out, "migrants", v), COLOURS["main"],
         "people away in the city")
    years, returns = metrics.yearly(out, "returns", v)
    ax.bar(year_x(years), returns.mean(axis=0), width=0.7, color=COLOURS["second"],
           alpha=0.75, label="people returning in the year (mean)")
    if out.scenario.targets == "dinglou":
        sel = (years >= 2014) & (years <= 2018)
        total = returns[:, sel].sum(axis=1).mean()
        ax.axvspan(2014, 2019, color=COLOURS["real"], alpha=0.06,
                   label=f"real: {TARGETS_BY_ID['D8'].real} returned 2014-2018 "
                         f"(simulated: {total:.0f})")
    ax.set_xlabel("year")
    ax.set_ylabel("people")
    ax.set_ylim(bottom=0)
    return finish(fig, ax, f"Migration in {where}", _caption(out), years=_years(out))


def sales(out: RunOutput) -> Figure:
    """Online sales per year in million US dollars (log scale)."""
    v, where = _focus(out)
    years, yuan = metrics.yearly(out, "sales_yuan", v)
    fx = np.array([out.scenario.series.values["yuan_per_usd"].get(int(y), np.nan)
                   for y in years])
    usd = yuan / fx[None, :] / 1e6
    x = year_x(years)
    fig, ax = subplots(figsize=(8, 4.8))
    mean = usd.mean(axis=0)
    lo, hi = np.percentile(usd, BAND, axis=0)
    ax.fill_between(x, np.maximum(lo, 1e-4), np.maximum(hi, 1e-4),
                    color=COLOURS["main"], alpha=0.22, lw=0)
    ax.plot(x, np.maximum(mean, 1e-4), "o-", color=COLOURS["main"], lw=2,
            label="simulated (mean, 5-95% band)")
    if out.scenario.targets == "dinglou":
        d6 = TARGETS_BY_ID["D6"]
        ax.errorbar(year_x([2018]), [d6.center],
                    yerr=[[d6.center - d6.lower], [d6.upper - d6.center]],
                    fmt="D", color=COLOURS["real"], capsize=4,
                    label=f"real: {d6.real} million dollars in 2018 (target {d6.tolerance})")
    ax.set_yscale("log")
    plain_ticks(ax, "y")
    ax.set_xlabel("year")
    ax.set_ylabel("online sales, million US dollars per year")
    return finish(fig, ax, f"Online sales in {where}", _caption(out), years=_years(out))


def taobao_year(out: RunOutput, replicate: int | None = None) -> np.ndarray:
    """The year each village first met the Taobao-village rule in one replicate
    (index ``replicate``), or by default the median over replicates; NaN for villages
    that never met it (by default: in half of the replicates or fewer)."""
    years, status = metrics.taobao_villages(out)
    ever = status.any(axis=1)
    first = np.where(ever, years[np.argmax(status, axis=1)], np.inf)  # (universes, villages)
    chosen = np.median(first, axis=0) if replicate is None else first[replicate]
    return np.where(np.isfinite(chosen), chosen, np.nan)


def spread(out: RunOutput) -> Figure:
    """Map of villages coloured by the year they became Taobao villages, and the
    number of Taobao villages and towns per year (with H1 and H2 for Heze)."""
    s = out.scenario
    xy = np.array([[v.x_km, v.y_km] for v in s.villages])
    # one replicate: where independent discoveries happen differs between replicates,
    # so a median would show only the villages every replicate agrees on
    first = taobao_year(out, replicate=0)
    years, status = metrics.taobao_villages(out)
    n_tv = status.sum(axis=2)
    _, _, towns = metrics.taobao_towns(out)
    n_towns = towns.sum(axis=2)
    fig, (ax1, ax2) = subplots(1, 2, figsize=(12, 5.2), gridspec_kw={"width_ratios": [1.1, 1]})
    many = len(xy) > 200
    size = (3 if many else 30) + (12 if many else 120) * out.village_households \
        / out.village_households.max()
    never = ~np.isfinite(first)
    ax1.scatter(xy[never, 0], xy[never, 1], s=size[never], color="#dddddd", lw=0,
                label=f"not a Taobao village by {years[-1]}")
    sc = ax1.scatter(xy[~never, 0], xy[~never, 1], c=first[~never], s=size[~never] * 1.5,
                     cmap="plasma", vmin=years[0], vmax=years[-1],
                     edgecolors="black", linewidths=0.2 if many else 0.5)
    focus = metrics.village_index(out, s.focus_village)
    # village names in Chinese characters need a CJK font that may be missing
    label = s.focus_village if s.focus_village.isascii() else "focus village"
    ax1.annotate(label, xy[focus], xytext=(6, 6), textcoords="offset points", fontsize=9,
                 weight="bold")
    bar = fig.colorbar(sc, ax=ax1, label="year it became a Taobao village")
    year_ticks(bar.ax.yaxis)
    ax1.set_xlabel("east-west, km")
    ax1.set_ylabel("north-south, km")
    ax1.set_aspect("equal", adjustable="datalim")
    ax1.legend(fontsize=8, loc="lower left", frameon=False)
    ax1.set_title(f"Villages (size: households), replicate {out.replicate_ids[0]}",
                  fontsize=11, loc="left")
    for data, colour, label in ((n_tv, COLOURS["main"], "Taobao villages"),
                                (n_towns, COLOURS["second"], "Taobao towns")):
        lo, hi = np.percentile(data, BAND, axis=0)
        ax2.fill_between(year_x(years), lo, hi, color=colour, alpha=0.22, lw=0)
        ax2.plot(year_x(years), data.mean(axis=0), "o-", color=colour, ms=4,
                 label=f"{label} (mean, 5-95% band)")
    if s.targets == "heze":
        for tid, colour in (("H1", COLOURS["main"]), ("H2", COLOURS["second"])):
            t = TARGETS_BY_ID[tid]
            ax2.errorbar(year_x([HEZE_YEAR]) + 0.15, [t.center],
                         yerr=[[t.center - t.lower], [t.upper - t.center]], fmt="D",
                         color=COLOURS["real"], mec=colour, capsize=4,
                         label=f"real {tid}: {t.real} in {HEZE_YEAR} (target {t.tolerance})")
    ax2.set_xlabel("year")
    ax2.set_ylabel("count (AliResearch rules)")
    ax2.set_ylim(bottom=0)
    ax2.grid(alpha=0.3, axis="y")
    year_axis(ax2, *_years(out))
    ax2.legend(fontsize=8.5, loc="upper left", frameon=False)
    ax2.set_title("Taobao villages and towns", fontsize=11, loc="left")
    fig.text(0.99, 0.01, _caption(out), fontsize=7, color=COLOURS["grey"], ha="right")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def counties(out: RunOutput) -> Figure:
    """Taobao villages per year in each county (mean of replicates, 5-95% band)."""
    years, status = metrics.taobao_villages(out)
    names, per_county = metrics.by_county(out, status.astype(float))
    order = np.argsort(-per_county[:, -1].mean(axis=0))
    fig, ax = subplots(figsize=(8, 4.8))
    cmap = matplotlib.colormaps["tab10"]
    for rank, c in enumerate(order):
        data = per_county[:, :, c]
        lo, hi = np.percentile(data, BAND, axis=0)
        ax.fill_between(year_x(years), lo, hi, color=cmap(rank % 10), alpha=0.15, lw=0)
        ax.plot(year_x(years), data.mean(axis=0), "o-", ms=3, color=cmap(rank % 10),
                label=names[c])
    ax.set_xlabel("year")
    ax.set_ylabel("Taobao villages")
    ax.set_ylim(bottom=0)
    return finish(fig, ax, "Taobao villages by county", _caption(out), years=_years(out))

"""The figures a run is judged by: Dinglou targets D1-D8, or headline figures.

Each target gives one value per replicate; the table reports the ensemble mean
and the 5-95% range of those values, and whether the ensemble meets the
tolerance in docs/TARGETS.md. Where a target is a share of replicates (D2, D5)
the value per replicate is 0 or 1 and the mean is that share.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from . import dates, kernel, metrics
from .engine import RunOutput


@dataclass(frozen=True)
class TargetRow:
    """One line of a target table.

    Attributes:
        id: "D1".."D8", or a short key for headline figures.
        label: what is measured, with unit.
        real: the real figure, as text ("" for headline figures).
        mean: ensemble mean of the per-replicate values (NaN if none).
        p5, p95: 5th and 95th percentiles of the per-replicate values.
        tolerance: the rule for "met", as text ("" for headline figures).
        met: True/False, or None for headline figures.
        n: replicates that gave a value.
        detail: more about the figure, e.g. the spread behind a share.
    """

    id: str
    label: str
    real: str
    mean: float
    p5: float
    p95: float
    tolerance: str
    met: bool | None
    n: int
    detail: str = ""

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("mean", "p5", "p95"):
            d[k] = None if not np.isfinite(d[k]) else float(d[k])
        return d


def _stats(values: np.ndarray) -> tuple[float, float, float, int]:
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan"), float("nan"), float("nan"), 0
    return float(v.mean()), float(np.percentile(v, 5)), float(np.percentile(v, 95)), v.size


def _row(id_: str, label: str, real: str, values: np.ndarray, tolerance: str,
         lo: float | None, hi: float | None, detail: str = "", share: bool = False) -> TargetRow:
    """A target row; ``share=True`` for 0/1 values per replicate, whose percentiles
    say nothing and are left out."""
    mean, p5, p95, n = _stats(values)
    if share:
        p5 = p95 = float("nan")
    met = n > 0 and (lo is None or mean >= lo) and (hi is None or mean <= hi)
    return TargetRow(id_, label, real, mean, p5, p95, tolerance, bool(met), n, detail)


def _months_of_year(out: RunOutput, year: int) -> np.ndarray:
    return (out.months // 12) == year


def dinglou_targets(out: RunOutput) -> list[TargetRow]:
    """Targets D1-D8 for the scenario's focus village (docs/TARGETS.md)."""
    s = out.scenario
    v = metrics.village_index(out, s.focus_village)
    U = out.metrics.shape[0]
    fx2018 = s.series.get("yuan_per_usd", 2018)
    rows: list[TargetRow] = []

    households = out.metrics[:, 0, v, kernel.M_HOUSEHOLDS]
    rows.append(_row("D1", "households", "330", households, "exactly 330", 330, 330))

    first_month = out.first_open[:, v, 0]
    first_year = np.where(first_month >= 0, (out.months[0] + first_month) // 12, np.nan)
    in_2010 = (first_year == 2010).astype(float)
    _mean, p5_y, p95_y, n_y = _stats(first_year)
    rows.append(_row("D2", "first shop opens in 2010, share of replicates", "2010", in_2010,
                     ">= 0.80", 0.8, None,
                     detail=f"first-shop year {p5_y:.0f}-{p95_y:.0f} (5-95%); "
                     f"{U - n_y} replicates without a shop" if n_y else "no shop opened",
                     share=True))

    profit_2010 = np.full(U, np.nan)
    if out.panel is not None and 2010 in out.years:
        yi = int(np.flatnonzero(out.years == 2010)[0])
        offset = int(np.sum(out.village_households[:v]))
        for u in range(U):
            if first_year[u] == 2010:
                profit_2010[u] = out.panel[u, yi, offset + out.first_open[u, v, 1],
                                           kernel.H_PROFIT]
    rows.append(_row("D3", "first shop's 2010 profit, yuan", "7,000", profit_2010,
                     "3,500-14,000", 3500, 14000))

    dec2018 = np.flatnonzero(out.months == 2018 * 12 + 11)
    engaged = out.metrics[:, dec2018[0], v, kernel.M_ENGAGED] / households if dec2018.size \
        else np.full(U, np.nan)
    rows.append(_row("D4", "share of households engaged, Dec 2018", "about 0.90", engaged,
                     "0.85-0.95", 0.85, 0.95))

    poor_late = np.zeros(U)
    poor_early = np.zeros(U)
    for year in (2016, 2017, 2018):
        sel = np.flatnonzero(out.months == year * 12 + 11)
        poor_late += out.metrics[:, sel[0], v, kernel.M_POOR] if sel.size else np.nan
    for year in (2009, 2010, 2011):
        sel = np.flatnonzero(out.months == year * 12 + 11)
        if sel.size:
            poor_early += out.metrics[:, sel[0], v, kernel.M_POOR]
    exit_ok = ((poor_late == 0) & (poor_early > 0)).astype(float)
    rows.append(_row("D5", "no poor household 2016-18 and some before 2012, share of "
                     "replicates", "out of poverty in 2016", exit_ok, ">= 0.90", 0.9, None,
                     detail=f"poor households 2009-11 assessments: {poor_early.mean():.1f}, "
                     f"2016-18: {poor_late.mean():.2f} (ensemble means, summed over years)",
                     share=True))

    sales_2018 = out.metrics[:, _months_of_year(out, 2018), v, kernel.M_SALES].sum(axis=1)
    rows.append(_row("D6", "online sales 2018, million USD", "about 58",
                     sales_2018 / fx2018 / 1e6, "46-70", 46, 70))

    largest = np.full(U, np.nan)
    if out.panel is not None and 2018 in out.years:
        yi = int(np.flatnonzero(out.years == 2018)[0])
        lo = int(np.sum(out.village_households[:v]))
        hi = lo + int(out.village_households[v])
        largest = np.nanmax(out.panel[:, yi, lo:hi, kernel.H_SALES], axis=1)
    rows.append(_row("D7", "largest shop's 2018 sales, million USD", "about 1.2",
                     largest / fx2018 / 1e6, "0.6-2.4", 0.6, 2.4))

    returns = out.metrics[:, (out.months >= 2014 * 12) & (out.months < 2019 * 12), v,
                          kernel.M_RETURNS].sum(axis=1)
    rows.append(_row("D8", "people returning home 2014-2018", "over 200", returns,
                     ">= 200", 200, None))
    return rows


def headline_figures(out: RunOutput) -> list[TargetRow]:
    """Headline figures of any scenario, for the whole world (no tolerances)."""
    last = out.months[-1]
    last_year = dates.year_of(int(last))
    years, status = metrics.taobao_villages(out)
    n_tv = status.sum(axis=2).astype(float)  # (universes, years)
    first_tv = np.where(n_tv.any(axis=1), years[np.argmax(n_tv > 0, axis=1)], np.nan)
    households = metrics.series(out, "households")[:, -1]
    shops_by_village = out.metrics[:, -1, :, kernel.M_SHOPS]

    def row(id_: str, label: str, values: np.ndarray) -> TargetRow:
        mean, p5, p95, n = _stats(values)
        return TargetRow(id_, label, "", mean, p5, p95, "", None, n)

    end = dates.format_month(int(last))
    return [
        row("households", "households", households),
        row("participation", f"share of households engaged, {end}",
            metrics.series(out, "participation")[:, -1]),
        row("shops", f"shops selling, {end}", metrics.series(out, "shops")[:, -1]),
        row("sales", f"online sales {last_year}, million yuan",
            metrics.yearly(out, "sales_yuan")[1][:, -1] / 1e6),
        row("poor", "poor households at the last assessment", metrics.series(out, "poor")[:, -1]),
        row("migrants", f"people away in the city, {end}", metrics.series(out, "migrants")[:, -1]),
        row("returns", "people returning home over the run",
            metrics.series(out, "returns").sum(axis=1)),
        row("selling_villages", f"villages with a shop, {end}",
            (shops_by_village > 0).sum(axis=1).astype(float)),
        row("taobao_villages", f"Taobao villages {last_year}", n_tv[:, -1]),
        row("first_taobao_village", "first year with a Taobao village", first_tv),
    ]


def target_table(out: RunOutput) -> list[TargetRow]:
    """The table a run reports: D1-D8 for Dinglou-target scenarios, else headlines."""
    if out.scenario.targets == "dinglou":
        return dinglou_targets(out)
    return headline_figures(out)

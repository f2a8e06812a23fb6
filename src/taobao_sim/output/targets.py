"""The figures a run is judged by: Dinglou targets D1-D8, or headline figures.

Each target gives one value per replicate; the table reports the ensemble mean
and the 5-95% range of those values, and whether the ensemble meets the
tolerance in docs/TARGETS.md. Where a target is a share of replicates (D2, D5)
the value per replicate is 0 or 1 and the mean is that share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ..core import dates
from ..core.records import H, M
from ..core.run_output import RunOutput
from . import metrics

#: The real Dinglou figures that are years (docs/TARGETS.md); the others are in the
#: targets below (``real``, ``center`` and bounds), which figures read too.
FIRST_SHOP_YEAR = 2010
POVERTY_EXIT_YEAR = 2016


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


@dataclass(frozen=True)
class Target:
    """A calibration target: a figure computed for each replicate, its ensemble
    statistic (the mean, or for 0/1 figures the share of replicates), and the
    tolerance that counts as "reproduced".

    Attributes:
        id, label, real, tolerance: as in the target table.
        values: ``values(out, village) -> array`` of one figure per universe.
        lower, upper: the statistic is met if ``lower <= stat <= upper`` (None: open).
        center: the real figure (interval targets), for the calibration distance.
        log: compare on a log scale (figures known to a factor, e.g. 3,500-14,000).
        scale: for one-sided targets, the shortfall counted as one unit of distance.
        share: the per-replicate figures are 0/1 and the statistic is their share.
        calibrate: False for figures no parameter can change (the number of households).
    """

    id: str
    label: str
    real: str
    tolerance: str
    values: Callable[[RunOutput, int], np.ndarray]
    lower: float | None
    upper: float | None
    center: float | None = None
    log: bool = False
    scale: float = 1.0
    share: bool = False
    calibrate: bool = True

    def statistic(self, values: np.ndarray) -> float:
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else float("nan")

    def met(self, stat: float) -> bool:
        if not np.isfinite(stat):
            return False
        return (self.lower is None or stat >= self.lower) and \
            (self.upper is None or stat <= self.upper)

    def deviation(self, stat: float) -> float:
        """Signed distance from the target in units of its tolerance: within
        [-1, 1] inside an interval, 0 when a one-sided target is met. NaN (no
        value at all) counts as 10."""
        if not np.isfinite(stat):
            return 10.0
        f = np.log if self.log else (lambda x: x)
        if self.lower is not None and self.upper is not None:
            if self.upper == self.lower:
                return (stat - self.lower) / self.scale
            center = self.center if self.center is not None else 0.5 * (self.lower + self.upper)
            if self.log and stat <= 0:
                return -10.0
            return float((f(stat) - f(center)) / (0.5 * (f(self.upper) - f(self.lower))))
        if self.lower is not None:
            return float(max(0.0, (self.lower - stat) / self.scale))
        return float(max(0.0, (stat - self.upper) / self.scale))

    def row(self, out: RunOutput, village: int, detail: str = "") -> TargetRow:
        values = self.values(out, village)
        mean, p5, p95, n = _stats(values)
        if self.share:
            p5 = p95 = float("nan")
        return TargetRow(self.id, self.label, self.real, mean, p5, p95, self.tolerance,
                         self.met(mean) if n else False, n, detail)


def _december(out: RunOutput, year: int) -> int | None:
    sel = np.flatnonzero(out.months == year * 12 + 11)
    return int(sel[0]) if sel.size else None


def _households(out: RunOutput, v: int) -> np.ndarray:
    return out.metrics[:, 0, v, M.HOUSEHOLDS]


def _first_shop_year(out: RunOutput, v: int) -> np.ndarray:
    first = out.first_open[:, v, 0]
    return np.where(first >= 0, (out.months[0] + first) // 12, np.nan)


def _first_in_2010(out: RunOutput, v: int) -> np.ndarray:
    return (_first_shop_year(out, v) == FIRST_SHOP_YEAR).astype(float)


def _first_profit_2010(out: RunOutput, v: int) -> np.ndarray:
    U = out.metrics.shape[0]
    profit = np.full(U, np.nan)
    if out.panel is None or 2010 not in out.years:
        return profit
    yi = int(np.flatnonzero(out.years == 2010)[0])
    offset = int(np.sum(out.village_households[:v]))
    first_year = _first_shop_year(out, v)
    for u in range(U):
        if first_year[u] == 2010:
            profit[u] = out.panel[u, yi, offset + out.first_open[u, v, 1], H.SHOP_PROFIT_YUAN]
    return profit


def _engaged_2018(out: RunOutput, v: int) -> np.ndarray:
    t = _december(out, 2018)
    if t is None:
        return np.full(out.metrics.shape[0], np.nan)
    return out.metrics[:, t, v, M.ENGAGED] / _households(out, v)


def _poor_in(out: RunOutput, v: int, years: tuple[int, ...]) -> np.ndarray:
    total = np.zeros(out.metrics.shape[0])
    for year in years:
        t = _december(out, year)
        total += out.metrics[:, t, v, M.POOR] if t is not None else np.nan
    return total


def _poverty_exit(out: RunOutput, v: int) -> np.ndarray:
    late = _poor_in(out, v, (2016, 2017, 2018))
    early = _poor_in(out, v, (2009, 2010, 2011))
    return ((late == 0) & (early > 0)).astype(float)


def _sales_2018_musd(out: RunOutput, v: int) -> np.ndarray:
    fx = out.scenario.series.get("yuan_per_usd", 2018)
    sel = (out.months // 12) == 2018
    return out.metrics[:, sel, v, M.SALES_YUAN].sum(axis=1) / fx / 1e6


def _largest_shop_2018_musd(out: RunOutput, v: int) -> np.ndarray:
    if out.panel is None or 2018 not in out.years:
        return np.full(out.metrics.shape[0], np.nan)
    fx = out.scenario.series.get("yuan_per_usd", 2018)
    yi = int(np.flatnonzero(out.years == 2018)[0])
    lo = int(np.sum(out.village_households[:v]))
    hi = lo + int(out.village_households[v])
    return np.nanmax(out.panel[:, yi, lo:hi, H.SHOP_SALES_YUAN], axis=1) / fx / 1e6


def _returns_2014_2018(out: RunOutput, v: int) -> np.ndarray:
    sel = (out.months >= 2014 * 12) & (out.months < 2019 * 12)
    return out.metrics[:, sel, v, M.RETURNS].sum(axis=1)


#: Targets D1-D8 (docs/TARGETS.md), for the scenario's focus village.
DINGLOU_TARGETS: tuple[Target, ...] = (
    Target("D1", "households", "330", "exactly 330", _households, 330, 330, center=330,
           calibrate=False),
    Target("D2", f"first shop opens in {FIRST_SHOP_YEAR}, share of replicates",
           str(FIRST_SHOP_YEAR), ">= 0.80",
           _first_in_2010, 0.8, None, scale=0.2, share=True),
    Target("D3", "first shop's 2010 profit, yuan", "7,000", "3,500-14,000",
           _first_profit_2010, 3500, 14000, center=7000, log=True),
    Target("D4", "share of households engaged, Dec 2018", "about 0.90", "0.85-0.95",
           _engaged_2018, 0.85, 0.95, center=0.90),
    Target("D5", "no poor household 2016-18 and some before 2012, share of replicates",
           f"out of poverty in {POVERTY_EXIT_YEAR}", ">= 0.90", _poverty_exit, 0.9, None,
           scale=0.1,
           share=True),
    Target("D6", "online sales 2018, million USD", "about 58", "46-70", _sales_2018_musd,
           46, 70, center=58),
    Target("D7", "largest shop's 2018 sales, million USD", "about 1.2", "0.6-2.4",
           _largest_shop_2018_musd, 0.6, 2.4, center=1.2, log=True),
    Target("D8", "people returning home 2014-2018", "over 200", ">= 200", _returns_2014_2018,
           200, None, scale=100),
)

TARGETS_BY_ID = {t.id: t for t in DINGLOU_TARGETS}


def dinglou_targets(out: RunOutput) -> list[TargetRow]:
    """Targets D1-D8 for the scenario's focus village (docs/TARGETS.md)."""
    v = metrics.village_index(out, out.scenario.focus_village)
    first_year = _first_shop_year(out, v)
    _mean, p5_y, p95_y, n_y = _stats(first_year)
    U = len(first_year)
    details = {
        "D2": (f"first-shop year {p5_y:.0f}-{p95_y:.0f} (5-95%); {U - n_y} replicates "
               "without a shop") if n_y else "no shop opened",
        "D5": (f"poor households 2009-11 assessments: "
               f"{_poor_in(out, v, (2009, 2010, 2011)).mean():.1f}, 2016-18: "
               f"{_poor_in(out, v, (2016, 2017, 2018)).mean():.2f} (ensemble means, summed "
               "over years)"),
    }
    return [t.row(out, v, details.get(t.id, "")) for t in DINGLOU_TARGETS]


def headline_figures(out: RunOutput) -> list[TargetRow]:
    """Headline figures of any scenario, for the whole world (no tolerances)."""
    last = out.months[-1]
    last_year = dates.year_of(int(last))
    years, status = metrics.taobao_villages(out)
    n_tv = status.sum(axis=2).astype(float)  # (universes, years)
    first_tv = np.where(n_tv.any(axis=1), years[np.argmax(n_tv > 0, axis=1)], np.nan)
    households = metrics.series(out, "households")[:, -1]
    shops_by_village = out.metrics[:, -1, :, M.SHOPS]

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

"""The figures a run is judged by: the Dinglou targets D1-D9, the plausibility
checks P1-P4, Dinglou inside its township (T1), or headline figures.

Each target gives one value per replicate; the table reports the ensemble mean
and the 5-95% range of those values, and whether the ensemble meets the
tolerance in docs/TARGETS.md. Where a target is a share of replicates (D2, D5,
D9) the value per replicate is 0 or 1 and the mean is that share.

Some figures need more than the scenario's own run: D9 compares with the same
replicates without e-commerce (``policy.no_ecommerce``), and T1 and P1 look at
Dinglou inside its township. :class:`Runs` holds what a table is computed from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ..core import dates
from ..core.records import H, M
from ..core.run_output import RunOutput
from . import metrics
from .metrics import EXIT_INCIDENCE, incidence, poverty_exit_year

#: The real Dinglou figures that are years (docs/TARGETS.md); the others are in the
#: targets below (``real``, ``center`` and bounds), which figures read too.
FIRST_SHOP_YEAR = 2010
POVERTY_EXIT_YEARS = (2015, 2016)
POVERTY_EXIT_YEAR = 2016


@dataclass(frozen=True)
class Runs:
    """What a target table is computed from.

    Attributes:
        main: the scenario's run.
        counterfactual: the same replicates without e-commerce (for D9), or None.
        township: a run of the focus village inside its township (for T1, P1), or None.
        city: a run of the city around it (for H1, H2), or None.
    """

    main: RunOutput
    counterfactual: RunOutput | None = None
    township: RunOutput | None = None
    city: RunOutput | None = None


@dataclass(frozen=True)
class TargetRow:
    """One line of a target table.

    Attributes:
        id: "D1".."D9", "P1".."P4", "T1 D2"..., or a short key for headline figures.
        label: what is measured, with unit.
        real: the real figure, as text ("" for headline figures).
        mean: ensemble mean of the per-replicate values (NaN if none).
        p5, p95: 5th and 95th percentiles of the per-replicate values.
        tolerance: the rule for "met", as text ("" for headline figures).
        met: True/False, or None for headline figures.
        n: replicates that gave a value.
        detail: more about the figure, e.g. the spread behind a share.
        unit: "year" for calendar years (printed without a thousands separator).
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
    unit: str = ""

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
    """A target or plausibility check: a figure computed for each replicate, its
    ensemble statistic (the mean, or for 0/1 figures the share of replicates), and
    the tolerance that counts as "reproduced" (or "plausible").

    Attributes:
        id, label, real, tolerance: as in the target table.
        values: ``values(runs) -> array`` of one figure per universe (NaN where the
            runs it needs are missing).
        lower, upper: the statistic is met if ``lower <= stat <= upper`` (None: open).
        center: the real figure (interval targets), for the calibration distance.
        log: compare on a log scale (figures known to a factor, e.g. 3,500-14,000).
        scale: for one-sided targets, the shortfall counted as one unit of distance.
        share: the per-replicate figures are 0/1 and the statistic is their share.
        calibrate: False for figures no parameter can change (the number of households).
        needs: which run besides the main one it needs: "", "counterfactual" or
            "township".
    """

    id: str
    label: str
    real: str
    tolerance: str
    values: Callable[[Runs], np.ndarray]
    lower: float | None
    upper: float | None
    center: float | None = None
    log: bool = False
    scale: float = 1.0
    share: bool = False
    calibrate: bool = True
    needs: str = ""
    report_only: bool = False

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

    def available(self, runs: Runs) -> bool:
        return getattr(runs, self.needs) is not None if self.needs else True

    def row(self, runs: Runs, detail: str = "") -> TargetRow:
        if not self.available(runs):
            return TargetRow(self.id, self.label, self.real, float("nan"), float("nan"),
                             float("nan"), self.tolerance, False, 0,
                             f"not computed: needs the {self.needs} run")
        mean, p5, p95, n = _stats(self.values(runs))
        if self.share:
            p5 = p95 = float("nan")
        met = None if self.report_only else (self.met(mean) if n else False)
        return TargetRow(self.id, self.label, self.real, mean, p5, p95, self.tolerance,
                         met, n, detail)


# -- figures of one village ------------------------------------------------------------

def focus(out: RunOutput) -> int:
    """Index of the scenario's focus village."""
    return metrics.village_index(out, out.scenario.focus_village)


def _december(out: RunOutput, year: int) -> int | None:
    sel = np.flatnonzero(out.months == year * 12 + 11)
    return int(sel[0]) if sel.size else None


def _series(out: RunOutput, v: int, k: int) -> np.ndarray:
    """(universes, months) of one recorded column of village ``v``."""
    return out.metrics[:, :, v, k]


def _households(out: RunOutput, v: int) -> np.ndarray:
    return _series(out, v, M.HOUSEHOLDS)[:, 0]


def first_shop_year(out: RunOutput, v: int) -> np.ndarray:
    """Year the village's first shop sold, per replicate (NaN: never)."""
    first = out.first_open[:, v, 0]
    return np.where(first >= 0, (out.months[0] + first) // 12, np.nan)


def _first_in_2010(out: RunOutput, v: int) -> np.ndarray:
    return (first_shop_year(out, v) == FIRST_SHOP_YEAR).astype(float)


def _first_profit_2010(out: RunOutput, v: int) -> np.ndarray:
    U = out.metrics.shape[0]
    profit = np.full(U, np.nan)
    if out.panel is None or out.panel_every != 1 or 2010 not in out.years:
        return profit
    yi = int(np.flatnonzero(out.years == 2010)[0])
    offset = int(np.sum(out.village_households[:v]))
    first_year = first_shop_year(out, v)
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


def _exit_2015_16(out: RunOutput, v: int) -> np.ndarray:
    exit_year = poverty_exit_year(out, v)
    early = _poor_in(out, v, (2009, 2010, 2011))
    return (np.isin(exit_year, POVERTY_EXIT_YEARS) & (early > 0)).astype(float)


def _no_poor_2017_18(out: RunOutput, v: int) -> np.ndarray:
    return (_poor_in(out, v, (2017, 2018)) == 0).astype(float)


def _sales_2018_musd(out: RunOutput, v: int) -> np.ndarray:
    fx = out.scenario.series.get("yuan_per_usd", 2018)
    sel = (out.months // 12) == 2018
    return _series(out, v, M.SALES_YUAN)[:, sel].sum(axis=1) / fx / 1e6


def _largest_shop_2018_musd(out: RunOutput, v: int) -> np.ndarray:
    if out.panel is None or out.panel_every != 1 or 2018 not in out.years:
        return np.full(out.metrics.shape[0], np.nan)
    fx = out.scenario.series.get("yuan_per_usd", 2018)
    yi = int(np.flatnonzero(out.years == 2018)[0])
    lo = int(np.sum(out.village_households[:v]))
    hi = lo + int(out.village_households[v])
    return np.nanmax(out.panel[:, yi, lo:hi, H.SHOP_SALES_YUAN], axis=1) / fx / 1e6


def _returns_2014_2018(out: RunOutput, v: int) -> np.ndarray:
    sel = (out.months >= 2014 * 12) & (out.months < 2019 * 12)
    return _series(out, v, M.RETURNS)[:, sel].sum(axis=1)


def _no_exit_by_2016(out: RunOutput, v: int) -> np.ndarray:
    years, inc = incidence(out, v)
    return (inc[:, years <= 2016].min(axis=1) >= EXIT_INCIDENCE).astype(float)


def _engaged_swing(out: RunOutput, v: int) -> np.ndarray:
    """Largest within-year swing (max - min of the monthly engaged share) in 2016-2018."""
    share = _series(out, v, M.ENGAGED) / _households(out, v)[:, None]
    years = out.months // 12
    swings = [share[:, years == y].max(axis=1) - share[:, years == y].min(axis=1)
              for y in (2016, 2017, 2018) if (years == y).any()]
    return np.max(swings, axis=0) if swings else np.full(share.shape[0], np.nan)


def _vacancy_ratio_2018(out: RunOutput, v: int) -> np.ndarray:
    t = _december(out, 2018)
    if t is None:
        return np.full(out.metrics.shape[0], np.nan)
    return out.metrics[:, t, v, M.VACANCIES] / np.maximum(out.metrics[:, t, v, M.INDUSTRY_WORKERS],
                                                          1.0)


def _market_share_2018(out: RunOutput, v: int) -> np.ndarray:
    sel = (out.months // 12) == 2018
    return _series(out, v, M.SALES_YUAN)[:, sel].sum(axis=1) / \
        np.maximum(_series(out, v, M.MARKET_DEMAND_YUAN)[:, sel].sum(axis=1), 1.0)


def _sales_per_worker_2016_18(out: RunOutput) -> np.ndarray:
    """Whole-chain sales per industry worker-month, all villages, 2016-2018, yuan."""
    sel = (out.months >= 2016 * 12) & (out.months < 2019 * 12)
    sales = out.metrics[..., M.SALES_YUAN][:, sel].sum(axis=(1, 2))
    workers = out.metrics[..., M.INDUSTRY_WORKERS][:, sel].sum(axis=(1, 2))
    return sales / np.maximum(workers, 1.0)


@dataclass(frozen=True)
class _On:
    """A figure of the focus village of one of the runs (a class, not a closure, so
    targets pickle to worker processes)."""

    run: str
    figure: Callable[[RunOutput, int], np.ndarray]

    def __call__(self, runs: Runs) -> np.ndarray:
        out = getattr(runs, self.run)
        return self.figure(out, focus(out))


def _on(run: str, figure: Callable[[RunOutput, int], np.ndarray]) -> _On:
    return _On(run, figure)


def _township_sales_per_worker(runs: Runs) -> np.ndarray:
    return _sales_per_worker_2016_18(runs.township)


#: Targets D1-D9 and plausibility checks P2-P4 (docs/TARGETS.md), for the focus
#: village of a Dinglou scenario.
DINGLOU_TARGETS: tuple[Target, ...] = (
    Target("D1", "households", "330", "exactly 330", _on("main", _households), 330, 330,
           center=330, calibrate=False),
    Target("D2", f"first shop opens in {FIRST_SHOP_YEAR}, share of replicates",
           str(FIRST_SHOP_YEAR), ">= 0.80", _on("main", _first_in_2010), 0.8, None, scale=0.2,
           share=True),
    Target("D3", "first shop's 2010 profit, yuan", "7,000", "3,500-14,000",
           _on("main", _first_profit_2010), 3500, 14000, center=7000, log=True),
    Target("D4", "share of households engaged, Dec 2018", "about 0.90", "0.85-0.95",
           _on("main", _engaged_2018), 0.85, 0.95, center=0.90),
    Target("D5", "village exits poverty (incidence < 2%) in 2015-16, share of replicates",
           f"out of poverty in {POVERTY_EXIT_YEAR}", ">= 0.80",
           _on("main", _exit_2015_16), 0.8, None, scale=0.2, share=True),
    Target("D5b", "no poor household in 2017-18, share of replicates", "whole village",
           ">= 0.80", _on("main", _no_poor_2017_18), 0.8, None, scale=0.2, share=True),
    Target("D6", "online sales 2018, million USD", "about 58", "46-70",
           _on("main", _sales_2018_musd), 46, 70, center=58),
    Target("D7", "largest shop's 2018 sales, million USD", "about 1.2", "0.6-2.4",
           _on("main", _largest_shop_2018_musd), 0.6, 2.4, center=1.2, log=True),
    Target("D8", "people returning home 2014-2018", "over 200", ">= 200",
           _on("main", _returns_2014_2018), 200, None, scale=100),
    Target("D9", "without e-commerce: incidence >= 2% through 2016, share of replicates",
           "blood production", ">= 0.80", _on("counterfactual", _no_exit_by_2016), 0.8,
           None, scale=0.2, share=True, needs="counterfactual"),
    Target("P2", "largest within-year swing of the engaged share, 2016-18", "plausible",
           "<= 0.05", _on("main", _engaged_swing), None, 0.05, scale=0.02),
    Target("P3", "unfilled vacancies / industry workers, Dec 2018", "plausible", "<= 0.10",
           _on("main", _vacancy_ratio_2018), None, 0.10, scale=0.05),
    Target("P4", "share of national demand for its category, 2018", "plausible", "<= 0.10",
           _on("main", _market_share_2018), None, 0.10, scale=0.05),
)

#: Dinglou inside its township (T1) and the township's sales per industry worker (P1).
TOWNSHIP_TARGETS: tuple[Target, ...] = (
    Target("T1 D2", f"in the township: first shop opens in {FIRST_SHOP_YEAR}, share",
           str(FIRST_SHOP_YEAR), ">= 0.80", _on("township", _first_in_2010), 0.8, None,
           scale=0.2, share=True, needs="township"),
    Target("T1 D4", "in the township: share of households engaged, Dec 2018", "about 0.90",
           "0.85-0.95", _on("township", _engaged_2018), 0.85, 0.95, center=0.90,
           needs="township"),
    Target("T1 D6", "in the township: online sales 2018, million USD", "about 58", "46-70",
           _on("township", _sales_2018_musd), 46, 70, center=58, needs="township"),
    Target("P1", "township sales per industry worker-month, 2016-18, yuan", "plausible",
           "4,000-20,000", _township_sales_per_worker, 4000, 20000,
           center=9000, log=True, needs="township"),
)

def _year_count(status: np.ndarray, years: np.ndarray, year: int) -> np.ndarray:
    """Per universe, how many units meet a rule in a year (NaN if it is not simulated)."""
    if year not in years:
        return np.full(status.shape[0], np.nan)
    return status[:, list(years).index(year), :].sum(axis=1).astype(float)


def _taobao_villages_2018(runs: Runs) -> np.ndarray:
    years, status = metrics.taobao_villages(runs.city)
    return _year_count(status, years, HEZE_YEAR)


def _taobao_towns_2018(runs: Runs) -> np.ndarray:
    years, _names, towns = metrics.taobao_towns(runs.city)
    return _year_count(towns, years, HEZE_YEAR)


def lifted_by_ecommerce(runs: Runs, first: int = 2017, last: int = 2020) -> np.ndarray:
    """People lifted out of poverty by e-commerce from ``first`` to ``last``, per
    universe: how much more the number of poor people fell between the December
    assessments of ``first - 1`` and ``last`` with e-commerce than without it (the
    counterfactual on the same seeds). NaN if a year is not simulated."""
    def poor(out: RunOutput) -> tuple[np.ndarray, np.ndarray]:
        return metrics.yearly(out, "poor_people", how="december")

    years, with_ = poor(runs.main)
    _, without = poor(runs.counterfactual)
    if first - 1 not in years or last not in years:
        return np.full(with_.shape[0], np.nan)
    a, b = list(years).index(first - 1), list(years).index(last)
    return (without[:, b] - with_[:, b]) - (without[:, a] - with_[:, a])


#: The year of the Heze targets (docs/TARGETS.md).
HEZE_YEAR = 2018

#: Heze: Taobao villages and towns in 2018 (H1, H2) and the poor helped out of poverty
#: by e-commerce since 2017 (H3, reported next to the real figure, no tolerance).
HEZE_TARGETS: tuple[Target, ...] = (
    Target("H1", f"Taobao villages, {HEZE_YEAR}", "267", "214-320", _taobao_villages_2018,
           214, 320, center=267, needs="city"),
    Target("H2", f"Taobao towns, {HEZE_YEAR}", "35", "28-42", _taobao_towns_2018, 28, 42,
           center=35, needs="city"),
    Target("H3", "people lifted out of poverty by e-commerce, 2017-2020", "over 25,000",
           "reported", lifted_by_ecommerce, None, None, needs="counterfactual",
           calibrate=False, report_only=True),
)

#: The targets a calibration can fit on a city run (H3 is reported, not fitted).
CITY_TARGETS: tuple[Target, ...] = tuple(t for t in HEZE_TARGETS if t.calibrate)

TARGETS_BY_ID = {t.id: t for t in DINGLOU_TARGETS + TOWNSHIP_TARGETS + HEZE_TARGETS}


def dinglou_targets(runs: Runs) -> list[TargetRow]:
    """Targets D1-D9 and checks P2-P4 for the scenario's focus village (docs/TARGETS.md)."""
    out = runs.main
    v = focus(out)
    first_year = first_shop_year(out, v)
    _mean, p5_y, p95_y, n_y = _stats(first_year)
    exit_year = poverty_exit_year(out, v)
    U = len(first_year)
    never = int(np.isnan(exit_year).sum())
    exits = exit_year[~np.isnan(exit_year)]
    counts = {int(y): int((exit_year == y).sum()) for y in np.unique(exits)}
    details = {
        "D2": (f"first-shop year {p5_y:.0f}-{p95_y:.0f} (5-95%); {U - n_y} replicates "
               "without a shop") if n_y else "no shop opened",
        "D5": "exit year per replicate: " + ", ".join(f"{y}: {n}" for y, n in counts.items())
              + (f", never: {never}" if never else "")
              + f"; poor households 2009-11 (sum of assessments): "
                f"{_poor_in(out, v, (2009, 2010, 2011)).mean():.1f}",
    }
    return [t.row(runs, details.get(t.id, "")) for t in DINGLOU_TARGETS]


def township_targets(runs: Runs) -> list[TargetRow]:
    """T1 (the focus village's D2, D4, D6 inside its township) and P1."""
    return [t.row(runs) for t in TOWNSHIP_TARGETS]


def headline_figures(out: RunOutput) -> list[TargetRow]:
    """Headline figures of any scenario, for the whole world (no tolerances)."""
    last = out.months[-1]
    last_year = dates.year_of(int(last))
    years, status = metrics.taobao_villages(out)
    n_tv = status.sum(axis=2).astype(float)  # (universes, years)
    first_tv = np.where(n_tv.any(axis=1), years[np.argmax(n_tv > 0, axis=1)], np.nan)
    households = metrics.series(out, "households")[:, -1]
    shops_by_village = out.metrics[:, -1, :, M.SELLERS]

    def row(id_: str, label: str, values: np.ndarray, unit: str = "") -> TargetRow:
        mean, p5, p95, n = _stats(values)
        return TargetRow(id_, label, "", mean, p5, p95, "", None, n, unit=unit)

    end = dates.format_month(int(last))
    return [
        row("households", "households", households),
        row("participation", f"share of households engaged, {end}",
            metrics.series(out, "participation")[:, -1]),
        row("sellers", f"households selling online, {end}", metrics.series(out, "sellers")[:, -1]),
        row("firms", f"workshops and factories, {end}", metrics.series(out, "firms")[:, -1]),
        row("sales", f"online sales {last_year}, million yuan",
            metrics.yearly(out, "sales_yuan")[1][:, -1] / 1e6),
        row("poor", "poor households at the last assessment", metrics.series(out, "poor")[:, -1]),
        row("migrants", f"people away in the city, {end}", metrics.series(out, "migrants")[:, -1]),
        row("returns", "people returning home over the run",
            metrics.series(out, "returns").sum(axis=1)),
        row("selling_villages", f"villages with a shop, {end}",
            (shops_by_village > 0).sum(axis=1).astype(float)),
        row("taobao_villages", f"Taobao villages {last_year}", n_tv[:, -1]),
        row("first_taobao_village", "first year with a Taobao village", first_tv, "year"),
    ]


def target_table(runs: Runs | RunOutput) -> list[TargetRow]:
    """The table a run reports: D1-D9 and P2-P4 for Dinglou-target scenarios, T1 and P1
    (plus headlines) for township scenarios, else headline figures."""
    if isinstance(runs, RunOutput):
        runs = Runs(runs)
    kind = runs.main.scenario.targets
    if kind == "dinglou":
        return dinglou_targets(runs)
    if kind == "daiji":
        return township_targets(Runs(runs.main, township=runs.main)) + \
            headline_figures(runs.main)
    if kind == "heze":
        focus_rows = [t.row(Runs(runs.main, township=runs.main)) for t in TOWNSHIP_TARGETS
                      if t.id.startswith("T1")]
        city = Runs(runs.main, runs.counterfactual, city=runs.main)
        return [t.row(city) for t in HEZE_TARGETS] + focus_rows + headline_figures(runs.main)
    return headline_figures(runs.main)


def needs_counterfactual(scenario) -> bool:
    """Whether the scenario's target table needs the run without e-commerce (D9, H3)."""
    return scenario.targets in ("dinglou", "heze")


def counterfactual_of(scenario):
    """The scenario without e-commerce, for D9 (same villages, same seeds)."""
    return scenario.replace({"policy.no_ecommerce": True})

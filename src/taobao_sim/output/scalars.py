"""Scalar outputs of a run, one value per universe (replicate or sweep run): the
figures sweeps record, sensitivity analyses take and comparisons report."""

from __future__ import annotations

import numpy as np

from ..core.run_output import RunOutput
from . import metrics

#: Scalar outputs recorded for every run: name -> description (unit).
OUTPUTS: dict[str, str] = {
    "participation_end": "share of households engaged in the last month (0-1)",
    "sellers_end": "households whose shop sold in the last month",
    "firms_end": "workshops and factories running in the last month",
    "sales_last_year_yuan": "online sales in the last (calendar) year, yuan",
    "poor_end": "households poor at the last assessment",
    "migrants_end": "people away in the city in the last month",
    "returns_total": "people who came back over the run",
    "first_shop_year": "year the first shop sold (NaN: never)",
    "poverty_exit_year": "year the poverty incidence falls under 2% for good (official exit "
                         "rule; NaN: not within the run)",
    "taobao_village_year": "first year a village meets the Taobao-village rule (NaN: never)",
    "taobao_villages_end": "villages meeting the Taobao-village rule in the last year",
}


def run_outputs(out: RunOutput, village: int | None) -> dict[str, np.ndarray]:
    """The scalar outputs of every universe of a run (see :data:`OUTPUTS`)."""
    def s(col: str) -> np.ndarray:
        return metrics.series(out, col, village)

    years = out.months // 12
    last_year = years[-1]
    exit_year = metrics.poverty_exit_year(out, village)
    first = out.first_open[:, :, 0] if village is None else out.first_open[:, [village], 0]
    first = np.where(first >= 0, first, np.iinfo(np.int64).max).min(axis=1)
    first_year = np.where(first < np.iinfo(np.int64).max, (out.months[0] + first) // 12,
                          np.nan)
    tv_years, status = metrics.taobao_villages(out)
    if village is not None:
        status = status[:, :, [village]]
    any_tv = status.any(axis=2)
    tv_year = np.where(any_tv.any(axis=1), tv_years[np.argmax(any_tv, axis=1)], np.nan)
    return {
        "participation_end": s("participation")[:, -1],
        "sellers_end": s("sellers")[:, -1],
        "firms_end": s("firms")[:, -1],
        "sales_last_year_yuan": s("sales_yuan")[:, years == last_year].sum(axis=1),
        "poor_end": s("poor")[:, -1],
        "migrants_end": s("migrants")[:, -1],
        "returns_total": s("returns").sum(axis=1),
        "first_shop_year": first_year.astype(float),
        "poverty_exit_year": exit_year,
        "taobao_village_year": tv_year.astype(float),
        "taobao_villages_end": status[:, -1, :].sum(axis=1).astype(float),
    }

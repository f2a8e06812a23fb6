"""Published counts of Taobao villages and towns, for comparison with a national run.

A world of regions may keep, beside its regions table, ``published_counts.csv``
(columns ``year``, ``taobao_villages``, ``taobao_towns``, ``source``; an empty cell
is unknown). Nothing in the model reads them: they are shown beside its
prediction, never fitted.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..core.errors import ScenarioError
from ..core.scenario import Scenario

FILE = "published_counts.csv"


def published_counts(scenario: Scenario) -> dict[int, dict[str, float]] | None:
    """Year -> {"taobao_villages": n, "taobao_towns": n} from the published counts beside
    the scenario's regions table, or None if there are none."""
    if not scenario["regions.file"] or not scenario.path:
        return None
    path = Path(scenario.path).parent / scenario["regions.file"]
    path = path.parent / FILE
    if not path.is_file():
        return None
    out: dict[int, dict[str, float]] = {}
    row_number = 1
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for row_number, row in enumerate(csv.DictReader(handle), start=2):  # noqa: B007
                out[int(row["year"])] = {
                    k: float(row[k]) for k in ("taobao_villages", "taobao_towns")
                    if (row.get(k) or "").strip()}
    except (OSError, ValueError, KeyError, csv.Error) as exc:
        raise ScenarioError(str(path), f"row {row_number}", f"cannot read the published "
                            f"counts ({exc}); expected columns year, taobao_villages, "
                            "taobao_towns") from None
    return out

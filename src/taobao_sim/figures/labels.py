"""Human labels for what figures show: model parameters (with their unit) and the
scalar outputs of runs, instead of the dotted keys and column names of files.

A parameter's label comes from :data:`PARAMETER_LABELS` where a key's name reads
poorly, and otherwise from the key itself (``income.credit_limit_yuan`` ->
"credit limit"); its unit is the one :mod:`taobao_sim.core.params` documents.
"""

from __future__ import annotations

from ..core.params import TUNABLE
from ..output.scalars import OUTPUTS

#: Labels of the keys whose own name reads poorly on a figure (without the unit).
PARAMETER_LABELS: dict[str, str] = {
    "shops.imitation": "imitation rate",
    "shops.craft_discovery_rate": "discovery rate with an industry base",
    "shops.startup_cost_yuan": "shop start-up cost",
    "shops.setup_months": "time to set up a shop",
    "shops.initial_reputation": "reputation of a new shop",
    "shops.reputation_capacity": "reputation a shop grows towards",
    "shops.reputation_growth": "growth of a shop's reputation",
    "market.outside_reputation": "reputation of sellers nationwide",
    "market.outside_growth_per_year": "growth of sellers' reputation nationwide",
    "migration.return_rate": "return rate of migrants",
    "migration.migrate_rate": "migration rate",
    "migration.migration_beta": "migration's response to the income gap",
    "income.transfer_yuan_head_month": "transfer to poor households",
    "production.homework_entry": "entry of piece-work at home",
    "world.inter_village_ties": "ties to other villages",
}

#: Short labels of the scalar outputs (:data:`taobao_sim.output.scalars.OUTPUTS`).
OUTPUT_LABELS: dict[str, str] = {
    "participation_end": "share of households engaged at the end",
    "sellers_end": "households selling online at the end",
    "firms_end": "workshops and factories at the end",
    "sales_last_year_yuan": "online sales in the last year (yuan)",
    "poor_end": "poor households at the last assessment",
    "migrants_end": "people away in the city at the end",
    "returns_total": "people who came back",
    "first_shop_year": "year of the first shop",
    "poverty_exit_year": "poverty-exit year",
    "taobao_village_year": "first year with a Taobao village",
    "taobao_villages_end": "Taobao villages in the last year",
}

#: Scalar outputs whose values are calendar years.
YEAR_OUTPUTS = ("first_shop_year", "poverty_exit_year", "taobao_village_year")

#: Words at the end of a key that only repeat its unit ("_yuan_head_month").
_UNIT_WORDS = {"yuan", "head", "month", "months", "year", "years", "per", "km"}


def parameter_label(name: str, unit: bool = True) -> str:
    """A parameter's label for axes and titles, e.g. "shop start-up cost (yuan)"
    for ``shops.startup_cost_yuan``; ``unit=False`` leaves the unit out."""
    spec = TUNABLE.get(name)
    label = PARAMETER_LABELS.get(name)
    if label is None:
        words = name.rsplit(".", 1)[-1].split("_")
        while len(words) > 1 and words[-1] in _UNIT_WORDS:
            words.pop()
        label = " ".join(words)
    if unit and spec is not None and spec.unit:
        return f"{label} ({spec.unit})"
    return label


def output_label(name: str) -> str:
    """A scalar output's label, e.g. "poverty-exit year" for ``poverty_exit_year``."""
    if name in OUTPUT_LABELS:
        return OUTPUT_LABELS[name]
    described = OUTPUTS.get(name)
    return described.split(" (")[0] if described else name.replace("_", " ")

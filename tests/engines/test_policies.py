"""Policy levers over whole runs: early broadband, public cost of transfers."""

from __future__ import annotations

import numpy as np

from taobao_sim import load_scenario, metrics, simulate
from taobao_sim.core.records import M

from ..conftest import SCENARIOS

POLICIES = SCENARIOS / "policies"


def test_early_broadband_starts_selling_earlier(dinglou):
    early = load_scenario(POLICIES / "early_broadband.toml")
    base = simulate(dinglou, replicates=10, seed=3)
    fast = simulate(early, replicates=10, seed=3)
    first = [o.first_open[:, 0, 0].astype(float).mean() for o in (base, fast)]
    assert first[1] < first[0]
    cost = fast.metrics[:, 0, 0, M.PUBLIC_COST_YUAN] - base.metrics[:, 0, 0, M.PUBLIC_COST_YUAN]
    assert np.allclose(cost, 330 * early["policy.broadband_cost_yuan"])


def test_public_cost_counts_transfers(dinglou):
    out = simulate(dinglou, replicates=2, seed=1)
    poor_people_start = metrics.series(out, "poor_people")[:, 0]
    jan = out.metrics[:, 0, 0, M.PUBLIC_COST_YUAN]
    assert np.allclose(jan, poor_people_start * dinglou["income.transfer_yuan_head_month"])



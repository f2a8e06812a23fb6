"""Policy levers in the rules: training, the credit line, the courier subsidy."""

from __future__ import annotations

import pytest

from taobao_sim.core.params import P

from .test_rules import household, neighbours, step, view


def test_policies_off_by_default(dinglou):
    p = dinglou.param_vector()
    assert p[P.TRAINING_FROM] == -1 and p[P.BROADBAND_FROM] == -1
    assert p[P.MICROCREDIT_YUAN] == 0 and p[P.COURIER_SUBSIDY_SHARE] == 0


def test_training_raises_skill_once_and_costs(dinglou):
    s = dinglou.replace({"policy.training_from": "2011-01", "policy.training_skill": 0.7})
    p = s.param_vector()
    assert p[P.TRAINING_FROM] == 24
    hs = household(skill=0.2, away=0)
    trained, out = step(p, hs, t=24)
    assert trained.skill >= 0.7 and out.public_cost >= p[P.TRAINING_COST_YUAN]
    later, out_later = step(p, hs, t=25)
    assert later.skill < 0.7 and out_later.public_cost == 0.0
    nobody_home = household(skill=0.2, away=2)
    assert step(p, nobody_home, t=24)[0].skill < 0.7


def test_credit_line_lets_the_poor_start_and_costs(dinglou):
    strict = dinglou.replace({"shops.startup_cost_yuan": 9000.0})
    helped = strict.replace({"policy.microcredit_yuan": 10000.0})
    nv, hs = neighbours(6, 6, 30000.0), household(capital=500.0, away=0)
    for scenario, can in ((strict, False), (helped, True)):
        p = scenario.param_vector()
        vv = view(p, discovery=1.0)
        starts = [step(p, hs, nv=nv, vv=vv, hid=h) for h in range(40)]
        opened = [(new, o) for new, o in starts if new.shop_state != 0]
        assert bool(opened) == can
        if can:
            new, o = opened[0]
            # the start-up cost beyond savings was borrowed; beyond the informal
            # limit it came from the public line
            lent = new.debt - p[P.CREDIT_LIMIT_YUAN]
            assert lent > 0 and new.capital == 0.0
            assert o.public_cost == pytest.approx(p[P.MICROCREDIT_COST_SHARE] * lent)


def test_courier_subsidy_lifts_margin_and_costs(dinglou):
    base = dinglou.param_vector()
    sub = dinglou.replace({"policy.courier_subsidy_share": 0.03}).param_vector()
    a, b = view(base), view(sub)
    assert b.margin == pytest.approx(a.margin + 0.03) and b.courier_subsidy == 0.03
    shop = household(shop_state=2, shop_age=5, reputation=20.0, away=0)
    _, out = step(sub, shop, vv=b)
    assert out.public_cost == pytest.approx(0.03 * out.sales)



"""Bayesian calibration (ABC-SMC): specs, reproducibility whatever the executor,
resume from the database, the calibration folder, and the posterior's checks."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pyarrow.parquet as pq
import pytest

from taobao_sim.core.errors import SpecError
from taobao_sim.experiments import abc_checks, abc_smc, bayes
from taobao_sim.experiments import calibrate as cal
from taobao_sim.experiments.executors import DaskCluster, LocalProcesses
from taobao_sim.output.targets import TARGETS_BY_ID

from ..conftest import SCENARIOS

SPEC = f"""\
name = "tiny-abc"
method = "abc-smc"
scenario = "{SCENARIOS / 'dinglou.toml'}"
seed = 3
[abc]
population = 16
generations = 2
min_acceptance = 0.0
max_simulations = 3000
[check]
posterior_draws = 24
final_replicates = 4
[checks]
truths = 2
population = 12
generations = 1
draws = 16
[parameters]
"shops.imitation" = [0.05, 0.8]
"market.outside_reputation" = {{ bounds = [2e3, 5e4], log = true }}
[targets]
D2 = 1.0
D4 = 1.0
D6 = 1.0
"""


@pytest.fixture
def spec(write_toml):
    return cal.load_spec(write_toml("tiny_abc.toml", SPEC))


def test_spec_loads(spec):
    assert spec.method == "abc-smc"
    assert spec.abc.population == 16 and spec.abc.initial_epsilon == math.inf
    assert spec.screening is None and spec.posterior_draws == 24
    assert spec.final_replicates == 4


@pytest.mark.parametrize("old,new,key", [
    ('method = "abc-smc"', 'method = "abc"', "method"),
    ("[abc]", "[optimizer]\npopsize = 2\n[abc]", "optimizer"),
    ("population = 16", "population = 16\nspeed = 2", "abc.speed"),
    ("population = 16", "population = 2", "abc.population"),
    ("generations = 2", "generations = 0", "abc.generations"),
    ("[abc]", "[screening]\nlevels = 3\n[abc]", "screening.levels"),
    ("[targets]", '[fixed]\n"shops.imitation" = "data"\n[targets]', "fixed.shops.imitation"),
    ("[targets]", '[fixed]\n"shops.nothing" = "data"\n[targets]', "fixed.shops.nothing"),
    ("[targets]", '[fixed]\n"shops.entry_beta" = ""\n[targets]', "fixed.shops.entry_beta"),
])
def test_bad_specs_name_the_key(write_toml, old, new, key):
    with pytest.raises(SpecError) as err:
        cal.load_spec(write_toml("bad.toml", SPEC.replace(old, new)))
    assert key in str(err.value)


def test_distance_is_the_weighted_rms_of_deviations(spec):
    problem = bayes.problem_of(spec)
    assert [t.id for t in problem.targets] == ["D2", "D4", "D6"]
    # D2 met (1), D4 at the centre, D6 at the upper edge of its tolerance: deviations 0, 0, 1
    figs = np.array([[1.0, 0.90, 70.0]])
    assert problem.distance(figs)[0] == pytest.approx(math.sqrt(1 / 3))
    # a partial distance over some targets never exceeds the whole
    part = problem.distance(figs, np.array([True, True, False]))[0]
    assert part == 0.0
    # D2 missed: the one-sided deviation (0.8 - 0) / 0.2 = 4
    assert problem.distance(np.array([[0.0, 0.9, 58.0]]))[0] == pytest.approx(4 / math.sqrt(3))
    assert problem.inside(figs).tolist() == [[True, True, True]]


def test_synthetic_target_is_centred_on_the_value_with_the_same_width():
    d6 = abc_checks.synthetic_target(TARGETS_BY_ID["D6"], 30.0)
    assert (d6.lower, d6.upper, d6.center) == (18.0, 42.0, 30.0)
    d7 = abc_checks.synthetic_target(TARGETS_BY_ID["D7"], 2.0)  # log target: same ratio
    assert d7.upper / d7.lower == pytest.approx(2.4 / 0.6)
    assert math.sqrt(d7.upper * d7.lower) == pytest.approx(2.0)
    d2 = abc_checks.synthetic_target(TARGETS_BY_ID["D2"], 0.0)  # share: +-scale
    assert d2.deviation(0.0) == 0.0 and d2.deviation(1.0) == pytest.approx(5.0)


def _run(spec, tmp_path, name, executor=None, generations=None):
    settings = spec.abc if generations is None else \
        dataclasses.replace(spec.abc, generations=generations)
    return abc_smc.run_abc(bayes.problem_of(spec), settings, tmp_path / f"{name}.db", executor)


@pytest.mark.parametrize("where", ["processes", pytest.param("dask", marks=pytest.mark.slow)])
def test_same_posterior_in_process_and_on_workers(spec, tmp_path, where):
    a = _run(spec, tmp_path, "a")
    pool = LocalProcesses(2) if where == "processes" else DaskCluster(workers=2)
    try:
        b = _run(spec, tmp_path, "b", pool)
    finally:
        pool.close()
    assert len(a.generations) == 3
    np.testing.assert_array_equal(a.posterior.values, b.posterior.values)
    np.testing.assert_array_equal(a.posterior.weights, b.posterior.weights)
    assert a.simulations == b.simulations


def test_resume_continues_to_the_same_posterior(spec, tmp_path):
    whole = _run(spec, tmp_path, "whole")
    _run(spec, tmp_path, "parts", generations=1)
    (tmp_path / "parts.finished").unlink()  # as if killed after generation 1
    resumed = _run(spec, tmp_path, "parts")
    np.testing.assert_array_equal(whole.posterior.values, resumed.posterior.values)
    assert [g["epsilon"] for g in whole.generations] == \
        [g["epsilon"] for g in resumed.generations]


def test_epsilon_shrinks_and_the_posterior_narrows(spec, tmp_path):
    run = _run(spec, tmp_path, "n")
    eps = [g["epsilon"] for g in run.generations]
    assert eps[0] == math.inf and eps[1] > eps[2]
    # the accepted replicates' figures are within the last epsilon
    problem = bayes.problem_of(spec)
    assert (problem.distance(run.figures) <= eps[-1] + 1e-12).all()


def test_calibration_folder(spec, tmp_path):
    result = bayes.calibrate_abc(spec, root=tmp_path)
    folder = result.folder
    for name in ("posterior.parquet", "abc.db", "generations.csv", "predictive.parquet",
                 "identification.json", "summary.json", "best.toml", "report.md",
                 "manifest.json", "figures/calibration_posterior.png",
                 "figures/calibration_pairs.png", "figures/calibration_generations.png",
                 "figures/calibration_predictive.png"):
        assert (folder / name).exists(), name
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["method"] == "abc-smc"
    ppc = {r["id"]: r for r in summary["predictive_check"]}
    pred = pq.read_table(folder / "predictive.parquet")
    # the share inside is recomputed from the per-replicate figures it reports
    d6 = pred.column("D6").to_numpy()
    assert ppc["D6"]["share_inside"] == pytest.approx(((d6 >= 46) & (d6 <= 70)).mean())
    assert pred.num_rows == spec.posterior_draws
    # the point estimate is a particle of the posterior
    post = pq.read_table(folder / "posterior.parquet")
    imitation = post.column("shops.imitation").to_numpy()
    assert summary["point"]["shops.imitation"] in imitation
    assert "## Posterior" in (folder / "report.md").read_text()


def test_identification_compares_the_interval_with_the_prior(spec):
    from taobao_sim.experiments.posterior import Posterior

    problem = bayes.problem_of(spec)
    rng = np.random.default_rng(0)
    n = 2000
    narrow = rng.uniform(0.40, 0.45, n)           # imitation: 6% of its prior
    wide = 10 ** rng.uniform(np.log10(2e3), np.log10(5e4), n)  # outside_reputation: all of it
    post = Posterior(tuple(problem.names), np.column_stack([narrow, wide]), np.ones(n))
    rows = {r["name"]: r for r in bayes.identification(problem, post)}
    assert rows["shops.imitation"]["verdict"] == "identified"
    assert rows["market.outside_reputation"]["verdict"] == "not identified"
    assert 0.40 <= rows["shops.imitation"]["p5"] < rows["shops.imitation"]["p95"] <= 0.45


@pytest.mark.slow
def test_checks_recover_and_leave_targets_out(spec, tmp_path):
    result = bayes.calibrate_abc(spec, root=tmp_path)
    checks = abc_checks.run_checks(spec, result.folder)
    rec = checks["recovery"]
    assert rec["truths"] == 2 and 0.0 <= rec["coverage"] <= 1.0
    inside = [v for r in rec["runs"] for v in r["inside"]]
    assert rec["coverage"] == pytest.approx(np.mean(inside))
    for r in rec["runs"]:  # the recorded verdicts follow the recorded intervals
        for j, name in enumerate(spec.names):
            assert r["inside"][j] == (r["p5"][j] <= r["truth"][name] <= r["p95"][j])
    groups = {g["left_out"]: g for g in checks["leave_one_out"]["groups"]}
    assert set(groups) == {"D2", "D4", "D6"}
    for gid, g in groups.items():
        assert set(g["shares"]["without it"]) == {gid}
        assert 0.0 <= g["shares"]["prior"][gid] <= 1.0
    report = (result.folder / "report.md").read_text()
    assert "Coverage of the 90% intervals" in report and "Not run yet" not in report
    # the checks resume from their databases: a second call runs no new simulation
    again = abc_checks.run_checks(spec, result.folder)
    assert again["recovery"]["runs"] == rec["runs"]


def test_killed_calibration_resumes_without_redoing_the_abc(spec, tmp_path, monkeypatch):
    real = bayes.predictive

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bayes, "predictive", killed)
    with pytest.raises(KeyboardInterrupt):
        bayes.calibrate_abc(spec, root=tmp_path)
    work = cal.work_folder(tmp_path, spec)
    assert (work / "abc.db").exists() and (work / "abc.finished").exists()
    monkeypatch.setattr(bayes, "predictive", real)
    calls = []
    monkeypatch.setattr(abc_smc.pyabc.ABCSMC, "run",
                        lambda *a, **k: calls.append(1))  # the ABC must not run again
    resumed = bayes.calibrate_abc(spec, root=tmp_path, resume=True)
    assert not calls and not work.exists()
    monkeypatch.undo()
    whole = bayes.calibrate_abc(spec, root=tmp_path / "whole")
    np.testing.assert_array_equal(resumed.abc.posterior.values, whole.abc.posterior.values)


def test_prior_is_uniform_between_the_bounds(spec):
    """pyabc works on z = normal quantile of the position in the bounds; the prior
    it samples there must be uniform on the search scale (log10 for log keys)."""
    from scipy.stats import kstest

    problem = bayes.problem_of(spec)
    z = np.random.default_rng(4).standard_normal((20_000, 2))
    x = abc_smc.from_normal(problem, z)
    for j, p in enumerate(problem.parameters):
        lo, hi = p.search_bounds
        assert lo <= x[:, j].min() and x[:, j].max() <= hi
        assert kstest((x[:, j] - lo) / (hi - lo), "uniform").pvalue > 0.01
    values = problem.values_of(np.zeros(2))  # the prior's median: the middle of the bounds
    assert values["shops.imitation"] == pytest.approx(0.425)
    assert values["market.outside_reputation"] == pytest.approx(10 ** np.mean(np.log10([2e3, 5e4])))

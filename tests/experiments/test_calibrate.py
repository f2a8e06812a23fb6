"""Calibration: specs, the simulated-moments distance, resume, and recovering
known parameters from data the model made itself."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from taobao_sim.core.errors import SpecError
from taobao_sim.experiments import calibrate as cal

from ..conftest import SCENARIOS

SPEC = f"""\
name = "tiny"
scenario = "{SCENARIOS / 'dinglou.toml'}"
replicates = 4
seed = 3
[optimizer]
popsize = 4
maxiter = 3
seed = 2
[uncertainty]
samples = 40
box = 0.3
final_replicates = 6
[parameters]
"shops.imitation" = [0.05, 0.8]
"market.outside_reputation" = {{ bounds = [2e3, 5e4], log = true }}
[targets]
D4 = 1.0
D6 = 1.0
"""


@pytest.fixture
def spec_file(write_toml):
    return write_toml("tiny.toml", SPEC)


def test_spec_loads(spec_file):
    spec = cal.load_spec(spec_file)
    assert spec.names == ["shops.imitation", "market.outside_reputation"]
    assert spec.parameters[1].log and spec.parameters[1].search_bounds == pytest.approx(
        (np.log10(2e3), np.log10(5e4)))
    assert spec.weights == {"D4": 1.0, "D6": 1.0}
    assert spec.scenario.name == "dinglou"


IMITATION = '"shops.imitation" = [0.05, 0.8]'


@pytest.mark.parametrize("old, new, key, expected", [
    (IMITATION, '"shops.imitaton" = [0.05, 0.8]', "parameters.shops.imitaton", "did you mean"),
    (IMITATION, '"shops.imitation" = [0.8, 0.05]', "parameters.shops.imitation", "lower < upper"),
    (IMITATION, '"shops.imitation" = [0.05, 1.8]', "parameters.shops.imitation",
     "allowed range"),
    (IMITATION, '"shops.imitation" = 0.3', "parameters.shops.imitation",
     "expected [lower, upper]"),
    ("D4 = 1.0", "D10 = 1.0", "targets.D10", "is not a target"),
    ("D4 = 1.0", "H1 = 1.0", "targets.H1", "need city = a city scenario"),
    ('name = "tiny"', 'name = "tiny"\ncity = "' + str(SCENARIOS / "daiji.toml") + '"', "city",
     "expected a city scenario"),
    ("D4 = 1.0", "D4 = -1.0", "targets.D4", "weight >= 0"),
    ("popsize = 4", "popsize = 1", "optimizer.popsize", "expected 2 to"),
    ("popsize = 4", "popsiz = 4", "optimizer.popsiz", "did you mean 'popsize'"),
    ('name = "tiny"', 'name = "tiny"\nreplicates = 0', "replicates", "expected 1 to"),
])
def test_bad_specs(write_toml, old, new, key, expected):
    text = SPEC.replace(old, new)
    if key == "replicates":
        text = text.replace("replicates = 4\n", "")
    path = write_toml("bad.toml", text)
    with pytest.raises(SpecError) as info:
        cal.load_spec(path)
    assert info.value.key == key and expected in str(info.value)
    assert str(path) in str(info.value)


def test_city_targets_are_fitted_on_the_city_run(write_toml, tmp_path):
    """With city = a city scenario, H1 and H2 are computed from that run, stopped at
    their year, with the candidate's parameter values and the spec's seeds: the same
    numbers as running the city by hand. The city here is Daiji's villages of the Heze
    table."""
    import csv

    from taobao_sim import load_scenario
    from taobao_sim.core.rng import replicate_seeds
    from taobao_sim.engines import simulate_universes
    from taobao_sim.output import metrics

    with (SCENARIOS / "data" / "heze" / "villages_model.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["township"] == "371721121"]
    with (tmp_path / "v.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    city = write_toml("city.toml", f'extends = "{SCENARIOS / "heze.toml"}"\n'
                      'villages_file = "v.csv"\n')
    text = SPEC.replace('name = "tiny"', f'name = "tiny"\ncity = "{city}"')
    spec = cal.load_spec(write_toml("c.toml", text + "H1 = 1.0\nH2 = 0.5\n"))
    assert spec.weights["H1"] == 1.0 and spec.city.end == 2018 * 12 + 11
    stats = cal.evaluate_chunk(spec, np.array([[0.3, 5e3]]))
    by_id = dict(zip([t.id for t in spec.targets], stats[0], strict=True))
    by_hand = load_scenario(city).replace({"shops.imitation": 0.3,
                                           "market.outside_reputation": 5e3}, end="2018-12")
    seeds = replicate_seeds(spec.seed, spec.city_replicates)
    out = simulate_universes([by_hand] * len(seeds), seeds, list(range(len(seeds))))
    years, status = metrics.taobao_villages(out)
    assert by_id["H1"] == status[:, list(years).index(2018)].sum(axis=1).mean()
    assert np.isfinite(by_id["H2"])


def test_household_target_cannot_be_weighted(write_toml):
    with pytest.raises(SpecError, match="no parameter changes"):
        cal.load_spec(write_toml("b.toml", SPEC + "D1 = 1.0\n"))


def test_common_random_numbers(spec_file):
    spec = cal.load_spec(spec_file)
    ev = cal.Evaluator(spec)
    a = ev(np.array([[0.3, 1.2e4], [0.5, 2.5e4], [0.3, 1.2e4]]))
    assert np.array_equal(a.stats[0], a.stats[2], equal_nan=True)  # same candidate, seeds
    assert not np.array_equal(a.stats[0], a.stats[1], equal_nan=True)
    assert ev.runs == 3 * 4
    b = cal.Evaluator(spec)(np.array([[0.3, 1.2e4]]))
    assert np.array_equal(a.stats[0], b.stats[0], equal_nan=True)  # alone or in a batch


def test_calibration_folder(spec_file, tmp_path):
    result = cal.calibrate(cal.load_spec(spec_file), root=tmp_path)
    folder = result.folder
    assert folder.parent.name == "tiny" and not folder.name.startswith(".")
    for name in ("best.toml", "history.csv", "abc_samples.parquet", "ranges.json",
                 "summary.json", "report.md", "manifest.json",
                 "figures/calibration_convergence.png", "figures/calibration_targets.png",
                 "figures/calibration_ranges.png"):
        assert (folder / name).is_file(), name
    assert not (folder / "checkpoint.npz").exists()
    assert len(result.history) == 3
    history = [h["best_distance"] for h in result.history]
    assert all(b <= a for a, b in itertools.pairwise(history))  # elitist
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["model_runs"] == result.runs > 0
    from taobao_sim import load_scenario

    best = load_scenario(folder / "best.toml")
    assert best["shops.imitation"] == pytest.approx(result.best["shops.imitation"])


def test_resume_after_interrupt(spec_file, tmp_path, monkeypatch):
    monkeypatch.setattr(cal, "CHUNK_UNIVERSES", 40)  # 10 ABC samples per checkpoint
    spec = cal.load_spec(spec_file)
    whole = cal.calibrate(spec, root=tmp_path / "a")

    def stop_in_abc(stage, done, total, best):
        if stage == "uncertainty" and done == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cal.calibrate(spec, root=tmp_path / "b", progress=stop_in_abc)
    assert cal.work_folder(tmp_path / "b", spec).exists()
    resumed = cal.calibrate(spec, root=tmp_path / "b", resume=True)
    assert resumed.best == whole.best
    assert np.array_equal(resumed.sample_stats, whole.sample_stats, equal_nan=True)
    assert resumed.ranges == whole.ranges
    assert not cal.work_folder(tmp_path / "b", spec).exists()


def test_resume_during_optimisation(spec_file, tmp_path):
    spec = cal.load_spec(spec_file)

    def stop(stage, done, total, best):
        if stage == "optimise" and done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cal.calibrate(spec, root=tmp_path, progress=stop)
    result = cal.calibrate(spec, root=tmp_path, resume=True)
    assert len(result.history) == spec.maxiter
    assert result.history[0]["generation"] == 1  # the first generation was kept


def test_resume_needs_something_to_resume(spec_file, tmp_path):
    from taobao_sim.core.errors import UsageError

    with pytest.raises(UsageError, match="no unfinished calibration"):
        cal.calibrate(cal.load_spec(spec_file), root=tmp_path, resume=True)


def test_recovers_known_parameters(write_toml, tmp_path):
    """Data made by the model at known parameters; the calibration's ranges of
    parameters consistent with every target must contain the truth."""
    truth = {"shops.imitation": 0.3, "market.outside_reputation": 1.2e4}
    spec = cal.load_spec(write_toml("r0.toml", SPEC))
    ev = cal.Evaluator(spec)
    observed = ev(np.array([[truth[n] for n in spec.names]])).stats[0]
    stat = {t.id: observed[k] for k, t in enumerate(spec.targets)}
    targets = "\n".join([
        f"D4 = {{ weight = 1.0, center = {stat['D4']}, lower = {stat['D4'] - 0.02}, "
        f"upper = {stat['D4'] + 0.02} }}",
        f"D6 = {{ weight = 1.0, center = {stat['D6']}, lower = {0.9 * stat['D6']}, "
        f"upper = {1.1 * stat['D6']} }}",
        f"D7 = {{ weight = 1.0, center = {stat['D7']}, lower = {0.8 * stat['D7']}, "
        f"upper = {1.25 * stat['D7']} }}",
    ])
    text = SPEC.split("[targets]")[0] + "[targets]\n" + targets + "\n"
    text = text.replace("maxiter = 3", "maxiter = 8").replace("samples = 40", "samples = 160")
    spec = cal.load_spec(write_toml("recover.toml", text))
    result = cal.calibrate(spec, root=tmp_path)
    for row in result.ranges:
        assert row["low"] is not None, row
        assert row["low"] <= truth[row["name"]] <= row["high"], row
    # the fit itself meets the pseudo-observed targets
    assert result.best_distance < 3.0


def test_ranges_are_not_judged_on_a_handful_of_samples(spec_file):
    """Two accepted samples say nothing about how wide the accepted set is: the range is
    shown but no verdict of identification is given."""
    spec = cal.load_spec(spec_file)
    rng = np.random.default_rng(1)
    search = rng.uniform(0.2, 0.4, size=(50, 2))
    accepted = np.zeros(50, bool)
    lo, hi = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    for k, judged in ((2, False), (cal.MIN_ACCEPTED, True)):
        accepted[:] = False
        accepted[:k] = True
        rows = cal.parameter_ranges(spec, np.array([0.3, 1e4]), search, accepted, lo, hi, search)
        assert all(r["verdict"].startswith("not judged") != judged for r in rows)
        assert all(r["low"] is not None for r in rows)

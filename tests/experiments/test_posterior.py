"""Posterior samples: quantiles, draws, files, and posterior ensembles in
``run --posterior`` and ``compare --posterior``."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from taobao_sim import load_scenario
from taobao_sim.apps import cli
from taobao_sim.core.errors import UsageError
from taobao_sim.engines import simulate
from taobao_sim.experiments import compare
from taobao_sim.experiments.posterior import Posterior, load_posterior, weighted_quantile

from ..conftest import SCENARIOS

NAMES = ("shops.imitation", "market.outside_reputation")


@pytest.fixture
def posterior() -> Posterior:
    values = np.array([[0.2, 3000.0], [0.5, 6000.0], [0.9, 20000.0]])
    return Posterior(NAMES, values, np.array([1.0, 2.0, 1.0]), {"calibration": "test"})


def test_weights_are_normalised_and_checked(posterior):
    assert posterior.weights.sum() == pytest.approx(1.0)
    assert posterior.ess == pytest.approx(1 / (0.25**2 + 0.5**2 + 0.25**2))
    with pytest.raises(ValueError):
        Posterior(NAMES, np.zeros((2, 2)), np.array([1.0, -1.0]))
    with pytest.raises(ValueError):
        Posterior(NAMES, np.zeros((2, 3)), np.ones(2))


def test_weighted_quantile_matches_numpy_with_equal_weights():
    x = np.random.default_rng(1).normal(size=501)
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(weighted_quantile(x, np.ones_like(x), q),
                               np.quantile(x, q, method="hazen"), atol=1e-12)
    # a particle with all the weight is every quantile
    w = np.zeros_like(x)
    w[7] = 1.0
    assert weighted_quantile(x, w, q).tolist() == [x[7]] * 3


def test_draws_follow_weights_and_keep_each_replicate(posterior):
    rows = posterior.draw(20_000, seed=3)
    share = np.bincount(rows, minlength=3) / rows.size
    np.testing.assert_allclose(share, [0.25, 0.5, 0.25], atol=0.02)
    ten = posterior.draw_replicates(5, list(range(10)))
    four = posterior.draw_replicates(5, list(range(4)))
    assert ten[:4].tolist() == four.tolist()  # adding replicates keeps the first ones
    assert posterior.draw_replicates(6, list(range(10))).tolist() != ten.tolist()


def test_point_is_a_particle(posterior):
    point = posterior.point()
    assert [point[n] for n in NAMES] in posterior.values.tolist()
    assert point["shops.imitation"] == 0.5


def test_file_round_trip_and_errors(posterior, tmp_path):
    path = tmp_path / "posterior.parquet"
    posterior.write(path)
    back = load_posterior(tmp_path)  # the folder holding it works too
    assert back.names == NAMES and back.meta == {"calibration": "test"}
    np.testing.assert_array_equal(back.values, posterior.values)
    assert back.digest() == posterior.digest()
    with pytest.raises(UsageError, match="file not found"):
        load_posterior(tmp_path / "none.parquet")
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(UsageError, match="not a Parquet file"):
        load_posterior(tmp_path / "junk.parquet")
    table = pq.read_table(path).rename_columns(["shops.nothing", "market.outside_reputation",
                                                 "weight"])
    pq.write_table(table, tmp_path / "bad.parquet")
    with pytest.raises(UsageError, match=r"shops\.nothing"):
        load_posterior(tmp_path / "bad.parquet")


def test_posterior_ensemble_runs_each_replicate_with_its_draw(posterior, dinglou):
    scenarios, rows = posterior.ensemble(dinglou, 4, 3)
    out = simulate(dinglou, replicates=3, seed=4, per_replicate=scenarios)
    for r in range(3):
        assert out.scenarios[r]["shops.imitation"] == posterior.values[rows[r], 0]
        # each replicate is the plain run of its own parameter set with its own seed
        alone = simulate(scenarios[r], replicates=3, seed=4)
        np.testing.assert_array_equal(out.metrics[r], alone.metrics[r])


def test_run_posterior_command(posterior, tmp_path, capsys):
    posterior.write(tmp_path / "posterior.parquet")
    code = cli.main(["run", str(SCENARIOS / "dinglou.toml"), "--replicates", "3", "--quiet",
                     "--posterior", str(tmp_path / "posterior.parquet"), "--no-figures",
                     "--out", str(tmp_path / "r")])
    assert code == 0, capsys.readouterr().err
    folder = next((tmp_path / "r" / "dinglou").iterdir())
    draws = pq.read_table(folder / "posterior_draws.parquet").to_pylist()
    assert [d["replicate"] for d in draws] == [0, 1, 2]
    rows = posterior.draw_replicates(load_scenario(SCENARIOS / "dinglou.toml").seed, [0, 1, 2])
    assert [d["particle"] for d in draws] == rows.tolist()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["posterior"]["digest_sha256"] == posterior.digest()
    code = cli.main(["run", str(SCENARIOS / "dinglou.toml"), "--posterior",
                     str(tmp_path / "none.parquet"), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "file not found" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_effects_are_paired_over_the_baseline(posterior):
    names = ["baseline", "transfers_only"]
    scenarios = [load_scenario(SCENARIOS / "policies" / f"{n}.toml") for n in names]
    cmp = compare.compare(scenarios, replicates=4, seed=2, posterior=posterior)
    assert cmp.posterior["digest_sha256"] == posterior.digest()
    (row,) = cmp.effects()
    base, pol = cmp.values["baseline"], cmp.values["transfers_only"]
    extra = pol["people_lifted"] - base["people_lifted"]
    assert row["extra_people_lifted"] == pytest.approx(np.median(extra))
    cost = pol["public_cost"] - base["public_cost"]
    assert row["extra_public_cost_p95"] == pytest.approx(np.percentile(cost, 95))
    per = cost[extra > 0] * 1e6 / extra[extra > 0]
    assert row["cost_per_extra_person_n"] == int((extra > 0).sum())
    if per.size:
        assert row["cost_per_extra_person"] == pytest.approx(np.median(per))
    # both scenarios drew the same parameter set in each replicate
    for r in range(4):
        assert (cmp.outputs["baseline"].scenarios[r]["shops.imitation"]
                == cmp.outputs["transfers_only"].scenarios[r]["shops.imitation"])

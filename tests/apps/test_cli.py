"""The taobao-sim command, end to end in a temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from taobao_sim.apps import cli
from taobao_sim.figures import run as plots

from ..conftest import MINIMAL, SCENARIOS

DINGLOU = str(SCENARIOS / "dinglou.toml")


def run_cli(capsys, *args):
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _only_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_run_writes_a_complete_folder(tmp_path, capsys):
    code, out, err = run_cli(capsys, "run", DINGLOU, "--replicates", "2", "--seed", "5",
                             "--out", str(tmp_path), "--quiet")
    assert code == 0, err
    ids = [f"D{i}" for i in range(1, 10)] + ["D5b", "P2", "P3", "P4"]
    for target in ids:
        assert target in out
    runs = list((tmp_path / "dinglou").iterdir())
    assert len(runs) == 1
    folder = runs[0]
    assert folder.name.endswith("-s5")
    for name in ("manifest.json", "summary.json", "timeseries.parquet", "timeseries.csv",
                 "households.parquet", "households.csv", "counterfactual_timeseries.csv",
                 "figures/adoption.png",
                 "figures/poverty.png", "figures/migration.png", "figures/sales.png"):
        assert (folder / name).is_file(), name
    summary = json.loads((folder / "summary.json").read_text())
    assert sorted(r["id"] for r in summary["rows"]) == sorted(ids)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["command"][:2] == ["taobao-sim", "run"]
    assert len(manifest["replicates"]) == 2


def test_seed_and_replicates_reach_the_simulation(tmp_path, capsys):
    """The numbers in the folder are those of the requested seed and replicates, and the
    manifest records them (not only the folder's name)."""
    import numpy as np
    import pandas as pd

    from taobao_sim import load_scenario, simulate
    from taobao_sim.core.rng import replicate_seeds

    code, _out, err = run_cli(capsys, "run", DINGLOU, "--replicates", "3", "--seed", "41",
                              "--out", str(tmp_path), "--quiet", "--no-figures")
    assert code == 0, err
    folder = next((tmp_path / "dinglou").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["root_seed"] == 41
    assert [r["seed"] for r in manifest["replicates"]] == replicate_seeds(41, 3)
    ts = pd.read_csv(folder / "timeseries.csv")
    assert sorted(ts["replicate"].unique()) == [0, 1, 2]
    expected = simulate(load_scenario(DINGLOU), replicates=3, seed=41)
    for r in range(3):
        got = ts[ts["replicate"] == r]
        assert np.allclose(got["sales_yuan"], expected.metrics[r, :, 0, _col("sales_yuan")])
        assert (got["returns"].to_numpy() == expected.metrics[r, :, 0, _col("returns")]).all()
    other = simulate(load_scenario(DINGLOU), replicates=3, seed=42)
    assert not np.array_equal(other.metrics, expected.metrics)


def _col(name):
    from taobao_sim.core.records import M

    return int(M[name.upper()])


def test_run_headline_table_and_no_panel(tmp_path, capsys, write_toml):
    path = write_toml("mini.toml", MINIMAL)
    code, out, err = run_cli(capsys, "run", str(path), "--out", str(tmp_path), "--quiet",
                             "--no-households", "--no-figures", "--threads", "1")
    assert code == 0, err
    assert "headline figures" in out
    folder = next((tmp_path / "mini").iterdir())
    assert not (folder / "households.csv").exists() and not (folder / "figures").exists()


@pytest.mark.parametrize("args, expected", [
    (["--replicates", "0"], "is 0; expected 1 to 100,000"),
    # the flags stand for the file's keys and accept exactly the file's range
    (["--replicates", "100001"], "is 100,001; expected 1 to 100,000"),
    (["--replicates", "two"], "expected a whole number"),
    (["--seed", "-1"], "is -1; expected 0 to 9,223,372,036,854,775,807"),
    (["--seed", str(2**63)], "expected 0 to 9,223,372,036,854,775,807"),
    (["--threads", "0"], "is 0; expected 1 to"),
    (["--out", ""], "argument --out: is empty; expected a folder"),
    (["--out", "a\x00b"], "argument --out: contains a NUL byte"),
    (["--out", "x" * 5000], "argument --out: is too long for the file system"),
    (["--memory-limit", "-1"], "argument --memory-limit: is -1; expected a positive"),
    (["--engine", "java"], "invalid choice"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_flags(tmp_path, capsys, args, expected):
    with pytest.raises(SystemExit) as info:
        cli.main(["run", DINGLOU, "--out", str(tmp_path / "r"), *args])
    code = info.value.code
    err = capsys.readouterr().err
    if code is None:  # pragma: no cover
        pytest.fail("no exit")
    assert code == 2
    assert expected in _only_line(err)
    assert not (tmp_path / "r").exists()


def test_too_many_threads_is_a_clean_error(tmp_path, capsys):
    code, _out, err = run_cli(capsys, "run", DINGLOU, "--threads", "4096",
                              "--out", str(tmp_path / "r"))
    assert code == 2 and "expected 1 to" in _only_line(err)
    assert not (tmp_path / "r").exists()


def test_out_is_a_file(tmp_path, capsys):
    afile = tmp_path / "taken"
    afile.write_text("keep me")
    code, _out, err = run_cli(capsys, "run", DINGLOU, "--out", str(afile))
    assert code == 2 and "existing file" in _only_line(err)
    assert afile.read_text() == "keep me"
    code, _out, err = run_cli(capsys, "run", DINGLOU, "--out", str(afile / "below"))
    assert code == 2 and "is a file" in _only_line(err)


def test_out_not_writable(tmp_path, capsys, monkeypatch):
    import os

    monkeypatch.setattr(os, "access", lambda *a, **k: False)  # root may write anywhere
    code, _out, err = run_cli(capsys, "run", DINGLOU, "--out", str(tmp_path / "r"))
    assert code == 2 and "not writable" in _only_line(err)
    assert not (tmp_path / "r").exists()


def test_misspelled_key(tmp_path, capsys, write_toml):
    path = write_toml("typo.toml", MINIMAL.replace("replicates = 2", "replicats = 2"))
    code, _out, err = run_cli(capsys, "run", str(path), "--out", str(tmp_path / "r"))
    line = _only_line(err)
    assert code == 2
    assert str(path) in line and "'replicats'" in line and "did you mean 'replicates'" in line
    assert not (tmp_path / "r").exists()


def test_missing_scenario(tmp_path, capsys):
    code, _out, err = run_cli(capsys, "run", str(tmp_path / "none.toml"), "--out",
                              str(tmp_path / "r"))
    assert code == 2 and "file not found" in _only_line(err)


def test_interrupted_write_leaves_nothing(tmp_path, capsys, monkeypatch):
    def interrupted(out, folder):
        (folder / "adoption.png").write_bytes(b"half a picture")
        raise KeyboardInterrupt

    monkeypatch.setattr(plots, "run_figures", interrupted)
    code, _out, err = run_cli(capsys, "run", DINGLOU, "--replicates", "1", "--quiet",
                              "--out", str(tmp_path))
    assert code == 130 and "nothing was written" in err
    assert not (tmp_path / "dinglou").exists()  # nor the folder made for it


def test_validate_and_keys(capsys):
    code, out, _ = run_cli(capsys, "validate", str(SCENARIOS / "daiji.toml"))
    assert code == 0 and "32 villages" in out and "dinglou.toml" in out
    code, out, _ = run_cli(capsys, "keys")
    assert code == 0 and "shops.imitation" in out
    code, out, _ = run_cli(capsys, "keys", "--markdown")
    assert out.startswith("# Scenario file reference")


def test_help_is_complete(capsys):
    for args in (["--help"], *([c, "--help"] for c in cli.COMMANDS)):
        with pytest.raises(SystemExit) as info:
            cli.main(args)
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "usage: taobao-sim" in out
        assert "%%" not in out and "%(" not in out  # argparse's escapes all resolved
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = capsys.readouterr().out
    for flag in ("--seed", "--replicates", "--out", "--threads", "--engine"):
        assert flag in text


def test_console_script_has_no_traceback(tmp_path, write_toml):
    path = write_toml("bad.toml", MINIMAL + "[shops]\nimitation = 2.0\n")
    proc = subprocess.run([sys.executable, "-m", "taobao_sim.apps.cli", "run", str(path), "--out",
                           str(tmp_path / "r")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "shops.imitation" in _only_line(proc.stderr)
    assert not (tmp_path / "r").exists()


def test_mesa_engine_writes_the_same_folder(tmp_path, capsys):
    import pyarrow.parquet as pq

    for engine in ("numba", "mesa"):
        code, _out, err = run_cli(capsys, "run", DINGLOU, "--replicates", "1", "--seed", "3",
                                  "--engine", engine, "--quiet", "--no-figures",
                                  "--out", str(tmp_path / engine))
        assert code == 0, err
    fast, slow = (next((tmp_path / e / "dinglou").iterdir()) for e in ("numba", "mesa"))
    for name in ("timeseries.parquet", "households.parquet"):
        assert pq.read_table(fast / name).equals(pq.read_table(slow / name)), name
    assert json.loads((slow / "manifest.json").read_text())["engine"] == "mesa"
    assert (json.loads((fast / "summary.json").read_text())["rows"]
            == json.loads((slow / "summary.json").read_text())["rows"])


def test_calibrate_command(tmp_path, capsys, write_toml):
    from ..experiments.test_calibrate import SPEC

    spec = write_toml("tiny.toml", SPEC)
    code, out, err = run_cli(capsys, "calibrate", str(spec), "--out", str(tmp_path),
                             "--workers", "1", "--quiet", "--format", "svg")
    assert code == 0, err
    assert "tiny calibrated" in out and "shops.imitation" in out and "model runs" in out
    (folder,) = [p for p in (tmp_path / "calibration" / "tiny").iterdir()
                 if not p.name.startswith(".")]
    figures = {p.name for p in (folder / "figures").iterdir()}
    # the report links PNG figures; --format svg adds vector copies of each
    assert {"calibration_convergence.png", "calibration_convergence.svg"} <= figures
    assert len([f for f in figures if f.endswith(".svg")]) == \
        len([f for f in figures if f.endswith(".png")])
    bad = write_toml("bad.toml", SPEC.replace('"shops.imitation"', '"shops.imitaton"'))
    code, _out, err = run_cli(capsys, "calibrate", str(bad), "--out", str(tmp_path / "x"))
    assert code == 2 and "did you mean 'shops.imitation'" in _only_line(err)
    code, _out, err = run_cli(capsys, "calibrate", str(spec), "--out", str(tmp_path),
                              "--resume")
    assert code == 2 and "no unfinished calibration" in _only_line(err)


def test_sweep_and_analyze_commands(tmp_path, capsys, write_toml):
    from ..experiments.test_sweep import GRID

    spec = write_toml("tiny.toml", GRID)
    code, out, err = run_cli(capsys, "sweep", str(spec), "--workers", "0", "--out",
                             str(tmp_path), "--quiet")
    assert code == 0, err
    assert "12 runs" in out
    folder = next((tmp_path / "sweeps" / "tiny").iterdir())
    code, out, err = run_cli(capsys, "analyze", str(folder))
    assert code == 0, err
    assert "participation_end" in out
    code, _out, err = run_cli(capsys, "sweep", str(spec), "--workers", "0", "--out",
                              str(tmp_path))
    assert code == 2 and "already complete" in _only_line(err)
    code, _out, err = run_cli(capsys, "sweep", str(spec), "--workers", "999", "--out",
                              str(tmp_path / "n"))
    assert code == 2 and "--workers 999" in _only_line(err)
    code, _out, err = run_cli(capsys, "sweep", str(spec), "--scheduler", "tcp://127.0.0.1:9",
                              "--out", str(tmp_path / "m"))
    assert code == 2 and "no Dask scheduler answered" in _only_line(err)
    assert not (tmp_path / "m").exists() and not (tmp_path / "n").exists()
    bad = write_toml("bad.toml", GRID.replace('kind = "grid"', 'kind = "sobol"\nsamples = 6'))
    code, _out, err = run_cli(capsys, "sweep", str(bad), "--out", str(tmp_path / "b"))
    assert code == 2 and "power of two" in _only_line(err)
    code, _out, err = run_cli(capsys, "analyze", str(tmp_path))
    assert code == 2 and "not a sweep folder" in _only_line(err)

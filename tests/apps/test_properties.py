"""Property-based tests of the command line's contract (hypothesis).

Generated scenario files, sweep specs, calibration specs and argument lists,
valid and broken: each must either run, or exit 2 with exactly one line on
standard error, no traceback and no new file. The default run tries a small
number of cases (fixed, so that a failure reproduces); the slow suite tries ten
times as many, freshly drawn each time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numba
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .hostile import (
    SWEEP,
    TINY,
    assert_contract,
    calibration_doc,
    run_contract,
    scenario_doc,
    sweep_doc,
    to_toml,
)

#: Cases per property in the default run; the slow suite runs SLOW_FACTOR times more.
EXAMPLES = {"scenario": 100, "run": 30, "sweep": 30, "calibration": 60, "argv": 60}
SLOW_FACTOR = 10


def budget(name: str, slow: bool) -> Callable:
    return settings(max_examples=EXAMPLES[name] * (SLOW_FACTOR if slow else 1),
                    deadline=None, derandomize=not slow, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def properties(name: str, strategy: st.SearchStrategy, check: Callable) -> tuple:
    """The two tests of one property: the default run's (a fixed, small set of
    cases) and the slow suite's (ten times as many, freshly drawn)."""

    def test(case):
        check(case)

    default = budget(name, slow=False)(given(strategy)(test))
    many = pytest.mark.slow(budget(name, slow=True)(given(strategy)(test)))
    return default, many


def in_scratch(files: dict[str, str], argv: list[str]):
    """Write ``files`` into a fresh folder, run ``argv`` there, check the contract."""
    threads = numba.get_num_threads()
    with tempfile.TemporaryDirectory(prefix="taobao-contract-") as tmp:
        folder = Path(tmp)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        outcome = run_contract(argv, folder)
        numba.set_num_threads(threads)  # --threads must not leak into other tests
        event(f"exit {outcome.code}")  # --hypothesis-show-statistics: how many ran
        assert_contract(outcome)
        return outcome


# -- scenario files ----------------------------------------------------------------

def check_scenario_file(doc):
    in_scratch({"tiny.toml": to_toml(doc)}, ["validate", "tiny.toml"])


def check_scenario_run(doc):
    outcome = in_scratch({"tiny.toml": to_toml(doc)},
                         ["run", "tiny.toml", "--replicates", "1", "--quiet", "--no-figures",
                          "--out", "o"])
    if outcome.code == 0:
        assert any(f.endswith("manifest.json") for f in outcome.new_files)


test_scenario_files, test_scenario_files_many = \
    properties("scenario", scenario_doc(), check_scenario_file)


test_scenario_runs, test_scenario_runs_many = \
    properties("run", scenario_doc(run_sized=True), check_scenario_run)


# -- sweep and calibration specs -------------------------------------------------

def check_sweep(doc):
    outcome = in_scratch({"tiny.toml": to_toml(TINY), "sweep.toml": to_toml(doc)},
                         ["sweep", "sweep.toml", "--out", "o", "--quiet"])
    if outcome.code == 0:
        assert any(f.endswith("outputs.parquet") for f in outcome.new_files)


def check_calibration(doc):
    in_scratch({"cal.toml": to_toml(doc)}, ["validate", "cal.toml"])


test_sweep_specs, test_sweep_specs_many = \
    properties("sweep", sweep_doc(), check_sweep)


test_calibration_specs, test_calibration_specs_many = \
    properties("calibration", calibration_doc(), check_calibration)


# -- argument lists ----------------------------------------------------------------

VALUES = st.one_of(
    st.sampled_from(["0", "1", "2", "-1", "", " ", "x", "1.5", "1e3", "100001",
                     "99999999999999999999", "..", "/", "afile", "o", "o/../p", "tiny.toml",
                     "missing.toml", "-", "--quiet", "nan", "inf", "0x10", "٣"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=6))
#: Addresses that fail at once (an unanswered but well-formed address would cost
#: the connection timeout per case).
ADDRESSES = st.sampled_from(["foo:bar:baz", "tcp://", "xyz://a:1", "127.0.0.1:99999", "",
                             "tcp://host", "[::1", "tcp://127.0.0.1:0"])
COMMANDS = {
    "run": (["tiny.toml", "missing.toml", "afile", "sweep.toml", "."],
            ["--seed", "--replicates", "--out", "--threads", "--engine", "--posterior",
             "--memory-limit"], ["--no-households", "--no-figures", "--quiet", "--bogus"]),
    "sweep": (["sweep.toml", "tiny.toml", "missing.toml", "afile"],
              ["--workers", "--cluster", "--threads", "--out", "--memory-limit"],
              ["--resume", "--quiet", "--bogus"]),
    "compare": (["tiny.toml", "missing.toml", "afile"],
                ["--seed", "--replicates", "--threads", "--out", "--posterior"], ["--bogus"]),
    "calibrate": (["tiny.toml", "sweep.toml", "missing.toml", "afile"],
                  ["--workers", "--threads", "--out", "--checks", "--docs"],
                  ["--resume", "--restart", "--quiet"]),
    "validate": (["tiny.toml", "sweep.toml", "missing.toml", "afile", ".", "/dev/null"], [],
                 ["--bogus"]),
    "analyze": (["o", ".", "missing", "afile"], ["--outputs"], ["--bogus"]),
    "keys": ([], [], ["--markdown", "--bogus"]),
}


@st.composite
def argv_lists(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    positional, with_value, flags = COMMANDS[command]
    argv = [command]
    if positional:
        argv += draw(st.lists(st.sampled_from(positional), min_size=0, max_size=2))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["value", "flag", "scheduler", "stray"]))
        if kind == "value" and with_value:
            flag = draw(st.sampled_from(with_value))
            argv += [flag, draw(VALUES)]
        elif kind == "flag" and flags:
            argv.append(draw(st.sampled_from(flags)))
        elif kind == "scheduler" and command == "sweep":
            argv += ["--scheduler", draw(ADDRESSES)]
        elif kind == "stray":
            argv.append(draw(VALUES))
    if command in ("run", "sweep", "compare") and "--quiet" not in argv:
        argv.append("--quiet")
    return argv


def check_argv(argv):
    tiny = to_toml(TINY)
    in_scratch({"tiny.toml": tiny, "sweep.toml": to_toml(SWEEP), "afile": "not a toml {"},
               argv)


test_argument_lists, test_argument_lists_many = \
    properties("argv", argv_lists(), check_argv)



"""What a hostile user types, and the contract every answer must keep.

The contract of the command line: a command either does its work (exit 0), or
exits with status 2 and exactly one line on standard error, no traceback, and no
new file anywhere in its folder. :func:`run_contract` runs a command in-process
in a scratch folder and :func:`assert_contract` checks that promise; the
strategies build scenario files, sweep and calibration specs and argument lists,
valid and broken, from the tool's own key table.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from taobao_sim.apps import cli
from taobao_sim.core import params

from ..conftest import SCENARIOS

# -- a small world every generated file starts from -------------------------------

TINY: dict[str, Any] = {
    "name": "tiny",
    "start": "2009-01",
    "end": "2010-06",
    "seed": 1,
    "replicates": 2,
    "targets": "none",
    "villages": [{"name": "A", "households": 40, "industry_base": 0.05},
                 {"name": "B", "households": 30, "x_km": 2.0}],
}

SWEEP: dict[str, Any] = {
    "name": "tinysweep",
    "scenario": "tiny.toml",
    "seed": 1,
    "replicates": 1,
    "runs_per_task": 2,
    "design": {"kind": "grid"},
    "parameters": {"shops.imitation": {"range": [0.1, 0.5], "steps": 2}},
    "record": {"every": "end"},
}

CALIBRATION: dict[str, Any] = {
    "name": "tinycal",
    "method": "msm",
    "scenario": str(SCENARIOS / "dinglou.toml"),
    "replicates": 2,
    "seed": 3,
    "optimizer": {"popsize": 2, "maxiter": 1, "seed": 2},
    "uncertainty": {"samples": 2, "box": 0.3, "final_replicates": 2},
    "parameters": {"shops.imitation": [0.05, 0.8]},
    "targets": {"D4": 1.0},
}

# -- TOML text -------------------------------------------------------------------


def toml_scalar(value: Any) -> str:
    """A value as TOML (strings escaped so any text, even control characters,
    makes a valid file: the test is of the tool, not of the TOML parser)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, list):
        return "[" + ", ".join(toml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_scalar(v)}"
                                for k, v in value.items()) + " }"
    raise TypeError(type(value))


def to_toml(doc: dict[str, Any]) -> str:
    """A document of top-level keys, tables and arrays of tables as TOML text."""
    top, tables, arrays = [], [], []
    for key, value in doc.items():
        if isinstance(value, dict):
            tables.append((key, value))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            arrays.append((key, value))
        else:
            top.append(f"{json.dumps(key)} = {toml_scalar(value)}")
    out = top
    for key, table in tables:
        out.append(f"[{json.dumps(key)}]")
        out += [f"{json.dumps(k)} = {toml_scalar(v)}" for k, v in table.items()]
    for key, rows in arrays:
        for row in rows:
            out.append(f"[[{json.dumps(key)}]]")
            out += [f"{json.dumps(k)} = {toml_scalar(v)}" for k, v in row.items()]
    return "\n".join(out) + "\n"


# -- values a user might write ---------------------------------------------------

NASTY_TEXT = ["", " ", "..", ".", "../x", "../../etc", "/tmp/x", "a/b", "a\\b", "~",
              "x" * 300, "丁楼", "a\u0000b", "a\nb", "CON", "-rf", "--help", "2009-13",
              "2009-00", "1899-01", "2200-12", "9999-99", "2010-1", "nan", "inf"]

any_int = st.one_of(st.integers(-3, 5), st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1,
                                                          10**7, 10**12]))
any_float = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                      st.sampled_from([0.0, -0.0, 1e-300, 1e300, 0.5, 1.0]))
any_text = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12))
scalar = st.one_of(any_int, any_float, any_text, st.booleans())
value = st.one_of(scalar, st.lists(scalar, max_size=3),
                  st.dictionaries(st.sampled_from(["a", "range", "values", "bounds", "steps",
                                                   "log", "weight"]), scalar, max_size=3))

KEYS = [p.dotted for p in params.ALL_PARAMS if p.section not in ("villages",)
        and p.dotted != "extends"]
VILLAGE_KEYS = [p.key for p in params.ALL_PARAMS if p.section == "villages"]


BY_DOTTED = {p.dotted: p for p in params.ALL_PARAMS}


def valid_value(dotted: str) -> st.SearchStrategy:
    """Values a careful user would write for a scenario key: of its kind, inside its
    range (so that generated files are valid often enough to run)."""
    p = BY_DOTTED[dotted]
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "month":
        return st.sampled_from(["2009-01", "2009-06", "2010-03"])
    if p.kind == "str":
        return st.sampled_from({"name": ["v1", "variant-2", "丁楼"],
                                "targets": ["none"]}.get(p.key, [p.default]))
    lo = p.lo if p.lo is not None else 0
    hi = p.hi if p.hi is not None else lo + 10
    if p.kind == "int":
        return st.integers(int(lo), int(min(hi, lo + 5)))
    return st.floats(float(lo), float(min(hi, lo + 1e6)), allow_nan=False)


def with_key(doc: dict[str, Any], dotted: str, v: Any) -> dict[str, Any]:
    """A copy of ``doc`` with ``dotted`` (``"section.key"`` or a top-level key) set."""
    doc = json.loads(json.dumps(doc))  # a deep copy
    if "." in dotted:
        section, key = dotted.split(".", 1)
        table = doc.setdefault(section, {})
        if isinstance(table, dict):
            table[key] = v
        else:
            doc[section] = {key: v}
    else:
        doc[dotted] = v
    return doc


@st.composite
def scenario_doc(draw, run_sized: bool = False) -> dict[str, Any]:
    """A scenario document: the tiny world with one to three edits, each a known key
    given any value, an unknown key, or a village edited. ``run_sized``: keys that
    size the world keep it small, so that a valid document runs in a moment."""
    doc = json.loads(json.dumps(TINY))
    sizing = ("synthetic.", "start", "end", "replicates", "output.households_every")
    keys = [k for k in KEYS if not (run_sized and k.startswith(sizing))]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["key", "key", "valid", "valid", "unknown", "village",
                                     "drop"]))
        if kind == "key":
            doc = with_key(doc, draw(st.sampled_from(keys)), draw(value))
        elif kind == "valid":
            key = draw(st.sampled_from(keys))
            doc = with_key(doc, key, draw(valid_value(key)))
        elif kind == "unknown":
            doc = with_key(doc, draw(st.sampled_from(["bogus", "shops.bogus", "shop.imitation",
                                                      "Name", "villages_file"])), draw(value))
        elif kind == "village" and isinstance(doc.get("villages"), list):
            village = doc["villages"][draw(st.integers(0, 1))]
            key = draw(st.sampled_from([*VILLAGE_KEYS, "bogus"]))
            v = draw(value)
            if run_sized and key == "households":
                v = draw(st.one_of(st.integers(-2, 60), any_text, any_float))
            village[key] = v
        elif kind == "drop":
            doc.pop(draw(st.sampled_from(["villages", "name", "start", "targets"])), None)
    return doc


@st.composite
def sweep_doc(draw) -> dict[str, Any]:
    """A sweep spec over the tiny world, with one to three edits; sizes stay small
    or are out of range, so a valid spec runs in a moment."""
    doc = json.loads(json.dumps(SWEEP))
    small = st.one_of(st.integers(-2, 3), st.sampled_from([10**9, 2**64]), any_text, any_float)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["top", "design", "parameter", "record", "unknown",
                                     "benign", "benign", "benign"]))
        if kind == "benign":  # what a careful user changes
            key, v = draw(st.sampled_from([
                ("seed", draw(st.integers(0, 10**6))), ("replicates", draw(st.integers(1, 2))),
                ("runs_per_task", draw(st.integers(1, 4))), ("name", "sweep-2"),
                ("design", {"kind": "lhs", "samples": draw(st.integers(1, 3))}),
                ("parameters", {"shops.imitation": {"bounds": [0.05, 0.5]}}),
                ("parameters", {"shops.startup_cost_yuan": {"values": [1000.0, 5000.0]}}),
                ("record", {"every": "month", "series": ["sellers", "poor"]}),
                ("record", {"every": "dates", "dates": ["2009-12"], "village": "B"})]))
            doc[key] = v
            if key == "parameters" and "bounds" in str(v) and doc["design"].get("kind") == \
                    "grid":
                doc["design"] = {"kind": "lhs", "samples": 2}
        elif kind == "top":
            key = draw(st.sampled_from(["name", "seed", "replicates", "runs_per_task",
                                        "scenario", "description"]))
            doc[key] = draw(small if key in ("replicates", "runs_per_task") else value)
        elif kind == "design":
            doc["design"] = {"kind": draw(st.one_of(st.sampled_from(
                ["grid", "lhs", "sobol", "morris", "latin"]), any_text))}
            if draw(st.booleans()):
                doc["design"][draw(st.sampled_from(["samples", "trajectories", "levels",
                                                    "seed", "bogus"]))] = draw(small)
        elif kind == "parameter":
            key = draw(st.one_of(st.sampled_from(KEYS), any_text))
            spec = draw(st.sampled_from([
                {"range": [draw(any_float), draw(any_float)], "steps": draw(small)},
                {"values": draw(st.lists(scalar, max_size=3))},
                {"bounds": [draw(any_float), draw(any_float)]},
                {"range": draw(value), "log": draw(scalar)}]))
            doc["parameters"] = {key: spec} if draw(st.booleans()) else \
                {**doc["parameters"], key: spec}
        elif kind == "record":
            doc["record"] = {draw(st.sampled_from(["every", "dates", "series", "village",
                                                   "bogus"])): draw(value)}
        else:
            doc[draw(st.sampled_from(["bogus", "parameter", "Design"]))] = draw(value)
    return doc


@st.composite
def calibration_doc(draw) -> dict[str, Any]:
    """A calibration spec (either method) with one to three edits."""
    doc = json.loads(json.dumps(CALIBRATION))
    tables = {"optimizer": ["method", "popsize", "maxiter", "tol", "seed", "mutation",
                            "recombination", "start"],
              "uncertainty": ["method", "samples", "box", "final_replicates"],
              "abc": ["population", "generations", "initial_epsilon", "alpha", "min_epsilon",
                      "min_acceptance", "max_simulations", "max_minutes"],
              "screening": ["trajectories", "levels", "factor", "replicates", "threshold"],
              "targets": ["D2", "D4", "D6", "H1", "T1 D2", "bogus"],
              "parameters": [*KEYS[:40], "bogus"],
              "fixed": KEYS[:20]}
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["top", "table", "method", "benign", "benign"]))
        if kind == "benign":  # what a careful user changes
            key, v = draw(st.sampled_from([
                ("seed", draw(st.integers(0, 10**6))), ("replicates", draw(st.integers(1, 3))),
                ("name", "cal-2"), ("description", "a variant"),
                ("targets", {"D4": 1.0, "D6": draw(st.floats(0.1, 2.0))}),
                ("parameters", {"shops.imitation": [0.05, 0.8],
                                "migration.return_rate": {"bounds": [0.005, 0.1],
                                                          "log": True}}),
                ("uncertainty", {"samples": draw(st.integers(1, 4)), "box": 0.2,
                                 "final_replicates": 2})]))
            doc[key] = v
        elif kind == "top":
            doc[draw(st.sampled_from(["name", "seed", "replicates", "township", "city",
                                      "township_replicates", "bogus"]))] = draw(value)
        elif kind == "method":
            doc["method"] = draw(st.one_of(st.sampled_from(["abc-smc", "msm"]), any_text))
            if doc["method"] == "abc-smc":
                doc.pop("optimizer", None)
                doc.pop("uncertainty", None)
        else:
            table = draw(st.sampled_from(sorted(tables)))
            current = doc.get(table)
            if not isinstance(current, dict):
                current = {}
            doc[table] = {**current, draw(st.sampled_from(tables[table])): draw(value)}
    return doc


# -- the contract ----------------------------------------------------------------


@dataclass
class Outcome:
    argv: list[str]
    code: int
    out: str
    err: str
    new_files: list[str]


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def run_contract(argv: list[str], folder: Path) -> Outcome:
    """Run the command in-process with ``folder`` as the working folder; what it
    returned, printed and created there."""
    before = _tree(folder)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(argv))
            except SystemExit as exc:  # argparse's errors and --help
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        os.chdir(cwd)
    return Outcome(list(argv), code, out.getvalue(), err.getvalue(),
                   sorted(_tree(folder) - before))


def assert_contract(o: Outcome) -> None:
    """Either done (0), or exit 2 with one line, no traceback and nothing new."""
    shown = f"argv={o.argv!r}\nstderr={o.err!r}"
    if o.code == 0:
        assert "Traceback" not in o.err, shown
        return
    assert o.code == 2, shown
    lines = o.err.strip().splitlines()
    assert len(lines) == 1, shown
    assert "Traceback" not in o.err and lines[0].startswith("taobao-sim"), shown
    assert not o.new_files, f"{shown}\nnew files: {o.new_files}"

"""Mutation testing with cosmic-ray: ``python -m tests.mutation.run`` (``make mutation``).

Copies the tracked project into ``results/mutation/<stamp>/`` (one copy per worker),
lets cosmic-ray list every mutant of the modules below, drops the operators that
mostly make crashes or no-ops (bit operations, shifts, floor division, modulo,
powers, removing a decorator), keeps a seeded random sample stratified by module,
runs it on ``--workers`` cosmic-ray HTTP workers (each mutant is compiled afresh:
``tests/mutation/run_tests.sh``), and writes ``report.md``: killed, killed by a
crash, survived and judged equivalent (``tests/mutation/equivalent.toml``), with
the diff of every survivor. The score is killed (crashes included) over the
non-equivalent mutants that ran.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The model, output and command-line code.
MODULES = (
    "src/taobao_sim/core/rules.py",
    "src/taobao_sim/core/world.py",
    "src/taobao_sim/engines/month.py",
    "src/taobao_sim/engines/fast.py",
    "src/taobao_sim/output/targets.py",
    "src/taobao_sim/output/metrics.py",
    "src/taobao_sim/output/tables.py",
    "src/taobao_sim/output/scalars.py",
    "src/taobao_sim/output/rundir.py",
    "src/taobao_sim/apps/cli/run.py",
)

#: Operators left out: replacing an arithmetic operator by a bit operation, a shift,
#: floor division, modulo or a power mostly gives a compile error or an equivalent
#: mutant; removing ``@nb.njit`` changes the speed, not the numbers.
EXCLUDED = (
    r"core/ReplaceBinaryOperator_.*_(BitOr|BitAnd|BitXor|LShift|RShift|FloorDiv|Mod|Pow)$",
    r"core/ReplaceBinaryOperator_(BitOr|BitAnd|BitXor|LShift|RShift|FloorDiv|Mod|Pow)_.*",
    r"core/RemoveDecorator",
)


def _config(ports: list[int], timeout: float) -> str:
    urls = ", ".join(f'"http://127.0.0.1:{p}"' for p in ports)
    modules = ", ".join(f'"{m}"' for m in MODULES)
    excluded = ", ".join(json.dumps(e) for e in EXCLUDED)
    return (f"[cosmic-ray]\nmodule-path = [{modules}]\ntimeout = {timeout}\n"
            f"excluded-modules = []\ntest-command = \"bash tests/mutation/run_tests.sh\"\n\n"
            f"[cosmic-ray.distributor]\nname = \"http\"\n\n"
            f"[cosmic-ray.distributor.http]\nworker-urls = [{urls}]\n\n"
            f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n")


def _copy_tree(dest: Path) -> None:
    """The project's files as in the working tree: tracked ones and new ones git does
    not ignore."""
    listing = ["git", "ls-files", "--cached", "--others", "--exclude-standard"]
    files = subprocess.run(listing, cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.split("\n")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"cosmic-ray worker on port {port} did not start")


def _sample(session: Path, keep: int, seed: int) -> dict[str, int]:
    """Mark all but a seeded sample of the pending mutants as skipped, stratified by
    module (each module keeps its share of the mutants, at least one)."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(session)) as db:
        pending = sorted(db.pending_work_items, key=lambda w: w.job_id)
        by_module: dict[str, list] = defaultdict(list)
        for item in pending:
            by_module[str(item.mutations[0].module_path)].append(item)
        rng = random.Random(seed)
        kept: dict[str, int] = {}
        skipped = []
        total = len(pending)
        for module, items in sorted(by_module.items()):
            n = min(len(items), max(1, round(keep * len(items) / max(total, 1))))
            chosen = set(w.job_id for w in rng.sample(items, n))
            kept[module] = n
            skipped += [w.job_id for w in items if w.job_id not in chosen]
        db.set_multiple_results(skipped, WorkResult(output="not in the sample",
                                                    worker_outcome=WorkerOutcome.SKIPPED))
    return kept


def _equivalents() -> dict[tuple[str, str, str], str]:
    """Mutants judged equivalent, keyed by module, operator and the original line."""
    path = Path(__file__).with_name("equivalent.toml")
    if not path.exists():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("equivalent", [])
    return {(e["module"], e["operator"], e["code"].strip()): e["why"] for e in table}


def _original_line(diff: str) -> str:
    """The line a mutant changed, as it was (from cosmic-ray's unified diff)."""
    for line in diff.splitlines():
        if line.startswith("-") and not line.startswith("---"):
            return line[1:].strip()
    return ""


def _report(session: Path, out: Path, kept: dict[str, int], seconds: float) -> dict:
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    equivalent = _equivalents()
    rows = []
    with use_db(str(session)) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            m = item.mutations[0]
            key = (str(m.module_path), m.operator_name, _original_line(result.diff or ""))
            if result.worker_outcome != WorkerOutcome.NORMAL:
                outcome = "crashed"  # the worker failed or timed out: the suite stopped it
            elif result.test_outcome == TestOutcome.KILLED:
                outcome = "killed"
            elif result.test_outcome == TestOutcome.INCOMPETENT:
                outcome = "crashed"
            else:
                outcome = "equivalent" if key in equivalent else "survived"
            rows.append({"module": key[0], "line": m.start_pos[0], "operator": key[1],
                         "outcome": outcome, "diff": result.diff or "",
                         "why": equivalent.get(key, "")})
    counts = Counter(r["outcome"] for r in rows)
    judged = len(rows) - counts["equivalent"]
    score = (counts["killed"] + counts["crashed"]) / judged if judged else float("nan")
    lines = [
        "# Mutation testing", "",
        f"cosmic-ray, {sum(kept.values())} sampled mutants of {len(MODULES)} modules "
        f"({datetime.now(UTC):%Y-%m-%d}), {seconds / 60:.0f} minutes.", "",
        f"- killed by a failing test: {counts['killed']}",
        f"- killed by a crash (compile error, exception, timeout): {counts['crashed']}",
        f"- survived: {counts['survived']}",
        f"- judged equivalent (tests/mutation/equivalent.toml): {counts['equivalent']}",
        f"- **score: {score:.1%}** of the {judged} non-equivalent mutants killed", "",
        "| module | sampled | killed | crashed | survived | equivalent |",
        "|---|---|---|---|---|---|",
    ]
    per = defaultdict(Counter)
    for r in rows:
        per[r["module"]][r["outcome"]] += 1
    for module in sorted(per):
        c = per[module]
        lines.append(f"| {module} | {sum(c.values())} | {c['killed']} | {c['crashed']} | "
                     f"{c['survived']} | {c['equivalent']} |")
    for title, kind in (("Survivors", "survived"), ("Judged equivalent", "equivalent")):
        chosen = [r for r in rows if r["outcome"] == kind]
        if chosen:
            lines += ["", f"## {title}", ""]
            for r in sorted(chosen, key=lambda r: (r["module"], r["line"])):
                why = f" — {r['why']}" if r["why"] else ""
                lines += [f"### {r['module']}:{r['line']} {r['operator']}{why}", "",
                          "```diff", r["diff"].strip(), "```", ""]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = {"score": score, "counts": dict(counts), "sampled": kept}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return summary


def _survivors(session: Path) -> list[dict]:
    """The survivors of an earlier campaign: module, line, operator, diff."""
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    found = []
    with use_db(str(session)) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.NORMAL and \
                    result.test_outcome == TestOutcome.SURVIVED:
                m = item.mutations[0]
                found.append({"module": str(m.module_path), "line": m.start_pos[0],
                              "operator": m.operator_name, "diff": result.diff or ""})
    return found


def retest(folder: Path) -> int:
    """Apply each survivor of the campaign in ``folder`` to a fresh copy of today's
    tree (``patch`` finds the changed line by its context) and run the mutant tests
    again: which survivors the tests added since then kill. Writes ``retest.md``."""
    equivalent = _equivalents()
    tree = folder / "retest-tree"
    shutil.rmtree(tree, ignore_errors=True)
    _copy_tree(tree)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
           f"{os.environ.get('PATH', '')}"}
    rows = []
    try:
        for s in _survivors(folder / "session.sqlite"):
            key = (s["module"], s["operator"], _original_line(s["diff"]))
            patch = "\n".join(s["diff"].splitlines()[1:]) + "\n"  # drop cosmic-ray's title
            if key in equivalent:
                outcome = "equivalent"
            elif subprocess.run(["patch", "-p1", "--quiet"], input=patch, text=True,
                                cwd=tree).returncode != 0:
                outcome = "no longer applies"
            else:
                status = subprocess.run(["bash", "tests/mutation/run_tests.sh"], cwd=tree,
                                        env=env).returncode
                subprocess.run(["patch", "-p1", "-R", "--quiet"], input=patch, text=True,
                               cwd=tree, check=True)
                outcome = "killed" if status != 0 else "survived"
            rows.append({**s, "outcome": outcome})
            print(f"{s['module']}:{s['line']} {s['operator']}: {outcome}", flush=True)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    counts = Counter(r["outcome"] for r in rows)
    lines = ["# Survivors tested again", "",
             f"The {len(rows)} survivors of this campaign, applied to the tree of "
             f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC and tested again: " +
             ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ".", "",
             "| module | line | operator | outcome |", "|---|---|---|---|"]
    lines += [f"| {r['module']} | {r['line']} | {r['operator']} | {r['outcome']} |"
              for r in rows]
    (folder / "retest.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=150, help="mutants to run (default 150)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds before a mutant's tests count as a crash")
    parser.add_argument("--out", default=str(ROOT / "results" / "mutation"))
    parser.add_argument("--retest", metavar="FOLDER",
                        help="test the survivors of the campaign in FOLDER again, on "
                             "today's tree, instead of running a new campaign")
    args = parser.parse_args(argv)
    if args.retest:
        return retest(Path(args.retest))
    out = Path(args.out) / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    trees = [out / f"tree{k}" for k in range(args.workers)]
    for tree in trees:
        _copy_tree(tree)
    ports = [_free_port() for _ in trees]
    config = out / "cosmic-ray.toml"
    config.write_text(_config(ports, args.timeout), encoding="utf-8")
    session = out / "session.sqlite"
    bin_dir = Path(sys.executable).parent
    run = lambda *cmd: subprocess.run([str(bin_dir / cmd[0]), *cmd[1:]], cwd=trees[0],  # noqa: E731
                                      check=True)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    baseline = subprocess.run(["bash", "tests/mutation/run_tests.sh"], cwd=trees[0], env=env)
    if baseline.returncode != 0:
        print("the tests fail without any mutant: fix them first", file=sys.stderr)
        return 1
    run("cosmic-ray", "init", str(config), str(session))
    run("cr-filter-operators", str(session), str(config))
    kept = _sample(session, args.sample, args.seed)
    print(f"{sum(kept.values())} mutants sampled: " +
          ", ".join(f"{Path(m).name} {n}" for m, n in kept.items()), flush=True)
    workers = [subprocess.Popen([str(bin_dir / "cosmic-ray"), "http-worker", "--port", str(p)],
                                cwd=tree, start_new_session=True, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for tree, p in zip(trees, ports, strict=True)]
    t0 = time.monotonic()
    try:
        for p in ports:
            _wait_for(p)
        run("cosmic-ray", "exec", str(config), str(session))
    finally:
        for w in workers:  # no worker outlives the run
            with contextlib.suppress(ProcessLookupError):
                os.killpg(w.pid, signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)
    summary = _report(session, out, kept, time.monotonic() - t0)
    for tree in trees:
        shutil.rmtree(tree, ignore_errors=True)
    print(f"score {summary['score']:.1%}: {summary['counts']}; report {out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

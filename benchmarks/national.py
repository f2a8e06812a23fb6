"""The national run as a benchmark: `taobao-sim run scenarios/china.toml` in a child
process, its wall time and peak memory.

    python benchmarks/national.py                 # a 1% sample of townships (minutes)
    python benchmarks/national.py --sample 1      # all of rural China (about an hour)

Writes benchmarks/national-<sample>.json (the full run's figures are kept in
benchmarks/national-1.json, which `make bench` reports beside its own) and keeps
the run folder under --out (default: a temporary folder, removed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def result_path(sample: float) -> Path:
    return ROOT / "benchmarks" / f"national-{sample:g}.json"


def national(sample: float, replicates: int = 1, out: Path | None = None,
             workers: int = 0) -> dict:
    """Run the national scenario in a child process; its figures as a dict."""
    keep = out is not None
    folder = Path(out) if keep else Path(tempfile.mkdtemp(prefix="national-"))
    cmd = [sys.executable, "-m", "taobao_sim.apps.cli", "run", "scenarios/china.toml",
           "--sample", str(sample), "--replicates", str(replicates), "--out", str(folder),
           "--quiet", "--seed", "2010"]
    if workers:
        cmd += ["--workers", str(workers)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"national run failed:\n{proc.stderr[-3000:]}")
    # the largest resident set of any child process so far: the run (in-process
    # tasks) or its largest worker
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    (run,) = (folder / "china").iterdir()
    summary = json.loads((run / "summary.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    households = sum(t["households"] for t in manifest["tasks"]) // replicates
    months = 168
    res = {
        "sample": sample, "replicates": replicates, "workers": workers,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "households": households, "months": months,
        "wall_seconds": wall, "peak_rss_gb": peak_kib * 1024 / 1e9,
        "household_steps_per_s": households * months * replicates / wall,
        "largest_task": max(manifest["tasks"], key=lambda t: t["households"]),
        "national": summary["national"], "top_provinces": summary["top_provinces"],
        "run_folder": str(run) if keep else None,
    }
    if not keep:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=float, default=0.01)
    ap.add_argument("--replicates", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--out", type=Path, help="keep the run folder here")
    args = ap.parse_args()
    res = national(args.sample, args.replicates, args.out, args.workers)
    path = result_path(args.sample)
    path.write_text(json.dumps(res, indent=1) + "\n")
    print(f"national run, sample {args.sample:g}: {res['households']:,} households x "
          f"{res['months']} months in {res['wall_seconds']:,.0f} s "
          f"({res['household_steps_per_s'] / 1e6:.1f} M household-steps/s), peak "
          f"{res['peak_rss_gb']:.2f} GB; {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

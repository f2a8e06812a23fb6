"""``taobao-sim dashboard``: the interactive page (Solara) on localhost."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .common import pos_int


def add(sub) -> None:
    p = sub.add_parser("dashboard", help="an interactive dashboard in the browser",
                       description="Start the dashboard (Solara) on localhost: sliders for the "
                                   "main parameters, play / step / reset, the village's "
                                   "households as a network, live plots.")
    p.add_argument("scenario", metavar="SCENARIO", nargs="?",
                   help="scenario file (default: scenarios/dinglou.toml)")
    p.add_argument("--port", type=pos_int, default=8765, metavar="N", help="port (default: 8765)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on "
                   "(default: 127.0.0.1, this machine only)")


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...io.scenario_file import load_scenario
    from ..dashboard import DEFAULT_SCENARIO, SCENARIO_ENV

    path = Path(args.scenario) if args.scenario else DEFAULT_SCENARIO
    load_scenario(path)  # a bad file is a clear error here, not in the browser
    env = {**os.environ, SCENARIO_ENV: str(path.resolve())}
    print(f"taobao-sim dashboard: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    proc = subprocess.run([sys.executable, "-m", "solara", "run", "taobao_sim.apps.dashboard",
                           "--host", args.host, "--port", str(args.port), "--production",
                           "--no-open"], env=env)
    return 0 if proc.returncode in (0, -2, 130) else 2

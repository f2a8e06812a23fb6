"""``taobao-sim dashboard``: the interactive page (Solara) on localhost."""

from __future__ import annotations

import argparse
import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

from .common import PORT


def add(sub) -> None:
    p = sub.add_parser("dashboard", help="an interactive dashboard in the browser",
                       description="Start the dashboard (Solara) on localhost: sliders for the "
                                   "main parameters, play / step / reset, the village's "
                                   "households as a network, live plots.")
    p.add_argument("scenario", metavar="SCENARIO", nargs="?",
                   help="scenario file (default: scenarios/dinglou.toml)")
    p.add_argument("--port", type=PORT, default=8765, metavar="N", help="port (default: 8765)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on "
                   "(default: 127.0.0.1, this machine only)")


def execute(args: argparse.Namespace, argv: list[str] | None) -> int:
    from ...core.errors import UsageError
    from ...core.lifeline import PARENT_ENV
    from ...io.scenario_file import load_scenario
    from ..dashboard import DEFAULT_SCENARIO, SCENARIO_ENV

    path = Path(args.scenario) if args.scenario else DEFAULT_SCENARIO
    load_scenario(path)  # a bad file is a clear error here, not in the browser
    problem = port_problem(args.host, args.port)
    if problem:
        raise UsageError(f"--host {args.host} --port {args.port}: {problem}")
    env = {**os.environ, SCENARIO_ENV: str(path.resolve()), PARENT_ENV: str(os.getpid()),
           # no call to an outside server: no telemetry, no version check
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    server = subprocess.Popen([sys.executable, "-m", "solara", "run",
                               "taobao_sim.apps.dashboard", "--host", args.host, "--port",
                               str(args.port), "--production", "--no-open",
                               "--no-check-version"], env=env)
    print(f"taobao-sim dashboard: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    try:
        code = server.wait()
    finally:
        stop(server)
    return 0 if code in (0, -2, -15, 130) else 2


def port_problem(host: str, port: int) -> str | None:
    """Why the dashboard could not listen on ``host:port`` (in use, not an address
    of this machine), or None: found by binding it for a moment."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        return f"not an address of this machine ({exc})"
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return "the port is in use; expected a free port (choose another --port)"
            return f"cannot listen there ({exc.strerror})"
    return None


def stop(process: subprocess.Popen, seconds: float = 5.0) -> None:
    """End a child process: SIGTERM, then SIGKILL if it has not ended in ``seconds``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

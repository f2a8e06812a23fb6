"""The dashboard: its pure parts (slider scales, ensemble bands, exports, the
network's legend) directly, and the page in a real headless browser: Debian's
chromium driven by Playwright, against the server started by
``taobao-sim dashboard`` as users start it.

The browser comes from the system (``/usr/bin/chromium``, installed by .ci/run),
never from a download. Without it the browser tests are skipped locally, and fail
in CI.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba

from taobao_sim import load_scenario, simulate
from taobao_sim.apps import dashboard as d
from taobao_sim.core.records import TIMESERIES_COLUMNS, M
from taobao_sim.core.resources import ResourceError

from ..conftest import SCENARIOS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

COMMAND = [sys.executable, "-m", "taobao_sim.apps.cli"]

#: What a warning or an error looks like in the server's output.
WARNING = re.compile(r"\w+Warning\b|Traceback|New version of Solara")


# -- the page's pure parts -----------------------------------------------------

@pytest.fixture(scope="module")
def daiji_scenario():
    return load_scenario(SCENARIOS / "daiji.toml")


def test_every_slider_value_is_written_with_its_unit():
    assert d.format_value("yuan", 3000) == "¥3,000"
    assert d.format_value("yuan_head_month", 40) == "¥40 /person/month"
    assert d.format_value("per_month", 0.5) == "0.50 /month"
    assert d.format_value("times", 1) == "1.00×"
    assert d.format_value("replicates", 1) == "1 replicate"
    assert d.format_value("replicates", 3) == "3 replicates"
    for slider in d.SLIDERS.values():  # a new slider needs a unit the page can write
        assert d.format_value(slider.unit, slider.hi) != f"{slider.hi:g}"


def test_startup_cost_slider_is_logarithmic_over_round_values():
    slider = d.SLIDERS["startup"]
    assert slider.log and (slider.lo, slider.hi) == (500.0, 40000.0)
    grid = d.log_grid(slider.lo, slider.hi, include=3000.0)
    assert grid[0] == 500 and grid[-1] == 40000 and 3000 in grid
    steps = np.diff(np.log(grid))
    # every step a similar relative change: 11-25%, never 500 yuan on 40,000
    assert steps.min() >= np.log(1.1) - 1e-9 and steps.max() <= np.log(1.25) + 1e-9
    # below 5,000 yuan (the calibrated values) lies half the slider; on the old
    # linear one (500 yuan steps), a ninth
    assert sum(v < 5000 for v in grid) / len(grid) >= 0.4
    assert all(d.nearest_position(grid, v) == i for i, v in enumerate(grid))
    assert 3200.0 in d.log_grid(slider.lo, slider.hi, include=3200.0)  # a scenario's own value


def test_ensemble_band_is_median_and_5_95_percentiles():
    values = np.arange(21.0)[None, :] + np.array([[0.0], [10.0]])  # 2 months, 21 replicates
    median, lower, upper = d.ensemble_band(values)
    np.testing.assert_allclose(median, [10, 20])
    np.testing.assert_allclose(lower, [1, 11])
    np.testing.assert_allclose(upper, [19, 29])
    one = np.array([[3.0], [4.0]])
    for series in d.ensemble_band(one):
        np.testing.assert_array_equal(series, [3.0, 4.0])


def test_replicates_are_the_commands_replicates(dinglou):
    """Seed and replicates choose universes exactly as ``taobao-sim run --seed`` does."""
    sim = d.Simulation(dinglou, 1.0, 7, 3)
    sim.step(12)
    snap = sim.snapshot()
    assert snap.replicates == 3 and snap.root_seed == 7
    ran = simulate(dinglou, replicates=3, seed=7, panel=False)
    np.testing.assert_array_equal(snap.by_replicate(), ran.metrics[:, :12])
    alone = d.Simulation(dinglou, 1.0, 7, 1)
    alone.step(12)
    np.testing.assert_array_equal(alone.snapshot().by_replicate()[0], snap.by_replicate()[0])
    assert not np.array_equal(snap.by_replicate()[0], snap.by_replicate()[1])


def test_plots_show_a_band_only_for_several_replicates(dinglou):
    def bands(replicates: int) -> int:
        sim = d.Simulation(dinglou, 1.0, 7, replicates)
        sim.step(6)
        fig = d.series_figure(sim.snapshot(), dinglou_marks=True)
        return sum(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)

    assert bands(1) == 0
    assert bands(3) == 4  # engaged, shops, poor, people away


def test_csv_export_holds_every_replicate_and_month(dinglou):
    sim = d.Simulation(dinglou, 1.0, 7, 3)
    empty = list(csv.reader(io.StringIO(d.timeseries_csv(sim.snapshot()).decode())))
    assert empty == [["replicate", "date", "village", *TIMESERIES_COLUMNS]]
    sim.step(4)
    snap = sim.snapshot()
    rows = list(csv.DictReader(io.StringIO(d.timeseries_csv(snap).decode())))
    assert len(rows) == 3 * 4 * len(dinglou.villages)
    assert sorted({r["date"] for r in rows}) == ["2009-01", "2009-02", "2009-03", "2009-04"]
    engaged = np.array([float(r["engaged"]) for r in rows]).reshape(3, 4)
    np.testing.assert_array_equal(engaged, snap.by_replicate()[:, :, 0, M.ENGAGED])
    assert snap.export_stem() == "dinglou_seed7_3rep_2009-04"


def test_png_export_is_a_png(dinglou):
    sim = d.Simulation(dinglou, 1.0, None, 1)
    sim.step(2)
    png = d.figure_png(d.series_figure(sim.snapshot(), dinglou_marks=True))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_network_legend_says_what_each_colour_means_with_counts(dinglou):
    sim = d.Simulation(dinglou, 1.0, None, 2)
    sim.step(120)  # by the end nearly every household is in the trade
    snap = sim.snapshot()
    legend = d.network_figure(snap).axes[0].get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    names = ["shop", "employed", "away", "home", "poor"]
    counts = d.state_counts(snap.households)
    assert texts == [f"{d.STATE_LABELS[n]}: {counts[n]:,}" for n in names]
    assert sum(counts[n] for n in names[:4]) == len(snap.households) == 330
    for name, handle in zip(names, legend.legend_handles, strict=True):
        colour = handle.get_edgecolor()[0] if name == "poor" else handle.get_facecolor()[0]
        np.testing.assert_allclose(colour, to_rgba(d.COLOURS[name]))
    caption = d.network_caption(snap)
    assert f"{counts['shop']:,} run a shop" in caption and "replicate 1 of 2" in caption


def test_figures_draw_without_warnings(daiji_scenario):
    """No Dinglou marks and no month yet: empty legends made matplotlib warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for replicates in (1, 3):
            sim = d.Simulation(daiji_scenario, 0.5, None, replicates)
            for months in (0, 2):
                sim.step(months)
                snap = sim.snapshot()
                d.series_figure(snap, dinglou_marks=False)
                d.network_figure(snap)
                d.village_map(snap)
                d.status_line(snap)
                d.timeseries_csv(snap)


def test_too_many_replicates_for_memory_run_one_and_say_why(monkeypatch):
    def fits(scenario, universes, panel):
        if universes > 2:
            raise ResourceError(f"a run of {universes} replicates needs too much memory")

    monkeypatch.setattr(d, "check_batch_fits", fits)
    try:
        d.replicates.set(2)
        d._reset()
        assert d.current.value.replicates == 2 and d.problem.value == ""
        d.replicates.set(5)
        d._reset()  # the page stays usable: one replicate, and the reason shown
        assert d.current.value.replicates == 1 and d.replicates.value == 1
        assert "5 replicates needs too much memory" in d.problem.value
    finally:
        d.replicates.set(1)
        d.current.set(None)
        d.problem.set("")


def test_only_solaras_cookie_notice_is_filtered():
    def shown(message: str) -> bool:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            d.filter_known_warnings()  # as the server does when it imports the page
            warnings.warn_explicit(message, UserWarning, "starlette.py", 1,
                                   module="solara.server.starlette")
        return bool(caught)

    assert not shown("Cookies with samesite=none require https, but according to the asgi "
                     "framework, the scheme is 'http'")
    assert shown("Origin as determined by starlette does not match expected origin")


# -- the page in a browser -----------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """``taobao-sim dashboard`` running, its output in files."""

    proc: subprocess.Popen
    url: str
    out: Path
    err: Path

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def stop(self) -> None:
        self.proc.terminate()  # the command stops its server, which watches it too
        self.proc.wait(timeout=30)


def _serve(scenario: Path, folder: Path) -> Server:
    port = _free_port()
    out, err = folder / "stdout.txt", folder / "stderr.txt"
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen([*COMMAND, "dashboard", str(scenario), "--port", str(port)],
                                stdout=o, stderr=e)
    server = Server(proc, f"http://127.0.0.1:{port}/", out, err)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(server.url, timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the dashboard did not start:\n" + server.output()[-3000:])


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium (apt-get install chromium)")
        pytest.skip("no system chromium; install Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def dinglou_server(browser, tmp_path_factory):
    server = _serve(SCENARIOS / "dinglou.toml", tmp_path_factory.mktemp("dinglou-server"))
    yield server
    server.stop()


def _open(browser, url: str, height: int = 1000):
    page = browser.new_page(viewport={"width": 1400, "height": height}, accept_downloads=True)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url, wait_until="networkidle", timeout=90_000)
    page.wait_for_selector("text=month 0 of 120", timeout=90_000)
    return page


@pytest.fixture
def page(browser, dinglou_server):
    page = _open(browser, dinglou_server.url)
    yield page
    page.close()


def _plots(page) -> list[str]:
    imgs = page.locator(".series-panel img, .network-panel img")
    return [imgs.nth(i).get_attribute("src") or "" for i in range(imgs.count())]


def _no_error(page) -> None:
    assert page.errors == []
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body


def _step(page, months: int, first: int = 1) -> None:
    step = page.get_by_role("button", name="Step")
    for k in range(first, first + months):
        step.click()
        page.wait_for_selector(f"text=month {k} of 120", timeout=60_000)


def _readout(page, key: str) -> str:
    return page.locator(f".slider-{key} .slider-value").inner_text()


def _download(page, label: str) -> tuple[str, bytes]:
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=label).click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def test_step_changes_the_plots(page):
    before = _plots(page)
    assert len(before) == 2 and all(src.startswith(("blob:", "data:image")) for src in before)
    t = time.perf_counter()
    _step(page, 3)
    print(f"Dinglou: {(time.perf_counter() - t) / 3:.2f} s per step in the page")
    after = _plots(page)
    assert after[0] != before[0] and after[1] != before[1]
    assert "engaged" in page.locator(".status-line").inner_text()
    assert "run a shop" in page.locator(".network-caption").inner_text()
    _no_error(page)


def test_sliders_show_their_values_and_startup_cost_moves_on_a_log_scale(page, dinglou):
    for key, slider in d.SLIDERS.items():
        assert _readout(page, key) == d.format_value(slider.unit, dinglou[slider.key])
    assert _readout(page, "wage") == "1.00×"
    assert _readout(page, "replicates") == "1 replicate"
    _step(page, 2)
    slider = page.locator(".slider-startup [role=slider]")
    slider.focus()
    page.keyboard.press("ArrowRight")  # one step of the log scale: 3,000 -> 3,500 yuan
    page.wait_for_selector("text=month 0 of 120", timeout=60_000)  # the run restarted
    assert _readout(page, "startup") == "¥3,500"
    _step(page, 1)
    _no_error(page)


def test_replicates_and_seed_give_a_band_and_the_exports(page):
    replicates = page.locator(".slider-replicates [role=slider]")
    for n in (2, 3):  # one key at a time: each restarts the run
        replicates.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_selector(f".slider-replicates >> text={n} replicates", timeout=60_000)
    seed = page.get_by_label("Seed")
    seed.fill("7")
    seed.press("Enter")
    page.wait_for_selector("text=month 0 of 120", timeout=60_000)
    _step(page, 2)
    assert "median of 3 replicates" in page.locator(".status-line").inner_text()
    assert "replicate 1 of 3" in page.locator(".network-caption").inner_text()
    name, data = _download(page, "Time series (CSV)")
    assert name == "dinglou_seed7_3rep_2009-02.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert len(rows) == 3 * 2 and {r["replicate"] for r in rows} == {"0", "1", "2"}
    for label, suffix in (("Plots (PNG)", "_plots.png"), ("Network (PNG)", "_network.png")):
        name, data = _download(page, label)
        assert name == f"dinglou_seed7_3rep_2009-02{suffix}"
        assert data.startswith(b"\x89PNG")
    _no_error(page)


def test_play_runs_to_the_end(page):
    t = time.perf_counter()
    page.get_by_role("button", name="Play").click()
    page.wait_for_selector("text=month 120 of 120", timeout=180_000)
    seconds = time.perf_counter() - t
    print(f"full Dinglou run played in {seconds:.1f} s")
    assert page.get_by_role("button", name="Step").is_disabled()
    _no_error(page)


def test_daiji_shows_the_village_map_and_warns_of_nothing(browser, tmp_path):
    server = _serve(SCENARIOS / "daiji.toml", tmp_path)
    try:
        page = _open(browser, server.url, height=1200)
        assert page.locator(".network-panel img").count() == 2  # the network and the map
        t = time.perf_counter()
        _step(page, 3)
        print(f"Daiji: {(time.perf_counter() - t) / 3:.2f} s per step in the page")
        assert page.errors == []
        page.close()
    finally:
        server.stop()
    # no month yet and no Dinglou marks: matplotlib warned of empty legends
    assert not WARNING.search(server.output()), server.output()


def test_the_server_warns_of_nothing(page, dinglou_server):
    """Runs last: the server has served every test above by now. Solara's cookie
    notice came on each page load, matplotlib's warnings at the first frame."""
    _step(page, 2)
    _download(page, "Time series (CSV)")
    time.sleep(1)  # let the server write what it would about the closed page
    assert not WARNING.search(dinglou_server.output()), dinglou_server.output()

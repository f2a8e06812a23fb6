"""The dashboard in a real headless browser: Debian's chromium driven by Playwright.

The browser comes from the system (``/usr/bin/chromium``, installed by .ci/run),
never from a download. Without it the tests are skipped locally, and fail in CI.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from ..conftest import SCENARIOS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium (apt-get install chromium)")
    pytest.skip("no system chromium; install Debian's chromium package", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(scenario):
    port = _free_port()
    env = {**os.environ, "TAOBAO_SIM_DASHBOARD_SCENARIO": str(scenario)}
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "taobao_sim.apps.dashboard",
                             "--host", "127.0.0.1", "--port", str(port), "--production",
                             "--no-open"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the dashboard did not start:\n" + proc.stdout.read().decode()[-3000:])


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def dinglou_url():
    proc, url = _serve(SCENARIOS / "dinglou.toml")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture
def page(browser, dinglou_url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(dinglou_url, wait_until="networkidle", timeout=90_000)
    page.wait_for_selector("text=month 0 of 120", timeout=90_000)
    yield page
    page.close()


def _plots(page) -> list[str]:
    imgs = page.locator(".series-panel img, .network-panel img")
    return [imgs.nth(i).get_attribute("src") or "" for i in range(imgs.count())]


def _no_error(page) -> None:
    assert page.errors == []
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body


def test_step_changes_the_plots(page):
    before = _plots(page)
    assert len(before) == 2 and all(src.startswith(("blob:", "data:image")) for src in before)
    step = page.get_by_role("button", name="Step")
    t = time.perf_counter()
    for k in range(1, 4):
        step.click()
        page.wait_for_selector(f"text=month {k} of 120", timeout=30_000)
    print(f"Dinglou: {(time.perf_counter() - t) / 3:.2f} s per step in the page")
    after = _plots(page)
    assert after[0] != before[0] and after[1] != before[1]
    assert "engaged" in page.locator(".status-line").inner_text()
    _no_error(page)


def test_slider_changes_the_parameter_and_restarts(page):
    step = page.get_by_role("button", name="Step")
    for k in range(1, 3):
        step.click()
        page.wait_for_selector(f"text=month {k} of 120", timeout=30_000)
    slider = page.locator(".slider-startup [role=slider]")
    value = float(slider.get_attribute("aria-valuenow"))
    slider.focus()
    page.keyboard.press("ArrowRight")  # one step of the slider: +500 yuan
    page.wait_for_selector("text=month 0 of 120", timeout=30_000)  # the run restarted
    assert float(slider.get_attribute("aria-valuenow")) == pytest.approx(value + 500)
    step.click()
    page.wait_for_selector("text=month 1 of 120", timeout=30_000)
    _no_error(page)


def test_play_runs_to_the_end(page):
    t = time.perf_counter()
    page.get_by_role("button", name="Play").click()
    page.wait_for_selector("text=month 120 of 120", timeout=120_000)
    seconds = time.perf_counter() - t
    print(f"full Dinglou run played in {seconds:.1f} s")
    assert page.get_by_role("button", name="Step").is_disabled()
    _no_error(page)


def test_daiji_shows_the_village_map(browser):
    proc, url = _serve(SCENARIOS / "daiji.toml")
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url, wait_until="networkidle", timeout=90_000)
        page.wait_for_selector("text=month 0 of 120", timeout=90_000)
        assert page.locator(".network-panel img").count() == 2  # the network and the map
        step = page.get_by_role("button", name="Step")
        t = time.perf_counter()
        for k in range(1, 4):
            step.click()
            page.wait_for_selector(f"text=month {k} of 120", timeout=60_000)
        print(f"Daiji: {(time.perf_counter() - t) / 3:.2f} s per step in the page")
        assert errors == []
    finally:
        proc.terminate()
        proc.wait(timeout=20)

"""The Mesa engine in Mesa's SolaraViz (``taobao_sim.engines.mesa.app``): the page built
and driven without a browser, its drawing, and the page once in Debian's chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from mesa.visualization import SolaraViz
from mesa.visualization.solara_viz import _check_model_params

from taobao_sim.engines.mesa import TaobaoModel, app

from ..conftest import SCENARIOS

DINGLOU = str(SCENARIOS / "dinglou.toml")


@pytest.fixture(scope="module")
def params(dinglou):
    return app.model_params_for(dinglou, DINGLOU)


def _render(page):
    # solara run wraps a page in an AppLayout, which holds its sidebar (the inputs)
    return solara.render(solara.AppLayout(children=[page]), handle_error=False)


def test_model_params_are_keyword_arguments_of_the_model(params, dinglou):
    """SolaraViz checks model_params against the model's signature (a **overrides catch-all
    failed it) and builds models from them."""
    _check_model_params(TaobaoModel.__init__, params)
    with pytest.raises(ValueError, match="Invalid model parameter: imitaton"):
        _check_model_params(TaobaoModel.__init__, {**params, "imitaton": 0.1})
    arguments = app.initial_arguments(params)
    assert arguments["imitation"] == dinglou["shops.imitation"]
    assert arguments["collect_agents"] is False and arguments["replicate"] == 0
    model = TaobaoModel(**{**arguments, "imitation": 0.2, "seed": "7"})
    assert model.scenario["shops.imitation"] == 0.2 and model.root_seed == 7


def test_page_renders_and_steps():
    _box, rc = _render(app.make_page(DINGLOU))
    images = rc.find(ipywidgets.Image)
    assert len(images.widgets) == 4  # the network and three plots
    before = [w.value for w in images.widgets]
    step = rc.find(v.Btn, children=["Step"])
    step.assert_single()
    step.widget.click()
    step.widget.click()
    texts = [w.children[0] for w in rc.find(v.Html, tag="span").widgets]  # solara.Text
    assert "Step: 2" in texts  # Mesa's step counter
    summary = [t for t in texts if "(month 2 of 120)" in t]
    assert len(summary) == 1 and summary[0].startswith("2009-02")
    after = [w.value for w in rc.find(ipywidgets.Image).widgets]
    assert all(a != b for a, b in zip(after, before, strict=True))


def test_reset_builds_the_model_from_the_inputs(params):
    seen: list[TaobaoModel] = []

    def Probe(model):  # noqa: N802 (a component)
        seen.append(model)
        return solara.Text(f"month {model.steps}")

    page = SolaraViz(TaobaoModel(**app.initial_arguments(params)), components=[Probe],
                     model_params=params)
    _box, rc = _render(page)
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert seen[-1].steps == 1
    rc.find(v.Slider, label=app.SLIDERS["imitation"][0]).widget.v_model = 0.1
    rc.find(v.Slider, label="Replicate").widget.v_model = 3
    rc.find(v.Btn, children=["Reset"]).widget.click()
    model = seen[-1]
    assert model.steps == 0 and model.replicate == 3
    assert model.scenario["shops.imitation"] == 0.1


def test_drawing_shows_every_household_and_tie(dinglou):
    model = TaobaoModel(dinglou.replace({"shops.discovery_rate": 0.01}), replicate=0, seed=2,
                        collect_agents=False)
    for _ in range(30):
        model.step()
    ax = app.draw_village(model).axes[0]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    ties = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(dots) == 1 and len(dots[0].get_offsets()) == 330
    assert len(ties) == 1 and len(ties[0].get_segments()) == len(model.ties_idx)
    kinds = [app.kind_of(h) for h in model.households]
    assert {"shop", "away", "home"} <= set(kinds)
    colours = dots[0].get_facecolors()
    for h, kind, colour in zip(model.households, kinds, colours, strict=True):
        assert tuple(colour[:3]) == pytest.approx(to_rgba(app.KINDS[kind][0])[:3]), h
    pos = app.household_positions(model)
    assert len(np.unique(pos.round(9), axis=0)) == 330  # no two households on one spot
    ring = np.linalg.norm(pos[1:] - pos[:-1], axis=1)  # ring neighbours sit side by side
    spread = np.linalg.norm(pos[:, None] - pos[None], axis=-1).mean()
    assert ring.max() < 0.2 * spread


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"),
                    reason="no system chromium; install Debian's chromium package")
def test_page_in_a_browser_loads_everything_offline():
    """The page served by `solara run`, in headless chromium: it steps, and every file it
    asks for is served locally (no CDN, no page error)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, app.SCENARIO_ENV: DINGLOU}
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "taobao_sim.engines.mesa.app",
                             "--host", "127.0.0.1", "--port", str(port), "--production",
                             "--no-open"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            problems: list[str] = []
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            page.goto(url, wait_until="networkidle", timeout=90_000)
            page.wait_for_selector("text=month 0 of 120", timeout=90_000)
            for k in (1, 2):
                page.get_by_role("button", name="Step").click()
                page.wait_for_selector(f"text=month {k} of 120", timeout=60_000)
            assert page.locator("img").count() >= 4
            assert problems == []
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)

"""Every page runs: under AppTest without an exception, and in headless Chromium with charts and no error box."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, new_context, screenshot, wait_for_app
from streamlit.testing.v1 import AppTest

PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
SCRIPTS = ["app.py", *PAGES]


def url_path(script: str) -> str:
    """pages/1_Mode_collapse.py → /Mode_collapse (Streamlit drops the number prefix)."""
    if script == "app.py":
        return "/"
    return "/" + Path(script).stem.split("_", 1)[1]


def test_every_lecture_page_exists():
    """The home page links the whole lecture; each page it names is in pages/."""
    assert len(PAGES) >= 1
    for script in PAGES:
        assert (ROOT / script).read_text().strip(), script


@pytest.mark.parametrize("script", SCRIPTS)
def test_page_runs_without_exception(script):
    app = AppTest.from_file(str(ROOT / script), default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title, "every page starts with a title"


@pytest.mark.browser
@pytest.mark.parametrize("script", SCRIPTS)
def test_page_renders_in_chromium(script, app_url, page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(app_url + url_path(script))
    wait_for_app(page)
    if script != "app.py":
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        page.wait_for_timeout(1500)  # let the last charts paint before the screenshot
    wait_for_app(page)
    screenshot(page, Path(script).stem)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert page.locator("h1").count() >= 1
    if script != "app.py":
        assert page.locator(".js-plotly-plot").count() >= 1
    assert not errors, errors


def test_live_figures_with_a_trace_type_the_bundle_lacks_are_refused():
    """plotly.js would silently draw nothing for an unregistered trace type; figure_json says so instead."""
    import plotly.graph_objects as go

    from playground.ui import LIVE_TRACE_TYPES, figure_json

    assert '"heatmap"' in figure_json({"data": [{"type": "heatmap", "z": [[0, 1]]}, {"x": [0], "y": [1]}]})
    assert '"scattergl"' in figure_json(go.Figure(go.Scattergl(x=[0], y=[1])))
    assert "scatter3d" not in LIVE_TRACE_TYPES
    with pytest.raises(ValueError, match="scatter3d"):
        figure_json({"data": [{"type": "scatter3d", "x": [0], "y": [0], "z": [0]}]})
    with pytest.raises(ValueError, match="surface"):
        figure_json(go.Figure(go.Surface(z=[[0, 1], [1, 0]])))


def test_live_figure_json_nulls_non_finite_numbers_and_keeps_typed_arrays_intact():
    """Non-finite numbers become null, but only where they are numbers: the letters "NaN" inside a typed array's
    base64 (about 1 in 100 arrays of 44×44 floats) stay, or the critic's background would turn to stripes."""
    import base64
    import json

    from playground.ui import figure_json

    rng = np.random.default_rng(0)
    arrays = (rng.standard_normal((44, 44)).astype(np.float32) for _ in range(5000))
    unlucky = next(a for a in arrays if "NaN" in base64.b64encode(a.tobytes()).decode())
    gappy = np.array([0.0, np.nan, 1.0, np.inf])     # NaN breaks travel as f8 typed arrays
    text = figure_json({"data": [{"type": "heatmap", "z": unlucky, "name": "NaN stays a word"},
                                 {"x": gappy, "y": [0.0, float("nan"), 1.0, float("-inf")]}],
                        "layout": {"title": {"text": "Infinity and NaN"}}})
    spec = json.loads(text)                          # strict JSON: no bare NaN/Infinity left
    heat = spec["data"][0]["z"]
    decoded = np.frombuffer(base64.b64decode(heat["bdata"]), dtype=np.float32).reshape(44, 44)
    np.testing.assert_array_equal(decoded, unlucky)
    assert spec["data"][0]["name"] == "NaN stays a word" and spec["layout"]["title"]["text"] == "Infinity and NaN"
    assert spec["data"][1]["y"] == [0.0, None, 1.0, None]
    x = np.frombuffer(base64.b64decode(spec["data"][1]["x"]["bdata"]), dtype=np.float64)
    np.testing.assert_array_equal(x, gappy)


@pytest.mark.browser
def test_the_served_plotly_bundle_registers_exactly_the_live_trace_types(app_url, page):
    """static/plotly-gan.min.js (tools/plotly_bundle) and ui.LIVE_TRACE_TYPES list the same trace types."""
    from playground.ui import LIVE_TRACE_TYPES

    page.goto(app_url + "/Mode_collapse")
    page.wait_for_function("() => window.Plotly && window.Plotly.PlotSchema")
    registered = page.evaluate("() => Object.keys(window.Plotly.PlotSchema.get().traces)")
    assert set(registered) == LIVE_TRACE_TYPES


@pytest.mark.browser
def test_a_chart_can_take_a_whole_row_of_the_live_grid(app_url, page):
    """The WGAN page's fifth live chart (the estimates, seven legend entries) asks for a whole row of the two-column
    grid (layout.meta.full_row): it is as wide as the grid, the four before it half as wide. Its JSD axis has ticks
    of its own (0.2, 0.4, …), not plotly.js's default for an overlaying axis, ticks synced to the W₁ axis."""
    page.goto(app_url + "/WGAN_and_clipping")
    page.wait_for_function("() => [...document.querySelectorAll('.gp-live')].some("
                           "g => g.children.length === 5 && g.querySelectorAll('.main-svg').length >= 5)",
                           timeout=60_000)
    grid, *cells = page.evaluate(
        "() => { const g = [...document.querySelectorAll('.gp-live')].find(g => g.children.length === 5);"
        " return [g, ...g.children].map(e => e.getBoundingClientRect().width); }")
    assert cells[4] == pytest.approx(grid, abs=2)
    assert all(width < 0.55 * grid for width in cells[:4]), (grid, cells)
    ticks = page.locator(".gp-live-cell").nth(4).locator(".y2tick text").evaluate_all(
        "texts => texts.map(t => t.textContent)")
    assert {"0.2", "0.4", "0.6"} <= set(ticks), ticks


@pytest.mark.browser
def test_the_chart_grid_stacks_on_a_projector_in_lecture_mode(browser, app_url):
    """A 1280-px projector in lecture mode (1.3× text): the mode-collapse page's two chart columns would be
    ~390 px, too narrow for enlarged text, so the grid stacks its four charts; at 1600 px it keeps two columns."""
    widths = {}
    for width, query in ((1280, "?lecture=1"), (1600, "")):
        context = new_context(browser, viewport={"width": width, "height": 900})
        tab = context.new_page()
        tab.goto(app_url + "/Mode_collapse" + query)
        tab.wait_for_function("() => [...document.querySelectorAll('.gp-live')].some("
                              "g => g.children.length === 4 && g.querySelectorAll('.main-svg').length >= 4)")
        widths[width] = tab.evaluate(
            "() => { const g = [...document.querySelectorAll('.gp-live')].find(g => g.children.length === 4);"
            " return [g, ...g.children].map(e => e.getBoundingClientRect().width); }")
        context.close()
    grid, main, curves, *_ = widths[1280]
    assert main == pytest.approx(grid, abs=2) and curves == pytest.approx(grid, abs=2), widths
    grid, main, curves, *_ = widths[1600]
    assert main < 0.55 * grid and curves < 0.55 * grid, widths


@pytest.mark.slow
def test_lecture_mode_holds_for_the_session_and_comes_back_into_the_address():
    """Opening another page from the navigation dropped ?lecture=1 and with it the projector's text size."""
    test = AppTest.from_file(str(ROOT / "pages/8_Dirac_GAN.py"), default_timeout=120)
    test.query_params["lecture"] = "1"
    test.run()
    test.query_params.clear()                 # as after a link without the flag, in the same session
    test.run()
    assert test.query_params.get("lecture") in ("1", ["1"]) and not test.exception
    test.query_params["lecture"] = "0"        # the flag turns it off
    test.run()
    test.query_params.clear()
    test.run()
    assert "lecture" not in test.query_params


@pytest.mark.browser
def test_lecture_mode_survives_the_sidebar_navigation(page, app_url):
    page.goto(app_url + "/?lecture=1")
    wait_for_app(page)
    page.locator("[data-testid='stSidebarNav'], [data-testid='stSidebar']").get_by_text("Dirac-GAN",
                                                                                       exact=True).first.click()
    page.wait_for_url("**/Dirac_GAN?lecture=1", timeout=30_000)
    wait_for_app(page)
    sizes = page.evaluate("() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stMarkdownContainer]"
                          " p')].map(p => parseFloat(getComputedStyle(p).fontSize))")
    assert max(sizes) > 19, sizes             # body text 21 px in lecture mode, 16 px without


@pytest.mark.slow
@pytest.mark.parametrize("script", ["pages/3_Divergences_vs_theta.py", "pages/4_Mode_covering_vs_seeking.py",
                                    "pages/5_Earth_movers_distance.py", "pages/7_Density_ratio_and_AVB.py",
                                    "pages/8_Dirac_GAN.py", "pages/2_Vanishing_gradients.py"])
def test_lecture_mode_stacks_side_by_side_charts_and_formulas(script):
    """At 1.3× text a 1280-px projector cut chart titles and formulas in side-by-side pairs: in lecture mode those
    pairs (ui.side_by_side) stand one under the other, so the page has fewer columns and no error."""
    normal = AppTest.from_file(str(ROOT / script), default_timeout=120).run()
    lecture = AppTest.from_file(str(ROOT / script), default_timeout=120)
    lecture.query_params["lecture"] = "1"
    lecture.run()
    assert not lecture.exception and not lecture.error
    assert len(lecture.columns) < len(normal.columns)


@pytest.mark.parametrize(("script", "button", "words"), [
    ("pages/2_Vanishing_gradients.py", "vg_discriminator.step", "discriminator D"),
    ("pages/3_Divergences_vs_theta.py", "divergences.estimators.step", "Lipschitz critic"),
    ("pages/5_Earth_movers_distance.py?emd_section=Kantorovich–Rubinstein critic", "transport.kantorovich.step",
     "critic f"),
    ("pages/7_Density_ratio_and_AVB.py", "density_ratio.classifier.step", "classifier"),
    ("pages/1_Mode_collapse.py", "mode_collapse.live.step", "generator step"),
])
def test_step_says_what_one_step_of_the_page_trains(script, button, words):
    """Every Step button said "the critic steps, then one generator step", also where no generator trains."""
    script, _, query = script.partition("?")
    test = AppTest.from_file(str(ROOT / script), default_timeout=120)
    if query:
        key, value = query.split("=")
        test.query_params[key] = value
    help_text = test.run().button(key=button).help
    assert words in help_text and ("generator" in help_text) == (words == "generator step")

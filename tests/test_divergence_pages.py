"""The two divergence pages under AppTest: exact values shown, ∞ drawn in its band, noise, presets, starts."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import chart, series, wait_for_app
from streamlit.testing.v1 import AppTest

from playground import divergences
from playground.figures import divergences as figures
from playground.ui import widget_key

PAGES = Path(__file__).parents[1] / "pages"
THETA_PAGE = str(PAGES / "3_Divergences_vs_theta.py")
COVERING_PAGE = str(PAGES / "4_Mode_covering_vs_seeking.py")
COVERING_PRESET = "covering.preset_choice"  # the preset box ui.controls draws
CUSTOM_LABEL = "Custom (sliders below)"     # its reading when the sliders match no preset




def named(spec: dict, name: str) -> dict:
    return next(trace for trace in spec["data"] if trace.get("name") == name)


def metrics(app: AppTest) -> dict[str, str]:
    return {metric.label.split(" at ")[0]: metric.value for metric in app.metric}


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


@pytest.fixture
def theta_app() -> AppTest:
    app = AppTest.from_file(THETA_PAGE, default_timeout=90)
    app.run()
    assert_clean(app)
    return app


def test_theta_page_shows_infinite_kl_in_its_band_and_constant_jsd(theta_app):
    """No noise, θ = 0.7: KL = ∞ (metric and the ∞ band of the chart), JSD = ln 2, W₁ = 0.7."""
    assert theta_app.title[0].value == "Divergences vs θ"
    assert metrics(theta_app) == {"KL(π‖$p_\\theta$)": "∞", "KL($p_\\theta$‖π)": "∞", "JSD(π, $p_\\theta$)": "0.6931",
                                  "W₁(π, $p_\\theta$)": "0.7"}
    spec = chart(theta_app, "div_curves_chart")
    axis = spec["layout"]["yaxis"]
    infinity = axis["tickvals"][axis["ticktext"].index("∞")]
    kl = series(named(spec, "KL(π‖p<sub>θ</sub>)"), "y")
    assert np.all(kl[~np.isnan(kl)] == pytest.approx(infinity, rel=1e-6))     # every θ ≠ 0 in the band
    assert np.isnan(kl).sum() == 1                                                # broken at θ = 0 (the jump)
    js = series(named(spec, "JSD(π, p<sub>θ</sub>)"), "y")
    np.testing.assert_allclose(js[~np.isnan(js)], math.log(2), rtol=1e-6)
    w = series(named(spec, "W₁(π, p<sub>θ</sub>)"), "y")
    np.testing.assert_allclose(w, np.abs(series(named(spec, "W₁(π, p<sub>θ</sub>)"), "x")), atol=1e-6)
    assert infinity > w.max()                                                     # the band is above every finite value


def test_theta_page_noise_makes_kl_finite_and_the_jump_disappears(theta_app):
    theta_app.select_slider(key=widget_key("divergences", "noise_std")).set_value(0.5).run()
    assert_clean(theta_app)
    shown = metrics(theta_app)
    assert float(shown["KL(π‖$p_\\theta$)"]) == pytest.approx(0.7**2 / (2 * 0.5**2), rel=1e-3)
    assert float(shown["JSD(π, $p_\\theta$)"]) < math.log(2) and shown["W₁(π, $p_\\theta$)"] == "0.7"
    spec = chart(theta_app, "div_curves_chart")
    trace = named(spec, "KL(π‖p<sub>θ</sub>)")
    x, kl = series(trace, "x"), series(trace, "y")
    central = np.abs(x) < 1.5                                       # KL = θ²/2σ² ≤ 4.5 there: on the axis
    np.testing.assert_allclose(kl[central], x[central] ** 2 / (2 * 0.5**2), rtol=1e-5, atol=1e-6)
    axis = spec["layout"]["yaxis"]
    infinity = axis["tickvals"][axis["ticktext"].index("∞")]
    assert np.nanmax(kl) < infinity                                 # nothing in the ∞ band any more
    theta_app.slider(key=widget_key("divergences", "theta")).set_value(0.0).run()
    assert set(metrics(theta_app).values()) == {"0"}


def test_theta_page_small_noise_flags_off_scale_kl(theta_app):
    """σ = 0.05: KL reaches 800 at |θ| = 2; the curve is cut where it leaves the axis and a note says so."""
    theta_app.select_slider(key=widget_key("divergences", "noise_std")).set_value(0.05).run()
    spec = chart(theta_app, "div_curves_chart")
    notes = " ".join(a.get("text", "") for a in spec["layout"].get("annotations", []))
    assert "leaves the axis" in notes and "800" in notes
    kl = series(named(spec, "KL(π‖p<sub>θ</sub>)"), "y")
    top = spec["layout"]["yaxis"]["range"][1]
    assert np.nanmax(kl) < top and np.isnan(kl).any()


def test_theta_page_theorem2_sequence(theta_app):
    """W₁ = θₜ = 1/t along the steps t = 1 … 7, JSD = ln 2 at every step; the limit θ = 0, drawn apart, has
    W₁ = JSD = 0."""
    spec = chart(theta_app, "div_theorem2_chart")
    trace = named(spec, "W₁")
    np.testing.assert_allclose(series(trace, "y"), 1 / series(trace, "x"), rtol=1e-6)
    np.testing.assert_array_equal(series(trace, "x"), np.arange(1, 8))
    np.testing.assert_allclose(series(named(spec, "JSD"), "y"), math.log(2), rtol=1e-6)
    limits = {t["legendgroup"]: series(t, "y") for t in spec["data"] if "limit θ = 0" in str(t.get("hovertext"))}
    assert limits["W₁"].tolist() == [0.0] and limits["JSD"].tolist() == [0.0]


def test_theta_page_theorem2_title_follows_the_noise(theta_app):
    """Without noise the chart says W₁ only; with σ > 0 its KL and JSD fall to 0 too, and the title must not
    contradict the curves (a lecturer saw 'not in KL or JSD' over falling KL and JSD curves)."""
    assert "not in KL or JSD" in chart(theta_app, "div_theorem2_chart")["layout"]["title"]["text"]
    theta_app.select_slider(key=widget_key("divergences", "noise_std")).set_value(0.1).run()
    spec = chart(theta_app, "div_theorem2_chart")
    assert "σ = 0.1" in spec["layout"]["title"]["text"] and "not in" not in spec["layout"]["title"]["text"]
    for name in ("KL (both ways)", "JSD"):
        values = series(named(spec, name), "y")
        drawn = values[~np.isnan(values)]  # KL = θ²/2σ² starts above the axis (a gap, marked by ▲)
        assert len(drawn) >= 4 and np.all(np.diff(drawn) < 0)
    caption = next(c.value for c in theta_app.caption if "p_t = p_" in c.value)  # the caption follows it too
    assert "σ = 0.1 drawn here" in caption and "see the convergence too" in caption


def test_theta_page_live_estimators_step_and_restart(theta_app):
    """Step trains once; switching the Lipschitz method starts a fresh run; the summary reads out the numbers."""
    theta_app.button(key="divergences.estimators.step").click().run()
    assert_clean(theta_app)
    text = " ".join(m.value for m in theta_app.markdown)
    assert "**Step 1**" in text and "JSD estimate" in text and "exact 0.7000" in text
    theta_app.radio(key=widget_key("divergences", "lipschitz_method")).set_value("clip").run()
    assert_clean(theta_app)
    text = " ".join(m.value for m in theta_app.markdown)
    assert "**Step 0**" in text and "unknown K" in text
    assert not theta_app.select_slider(key=widget_key("divergences", "clip_value")).disabled


@pytest.mark.parametrize("value", ["weight_clipping", "clip", "Weight clipping (WGAN)"])
def test_theta_page_link_opens_weight_clipping_by_old_id_new_id_or_label(value):
    """The page's links held the label; its option id was once "weight_clipping", now the registry's "clip"."""
    app = theta_page_from_link(div_lipschitz=value)
    assert_clean(app)
    assert not app.sidebar.warning
    assert app.radio(key=widget_key("divergences", "lipschitz_method")).value == "clip"
    assert not app.select_slider(key=widget_key("divergences", "clip_value")).disabled


@pytest.fixture
def covering_app() -> AppTest:
    app = AppTest.from_file(COVERING_PAGE, default_timeout=120)
    app.run()
    assert_clean(app)
    return app


def results(app: AppTest) -> dict[str, dict]:
    frame = app.table[0].value
    return {row["divergence"].split(",")[0].split(" ")[0]: row for row in frame.to_dict("records")}


def test_covering_page_reference_mixture_fits(covering_app):
    """Lecture mixture from (1, 1): forward KL σ ≈ 2.074 at 0, reverse KL the mode at +2 (σ ≈ 0.552),
    JSD the covering global minimum (σ ≈ 2.05)."""
    rows = results(covering_app)
    assert rows["KL(π‖p)"]["μ"] == pytest.approx(0.0, abs=1e-4) and rows["KL(π‖p)"]["σ"] == pytest.approx(2.0742)
    assert rows["KL(p‖π)"]["μ"] == pytest.approx(1.9991, abs=1e-3)
    assert rows["KL(p‖π)"]["σ"] == pytest.approx(0.5516, abs=1e-3)
    assert rows["KL(p‖π)"]["reached"] == "global minimum"
    assert rows["JSD(π"]["σ"] == pytest.approx(2.0524, abs=1e-3) and rows["JSD(π"]["reached"] == "global minimum"
    for divergence, count in (("forward_kl", 1), ("reverse_kl", 3), ("js", 3)):
        spec = chart(covering_app, f"cov_landscape_{divergence}")
        stars = [t for t in spec["data"] if t.get("marker", {}).get("symbol") in ("star", "star-open")]
        assert len(stars) == count
    assert not covering_app.warning


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["lecture", "far_modes", "unequal_weights"])
def test_covering_page_states_the_verdicts_of_the_minima_it_marks(covering_app, preset):
    """The caption's covering/seeking sentence is the one computed from this mixture's minima, and each table row
    carries the verdict of the fit it reached."""
    covering_app.selectbox(key=COVERING_PRESET).set_value(preset).run()
    assert_clean(covering_app)
    mixture = divergences.two_mode_mixture(*divergences.MIXTURE_PRESETS[preset][1:])
    minima = {d: divergences.landscape_minima(*mixture, d, np.linspace(-5.0, 5.0, 61), np.linspace(0.1, 5.0, 50))
              for d in divergences.DIVERGENCES}
    captions = " ".join(c.value for c in covering_app.caption)
    assert divergences.minima_summary(mixture[1], minima) in captions
    assert divergences.COVERING_DEFINITION in captions
    js_global = {divergences.covering_verdict(mixture[1], m["mu"], m["sigma"]) for m in minima["js"] if m["global"]}
    assert js_global == ({"covers both modes"} if preset == "lecture" else
                         {"seeks the left mode", "seeks the right mode"} if preset == "far_modes" else
                         {"seeks the left mode"})
    for row in results(covering_app).values():
        assert row["modes"] == divergences.covering_verdict(mixture[1], row["μ"], row["σ"])


@pytest.mark.slow
def test_covering_page_colour_bars_are_readable_over_many_decades(covering_app):
    """d = 8: the forward KL spans about three decades, and its colour bar printed 5, 3 and 2 on each other.
    Ticks now sit at least an eighth of a bar's range apart, label the true values, and there are at least two."""
    covering_app.slider(key=widget_key("covering", "separation")).set_value(8.0).run()
    for divergence in ("forward_kl", "reverse_kl", "js"):
        heat = chart(covering_app, f"cov_landscape_{divergence}")["data"][0]
        positions, labels = np.array(heat["colorbar"]["tickvals"]), heat["colorbar"]["ticktext"]
        assert len(positions) >= 2 and np.all(np.diff(positions) >= (heat["zmax"] - heat["zmin"]) / 8 - 1e-9)
        np.testing.assert_allclose(10 ** positions - figures.LANDSCAPE_FLOOR, [float(t) for t in labels], rtol=1e-6)


def test_covering_page_jsd_local_minimum_from_a_mode(covering_app):
    covering_app.slider(key=widget_key("covering", "mu0")).set_value(2.0).run()
    covering_app.slider(key=widget_key("covering", "sigma0")).set_value(0.5).run()
    assert_clean(covering_app)
    row = results(covering_app)["JSD(π"]
    assert row["μ"] == pytest.approx(1.998, abs=1e-3) and row["reached"] == "local minimum"


def test_covering_page_preset_with_unequal_weights(covering_app):
    covering_app.selectbox(key=COVERING_PRESET).set_value("unequal_weights").run()
    assert_clean(covering_app)
    assert covering_app.slider(key=widget_key("covering", "weight")).value == 0.75
    rows = results(covering_app)
    assert rows["KL(π‖p)"]["μ"] == pytest.approx(-1.0, abs=1e-4)     # E_π x = 0.75·(−2) + 0.25·2
    spec = chart(covering_app, "cov_densities_chart")
    assert any("KL(p‖π)" in trace.get("name", "") for trace in spec["data"])


@pytest.mark.slow
def test_covering_page_preset_box_names_the_mixture_the_sliders_hold(covering_app):
    """A lecturer moved d after choosing a preset, then opened the copied link: the box still named the preset
    while the sliders and charts showed another mixture. It reads Custom until the sliders match a preset."""
    separation = widget_key("covering", "separation")
    assert CUSTOM_LABEL not in covering_app.selectbox(key=COVERING_PRESET).options  # no choice while a preset holds
    covering_app.selectbox(key=COVERING_PRESET).set_value("unequal_weights").run()
    covering_app.slider(key=separation).set_value(8.0).run()
    assert covering_app.selectbox(key=COVERING_PRESET).value == "custom"
    assert CUSTOM_LABEL in covering_app.selectbox(key=COVERING_PRESET).options
    covering_app.slider(key=separation).set_value(4.0).run()       # back to the preset's own d
    assert covering_app.selectbox(key=COVERING_PRESET).value == "unequal_weights"
    assert CUSTOM_LABEL not in covering_app.selectbox(key=COVERING_PRESET).options
    covering_app.selectbox(key=COVERING_PRESET).set_value("far_modes").run()
    assert covering_app.selectbox(key=COVERING_PRESET).value == "far_modes"
    assert covering_app.slider(key=separation).value == 7.0
    linked = AppTest.from_file(COVERING_PAGE, default_timeout=90)
    linked.query_params.update(cov_separation="8.0", cov_weight="0.75")
    linked.run()
    assert_clean(linked)
    assert linked.selectbox(key=COVERING_PRESET).value == "custom" and linked.slider(key=separation).value == 8.0


def covering_page_from_link(**params: str) -> AppTest:
    app = AppTest.from_file(COVERING_PAGE, default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def test_covering_page_old_links_open_the_same_view():
    """Links the page wrote with its hand-bound sliders (cov_* keys, integers for floats) open the same values; the
    box names the preset those values make, and the address keeps the old keys."""
    app = covering_page_from_link(cov_separation="7", cov_weight="0.5", cov_left_std="0.5", cov_right_std="0.5",
                                  cov_mu0="-2", cov_sigma0="1")
    assert_clean(app)
    assert not app.sidebar.warning
    values = {name: app.slider(key=widget_key("covering", name)).value
              for name in ("separation", "weight", "left_std", "right_std", "mu0", "sigma0")}
    assert values == {"separation": 7.0, "weight": 0.5, "left_std": 0.5, "right_std": 0.5, "mu0": -2.0,
                      "sigma0": 1.0}
    assert app.selectbox(key=COVERING_PRESET).value == "far_modes"
    forward = results(app)["KL(π‖p)"]                                 # moment matching: σ² = (d/2)² + s²
    assert forward["μ"] == pytest.approx(0.0, abs=1e-4) and forward["σ"] == pytest.approx(12.5**0.5, abs=1e-4)
    assert (app.query_params["cov_separation"], app.query_params["cov_mu0"]) == ("7", "-2")
    assert "cov_weight" not in app.query_params                       # the default: the address drops it


def test_covering_page_names_link_values_it_cannot_take_and_keeps_the_defaults():
    app = covering_page_from_link(cov_separation="12", cov_sigma0="0", cov_weight="half")
    assert_clean(app)
    warnings = " ".join(w.value for w in app.sidebar.warning)
    assert "cov_separation=12" in warnings and "cov_sigma0=0" in warnings and "cov_weight=half" in warnings
    assert app.slider(key=widget_key("covering", "separation")).value == 4.0
    assert app.slider(key=widget_key("covering", "sigma0")).value == 1.0
    assert app.selectbox(key=COVERING_PRESET).value == "lecture" and not app.query_params


@pytest.mark.slow
def test_covering_page_widest_mixture_keeps_its_minima_and_paths_on_the_chart(covering_app):
    """d = 8 with both widths 2: forward KL's optimum is σ = √20 ≈ 4.47. With σ up to 4 on the axis the landscapes
    showed no minimum at all and the paths ran off the top."""
    for name, value in (("separation", 8.0), ("left_std", 2.0), ("right_std", 2.0), ("sigma0", 4.0)):
        covering_app.slider(key=widget_key("covering", name)).set_value(value).run()
    assert_clean(covering_app)
    assert results(covering_app)["KL(π‖p)"]["σ"] == pytest.approx(20 ** 0.5, abs=1e-3)
    for divergence in ("forward_kl", "reverse_kl", "js"):
        spec = chart(covering_app, f"cov_landscape_{divergence}")
        top = max(spec["data"][0]["y"])
        stars = [t for t in spec["data"] if t.get("marker", {}).get("symbol") == "star"]
        assert len(stars) == 1, divergence                                # the global minimum is drawn
        lines = [t for t in spec["data"] if t.get("mode") == "lines"]
        assert lines and all(max(t["y"]) <= top for t in lines), divergence  # the whole path is on the chart


@pytest.mark.slow
def test_covering_page_flat_start_warns(covering_app):
    """A narrow start far from π: JSD is ln 2 to machine precision and cannot move — the page says so."""
    covering_app.slider(key=widget_key("covering", "separation")).set_value(8.0).run()
    covering_app.slider(key=widget_key("covering", "left_std")).set_value(0.1).run()
    covering_app.slider(key=widget_key("covering", "right_std")).set_value(0.1).run()
    covering_app.slider(key=widget_key("covering", "mu0")).set_value(0.0).run()
    covering_app.slider(key=widget_key("covering", "sigma0")).set_value(0.15).run()
    assert_clean(covering_app)
    assert any("cannot move" in w.value for w in covering_app.warning)
    rows = results(covering_app)
    assert rows["JSD(π"]["steps"] == 0 and rows["JSD(π"]["reached"] == "stationary, not a minimum"
    assert rows["KL(π‖p)"]["reached"] == "global minimum"      # σ = √(16 + 0.01): on the map, whose σ reaches 5


@pytest.mark.browser
def test_clicking_a_landscape_moves_the_start_in_chromium(app_url, page):
    """A click on a landscape's cell at (μ, σ) = (2, 0.5) moves the descent's start there (sliders and URL)."""
    page.goto(app_url + "/Mode_covering_vs_seeking")
    wait_for_app(page)
    page.wait_for_function("() => document.querySelectorAll('.gp-live-cell[data-drawn]').length >= 4",
                           timeout=60_000)
    x, y = page.evaluate("""() => {
        const gd = document.querySelector('.gp-live-cell');
        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [box.left + gd._fullLayout.xaxis.l2p(2.0), box.top + gd._fullLayout.yaxis.l2p(0.5)]; }""")
    page.mouse.click(x, y)
    page.wait_for_function("() => location.search.includes('cov_mu0=2') && location.search.includes('cov_sigma0=0.5')",
                           timeout=30_000)
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_role("slider", name="μ₀").get_attribute("aria-valuetext") == "2.00"
    assert sidebar.get_by_role("slider", name="σ₀").get_attribute("aria-valuetext") == "0.50"
    assert page.locator("[data-testid='stException']").count() == 0


def theta_page_from_link(**params: str) -> AppTest:
    app = AppTest.from_file(THETA_PAGE, default_timeout=90)
    for key, value in params.items():
        app.query_params[key] = value
    return app.run()


def test_theta_page_old_links_open_the_same_view():
    """Links the page wrote with its hand-bound controls (page-prefixed keys, the radio's label, an integer for a
    float) open the same values in the same controls, and the address keeps those keys."""
    app = theta_page_from_link(div_theta="1", div_noise="0.1", div_lipschitz="Weight clipping (WGAN)",
                               div_clip="0.1", div_lr="0.0003", div_seed="3")
    assert_clean(app)
    assert not app.sidebar.warning
    assert app.slider(key=widget_key("divergences", "theta")).value == 1.0
    assert app.select_slider(key=widget_key("divergences", "noise_std")).value == 0.1
    assert app.radio(key=widget_key("divergences", "lipschitz_method")).value == "clip"
    assert app.select_slider(key=widget_key("divergences", "clip_value")).value == 0.1
    assert app.select_slider(key=widget_key("divergences", "learning_rate")).value == 3e-4
    assert app.number_input(key=widget_key("divergences", "seed")).value == 3
    assert metrics(app)["W₁(π, $p_\\theta$)"] == figures.format_value(1.0)
    assert app.query_params["div_theta"] == "1" and app.query_params["div_lipschitz"] == "clip"
    assert app.select_slider(key=widget_key("divergences", "penalty_weight")).disabled  # clipping ignores λ


def test_theta_page_names_link_values_it_cannot_take_and_keeps_the_defaults():
    app = theta_page_from_link(div_theta="9", div_noise="0.07", div_lipschitz="hinge")
    assert_clean(app)
    warnings = " ".join(w.value for w in app.sidebar.warning)
    assert "div_theta=9" in warnings and "div_noise=0.07" in warnings and "div_lipschitz=hinge" in warnings
    assert app.slider(key=widget_key("divergences", "theta")).value == 0.7
    assert app.select_slider(key=widget_key("divergences", "noise_std")).value == 0.0
    assert "div_theta" not in app.query_params  # the default again: the address drops it


@pytest.mark.slow
def test_theta_page_writes_changed_settings_to_the_address_under_its_old_keys():
    app = theta_page_from_link()
    app.slider(key=widget_key("divergences", "theta")).set_value(0.3).run()
    app.select_slider(key=widget_key("divergences", "noise_std")).set_value(0.1).run()
    assert (app.query_params["div_theta"], app.query_params["div_noise"]) == ("0.3", "0.1")
    assert "div_clip" not in app.query_params

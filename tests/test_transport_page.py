"""The earth mover's distance page under AppTest: the lecture's W = 5, validation, clouds, CDFs, the live critic."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from conftest import chart, decode, screenshot, wait_for_app
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance
from streamlit.testing.v1 import AppTest

from playground import transport
from playground.ui import widget_key

PAGE = str(Path(__file__).parents[1] / "pages" / "5_Earth_movers_distance.py")
CLOUDS, CRITIC = "clouds", "critic"  # ids of transport.SECTIONS


def piles_key(field: str) -> str:
    return widget_key("transport.piles", field)


def critic_key(field: str) -> str:
    return widget_key("transport.critic", field)


@pytest.fixture(autouse=True)
def fresh_sessions():
    """AppTest runs share one process, so the session-scoped cache of live runs would leak between tests."""
    st.cache_resource.clear()
    yield


def open_page(section: str | None = None, **params) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=90)
    for key, value in params.items():
        app.query_params[key] = value
    if section:
        app.session_state[widget_key("transport", "section")] = section
    app.run()
    assert_clean(app)
    return app


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def text(app: AppTest) -> str:
    return " ".join(m.value for m in app.markdown)


def set_piles(app: AppTest, name: str, values) -> None:
    for index, value in enumerate(values, start=1):
        app.number_input(key=piles_key(f"{name}{index}")).set_value(value)
    app.run()


def test_default_is_the_lecture_example_with_w_equal_to_five():
    app = open_page()
    assert app.title[0].value == "Earth mover's distance"
    assert not app.warning
    assert "= **5**" in text(app)
    plan = decode(chart(app, "emd_plan_chart")["data"][0]["z"])
    np.testing.assert_allclose(plan.sum(axis=1), transport.LECTURE_P)
    np.testing.assert_allclose(plan.sum(axis=0), transport.LECTURE_Q)
    assert np.sum(plan * np.abs(np.subtract.outer(range(4), range(4)))) == 5
    moves = chart(app, "emd_moves_chart")
    assert "W = 5" in moves["layout"]["title"]["text"]
    arrows = [note for note in moves["layout"]["annotations"] if note.get("showarrow")]
    assert len(arrows) == np.count_nonzero(plan)


@pytest.mark.parametrize(
    ("p", "q", "message"),
    [
        ((3, 2, 1, 4), (1, 2, 4, 4), "equal total mass"),
        ((3, -2, 1, 4), (1, 2, 4, -1), "negative"),
        ((0, 0, 0, 0), (0, 0, 0, 0), "empty"),
    ],
)
def test_bad_histograms_warn_instead_of_failing(p, q, message):
    app = open_page()
    set_piles(app, "p", p)
    set_piles(app, "q", q)
    assert_clean(app)
    assert any(message in warning.value for warning in app.warning), [w.value for w in app.warning]
    assert not app.get("plotly_chart")


def test_more_piles_and_the_url_reproduce_a_histogram():
    app = open_page(emd_piles="6", emd_p5="2", emd_q6="2")
    assert app.number_input(key=piles_key("piles")).value == 6
    p, q = [3, 2, 1, 4, 2, 0], [1, 2, 4, 3, 0, 2]
    expected, _ = transport.emd(p, q)
    assert f"= **{expected:.4g}**" in text(app)
    assert decode(chart(app, "emd_plan_chart")["data"][0]["z"]).shape == (6, 6)


def test_point_clouds_show_the_optimal_matching_and_the_cdf_area():
    app = open_page(CLOUDS, emd_cloud_n="50", emd_cloud_seed="4")
    spec = chart(app, "emd_matching_chart")
    segments = decode(spec["data"][0]["x"]).reshape(-1, 3)[:, :2], decode(spec["data"][0]["y"]).reshape(-1, 3)[:, :2]
    lengths = np.hypot(segments[0][:, 1] - segments[0][:, 0], segments[1][:, 1] - segments[1][:, 0])
    real = np.stack([decode(spec["data"][1]["x"]), decode(spec["data"][1]["y"])], axis=1)
    fake = np.stack([decode(spec["data"][2]["x"]), decode(spec["data"][2]["y"])], axis=1)
    cost = cdist(real, fake)
    rows, columns = linear_sum_assignment(cost)
    assert len(lengths) == 50
    assert lengths.mean() == pytest.approx(cost[rows, columns].mean(), rel=1e-5)   # the drawn matching is optimal
    shown = float(re.search(r"W₁ = ([\d.]+)", spec["layout"]["title"]["text"]).group(1))
    assert shown == pytest.approx(lengths.mean(), abs=1e-4)
    metrics = {metric.label: float(metric.value) for metric in app.metric}
    assert metrics["∫ |F − G| dt"] == pytest.approx(metrics["W₁ by optimal transport (POT)"], abs=1e-4)
    real_line, fake_line = transport.sample_pair(1, "gaussian", "two_bumps", 200, 4)
    assert metrics["∫ |F − G| dt"] == pytest.approx(wasserstein_distance(real_line[:, 0], fake_line[:, 0]), abs=1e-4)
    assert chart(app, "emd_cdf_chart")["data"][1]["fill"] == "tonexty"


def step_count(app: AppTest) -> int:
    line = next(m.value for m in app.markdown if m.value.startswith("**Step"))
    return int(re.search(r"Step ([\d,]+)", line).group(1).replace(",", ""))


@pytest.mark.slow
def test_critic_steps_live_and_restarts_on_a_new_constraint():
    app = open_page(CRITIC)
    assert step_count(app) == 0 and "exact W₁** (POT) = **2.9914**" in text(app)
    assert app.select_slider(key=critic_key("clip_value")).disabled
    assert not app.select_slider(key=critic_key("penalty_weight")).disabled
    for _ in range(3):
        app.button(key="transport.kantorovich.step").click().run()
    assert step_count(app) == 3
    app.select_slider(key=critic_key("learning_rate")).set_value(1e-3).run()  # live: the run goes on
    assert step_count(app) == 3
    app.radio(key=critic_key("lipschitz")).set_value("clip").run()                        # restart
    assert_clean(app)
    assert step_count(app) == 0 and "weight clipping, c = 0.01" in text(app)
    assert not app.select_slider(key=critic_key("clip_value")).disabled
    app.button(key="transport.kantorovich.step").click().run()
    app.select_slider(key=critic_key("clip_value")).set_value(0.1).run()                       # live
    assert step_count(app) == 1 and "weight clipping, c = 0.1" in text(app)


def test_one_dimensional_critic_from_the_url():
    app = open_page(CRITIC, emd_kr_dimension="1-D")
    assert app.radio(key=critic_key("dimension")).value == 1
    assert app.selectbox(key=critic_key("real_1d")).value == "gaussian_shifted"
    app.button(key="transport.kantorovich.step").click().run()
    assert_clean(app)
    assert step_count(app) == 1 and "exact W₁" in text(app)


@pytest.mark.slow
def test_links_the_page_wrote_before_its_settings_layer_open_the_same_views():
    """Bound widgets wrote their own keys, with a selectbox's or radio's label and a number's text; the tab's label."""
    app = open_page(emd_section="Kantorovich–Rubinstein critic", emd_kr_dimension="1-D", emd_kr_real_1d="N(1, 0.3²)",
                    emd_kr_fake_1d="uniform", emd_kr_method="Weight clipping (WGAN)", emd_kr_c="0.1",
                    emd_kr_lambda="3", emd_kr_lr="0.001", emd_kr_seed="7")
    assert not app.warning
    assert app.session_state["transport.critic.config"] == transport.CriticSettings(
        dimension=1, real_1d="narrow_gaussian", fake_1d="uniform", lipschitz="clip", clip_value=0.1,
        penalty_weight=3.0, learning_rate=1e-3, seed=7)
    assert app.selectbox(key=critic_key("real_1d")).value == "narrow_gaussian"
    assert app.select_slider(key=critic_key("clip_value")).value == 0.1 and "weight clipping, c = 0.1" in text(app)
    assert app.query_params["emd_section"] == "critic" and app.query_params["emd_kr_method"] == "clip"

    app = open_page(emd_section="Point clouds", emd_cloud_real="Ring of radius 2", emd_cloud_fake="square",
                    emd_cloud_n="25", emd_cloud_seed="2", emd_line_real="Exp(1)", emd_line_n="50")
    assert not app.warning
    assert app.session_state["transport.clouds.config"] == transport.CloudSettings(
        real="ring", fake="square", count=25, seed=2, line_real="exponential", line_count=50)
    assert len(decode(chart(app, "emd_matching_chart")["data"][1]["x"])) == 25
    real_line, fake_line = transport.sample_pair(1, "exponential", "two_bumps", 50, 2)
    shown = {metric.label: float(metric.value) for metric in app.metric}["W₁ by optimal transport (POT)"]
    assert shown == pytest.approx(transport.wasserstein(real_line, fake_line), abs=1e-4)

    app = open_page(emd_piles="2.0", emd_p1="1.5", emd_p2="0", emd_q1="0", emd_q2="1.5")
    assert not app.warning and [w.label for w in app.number_input] == ["Number of piles", "P at 1", "P at 2",
                                                                         "Q at 1", "Q at 2"]
    assert "= **1.5**" in text(app)                                   # 1.5 units travel one step


@pytest.mark.slow
def test_a_link_value_no_control_can_take_is_named():
    app = open_page(emd_piles="11", emd_p1="nan")
    warnings = " ".join(w.value for w in app.warning)
    assert "emd_piles=11" in warnings and "emd_p1=nan" in warnings
    assert app.number_input(key=piles_key("piles")).value == 4 and "= **5**" in text(app)
    app = open_page(CRITIC, emd_kr_dimension="3-D", emd_kr_lr="0.5")
    warnings = " ".join(w.value for w in app.warning)
    assert "emd_kr_dimension=3-D" in warnings and "emd_kr_lr=0.5" in warnings
    assert app.radio(key=critic_key("dimension")).value == 2
    assert app.select_slider(key=critic_key("learning_rate")).value == 3e-3


@pytest.mark.browser
def test_a_clicked_tab_opens_its_section_and_goes_into_the_address(app_url, page):
    page.goto(app_url + "/Earth_movers_distance?emd_cloud_n=25")
    wait_for_app(page)
    page.get_by_role("tab", name="Point clouds").click()
    page.wait_for_url("**emd_section=clouds**", timeout=30_000)
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_timeout(1500)  # let the charts paint before the screenshot
    screenshot(page, "5_Earth_movers_distance_clouds")
    assert page.get_by_text("Two point clouds: the optimal one-to-one matching").count() == 1
    assert "emd_cloud_n=25" in page.url                                 # another section's key stays in the link
    page.get_by_role("tab", name="Kantorovich–Rubinstein critic").click()
    page.wait_for_url("**emd_section=critic**", timeout=30_000)
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.wait_for_timeout(1500)
    screenshot(page, "5_Earth_movers_distance_critic")
    assert page.get_by_role("button", name="Step").count() == 1


def test_critic_heatmap_scale_is_symmetric_and_a_flat_critic_gets_a_readable_one():
    """Blue high, red low, white at the mean: the colour range is centre ± the largest deviation, however small
    (a clipped critic's f varies by ~1e-6 and must still show its shape); a flat critic at step 0 read '1p'."""
    from playground.figures.transport import critic_heatmap
    grid = np.linspace(-1.0, 1.0, 5)
    points = np.zeros((3, 2))
    tiny = 1e-6 * np.outer(grid, np.ones(5)) + 0.5
    heat = critic_heatmap(grid, grid, tiny, points, points).data[0]
    assert heat.zmin == pytest.approx(0.5 - 1e-6, abs=1e-7) and heat.zmax == pytest.approx(0.5 + 1e-6, abs=1e-7)
    flat = critic_heatmap(grid, grid, np.full((5, 5), 0.25), points, points).data[0]
    assert (flat.zmin, flat.zmax) == (pytest.approx(-0.75), pytest.approx(1.25))

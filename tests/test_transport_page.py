"""The earth mover's distance page under AppTest: the lecture's W = 5, validation, clouds, CDFs, the live critic."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from conftest import chart, decode
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance
from streamlit.testing.v1 import AppTest

from playground import transport

PAGE = str(Path(__file__).parents[1] / "pages" / "5_Earth_movers_distance.py")
CLOUDS, CRITIC = "Point clouds", "Kantorovich–Rubinstein critic"


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
        app.session_state["emd_section"] = section
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
        app.number_input(key=f"emd_{name}{index}").set_value(value)
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
    assert app.number_input(key="emd_piles").value == 6
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


def test_critic_steps_live_and_restarts_on_a_new_constraint():
    app = open_page(CRITIC)
    assert step_count(app) == 0 and "exact W₁** (POT) = **2.9914**" in text(app)
    assert app.select_slider(key="emd_kr_c").disabled and not app.select_slider(key="emd_kr_lambda").disabled
    for _ in range(3):
        app.button(key="transport.kantorovich.step").click().run()
    assert step_count(app) == 3
    app.select_slider(key="emd_kr_lr").set_value(1e-3).run()                      # live: the run goes on
    assert step_count(app) == 3
    app.radio(key="emd_kr_method").set_value("clip").run()                        # restart
    assert_clean(app)
    assert step_count(app) == 0 and "weight clipping, c = 0.01" in text(app)
    assert not app.select_slider(key="emd_kr_c").disabled
    app.button(key="transport.kantorovich.step").click().run()
    app.select_slider(key="emd_kr_c").set_value(0.1).run()                       # live
    assert step_count(app) == 1 and "weight clipping, c = 0.1" in text(app)


def test_one_dimensional_critic_from_the_url():
    app = open_page(CRITIC, emd_kr_dimension="1-D")
    assert app.radio(key="emd_kr_dimension").value == 1
    assert app.selectbox(key="emd_kr_real_1d").value == "gaussian_shifted"
    app.button(key="transport.kantorovich.step").click().run()
    assert_clean(app)
    assert step_count(app) == 1 and "exact W₁" in text(app)


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

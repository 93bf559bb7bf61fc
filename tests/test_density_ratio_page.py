"""The density-ratio and AVB page under AppTest: both tabs draw, widgets reach the runs, the URL restores views."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground.density_ratio import PAIRS

PAGE = str(Path(__file__).parents[1] / "pages" / "7_Density_ratio_and_AVB.py")


def markdown_text(app: AppTest) -> str:
    return "\n".join(element.value for element in app.markdown)


def assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60)


def test_density_ratio_tab_draws_and_steps(app):
    app.run()
    assert_clean(app)
    assert app.title[0].value.startswith("The density-ratio trick")
    assert len(app.latex) >= 3                      # the page formula and the tab's two
    assert "KL estimate" in markdown_text(app) and "0.350" in markdown_text(app)   # exact KL of the default
    assert "(the untrained classifier)" in markdown_text(app)  # not "the mean of the last 200 steps" at step 0
    app.button(key="density_ratio.classifier.step").click().run()
    assert_clean(app)
    assert "**Step 1**" in markdown_text(app) and "(recorded at step 0)" in markdown_text(app)


def test_pair_without_overlap_reports_infinite_kl(app):
    app.run()
    app.selectbox(key="dr_pair").set_value("no_overlap").run()
    assert_clean(app)
    assert "against exact **∞**" in markdown_text(app)
    assert "the true ratio is infinite" in " ".join(caption.value for caption in app.caption)


def test_two_dimensional_pair_and_ratio_scale(app):
    app.run()
    app.selectbox(key="dr_pair").set_value("ring_2d").run()
    app.radio(key="dr_scale").set_value("ratio").run()
    assert_clean(app)
    assert "KL estimate" in markdown_text(app)


def test_url_restores_pair_and_tab(app):
    """A bound selectbox keeps the option's label in the URL (Streamlit 1.67)."""
    app.query_params["dr_pair"] = PAIRS["mixture"].label
    app.run()
    assert_clean(app)
    assert app.selectbox(key="dr_pair").value == "mixture"
    assert "0.724" in markdown_text(app)            # the mixture's exact KL by quadrature


def test_avb_tab_draws_and_steps(app):
    app.query_params["dr_tab"] = "AVB"
    app.run()
    assert_clean(app)
    assert "At step 0: ELBO VAE" in markdown_text(app)
    assert len(app.latex) >= 5
    app.button(key="density_ratio.avb.step").click().run()
    assert_clean(app)
    assert "**Step 1**" in markdown_text(app)


def test_avb_preset_sets_the_live_rates(app):
    app.query_params["dr_tab"] = "AVB"
    app.run()
    assert app.select_slider(key="avb_lr").value == pytest.approx(2e-3)
    app.selectbox(key="avb_preset").set_value("lagging_adversary").run()
    assert_clean(app)
    assert app.select_slider(key="avb_lr").value == pytest.approx(1e-3)
    assert app.select_slider(key="avb_adversary_lr").value == pytest.approx(2e-3)
    assert "T fell behind" in " ".join(caption.value for caption in app.caption)


def test_bad_url_values_fall_back_to_defaults(app):
    app.query_params.update({"dr_pair": "nonsense", "dr_seed": "abc", "dr_lr": "7", "dr_tab": "Nope"})
    app.run()
    assert_clean(app)
    assert app.selectbox(key="dr_pair").value == "gaussians"
    assert app.number_input(key="dr_seed").value == 0
    assert app.select_slider(key="dr_lr").value == pytest.approx(3e-3)

"""The density-ratio and AVB page under AppTest: both tabs draw, widgets reach the runs, the URL restores views."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from playground import avb
from playground.density_ratio import PAIRS, RatioSettings
from playground.ui import widget_key

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
    assert app.title[0].value == "Density ratio and AVB"
    assert len(app.latex) >= 3                      # the page formula and the tab's two
    assert "KL estimate" in markdown_text(app) and "0.350" in markdown_text(app)   # exact KL of the default
    assert "(the untrained classifier)" in markdown_text(app)  # not "the mean of the last 200 steps" at step 0
    app.button(key="density_ratio.classifier.step").click().run()
    assert_clean(app)
    assert "**Step 1**" in markdown_text(app) and "(recorded at step 0)" in markdown_text(app)


def test_the_learning_rate_applies_live_and_the_seed_restarts(app):
    app.run()
    app.button(key="density_ratio.classifier.step").click().run()
    app.select_slider(key=widget_key("density_ratio", "learning_rate")).set_value(1e-3).run()
    assert_clean(app)
    assert "**Step 1**" in markdown_text(app)        # the same run, at its new rate
    app.number_input(key=widget_key("density_ratio", "seed")).set_value(5).run()
    assert "**Step 0**" in markdown_text(app)


def test_pair_without_overlap_reports_infinite_kl(app):
    app.run()
    app.selectbox(key=widget_key("density_ratio", "pair")).set_value("no_overlap").run()
    assert_clean(app)
    assert "against exact **∞**" in markdown_text(app)
    assert "the true ratio is infinite" in " ".join(caption.value for caption in app.caption)


def test_two_dimensional_pair_and_ratio_scale(app):
    app.run()
    app.selectbox(key=widget_key("density_ratio", "pair")).set_value("ring_2d").run()
    app.radio(key=widget_key("density_ratio", "scale")).set_value("ratio").run()
    assert_clean(app)
    assert "KL estimate" in markdown_text(app)


def test_url_restores_pair_and_tab(app):
    """The page's first links held a bound selectbox's option label."""
    app.query_params["dr_pair"] = PAIRS["mixture"].label
    app.run()
    assert_clean(app)
    assert app.selectbox(key=widget_key("density_ratio", "pair")).value == "mixture"
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
    assert app.select_slider(key=widget_key("avb", "learning_rate")).value == pytest.approx(2e-3)
    app.selectbox(key="avb.preset_choice").set_value("lagging_adversary").run()
    assert_clean(app)
    assert app.select_slider(key=widget_key("avb", "learning_rate")).value == pytest.approx(1e-3)
    assert app.select_slider(key=widget_key("avb", "adversary_learning_rate")).value == pytest.approx(2e-3)
    assert "T fell behind" in " ".join(caption.value for caption in app.caption)


def test_bad_url_values_fall_back_to_defaults(app):
    app.query_params.update({"dr_pair": "nonsense", "dr_seed": "abc", "dr_lr": "7", "dr_tab": "Nope"})
    app.run()
    assert_clean(app)
    assert app.selectbox(key=widget_key("density_ratio", "pair")).value == "gaussians"
    assert app.number_input(key=widget_key("density_ratio", "seed")).value == 0
    assert app.select_slider(key=widget_key("density_ratio", "learning_rate")).value == pytest.approx(3e-3)
    warnings = " ".join(warning.value for warning in app.warning)
    for named in ("dr_pair=nonsense", "dr_seed=abc", "dr_lr=7", "dr_tab=Nope"):
        assert named in warnings
    assert app.session_state["density_ratio.config"] == RatioSettings()


def test_old_links_open_the_same_views(app):
    """Every key the page's links have held keeps its meaning: labels for choices, numbers as written."""
    app.query_params.update({"dr_pair": PAIRS["ring_2d"].label, "dr_lr": "0.001", "dr_seed": "7",
                             "dr_scale": "ratio"})
    app.run()
    assert_clean(app)
    assert not app.warning
    assert app.session_state["density_ratio.config"] == RatioSettings(pair="ring_2d", learning_rate=1e-3, seed=7,
                                                                       scale="ratio")
    avb_app = AppTest.from_file(PAGE, default_timeout=60)
    avb_app.query_params.update({"dr_tab": "AVB", "avb_preset": avb.PRESETS["lagging_adversary"].label,
                                 "avb_adversary_lr": "0.01", "avb_adversary_steps": "3", "avb_seed": "2"})
    avb_app.run()
    assert_clean(avb_app)
    assert not avb_app.warning
    assert avb_app.session_state["avb.config"] == avb.AvbSettings(
        learning_rate=1e-3, adversary_learning_rate=1e-2, adversary_steps=3, seed=2, adam_beta1=0.9)
    assert avb_app.query_params["dr_tab"] == "avb" and avb_app.query_params["avb_preset"] == "lagging_adversary"


def test_a_preset_from_a_link_brings_its_rates_to_the_run(app):
    """A link naming the preset (by id) opens its rates and β₁, and the run is built from them."""
    app.query_params.update({"dr_tab": "avb", "avb_preset": "lagging_adversary"})
    app.run()
    assert_clean(app)
    assert app.select_slider(key=widget_key("avb", "learning_rate")).value == pytest.approx(1e-3)
    assert app.select_slider(key=widget_key("avb", "adversary_learning_rate")).value == pytest.approx(2e-3)
    settings, _ = app.session_state["density_ratio.avb.settings"]
    assert settings.comparison_config() == avb.AvbConfig(   # what AvbComparison.from_settings builds
        learning_rate=1e-3, adversary_learning_rate=2e-3, adam_beta1=0.9)


def test_values_the_avb_controls_cannot_take_are_named(app):
    app.query_params.update({"dr_tab": "avb", "avb_adversary_steps": "9", "avb_lr": "0.5", "avb_preset": "fast"})
    app.run()
    assert_clean(app)
    warnings = " ".join(warning.value for warning in app.warning)
    assert "avb_adversary_steps=9" in warnings and "avb_lr=0.5" in warnings and "Unknown preset “fast”" in warnings
    assert app.session_state["avb.config"] == avb.AvbSettings()

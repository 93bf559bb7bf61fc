"""The vanishing-gradients page under AppTest: the three sections, the presets, the noise slider and a short run
of the frozen-generator experiment."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import chart, series
from streamlit.testing.v1 import AppTest

from playground import experiments
from playground import optimal_discriminator as od
from playground.datasets import DATASETS
from playground.training import TrainingConfig
from playground.ui import widget_key

PAGE = str(Path(__file__).parents[1] / "pages" / "2_Vanishing_gradients.py")
PRESET = widget_key("vanishing", "preset_choice")
THETA, NOISE, FAMILY = (widget_key("vanishing", name) for name in ("theta", "noise", "family"))


@pytest.fixture
def app() -> AppTest:
    page = AppTest.from_file(PAGE, default_timeout=120)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_default_view_shows_three_sections_with_their_formulas(app):
    assert app.title[0].value == "Vanishing gradients"
    assert [h.value for h in app.header][:3] == [
        "1 · Saturation, in one picture", "2 · The optimal discriminator",
        "3 · Arjovsky & Bottou: train D against a frozen generator"]
    latex = " ".join(element.value for element in app.latex)
    assert r"-\sigma(s)" in latex and r"\mathrm{JSD}" in latex and r"\nabla_\theta" in latex
    saturation = chart(app, "vg_saturation_chart")
    minimax_slope = [t for t in saturation["data"] if t["name"].startswith("log(1 − D)")][1]
    d, slope = series(minimax_slope, "x"), series(minimax_slope, "y")
    np.testing.assert_allclose(slope, -d, atol=1e-6)  # ∂/∂s log(1 − σ(s)) = −D
    assert metric(app, "V(G, D*)") == f"{od.value_at_optimum(od.preset_pair('overlapping')):.3f}"
    assert app.info and "Run" in app.info[0].value
    assert not app.warning and not app.error


def test_presets_set_the_sliders_and_the_values(app):
    app.selectbox(key=PRESET).set_value("matched").run()
    assert app.slider(key=THETA).value == 0.0
    assert metric(app, "V(G, D*)") == f"{-math.log(4):.3f}"
    app.selectbox(key=PRESET).set_value("separated").run()
    assert app.slider(key=THETA).value == od.preset_pair("separated").theta
    assert metric(app, "JSD(π‖$p_\\theta$)") == f"{math.log(2):.3f}"
    assert float(metric(app, "$E_p$ |∂D*/∂x|")) < 1e-10
    values = series(chart(app, "vg_value_chart")["data"][0], "y")
    assert values.min() == pytest.approx(-math.log(4), abs=1e-3) and values.max() == pytest.approx(0, abs=1e-6)


def test_instance_noise_brings_the_slope_back(app):
    app.selectbox(key=PRESET).set_value("separated").run()
    app.slider(key=NOISE).set_value(1.0).run()
    assert not app.exception
    assert float(metric(app, "$E_p$ |∂D*/∂x|")) > 1e-2
    assert float(metric(app, "V(G, D*)")) < -0.05


def test_uniform_family_with_disjoint_supports(app):
    app.selectbox(key=FAMILY).set_value("uniform").run()
    app.slider(key=THETA).set_value(3.0).run()
    assert not app.exception
    assert metric(app, "V(G, D*)") == "0.000" and float(metric(app, "$E_p$ |∂D*/∂x|")) == 0.0


@pytest.mark.slow
def test_run_button_trains_and_draws_the_experiment(app):
    app.select_slider(key=widget_key("vanishing_frozen", "critic_steps")).set_value(200).run()
    app.selectbox(key=widget_key("vanishing_frozen", "dataset")).set_value("ring").run()
    app.button(key="vg_frozen.run").click().run()
    assert not app.exception, [e.value for e in app.exception]
    norms = chart(app, "vg_frozen_chart")
    steps = series(norms["data"][0], "x")
    assert steps[0] == 0 and steps[-1] == 200 and len(steps) == 200 // 20 + 1
    assert norms["layout"]["yaxis"]["type"] == "log"
    chart(app, "vg_frozen_samples")
    records = app.session_state["vg_frozen.result"][1]["records"]
    assert any(m.value == experiments.frozen_generator_summary(records) for m in app.markdown)
    assert not app.info  # the result matches the settings
    app.number_input(key=widget_key("vanishing_frozen", "seed")).set_value(3).run()
    assert any("settings changed" in element.value for element in app.info)


def test_an_old_link_opens_the_same_view():
    """Links written when each widget was bound under its own key (labels for the boxes, numbers as text, an
    integer for a float) open those values in both sections, and the address keeps them under the same keys."""
    page = AppTest.from_file(PAGE, default_timeout=120)
    page.query_params.update({"vg_theta": "2.5", "vg_family": od.FAMILIES["uniform"], "vg_real_width": "1",
                              "vg_fake_width": "0.5", "vg_noise": "0.1", "vg_dataset": DATASETS["ring"].label,
                              "vg_pretrain": "250", "vg_critic_steps": "500", "vg_seed": "7"})
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    assert not page.warning
    assert page.session_state["vanishing.config"] == od.Pair(theta=2.5, real_width=1.0, fake_width=0.5, noise=0.1,
                                                             family="uniform")
    assert page.session_state["vanishing_frozen.config"] == experiments.FrozenGeneratorSettings(
        dataset="ring", pretrain_steps=250, critic_steps=500, seed=7)
    assert page.slider(key=THETA).value == 2.5 and page.selectbox(key=FAMILY).value == "uniform"
    assert page.number_input(key=widget_key("vanishing_frozen", "seed")).value == 7
    assert metric(page, "JSD(π‖$p_\\theta$)") == f"{od.jensen_shannon(page.session_state['vanishing.config']):.3f}"
    assert (page.query_params["vg_theta"], page.query_params["vg_family"], page.query_params["vg_dataset"]) == (
        "2.5", "uniform", "ring")


def test_values_no_control_can_take_are_named_and_the_rest_of_the_link_still_applies():
    page = AppTest.from_file(PAGE, default_timeout=120)
    page.query_params.update({"vg_theta": "2.5", "vg_family": "Cauchy", "vg_noise": "banana",
                              "vg_critic_steps": "300", "vg_preset": "wide"})
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    warnings = " ".join(w.value for w in page.warning)
    for named in ("vg_family=Cauchy", "vg_noise=banana", "vg_critic_steps=300", "wide"):
        assert named in warnings, (named, warnings)
    assert page.slider(key=THETA).value == 2.5 and page.selectbox(key=FAMILY).value == "gaussian"
    assert page.slider(key=NOISE).value == 0.0  # "banana" ignored, the default kept
    assert page.session_state["vanishing_frozen.config"].critic_steps == 2000
    assert metric(page, "JSD(π‖$p_\\theta$)") == f"{od.jensen_shannon(od.Pair(theta=2.5)):.3f}"


def test_frozen_generator_summary_reads_its_numbers_off_the_records():
    records = {"step": np.array([0, 20, 40, 60]), "critic_accuracy": np.array([0.5, 0.8, 0.995, 1.0]),
               "grad_norm_minimax": np.array([1.0, 4.0, 0.1, 0.002]),
               "grad_norm_non_saturating": np.array([2.0, 3.0, 5.0, 7.0])}
    assert experiments.frozen_generator_summary(records) == (
        "This run: D's accuracy reached 0.99 at step 40; the minimax norm ended 2,000× below its peak (step 20); "
        "the non-saturating norm ended 3.5× above its start.")
    records.update(critic_accuracy=np.array([0.5, 0.6, 0.7, 0.6]), grad_norm_non_saturating=np.array([4.0, 3, 2, 1]))
    assert experiments.frozen_generator_summary(records) == (
        "This run: D's accuracy never reached 0.99 (best 0.700); the minimax norm ended 2,000× below its peak "
        "(step 20); the non-saturating norm ended 4.0× below its start.")


@pytest.mark.slow
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_frozen_generator_summary_agrees_with_the_run_on_every_dataset(dataset):
    """The sentence under the charts, on every dataset the page offers (400 D steps): each number it states is
    recomputed here from the records, and its direction words match the ratios."""
    records = experiments.frozen_generator(TrainingConfig(dataset=dataset, seed=0), critic_steps=400)
    summary = experiments.frozen_generator_summary(records)
    accurate = np.flatnonzero(records["critic_accuracy"] >= 0.99)
    if accurate.size:
        assert f"reached 0.99 at step {int(records['step'][accurate[0]]):,}" in summary
    else:
        assert f"never reached 0.99 (best {records['critic_accuracy'].max():.3f})" in summary
    minimax, non_saturating = records["grad_norm_minimax"], records["grad_norm_non_saturating"]
    fall = minimax.max() / minimax[-1]
    assert (f"{fall:,.0f}× below its peak" if fall >= 10 else f"{fall:.1f}× below its peak") in summary or fall <= 1
    change = non_saturating[-1] / non_saturating[0]
    assert ("above its start" in summary) == (change >= 1)


def test_the_metrics_beside_the_value_curve_are_the_closed_forms_in_six_characters():
    from playground.figures import vanishing as figures

    matched = dict((label, value) for label, value, _ in figures.pair_metrics(od.preset_pair("matched")))
    assert matched == {"V(G, D*)": f"{-math.log(4):.3f}", "JSD(π‖$p_\\theta$)": "0.000",
                       "$E_p$ |∂D*/∂x|": "0.000"}  # D* = ½ everywhere: flat
    separated = figures.pair_metrics(od.preset_pair("separated"))
    slope = od.mean_slope_at_fakes(od.preset_pair("separated"))
    assert 0 < slope < 0.01 and separated[2][1] == f"{slope:.0e}"
    disjoint = figures.pair_metrics(od.Pair(theta=3.0, family="uniform"))
    assert [value for _, value, _ in disjoint] == ["0.000", f"{math.log(2):.3f}", "0.000"]  # no "-0.000"
    for pair in (od.preset_pair(p) for p in od.PRESETS):
        assert all(len(value) <= 6 for _, value, _ in figures.pair_metrics(pair))


@pytest.mark.slow
def test_the_run_buttons_progress_reaches_the_end_and_returns_the_experiments_own_result():
    """The progress the Run button shows: shares rising to 1, the step it is at, and a final snapshot whose
    records are those of `experiments.frozen_generator` with the same settings (same seeds, same protocol)."""
    from playground.figures import vanishing as figures

    settings = experiments.FrozenGeneratorSettings(dataset="ring", critic_steps=200, seed=2)
    progress = figures.frozen_generator_progress(settings)
    shares, texts = [], []
    while True:
        try:
            share, text, _figure = next(progress)
        except StopIteration as finished:
            snapshot = finished.value
            break
        shares.append(share)
        texts.append(text)
    assert shares == sorted(shares) and shares[-1] == 1.0 and len(shares) == 2  # chunks of 100 D steps
    assert texts[-1] == "Done · D step 200 of 200"
    expected = experiments.frozen_generator(TrainingConfig(dataset="ring", seed=2), critic_steps=200)
    for name, values in expected.items():
        np.testing.assert_array_equal(snapshot["records"][name], values, err_msg=name)

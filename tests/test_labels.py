"""Text the app shows is rendered text, not TeX source: no "p_θ", "‖∇_θ L_G‖" or "\\theta" in a chart's titles,
axis titles, tick labels, legend entries or notes, and none in a caption, metric label or widget help outside the
$…$ spans that Streamlit's markdown renders as math. Plus the label fixes of issue 21, pinned on the figure dicts."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import decode
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).parents[1]
SCRIPTS = ["app.py", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))]
TEX = re.compile(r"_\S|\\[A-Za-z{}|,;!]")   # a subscript underscore or a TeX command / escape
MATH_SPAN = re.compile(r"\$[^$]+\$")         # Streamlit's markdown renders $…$ as math (KaTeX)
WIDGETS = ("slider", "select_slider", "selectbox", "radio", "number_input", "toggle", "checkbox", "button",
           "multiselect", "text_input", "segmented_control", "pills")


def tex_in_markdown(text: str) -> list[str]:
    """TeX source outside $…$ in a markdown string ('**bold**' and links are fine; '_' as a word joiner is not)."""
    return TEX.findall(MATH_SPAN.sub("", text or ""))


def figure_texts(figure: dict) -> list[str]:
    """Every piece of text a plotly figure draws on screen (hover text aside): titles, axis titles, tick labels,
    legend entries, annotations, colour-bar titles and bar labels."""
    texts: list[str] = []

    def title(value):
        if isinstance(value, dict):
            texts.append(str(value.get("text", "")))
        elif value:
            texts.append(str(value))

    layout = figure.get("layout", {})
    title(layout.get("title"))
    for name, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", name) and isinstance(axis, dict):
            title(axis.get("title"))
            texts.extend(str(t) for t in axis.get("ticktext", []) or [])
    texts.extend(str(a.get("text", "")) for a in layout.get("annotations", []) or [])
    for trace in figure.get("data", []):
        if trace.get("showlegend", True) is not False:
            texts.append(str(trace.get("name", "") or ""))
        title(trace.get("colorbar", {}).get("title"))
        labels = trace.get("text")
        if trace.get("type") == "bar" and isinstance(labels, list):
            texts.extend(str(t) for t in labels)
    return texts


def page_figures(app: AppTest) -> list[dict]:
    figures = [json.loads(element.proto.spec) for element in app.get("plotly_chart")]
    for element in app.get("bidi_component"):
        if element.proto.json:
            payload = json.loads(element.proto.json)
            if isinstance(payload, dict) and "figures" in payload:
                figures.extend(json.loads(figure) for figure in payload["figures"])
    return figures


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_no_tex_source_in_what_a_page_shows(script):
    app = AppTest.from_file(str(ROOT / script), default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    found: list[tuple[str, str]] = []
    figures = page_figures(app)
    for figure in figures:
        found += [("chart", text) for text in figure_texts(figure) if TEX.search(text)]
    for kind in ("markdown", "caption", "subheader", "header", "title", "info", "warning", "success"):
        for element in app.get(kind):
            if tex_in_markdown(element.value):
                found.append((kind, element.value))
    for metric in app.metric:
        if tex_in_markdown(metric.label) or tex_in_markdown(metric.help or ""):
            found.append(("metric", metric.label))
    for kind in WIDGETS:
        for widget in app.get(kind):
            for text in (getattr(widget, "label", ""), getattr(widget, "help", "")):
                if tex_in_markdown(text or ""):
                    found.append((kind, text))
    assert not found, found
    if script != "app.py":
        assert figures, "every lecture page draws at least one chart"


# --- the gradient bars on Divergences against θ ------------------------------------------------------------------

THETA_SLIDER = np.round(np.arange(-2.0, 2.0 + 1e-9, 0.05), 2)   # ThetaSettings.theta: min −2, max 2, step 0.05
NARROWEST_PLOT = 250   # px: the bar chart's plot area in one of three columns on a 1366-px laptop, sidebar open


def label_width(text: str, size: float) -> float:
    return len(text) * 0.6 * size   # ≈ 0.6 em a character: digits, point and minus sign


def test_gradient_bar_labels_never_collide_over_the_slider_range():
    """At every θ the slider offers and every σ, with the exact derivatives and estimates as small and as
    different as the ones that collided ("-0.00446" beside "-1.12e-05" at θ = −2), two side-by-side labels fit
    the bar pitch of the narrowest chart: group of two bars, plotly's default bar gap 0.2."""
    from playground import divergences
    from playground.figures import divergences as figures

    pitch = NARROWEST_PLOT / 2 * 0.8 / 2
    sigmas = divergences.ThetaSettings.__dataclass_fields__["noise_std"].metadata["options"]
    assert THETA_SLIDER[0] == -2.0 and THETA_SLIDER[-1] == 2.0 and 0.0 in THETA_SLIDER
    for sigma in sigmas:
        for theta in THETA_SLIDER:
            exact = [divergences.parallel_lines_js_gradient(float(theta), sigma), float(np.sign(theta))]
            for offset in (0.0, -0.00446, 1.12e-05, 0.3):
                snapshot = {"jsd_gradient": exact[0] + offset, "wasserstein_gradient": exact[1] - offset,
                            "exact_js_gradient": exact[0], "exact_wasserstein_gradient": exact[1]}
                figure = figures.estimate_gradients(snapshot)
                estimated, truth = (trace["text"] for trace in figure["data"])
                size = figure["data"][0]["textfont"]["size"]
                for left, right in zip(estimated, truth, strict=True):   # the pair over one bar group
                    assert (label_width(left, size) + label_width(right, size)) / 2 <= pitch, (theta, sigma, left,
                                                                                                right)
    assert figures.bar_label(-0.00446) == "0.00" and figures.bar_label(-1.12e-05) == "0.00"
    assert figures.bar_label(-1.0) == "−1.00" and figures.bar_label(123.4) == "123"


def test_gradient_bars_keep_the_full_value_in_the_hover():
    from playground.figures import divergences as figures
    snapshot = {"jsd_gradient": -0.00446, "wasserstein_gradient": -0.98, "exact_js_gradient": -1.12e-05,
                "exact_wasserstein_gradient": -1.0}
    estimated, exact = figures.estimate_gradients(snapshot)["data"]
    assert estimated["customdata"][0] == pytest.approx(-0.00446) and exact["customdata"][0] == pytest.approx(-1.12e-05)
    assert "%{customdata:.4g}" in estimated["hovertemplate"]


# --- Theorem 2's chart ---------------------------------------------------------------------------------------------

def test_theorem2_axis_counts_steps_and_draws_the_limit_apart():
    """Ticks are the steps t = 1 … 7 (θₜ = 1/t said in the axis title), not θ values; the limit θ = 0 sits apart,
    right of a dotted line, ticked "limit θ = 0", not on the steps' lines."""
    from playground import divergences
    from playground.figures import divergences as figures
    sequence = divergences.theorem2_sequence(steps=8, start=1.0)
    spec = figures.theorem2_figure(sequence).to_plotly_json()
    axis = spec["layout"]["xaxis"]
    assert axis["ticktext"][:7] == [str(t) for t in range(1, 8)] and axis["ticktext"][-1] == "limit<br>θ = 0"
    assert list(axis["tickvals"][:7]) == list(range(1, 8)) and axis["tickvals"][-1] > 8
    assert "θₜ = 1/t" in axis["title"]["text"]
    lines = [trace for trace in spec["data"] if trace.get("mode") == "lines"]
    assert {trace["name"] for trace in lines} == {"KL (both ways)", "JSD", "W₁"}
    for trace in lines:
        assert np.max(decode(trace["x"])) <= 7   # the limit is not one more step on the line
    limits = [trace for trace in spec["data"] if trace.get("hovertext") and "limit" in trace["hovertext"][0]]
    assert len(limits) == 3 and all(list(decode(trace["x"])) == [axis["tickvals"][-1]] for trace in limits)
    assert "KL = JSD = W₁ = 0" in [note["text"] for note in spec["layout"]["annotations"]]


def test_theorem2_labels_a_value_above_the_axis():
    """σ = 0.2: KL(t = 1) = 1/(2·0.04) = 12.5 leaves the axis; its ▲ says 12.5."""
    from playground import divergences
    from playground.figures import divergences as figures
    sequence = divergences.theorem2_sequence(steps=8, start=1.0, noise_std=0.2)
    assert sequence["kl"][0] == pytest.approx(12.5, rel=1e-6)
    spec = figures.theorem2_figure(sequence, noise_std=0.2).to_plotly_json()
    markers = next(trace for trace in spec["data"] if trace.get("legendgroup") == "KL (both ways)"
                   and trace.get("mode") == "markers+text")
    assert markers["text"][0] == "12.5" and markers["marker"]["symbol"][0] == "triangle-up"
    drawn = [text for text, symbol in zip(markers["text"], markers["marker"]["symbol"], strict=True)
             if symbol == "circle"]
    assert all(text == "" for text in drawn)   # values on the axis are read off the axis (and the hover)


# --- overlapping fits, estimates against their exact lines -------------------------------------------------------

def test_coinciding_fits_stay_two_lines_and_the_legend_says_so():
    from playground.figures import divergences as figures
    x = np.linspace(-7, 7, 101)
    fits = {"forward_kl": (0.0, 2.0), "reverse_kl": (2.0, 0.5), "js": (0.004, 2.003)}
    spec = figures.fitted_densities(x, np.exp(-x**2 / 2), fits).to_plotly_json()
    traces = {trace["name"].split(":")[0]: trace for trace in spec["data"][1:]}
    forward, jsd = traces["KL(π‖p)"], traces["JSD"]
    assert forward["line"]["width"] >= 2 * jsd["line"]["width"] and forward["line"]["dash"] != jsd["line"]["dash"]
    assert forward["line"]["color"] != jsd["line"]["color"] and forward.get("opacity", 1) < 1
    assert [name for name in traces] == ["KL(π‖p)", "KL(p‖π)", "JSD"]   # the wide one underneath
    assert jsd["name"].endswith("= KL(π‖p)'s fit") and "fit" not in traces["KL(p‖π)"]["name"]


def test_each_wgan_run_tells_its_estimate_from_its_exact_w1():
    from playground.figures.wgan import estimates_against_truth
    history = {"step": np.arange(5.0), "critic_gap": np.linspace(0, 1, 5), "critic_loss": np.full(5, 1.2)}
    runs = {name: {"history": history, "exact_w1": np.array([[0.0, 2.0], [4.0, 1.0]]), "step": 4}
            for name in ("WGAN (clip c)", "WGAN-GP", "Classic GAN")}
    traces = {trace["name"]: trace for trace in estimates_against_truth(runs)["data"]}
    for name in ("WGAN (clip c)", "WGAN-GP"):
        estimate, exact = traces[f"{name}: estimate (solid)"], traces[f"{name}: exact W₁ (dashed)"]
        assert estimate["line"]["color"] == exact["line"]["color"]          # one hue per run
        assert estimate["line"].get("dash", "solid") == "solid" and exact["line"]["dash"] == "dash"


# --- the sentences of pages 3 and 5 -------------------------------------------------------------------------------

def test_estimator_caption_follows_theta_noise_and_the_lipschitz_method():
    from playground import divergences
    clipped = divergences.estimator_caption(0.7, 0.0, "weight_clipping")
    assert "slope ±1" not in clipped and "K·|θ|" in clipped and "±K, not ±1" in clipped
    penalty = divergences.estimator_caption(0.7, 0.0, "gradient_penalty")
    assert "slope ±1 in θ" in penalty and "climbs towards ln 2" in penalty and "next to nothing" in penalty
    at_zero = divergences.estimator_caption(0.0, 0.0, "gradient_penalty")
    assert "ln 2" not in at_zero and "exact 0" in at_zero


def test_estimator_caption_holds_at_every_theta_and_sigma_the_page_offers():
    """The JSD sentence against the exact values at every θ on the slider and every σ: "towards ln 2" only where
    the exact JSD is ln 2 (to 0.1%), otherwise the exact value it names; the slope it states is the exact one, and
    it is called next to nothing exactly when below 1% of W₁'s ±1."""
    from playground import divergences
    sigmas = divergences.ThetaSettings.__dataclass_fields__["noise_std"].metadata["options"]
    for sigma in sigmas:
        for theta in THETA_SLIDER:
            theta = float(theta)
            caption = divergences.estimator_caption(theta, sigma, "gradient_penalty")
            if theta == 0:
                assert "exact 0" in caption and "ln 2" not in caption
                continue
            exact = float(divergences.parallel_lines(theta, sigma)["js"])
            slope = divergences.parallel_lines_js_gradient(theta, sigma)
            if "climbs towards ln 2" in caption:
                assert exact >= 0.999 * math.log(2), (theta, sigma, exact)
            else:
                assert f"climbs towards the exact {exact:.3g}" in caption and exact < math.log(2), (theta, sigma)
            assert f"slope in θ is {slope:.2g}" in caption
            assert ("next to nothing" in caption) == (abs(slope) < 0.01), (theta, sigma, slope)
            assert ("come back" in caption) == (abs(slope) < 0.01)


def test_theorem2_caption_says_the_limit_is_apart_and_follows_the_noise():
    from playground import divergences
    plain = divergences.theorem2_caption(divergences.theorem2_sequence(8, 1.0), 0.0)
    assert "t = 1 … 7" in plain and "not one more step" in plain and "0 only in the limit" in plain
    noisy = divergences.theorem2_caption(divergences.theorem2_sequence(8, 1.0, 0.1), 0.1)
    assert "σ = 0.1 drawn here" in noisy and "see the convergence too" in noisy and "∞" not in noisy


@pytest.mark.parametrize(("lipschitz", "side"), [(0.0025, "< 1"), (0.8, "near 1"), (2.6, "> 1"), (2440.0, "> 1")])
def test_the_clipped_critic_summary_says_which_side_of_one_k_is(lipschitz, side):
    from playground.figures.transport import clipping_reading, kantorovich_summary
    assert side in clipping_reading(lipschitz)
    snapshot = {"estimate": 1.0, "exact_wasserstein": 3.0, "lipschitz_method": "clip", "clip_value": 0.1,
                "penalty_weight": 30.0, "lipschitz_grid": lipschitz, "lipschitz_samples": lipschitz,
                "lipschitz": lipschitz, "normalised_estimate": 1.0 / lipschitz}
    assert side in kantorovich_summary(snapshot)


# --- every knob's label and help, every preset's label and note, in every module -----------------------------------

def _playground_modules():
    import importlib
    import pkgutil

    import playground
    for info in pkgutil.walk_packages(playground.__path__, "playground."):
        if not info.name.startswith("playground.ui"):   # the only streamlit importers hold no knobs or presets
            yield importlib.import_module(info.name)


def test_no_tex_source_in_any_knob_or_preset_text():
    """Beyond the pages' default views: the label and help of every knob field and the label and note of every
    preset in playground/ (shown as widget labels, tooltips and preset notes, all markdown)."""
    import dataclasses

    from playground.settings import Preset
    found, knobs, presets = [], 0, 0
    for module in _playground_modules():
        for name, value in vars(module).items():
            if dataclasses.is_dataclass(value) and isinstance(value, type) and value.__module__ == module.__name__:
                for field in dataclasses.fields(value):
                    if "label" in field.metadata:
                        knobs += 1
                        for text in (field.metadata["label"], field.metadata.get("help", "")):
                            if tex_in_markdown(text):
                                found.append((module.__name__, name, field.name, text))
            if isinstance(value, dict):
                for key, preset in value.items():
                    if isinstance(preset, Preset):
                        presets += 1
                        for text in (preset.label, preset.note):
                            if tex_in_markdown(text):
                                found.append((module.__name__, name, key, text))
    assert knobs > 50 and presets > 10 and not found, (knobs, presets, found)

"""The Dirac-GAN page under AppTest: defaults, presets, URL parameters and diverging settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import chart, series, wait_for_app
from streamlit.testing.v1 import AppTest

from playground import dirac
from playground.ui import widget_key

PAGE = str(Path(__file__).parents[1] / "pages" / "8_Dirac_GAN.py")
PAGE_ID = "dirac"  # ui.controls' page: widget keys are widget_key(PAGE_ID, field)


@pytest.fixture
def app() -> AppTest:
    page = AppTest.from_file(PAGE, default_timeout=60)
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    return page


def named(spec: dict, name: str) -> dict:
    return next(trace for trace in spec["data"] if trace.get("name") == name)


def test_default_view_is_the_plain_gan_spiralling_out(app):
    assert app.title[0].value == "Dirac-GAN"
    assert app.selectbox(key=widget_key(PAGE_ID, "game")).value == "minimax"
    assert app.radio(key=widget_key(PAGE_ID, "update")).value == "simultaneous"
    assert app.select_slider(key=widget_key(PAGE_ID, "penalty_weight")).disabled              # γ means nothing here
    assert "“Minimax GAN” ignores it" in app.select_slider(key=widget_key(PAGE_ID, "penalty_weight")).help
    phase = chart(app, "dirac_phase_chart")
    assert len(phase["frames"]) == 80 and phase["layout"]["sliders"]         # the replay control
    distance = chart(app, "dirac_distance_chart")
    radii = series(named(distance, "simultaneous"), "y")
    assert len(radii) == dirac.DiracSettings().steps + 1
    assert np.all(np.diff(radii) > 0) and radii[-1] > 1.8 * radii[0]          # spirals out
    latex = " ".join(element.value for element in app.latex)
    assert r"0.000 \pm 0.500\,i" in latex                                     # ±i f'(0), purely imaginary
    assert not app.warning
    text = " ".join(element.value for element in app.markdown)
    assert "**Moves away from (0, 0).**" in text and "ρ = 1.0012 > 1" in text   # √(1 + h²/4) at h = 0.1
    captions = " ".join(element.value for element in app.caption)
    assert "Re λ = 0, so the linearisation decides nothing" in captions


@pytest.mark.parametrize(("game", "update", "step_size", "knob", "value"), [
    ("r1", "simultaneous", 1.0, "penalty_weight", 0.1),           # R1 that does not converge
    ("instance_noise", "simultaneous", 0.1, "noise_std", 0.1),    # h > 2σ²: diverges
    ("minimax", "alternating", 0.5, None, None),                        # |λ| = 1, yet drifts out
    ("consensus", "simultaneous", 0.1, "penalty_weight", 1.0),    # converges
])
@pytest.mark.slow
def test_the_verdict_on_the_page_is_the_computed_one(app, game, update, step_size, knob, value):
    app.selectbox(key=widget_key(PAGE_ID, "game")).set_value(game).run()
    app.radio(key=widget_key(PAGE_ID, "update")).set_value(update).run()
    app.select_slider(key=widget_key(PAGE_ID, "step_size")).set_value(step_size).run()
    if knob is not None:
        app.select_slider(key=widget_key(PAGE_ID, knob)).set_value(value).run()
    assert not app.exception, [e.value for e in app.exception]
    settings = dirac.DiracSettings(
        game, update, step_size, penalty_weight=app.select_slider(key=widget_key(PAGE_ID, "penalty_weight")).value,
        noise_std=app.select_slider(key=widget_key(PAGE_ID, "noise_std")).value)
    expected = dirac.simulate(settings).verdict
    text = " ".join(element.value for element in app.markdown)
    assert expected.markdown in text
    assert {"r1": "diverges", "instance_noise": "diverges", "minimax": "diverges",
            "consensus": "converges"}[game] == expected.kind


def test_consensus_is_offered_with_its_formula_and_eigenvalues(app):
    app.selectbox(key=widget_key(PAGE_ID, "game")).set_value("consensus").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.select_slider(key=widget_key(PAGE_ID, "penalty_weight")).disabled            # γ weighs ½‖v‖²
    latex = " ".join(element.value for element in app.latex)
    assert dirac.GAMES["consensus"].field_tex in latex
    assert r"-0.250 \pm 0.500\,i" in latex                                    # −γ/4 ± i/2 at γ = 1


@pytest.mark.parametrize("preset", list(dirac.PRESETS))
def test_presets_set_their_widgets_and_run(app, preset):
    app.selectbox(key=widget_key(PAGE_ID, "preset_choice")).set_value(preset).run()
    assert not app.exception, [e.value for e in app.exception]
    settings = dirac.preset_settings(preset)
    assert app.selectbox(key=widget_key(PAGE_ID, "game")).value == settings.game
    assert app.select_slider(key=widget_key(PAGE_ID, "step_size")).value == settings.step_size
    assert app.slider(key=widget_key(PAGE_ID, "steps")).value == settings.steps
    radii = series(named(chart(app, "dirac_distance_chart"), settings.update), "y")
    if preset in ("r1_converges", "noise_converges"):
        assert radii[-1] < 1e-5
        assert not app.select_slider(key=widget_key(PAGE_ID, {"r1_converges": "penalty_weight",
                                                              "noise_converges": "noise_std"}[preset])).disabled
    else:
        assert radii[-1] > 0.4


def test_r1_preset_shows_damped_eigenvalues(app):
    app.selectbox(key=widget_key(PAGE_ID, "preset_choice")).set_value("r1_converges").run()
    latex = " ".join(element.value for element in app.latex)
    assert r"-0.150 \pm 0.477\,i" in latex                                    # −γ/2 ± i√(¼ − γ²/4), γ = 0.3
    eigen = chart(app, "dirac_eigen_chart")
    assert any("max |λ| = 0.96" in trace.get("name", "") for trace in eigen["data"])


def test_url_parameters_set_the_view():
    page = AppTest.from_file(PAGE, default_timeout=60)
    page.query_params["dirac_game"] = dirac.GAMES["instance_noise"].label   # as bound selectboxes wrote it
    page.query_params["dirac_noise_std"] = "0.5"
    page.run()
    assert not page.exception
    assert page.selectbox(key=widget_key(PAGE_ID, "game")).value == "instance_noise"
    assert page.select_slider(key=widget_key(PAGE_ID, "noise_std")).value == 0.5
    latex = " ".join(element.value for element in page.latex)
    assert r"-0.062 \pm" in latex                                             # f''(0)σ² = −0.25 · 0.25


def page_from_link(**params: str) -> AppTest:
    page = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in params.items():
        page.query_params[key] = value
    return page.run()


def test_old_links_open_the_same_view():
    """Links the page wrote with its hand-bound controls (dirac_* keys, the selectbox's and the radio's labels, an
    integer for a float) open the same values in the same controls, and the address keeps those keys."""
    page = page_from_link(dirac_game=dirac.GAMES["r1"].label, dirac_update=dirac.UPDATES["alternating"],
                          dirac_step_size="0.3", dirac_steps="600", dirac_penalty_weight="0.3", dirac_noise_std="2",
                          dirac_clip_value="0.2", dirac_theta="-1.5", dirac_psi="0.5")
    assert not page.exception and not page.warning
    expected = dirac.DiracSettings("r1", "alternating", 0.3, 600, penalty_weight=0.3, noise_std=2.0, clip_value=0.2,
                                   theta=-1.5, psi=0.5)
    assert page.selectbox(key=widget_key(PAGE_ID, "game")).value == "r1"
    assert page.radio(key=widget_key(PAGE_ID, "update")).value == "alternating"
    for name in ("step_size", "penalty_weight", "noise_std", "clip_value"):
        assert page.select_slider(key=widget_key(PAGE_ID, name)).value == getattr(expected, name), name
    for name in ("steps", "theta", "psi"):
        assert page.slider(key=widget_key(PAGE_ID, name)).value == getattr(expected, name), name
    text = " ".join(element.value for element in page.markdown)
    assert dirac.simulate(expected).verdict.markdown in text
    assert page.query_params["dirac_game"] == "r1" and page.query_params["dirac_steps"] == "600"
    assert page.query_params["dirac_noise_std"] == "2"


@pytest.mark.slow
def test_link_values_the_controls_cannot_take_are_named_and_the_view_keeps_the_defaults():
    page = page_from_link(dirac_steps="-1", dirac_step_size="0.15", dirac_game="hinge")
    assert not page.exception
    warnings = " ".join(warning.value for warning in page.sidebar.warning)
    assert "dirac_steps=-1" in warnings and "dirac_step_size=0.15" in warnings and "dirac_game=hinge" in warnings
    assert page.slider(key=widget_key(PAGE_ID, "steps")).value == dirac.DiracSettings().steps
    assert page.select_slider(key=widget_key(PAGE_ID, "step_size")).value == dirac.DiracSettings().step_size
    assert "dirac_steps" not in page.query_params                  # the default again: the address drops it
    good = page_from_link(dirac_noise_std="0.5", dirac_steps="1500")  # 1500 is the default
    assert not good.exception and not good.warning


@pytest.mark.slow
def test_a_picked_preset_and_a_changed_control_go_to_the_address():
    page = page_from_link()
    page.selectbox(key=widget_key(PAGE_ID, "preset_choice")).set_value("r1_converges").run()
    page.select_slider(key=widget_key(PAGE_ID, "penalty_weight")).set_value(1.0).run()
    assert page.query_params["preset"] == "r1_converges" and page.query_params["dirac_penalty_weight"] == "1"
    assert "dirac_steps" not in page.query_params                  # the preset's own value
    reopened = page_from_link(**{key: page.query_params[key] for key in page.query_params})
    assert reopened.select_slider(key=widget_key(PAGE_ID, "penalty_weight")).value == 1.0
    assert reopened.slider(key=widget_key(PAGE_ID, "steps")).value == 600 and not reopened.warning


def test_lecture_mode_stacks_the_charts_instead_of_squeezing_them(app):
    """In lecture mode the chart pairs stand one under the other (ui.side_by_side): side by side at 1.3× text on a
    1280-px projector the field chart is a sliver next to its own legend."""
    assert len(app.columns) == 4                                                # two pairs side by side
    lecture = AppTest.from_file(PAGE, default_timeout=60)
    lecture.query_params["lecture"] = "1"
    lecture.run()
    assert not lecture.exception and len(lecture.columns) == 0
    for key in ("dirac_phase_chart", "dirac_distance_chart", "dirac_eigen_chart"):  # the same content, stacked
        assert chart(lecture, key)["data"] == chart(app, key)["data"]
    assert [element.value for element in lecture.latex] == [element.value for element in app.latex]


def test_diverging_settings_warn_instead_of_failing(app):
    app.selectbox(key=widget_key(PAGE_ID, "game")).set_value("wgan_gp").run()
    app.select_slider(key=widget_key(PAGE_ID, "step_size")).set_value(1.0).run()
    assert not app.exception
    assert any("diverged" in warning.value for warning in app.warning)
    assert any("no Jacobian" in element.value for element in app.latex)


@pytest.mark.browser
def test_play_replays_the_iterates_in_chromium(app_url, page):
    """The phase portrait carries plotly animation frames; ▶ Play under it steps through them."""
    page.goto(app_url + "/Dirac_GAN")
    wait_for_app(page)
    page.wait_for_selector(".gp-live-cell .main-svg", timeout=60_000)
    state = "() => { const gd = document.querySelector('.gp-live-cell');" \
            " return [gd._transitionData._frames.length, gd.layout.sliders[0].active]; }"
    frames, last = page.evaluate(state)
    assert frames >= 20 and last == frames - 1, "the slider starts on the last iterate"
    page.locator(".gp-live-cell .updatemenu-button").first.click()  # ▶ Play
    page.wait_for_function("() => document.querySelector('.gp-live-cell').layout.sliders[0].active < "
                           f"{frames - 1}", timeout=10_000)
    assert page.locator("[data-testid='stException']").count() == 0

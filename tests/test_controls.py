"""`ui.controls` on its own (a small settings class, not a page): link reading, presets under an old URL key,
columns, `shows`/`unused_note` hooks, integer choice ids, and the address it writes."""

from __future__ import annotations

import controls_fixture
from streamlit.testing.v1 import AppTest

from playground.ui import widget_key


def app(**params: str) -> AppTest:
    test = AppTest.from_function(controls_fixture.page, default_timeout=30)
    for key, value in params.items():
        test.query_params[key] = value
    return test.run()


def settings(test: AppTest) -> controls_fixture.Piles:
    return test.session_state["piles.config"]


def test_defaults_draw_only_the_piles_that_apply():
    test = app()
    assert not test.exception and settings(test) == controls_fixture.Piles()
    labels = [w.label for w in test.slider]
    assert labels == ["Number of piles", "Pile 1", "Pile 2"]  # pile 3 is not shown with two piles
    assert not test.query_params


def test_a_link_with_an_old_preset_key_an_integer_choice_and_a_label_opens_those_values():
    test = app(pp_preset="Three piles", pp_dim="1-D", pp_3="5")
    assert not test.exception and not test.warning
    assert settings(test) == controls_fixture.Piles(dimension=1, piles=3, third=5.0)
    assert [w.label for w in test.slider][-1] == "Pile 3"
    assert test.toggle(key=widget_key("piles", "mirrored")).disabled  # 1-D: greyed out, with the reason
    assert "Only the 2-D view" in test.toggle(key=widget_key("piles", "mirrored")).help
    assert (test.query_params["pp_preset"], test.query_params["pp_dim"], test.query_params["pp_3"]) == (
        "three", "1", "5")


def test_values_no_control_can_take_are_named_and_dropped_from_the_address():
    test = app(pp_piles="7", pp_dim="3", bogus="x")
    warnings = " ".join(w.value for w in test.warning)
    assert "pp_piles=7" in warnings and "pp_dim=3" in warnings and "bogus" in warnings
    assert settings(test) == controls_fixture.Piles()
    assert not test.query_params


def test_a_changed_control_goes_to_the_address_and_a_preset_resets_the_controls():
    test = app()
    test.slider(key=widget_key("piles", "piles")).set_value(3).run()
    assert test.query_params["pp_piles"] == "3" and [w.label for w in test.slider][-1] == "Pile 3"
    test.selectbox(key="piles.preset_choice").set_value("lecture").run()
    test.selectbox(key="piles.preset_choice").set_value("three").run()
    assert settings(test) == controls_fixture.Piles(piles=3, third=4.0)
    assert test.query_params["pp_preset"] == "three" and "pp_piles" not in test.query_params


def test_a_wide_integer_range_is_a_slider_with_its_step_when_the_knob_asks_for_one():
    test = AppTest.from_function(controls_fixture.counts_page, default_timeout=30).run()
    assert not test.exception
    steps = test.slider(key=widget_key("counts", "steps"))
    assert (steps.value, steps.min, steps.max, steps.step) == (1500, 10, 5000, 10)
    assert test.number_input(key=widget_key("counts", "seed")).value == 0  # wide and not asked: typed


def test_a_picked_preset_can_set_another_sections_controls():
    test = AppTest.from_function(controls_fixture.linked_page, default_timeout=30).run()
    assert not test.exception and test.slider(key=widget_key("counts", "steps")).value == 1500
    test.selectbox(key="piles.preset_choice").set_value("three").run()
    assert test.slider(key=widget_key("counts", "steps")).value == 50      # len("three") * 10
    assert test.session_state["piles.config"] == controls_fixture.Piles(piles=3, third=4.0)
    assert test.query_params["steps"] == "50" and test.query_params["pp_preset"] == "three"
    test.slider(key=widget_key("counts", "steps")).set_value(70).run()   # the other section keeps its own say
    assert test.session_state["counts.config"] == controls_fixture.Counts(steps=70)

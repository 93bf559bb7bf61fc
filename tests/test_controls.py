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


def tabbed(**params: str) -> AppTest:
    test = AppTest.from_function(controls_fixture.tabbed_page, default_timeout=30)
    for key, value in params.items():
        test.query_params[key] = value
    return test.run()


def reading_app(**params: str) -> AppTest:
    test = AppTest.from_function(controls_fixture.reading_page, default_timeout=30)
    for key, value in params.items():
        test.query_params[key] = value
    return test.run()


def test_a_tabs_knob_opens_the_tab_a_link_names_by_label_or_id_and_writes_its_id():
    test = tabbed()
    assert not test.exception and [tab.label for tab in test.tabs] == ["First part", "Second part"]
    assert test.session_state["sections.config"] == controls_fixture.Sections() and not test.query_params
    for text in ("Second part", "second"):  # a bound st.tabs wrote the label; the settings layer writes the id
        test = tabbed(sec=text)
        assert not test.exception and not test.warning
        assert test.session_state["sections.config"].section == "second"
        assert test.session_state[widget_key("sections", "section") + ".tab"] == "Second part"
        assert test.query_params["sec"] == "second"
    test = tabbed(sec="Third part")
    assert "sec=Third part" in " ".join(w.value for w in test.warning)
    assert test.session_state["sections.config"].section == "first"


def test_a_float_number_box_without_bounds_takes_any_finite_value():
    test = tabbed(amt="-1e9")
    assert not test.warning and test.session_state["sections.config"].amount == -1e9
    assert test.number_input(key=widget_key("sections", "amount")).value == -1e9
    assert "amt=nan" in " ".join(w.value for w in tabbed(amt="nan").warning)


def experiment_page() -> None:
    """A Run button over a two-chunk experiment that sums 1..n, its setting a number box."""
    import streamlit as st

    from playground import ui

    def summing(n):
        total = 0
        for half in (range(1, n // 2 + 1), range(n // 2 + 1, n + 1)):
            total += sum(half)
            yield half[-1] / n, f"summed to {half[-1]}", None
        return total

    n = int(st.number_input("n", 2, 100, 10, key="n"))
    result = ui.experiment("summing", summing, n, idle="Nothing yet.")
    st.markdown(f"result: {result}")


def test_an_experiment_runs_on_its_button_and_says_when_the_settings_moved_on():
    test = AppTest.from_function(experiment_page, default_timeout=30).run()
    assert [i.value for i in test.info] == ["Nothing yet."] and test.markdown[-1].value == "result: None"
    test.button(key="summing.run").click().run()
    assert not test.exception and not test.info and test.markdown[-1].value == "result: 55"  # 1 + … + 10
    test.number_input(key="n").set_value(4).run()
    assert "settings changed" in test.info[0].value and test.markdown[-1].value == "result: 55"  # kept, flagged
    test.button(key="summing.run").click().run()
    assert not test.info and test.markdown[-1].value == "result: 10"


def test_a_reading_preset_box_names_the_preset_the_controls_hold_or_custom():
    """With `custom_preset` the box says which preset the controls hold: Custom (offered only then) once a
    control leaves every preset, the preset again when it comes back; picking one sets only its own fields."""
    test = reading_app()
    box = test.selectbox(key="piles.preset_choice")
    assert box.value == "two" and box.options == ["Two piles", "Three piles"] and not test.query_params
    test.slider(key=widget_key("piles", "piles")).set_value(1).run()
    box = test.selectbox(key="piles.preset_choice")
    assert box.value == "custom" and box.options == ["Two piles", "Three piles", "Custom"]
    assert test.query_params["pp_piles"] == "1" and "pp_preset" not in test.query_params
    test.slider(key=widget_key("piles", "first")).set_value(6.0).run()
    test.selectbox(key="piles.preset_choice").set_value("three").run()
    assert settings(test) == controls_fixture.Piles(piles=3, third=4.0, first=6.0)  # pile 1 kept its value
    assert test.selectbox(key="piles.preset_choice").options == ["Two piles", "Three piles"]
    assert dict(test.query_params) == {"pp_piles": "3", "pp_1": "6", "pp_3": "4"}
    test.slider(key=widget_key("piles", "piles")).set_value(2).run()
    test.slider(key=widget_key("piles", "piles")).set_value(3).run()   # away and back: named again
    assert test.selectbox(key="piles.preset_choice").value == "three"


def test_a_link_opens_a_reading_preset_box_on_the_preset_its_values_match():
    assert reading_app(pp_piles="3", pp_3="4").selectbox(key="piles.preset_choice").value == "three"
    test = reading_app(pp_piles="3", pp_3="5")
    assert test.selectbox(key="piles.preset_choice").value == "custom" and not test.warning
    assert settings(test) == controls_fixture.Piles(piles=3, third=5.0)


def test_on_demand_measures_when_asked_and_keeps_the_result():
    """Nothing is computed until the button is pressed; the result then stays without computing again."""
    test = AppTest.from_function(controls_fixture.on_demand_page, default_timeout=30).run()
    assert test.markdown[0].value == "result None, computed 0 times"
    test.button(key="square.run").click().run()
    assert not test.exception and test.markdown[0].value == "result 49, computed 1 times"
    test.run()
    assert test.markdown[0].value == "result 49, computed 1 times"


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

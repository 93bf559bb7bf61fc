"""The mode-collapse page: URL round-trip, presets, controls, and live play in a real browser."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, chart, new_context, screenshot, wait_for_app
from fake_clock import FakeClock, patch_live_runs
from mode_collapse_app import app, step_count

from playground.presets import PRESETS
from playground.training import Trainer

PAGE = str(ROOT / "pages" / "1_Mode_collapse.py")



def test_url_settings_reach_the_trainer_and_the_widgets():
    test = app(objective="wgan_gp", critic_steps="5", clip_value="0.05")
    assert not test.exception
    config = test.session_state["mode_collapse.config"]
    assert (config.objective, config.critic_steps, config.clip_value) == ("wgan_gp", 5, 0.05)
    assert test.selectbox(key="mode_collapse.objective").value == "wgan_gp"


def test_old_links_open_the_same_values():
    """Links written before the settings layer: a preset id with a changed field, a loss by its label, an
    integer for a float field."""
    test = app(preset="wgan_gp", clip_value="0.05")
    config = test.session_state["mode_collapse.config"]
    assert config == PRESETS["wgan_gp"].config(clip_value=0.05) and not test.sidebar.warning
    assert test.selectbox(key="mode_collapse.preset_choice").value == "wgan_gp"
    assert test.query_params["preset"] == "wgan_gp" and test.query_params["clip_value"] == "0.05"
    test = app(objective="WGAN-GP", gp_weight="1", instance_noise="0")
    config = test.session_state["mode_collapse.config"]
    assert (config.objective, config.gp_weight) == ("wgan_gp", 1.0) and not test.sidebar.warning
    assert test.selectbox(key="mode_collapse.objective").value == "wgan_gp"
    assert test.number_input(key="mode_collapse.gp_weight").value == 1.0
    assert test.query_params["objective"] == "wgan_gp"  # rewritten in the id form


def test_bad_url_values_fall_back_with_a_visible_notice():
    test = app(objective="bogus", critic_steps="-3", nonsense="1", preset="nope")
    assert not test.exception
    warnings = " ".join(w.value for w in test.sidebar.warning)
    assert "bogus" in warnings and "critic_steps" in warnings and "nonsense" in warnings and "nope" in warnings


def test_step_buttons_advance_the_run():
    test = app()
    assert step_count(test) == 0
    test.button(key="mode_collapse.live.step").click().run()
    assert step_count(test) == 1
    test.button(key="mode_collapse.live.single.0").click().run()  # one critic step alone
    test.button(key="mode_collapse.live.single.0").click().run()
    test.button(key="mode_collapse.live.single.1").click().run()  # one generator step alone
    assert not test.exception
    # single D / G steps leave the step count alone and say what they did (a student saw the samples move under
    # an unchanged "Step 0"); the full step counted one update of each (critic_steps = 1)
    status = next(m.value for m in test.markdown if m.value.startswith("**Step"))
    assert status.startswith("**Step 1**") and "3 D updates · 2 G updates" in status


def test_the_speed_control_caps_the_live_runs_steps_per_second(monkeypatch):
    clock = FakeClock(horizon=0.0)  # the page's run sleeps on it and stands still at the horizon: no real waiting
    patch_live_runs(monkeypatch, clock)
    test = app()
    assert test.selectbox(key="mode_collapse.live.speed").value == "fastest"
    test.selectbox(key="mode_collapse.live.speed").select("10 it/s").run()
    test.button(key="mode_collapse.live.play").click().run()
    clock.run_until(2.0)
    steps = step_count(test.run())
    clock.run_free()
    test.button(key="mode_collapse.live.play").click().run()  # Pause
    assert 10 <= steps <= 35, steps  # ~2 s at 10 steps a second; full speed trains hundreds a second here
    assert not test.exception


def test_changing_a_restart_field_starts_a_new_run_and_says_so():
    test = app()
    test.button(key="mode_collapse.live.step").click().run()
    test.button(key="mode_collapse.live.step").click().run()
    assert step_count(test) == 2
    test.session_state["mode_collapse.group2"] = True  # open "Data and networks (restart)": its widgets are lazy
    test.run()
    test.number_input(key="mode_collapse.seed").set_value(7).run()
    assert step_count(test) == 0
    assert any("Seed" in t.value for t in test.toast)


def test_changing_a_live_field_keeps_the_run():
    test = app(objective="wgan")
    test.button(key="mode_collapse.live.step").click().run()
    test.select_slider(key="mode_collapse.clip_value").set_value(0.1).run()
    assert step_count(test) == 1 and not test.exception
    assert "The run stopped" not in " ".join(e.value for e in test.error)
    assert test.session_state["mode_collapse.config"].clip_value == 0.1
    assert test.query_params["clip_value"] == "0.1"


def test_settings_the_loss_ignores_are_greyed_out_and_say_why():
    test = app()  # non-saturating: neither clipping nor a gradient penalty
    clip, penalty = test.select_slider(key="mode_collapse.clip_value"), test.number_input(key="mode_collapse.gp_weight")
    assert clip.disabled and penalty.disabled
    assert "Non-saturating ignores it" in clip.help and "WGAN-GP" in penalty.help
    assert not test.slider(key="mode_collapse.instance_noise").disabled
    test.selectbox(key="mode_collapse.objective").set_value("wgan").run()  # the loss is live: the greying follows it
    assert not test.select_slider(key="mode_collapse.clip_value").disabled
    assert test.number_input(key="mode_collapse.gp_weight").disabled
    test.selectbox(key="mode_collapse.objective").set_value("wgan_gp").run()
    assert test.select_slider(key="mode_collapse.clip_value").disabled
    assert not test.number_input(key="mode_collapse.gp_weight").disabled
    assert step_count(test) == 0 and not test.exception


def test_samples_that_leave_the_fixed_view_are_counted_on_the_chart():
    """The axes stay at the data's window while a run plays; samples beyond it (a student saw the cloud cut off at
    y = −3) are counted in a note on the chart, and there is no note while every sample is inside."""
    from playground.figures.training import samples_and_critic
    snapshot = Trainer(PRESETS["mode_collapse"].config()).snapshot()
    inside = samples_and_critic(snapshot)["layout"]["annotations"]
    assert not inside and (np.abs(snapshot["fake"]) <= snapshot["extent"]).all()
    fake = snapshot["fake"].copy()
    fake[:7, 1] = -2 * snapshot["extent"]   # seven below the view
    fake[7, 0] = np.nan                      # and one that is not a number
    note = samples_and_critic({**snapshot, "fake": fake})["layout"]["annotations"]
    assert [a["text"] for a in note] == [f"8 of {len(fake):,}<br>samples outside<br>the view"]


def test_the_outside_note_fits_the_smallest_sample_chart():
    """WGAN's sample charts are 212 px wide: every line of the note, at its 13-px font (≈ 0.6 em a character,
    generous for digits and lower case), fits in 90% of that width, for every sample count up to 100,000."""
    from playground.figures.training import outside_note
    for total in (256, 2_500, 10_000, 100_000):
        for lines in (outside_note(count, total).split("<br>") for count in (1, total // 3, total)):
            assert max(len(line) for line in lines) * 13 * 0.6 <= 0.9 * 212, lines


def test_occupancy_colour_scale_tops_at_the_largest_share_or_one_percent():
    """At step 0 no sample sits on a mode: the colour bar read '1µ'. Its top is the largest share, at least 1 %."""
    from playground.figures.training import OCCUPANCY_FLOOR, mode_occupancy
    empty = mode_occupancy({"occupancy": np.zeros((1, 8)), "coverage_step": [0]})["data"][0]
    assert empty["zmax"] == OCCUPANCY_FLOOR == 0.01
    shares = np.zeros((3, 8))
    shares[2, 5] = 0.4
    trained = mode_occupancy({"occupancy": shares, "coverage_step": [0, 100, 200]})["data"][0]
    assert trained["zmax"] == pytest.approx(0.4)


def test_preset_changes_the_settings():
    test = app()
    test.selectbox(key="mode_collapse.preset_choice").set_value("wgan_gp").run()
    config = test.session_state["mode_collapse.config"]
    assert config.objective == "wgan_gp"
    assert test.query_params["preset"] == "wgan_gp"


@pytest.mark.slow
def test_picking_a_preset_starts_a_fresh_run_even_when_only_live_settings_differ():
    """Mode collapse → WGAN-GP changes only live fields: the run carried on from the collapsed generator, and the
    preset's note did not describe the charts. A preset is a fresh start, and the page says so."""
    test = app()
    for _ in range(3):
        test.button(key="mode_collapse.live.step").click().run()
    assert step_count(test) == 3
    test.selectbox(key="mode_collapse.preset_choice").set_value("wgan_gp").run()
    assert step_count(test) == 0 and not test.exception
    assert any("Preset changed" in toast.value for toast in test.toast)
    test.button(key="mode_collapse.live.step").click().run()
    test.slider(key="mode_collapse.instance_noise").set_value(0.1).run()   # a live change still goes on
    assert step_count(test) == 1


def test_closed_sidebar_groups_are_not_built_but_presets_and_urls_reach_their_fields():
    test = app(seed="5", batch_size="64")
    with pytest.raises(KeyError):  # "Data and networks" and "Optimisation" start closed: no widgets built
        test.number_input(key="mode_collapse.seed")
    config = test.session_state["mode_collapse.config"]
    assert (config.seed, config.batch_size) == (5, 64)
    test.selectbox(key="mode_collapse.preset_choice").set_value("wgan").run()
    config = test.session_state["mode_collapse.config"]
    assert (config.critic_optimizer, config.critic_lr) == ("rmsprop", 5e-5)  # fields of the closed groups
    test.session_state["mode_collapse.group1"] = True  # the lecturer opens "Optimisation"
    test.run()
    assert test.selectbox(key="mode_collapse.critic_optimizer").value == "rmsprop"
    assert test.session_state["mode_collapse.config"] == config


def test_a_value_changed_in_a_group_survives_closing_and_reopening_it():
    """Closed groups build no widgets; Streamlit drops an undrawn widget's state, so the value must be kept."""
    test = app()
    test.session_state["mode_collapse.group1"] = True  # open "Optimisation"
    test.run()
    test.select_slider(key="mode_collapse.generator_lr").set_value(0.002).run()
    test.session_state["mode_collapse.group1"] = False
    test.run()
    assert test.session_state["mode_collapse.config"].generator_lr == 0.002
    assert test.query_params["generator_lr"] == "0.002"
    test.session_state["mode_collapse.group1"] = True
    test.run()
    assert test.select_slider(key="mode_collapse.generator_lr").value == 0.002
    assert test.session_state["mode_collapse.config"].generator_lr == 0.002


@pytest.mark.slow
def test_replay_draws_a_recorded_frame():
    """Frames are recorded at coverage checkpoints; the Replay tab draws the chosen one (the newest by default)."""
    test = app(coverage_every="10")
    for _ in range(12):
        test.button(key="mode_collapse.live.step").click().run()
    assert test.slider(key="mode_collapse.replay").value == 1  # frames at steps 0 and 10
    spec = chart(test, "mode_collapse.replay_chart")
    assert spec["layout"]["title"]["text"] == "Replay · step 10"
    assert [trace["type"] for trace in spec["data"]][:3] == ["heatmap", "scattergl", "scattergl"]


@pytest.mark.browser
def test_playing_trains_and_redraws_in_chromium(app_url, page):
    page.goto(app_url + "/Mode_collapse?lecture=1")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    # the main chart is drawn first, the curves, the occupancy raster and G's manifold one animation frame later
    page.wait_for_function("() => { const cells = [...document.querySelectorAll('.gp-live-cell')];"
                           " return cells.length === 4 && cells.every((c) => c.querySelector('.main-svg')); }",
                           timeout=30_000)
    font = page.evaluate("() => document.querySelector('.gp-live-cell')._fullLayout.font.size")
    assert font == pytest.approx(16 * 1.3), "lecture mode enlarges the charts' text with the page's"
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(2000)
    frames_before = int(page.locator(".gp-live-cell").first.get_attribute("data-frames") or 0)
    started = time.monotonic()
    page.wait_for_timeout(6000)
    frames_after = int(page.locator(".gp-live-cell").first.get_attribute("data-frames") or 0)
    rate = (frames_after - frames_before) / (time.monotonic() - started)
    steps = int(re.search(r"Step ([\d,]+)", page.get_by_text(re.compile(r"^Step ")).first.inner_text())
                .group(1).replace(",", ""))
    screenshot(page, "mode_collapse_playing")
    page.get_by_role("button", name="Pause").click()
    assert steps > 100, "training advances while playing"
    assert rate > 1.0, f"the main chart redraws while playing ({rate:.1f}/s)"
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.browser
def test_slow_motion_in_chromium(app_url, page):
    """The lecturer picks 10 it/s and presses Play: the run advances about ten steps a second."""
    page.goto(app_url + "/Mode_collapse")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.get_by_role("combobox", name="Speed").click()
    page.get_by_role("option", name="10 it/s").click()
    page.wait_for_timeout(1000)
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(4000)
    label = page.locator("p").filter(has_text=re.compile(r"^Step [\d,]+ · ")).first.inner_text()  # "Step 42 · 10 it/s"
    screenshot(page, "mode_collapse_slow_motion")
    page.get_by_role("button", name="Pause").click()
    steps = int(re.search(r"Step ([\d,]+)", label).group(1).replace(",", ""))
    rate = float(re.search(r"([\d,.]+) it/s", label).group(1).replace(",", ""))
    assert 15 <= steps <= 60, label  # ~4 s at 10 steps a second (full speed: thousands)
    assert 5 <= rate <= 13, label


@pytest.mark.browser
def test_the_main_chart_keeps_the_zoom_and_its_node_while_playing(app_url, page):
    """Live frames redraw the same chart node (no remount, no flicker) and keep the user's zoom, including
    the first frame after Play, which switches the points from the first draw's SVG to WebGL."""
    page.goto(app_url + "/Mode_collapse")
    wait_for_app(page)
    page.wait_for_selector(".gp-live-cell[data-drawn] .main-svg", timeout=60_000)
    assert page.evaluate("() => document.querySelector('.gp-live-cell')._fullData.map((t) => t.type)")[1:3] == \
        ["scatter", "scatter"], "the first draw is SVG"
    assert page.evaluate("() => document.querySelector('.gp-live-cell')._fullLayout.font.size") == 16
    page.evaluate("() => { window.__gpCell = document.querySelector('.gp-live-cell'); }")
    box = page.locator(".gp-live-cell").first.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.3)  # a zoom box, as a user drags
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    zoom = page.evaluate("() => { const l = document.querySelector('.gp-live-cell').layout;"
                         " return [l.xaxis.range, l.yaxis.range]; }")
    assert zoom[0][1] - zoom[0][0] < 3, f"zoomed in: {zoom}"
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => Number(document.querySelector('.gp-live-cell').dataset.frames || 0) > 15",
                           timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    state = page.evaluate("""() => { const cell = document.querySelector('.gp-live-cell');
        return {same: cell === window.__gpCell, x: cell.layout.xaxis.range, y: cell.layout.yaxis.range,
                types: cell._fullData.map((t) => t.type)}; }""")
    assert state["same"], "the chart was redrawn in place, not remounted"
    assert [state["x"], state["y"]] == zoom, "the zoom survives the live frames"
    assert state["types"][1:3] == ["scattergl", "scattergl"], "frames while playing are WebGL"


@pytest.mark.browser
def test_copy_link_copies_the_view_and_the_link_reproduces_it(browser, app_url):
    context = new_context(browser, permissions=["clipboard-read", "clipboard-write"])
    tab = context.new_page()
    tab.goto(app_url + "/Mode_collapse?objective=wgan_gp&clip_value=0.05")
    wait_for_app(tab)
    tab.get_by_text("Copy link to this view").click()
    tab.wait_for_timeout(500)
    link = tab.evaluate("navigator.clipboard.readText()")
    assert "objective=wgan_gp" in link and "clip_value=0.05" in link
    shared = context.new_page()
    shared.goto(link)
    wait_for_app(shared)
    shared.get_by_text("WGAN-GP.").first.wait_for(timeout=30_000)  # the loss named under the formula
    context.close()


@pytest.mark.browser
def test_run_tools_tabs_build_their_content_when_opened(app_url, page):
    """The Export and Share tabs are lazy (nothing built before the first chart) but work once opened."""
    page.goto(app_url + "/Mode_collapse?objective=wgan_gp")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    assert page.get_by_text("Metrics (CSV)").count() == 0, "the export tab is not built before it is opened"
    page.get_by_role("tab", name="Export and load").click()
    page.get_by_role("button", name="Metrics (CSV)").wait_for(timeout=30_000)
    page.get_by_role("button", name="Download this run").wait_for(timeout=30_000)
    screenshot(page, "mode_collapse_export_tab")
    with page.expect_download() as download:
        page.get_by_role("button", name="Settings (JSON)").click()
    saved = json.loads(Path(download.value.path()).read_text())
    assert saved["objective"] == "wgan_gp"
    # loading it back: the settings return, with a success message (it was a yellow warning box)
    upload = Path(download.value.path()).with_name("settings.json")
    upload.write_text(json.dumps({**saved, "critic_steps": 3}))
    page.locator("[data-testid='stFileUploader']", has_text="Load settings").locator(
        "[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(upload))
    success = page.locator("[data-testid='stSidebar'] [data-testid='stAlertContentSuccess']")
    success.wait_for(timeout=30_000)
    assert "Loaded settings from settings.json." in success.inner_text()
    page.wait_for_function("() => location.search.includes('critic_steps=3')", timeout=30_000)
    page.get_by_role("tab", name="Share").click()
    link = page.locator("[data-testid='stMarkdown'] a", has_text="objective=wgan_gp")
    link.first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.browser
def test_a_setting_changed_in_a_lazy_group_survives_closing_it(app_url, page):
    """Sidebar groups build their widgets only while open; a value changed there stays after the group closes."""
    page.goto(app_url + "/Mode_collapse")
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_by_text("G learning rate").count() == 0, "the closed group's widgets are not built"
    sidebar.get_by_text("Optimisation").click()
    thumb = sidebar.get_by_role("slider", name="G learning rate")
    thumb.wait_for(timeout=30_000)
    thumb.focus()
    thumb.press("ArrowRight")  # 0.001 → the next option up
    page.wait_for_function("() => location.search.includes('generator_lr=')", timeout=30_000)
    changed = page.url.split("generator_lr=")[1].split("&")[0]
    wait_for_app(page)
    sidebar.get_by_text("Optimisation").click()  # close the group again: its widgets go away
    page.wait_for_function("() => !document.querySelector(\"[data-testid='stSidebar']\").innerText"
                           ".includes('G learning rate')", timeout=30_000)
    wait_for_app(page)
    assert f"generator_lr={changed}" in page.url, "the value is kept, and stays in the URL, with the group closed"
    sidebar.get_by_text("Optimisation").click()
    sidebar.get_by_role("slider", name="G learning rate").wait_for(timeout=30_000)
    assert sidebar.get_by_role("slider", name="G learning rate").get_attribute("aria-valuetext") == changed


def test_lecture_mode_hides_the_chosen_controls_and_folds_the_intro():
    """`?lecture=1&hide=…`: the hidden controls are not drawn but keep the preset's values (and the URL's, for a
    changed field); the intro folds into an expander; nothing else changes."""
    test = app(lecture="1", hide="clip_value,critic_steps", clip_value="0.05")
    assert not test.exception
    keys = {widget.key for widget in test.select_slider} | {widget.key for widget in test.slider}
    assert "mode_collapse.clip_value" not in keys and "mode_collapse.critic_steps" not in keys
    assert "mode_collapse.instance_noise" in keys                        # the others stay
    config = test.session_state["mode_collapse.config"]
    assert config.clip_value == 0.05 and config.critic_steps == PRESETS["mode_collapse"].config().critic_steps
    assert [e.label for e in test.expander][0] == "What this page shows"
    plain = app()
    assert "What this page shows" not in [e.label for e in plain.expander]


def test_betas_are_greyed_out_when_no_optimiser_uses_them():
    """The WGAN preset trains both networks with RMSprop, which ignores β₁ and β₂: their sliders moved, uselessly."""
    test = app(preset="wgan")
    test.session_state["mode_collapse.group1"] = True  # the lecturer opens "Optimisation"
    test.run()
    assert test.slider(key="mode_collapse.beta1").disabled and test.number_input(key="mode_collapse.beta2").disabled
    assert "RMSprop" in test.slider(key="mode_collapse.beta1").help
    test.selectbox(key="mode_collapse.generator_optimizer").set_value("sgd").run()  # SGD's momentum is β₁
    assert not test.slider(key="mode_collapse.beta1").disabled and test.number_input(key="mode_collapse.beta2").disabled
    test.selectbox(key="mode_collapse.critic_optimizer").set_value("adam").run()
    assert not test.number_input(key="mode_collapse.beta2").disabled and not test.exception

"""Runs kept in the app (issue 23): download → upload brings the same run back with its settings, a bad file
leaves the run on screen untouched, Continue from here resumes a replay frame with the sidebar's settings now,
and Start trained loads the shipped checkpoints."""

from __future__ import annotations

import pickle
import re
from dataclasses import replace

import pytest
import torch
from conftest import ROOT, screenshot, wait_for_app
from mode_collapse_app import app, step_count
from streamlit.testing.v1 import AppTest

from playground.compare import Lockstep
from playground.ensemble import Ensemble
from playground.live import LiveRun
from playground.presets import CHECKPOINT_DIR, PRESETS
from playground.training import Trainer, TrainingConfig

PAGE = str(ROOT / "pages" / "1_Mode_collapse.py")
SMALL = {"coverage_every": "10", "batch_size": "32"}



@pytest.fixture
def page_runs(monkeypatch) -> list:
    """Every run a page's live view holds (a `LiveRun` is built around each), newest last."""
    seen: list = []
    original = LiveRun.__init__

    def recording(self, run, *args, **kwargs):
        seen.append(run)
        original(self, run, *args, **kwargs)
    monkeypatch.setattr(LiveRun, "__init__", recording)
    return seen


def open_export(test: AppTest) -> AppTest:
    test.session_state["mode_collapse.tools"] = "Export and load"
    return test.run()


def same_weights(a: Trainer, b: Trainer) -> bool:
    return all(torch.equal(x, y) for net in ("generator", "critic")
               for x, y in zip(getattr(a, net).parameters(), getattr(b, net).parameters(), strict=True))


@pytest.mark.slow
def test_download_then_upload_brings_back_the_run_and_its_settings(page_runs):
    test = app(seed="5", **SMALL)
    for _ in range(12):
        test.button(key="mode_collapse.live.step").click().run()
    open_export(test)
    saved = page_runs[-1]
    assert saved.step == 12 and saved.config.seed == 5
    data = Trainer.to_bytes(saved)
    button = test.get("download_button")[0]
    assert button.label == "Download this run" and not button.proto.disabled and button.proto.deferred_file_id
    # another seed starts another run; loading the file brings seed 5 and step 12 back, widgets and URL too
    test.session_state["mode_collapse.group2"] = True  # open "Data and networks"
    test.run()
    test.number_input(key="mode_collapse.seed").set_value(7).run()
    assert step_count(test) == 0 and page_runs[-1].config.seed == 7
    test.file_uploader(key="mode_collapse.run_upload").upload("mode_collapse_step12.gganrun", data).run()
    assert not test.exception and not test.error
    assert step_count(test) == 12
    assert "Loaded mode_collapse_step12.gganrun: step 12, paused." in [s.value for s in test.sidebar.success]
    loaded = page_runs[-1]
    assert loaded is not saved and loaded.config == saved.config and same_weights(loaded, saved)
    assert test.number_input(key="mode_collapse.seed").value == 5 and test.query_params["seed"] == "5"
    # the next rerun keeps the loaded run (no "seed changed" restart) and trains it on
    test.button(key="mode_collapse.live.step").click().run()
    assert step_count(test) == 13 and page_runs[-1] is loaded and loaded.step == 13
    reference = Trainer.from_bytes(data)
    reference.train(1)
    assert same_weights(loaded, reference)


def compare_file() -> bytes:
    config = TrainingConfig(batch_size=32, generator_hidden_units=8, critic_hidden_units=8)
    return Lockstep({"A": Trainer(config), "B": Trainer(config)}).to_bytes()


class Payload:
    def __reduce__(self):
        return (print, ("pwned",))


@pytest.mark.slow
def test_a_file_that_is_not_a_usable_run_is_refused_and_the_run_stays(page_runs):
    test = app(**SMALL)
    for _ in range(3):
        test.button(key="mode_collapse.live.step").click().run()
    open_export(test)
    before = page_runs[-1]
    weights = [p.detach().clone() for p in before.generator.parameters()]
    good = Trainer.to_bytes(before)
    wild = Trainer(TrainingConfig(batch_size=32, critic_steps=50))  # a notebook's run: no slider shows 50
    files = {
        "notes.gganrun": (b"these are my lecture notes", "not a saved run"),
        "payload.pt": (pickle.dumps(Payload()), "not a saved run"),
        "half.gganrun": (good[: len(good) // 2], "not a saved run"),
        "compare.gganrun": (compare_file(), "This is a Compare run, not a Mode collapse run."),
        "wild.gganrun": (Trainer.to_bytes(wild), "critic_steps"),
    }
    for name, (data, expected) in files.items():
        test.file_uploader(key="mode_collapse.run_upload").upload(name, data).run()
        assert not test.exception
        errors = " ".join(e.value for e in test.error)
        assert f"{name} was not loaded" in errors and expected in errors and "unchanged" in errors, errors
        assert step_count(test) == 3 and page_runs[-1] is before, name
        assert all(torch.equal(a, b) for a, b in zip(weights, before.generator.parameters(), strict=True))
        assert not test.sidebar.success


def test_a_newer_format_is_named():
    from playground import checkpoint
    buffer = __import__("io").BytesIO()
    torch.save({"format": checkpoint.FORMAT, "version": checkpoint.FORMAT_VERSION + 1, "kind": "trainer",
                "config": {}, "state": {}}, buffer)
    with pytest.raises(ValueError, match="newer version"):
        Trainer.from_bytes(buffer.getvalue())


@pytest.mark.slow
def test_continue_from_a_frame_with_another_loss(page_runs, monkeypatch):
    """The classic demo: scrub back, switch the loss in the sidebar, Continue from here. The page's run is then
    the frame's state with the new loss, and the next reruns keep it (no restart)."""
    resumed: list[Trainer] = []
    original = Trainer.resume_from_frame

    def recording(self, index, config=None):
        resumed.append(original(self, index, config))
        return resumed[-1]
    monkeypatch.setattr(Trainer, "resume_from_frame", recording)
    test = app(**SMALL)
    page_runs[-1].train(40)  # paused: the test trains the page's own run directly (frames at 0, 10, …, 40)
    test.session_state["mode_collapse.tools"] = "Replay"
    test.run()
    captions = " ".join(c.value for c in test.caption)
    assert "5 of 5 frames keep a model state" in captions
    test.slider(key="mode_collapse.replay").set_value(1).run()  # step 10
    test.selectbox(key="mode_collapse.objective").set_value("wgan_gp").run()
    test.button(key="mode_collapse.continue").click().run()
    assert not test.exception and not test.error
    assert step_count(test) == 10 and len(resumed) == 1
    assert "Continued from step 10 with the loss WGAN-GP" in " ".join(s.value for s in test.success)
    assert test.slider(key="mode_collapse.replay").value == 1  # the resumed run's newest frame
    for _ in range(3):
        test.button(key="mode_collapse.live.step").click().run()
    assert step_count(test) == 13  # kept, not restarted (a restart would count from 0)
    config = PRESETS["mode_collapse"].config(coverage_every=10, batch_size=32)
    assert test.session_state["mode_collapse.config"] == replace(config, objective="wgan_gp")
    reference = Trainer(config)
    reference.train(10)
    reference.update_config(replace(config, objective="wgan_gp"))
    reference.train(3)
    assert resumed[0].config.objective == "wgan_gp" and resumed[0].step == 13 and same_weights(resumed[0], reference)
    # a later live change reaches the resumed run in place; it is still the page's run
    test.selectbox(key="mode_collapse.objective").set_value("non_saturating").run()
    assert page_runs[-1] is resumed[0] and resumed[0].config.objective == "non_saturating"
    assert step_count(test) == 13


def test_frames_without_a_state_cannot_be_continued(page_runs):
    test = app(**SMALL)
    run = page_runs[-1]
    run.train(10)
    run.replay_states.pop(0)  # as the replay thins them on a long run
    test.session_state["mode_collapse.tools"] = "Replay"
    test.run()
    test.slider(key="mode_collapse.replay").set_value(0).run()
    button = test.button(key="mode_collapse.continue")
    assert button.disabled
    captions = " ".join(c.value for c in test.caption)
    assert "1 of 2 frames keep a model state" in captions and "nearest that do are at step 10" in captions


# --- shipped checkpoints --------------------------------------------------------------------------------------

SHIPPED = [key for key, preset in PRESETS.items() if preset.checkpoint]


def test_presets_that_wait_long_ship_small_checkpoints_that_load():
    assert set(SHIPPED) == {"wgan_gp", "twenty_five_gaussians"}
    total = sum((CHECKPOINT_DIR / PRESETS[key].checkpoint).stat().st_size for key in SHIPPED)
    assert total < 3 * 2**20
    for key in SHIPPED:
        run = Trainer.load(CHECKPOINT_DIR / PRESETS[key].checkpoint)
        assert run.config == PRESETS[key].config(device="cpu") and run.step == PRESETS[key].checkpoint_steps
        assert run.coverage().modes_captured >= {"wgan_gp": 8, "twenty_five_gaussians": 20}[key]
        before = run.step
        run.train(5)
        assert run.step == before + 5 and run.diverged is None


@pytest.mark.slow
def test_the_tool_reproduces_a_shipped_checkpoint_bit_for_bit():
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_checkpoints", ROOT / "tools" / "make_checkpoints.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    trainer = tool.make("wgan_gp")
    assert trainer.to_bytes() == (CHECKPOINT_DIR / PRESETS["wgan_gp"].checkpoint).read_bytes()


def test_start_trained_loads_the_presets_checkpoint_and_says_so(page_runs):
    test = app(preset="wgan_gp")
    test.button(key="mode_collapse.start_trained").click().run()
    assert not test.exception and not test.error
    assert step_count(test) == 2000
    assert any("Started from a checkpoint trained for 2,000 steps" in i.value for i in test.info)
    assert test.session_state["mode_collapse.config"] == PRESETS["wgan_gp"].config(device="cpu")
    test.button(key="mode_collapse.live.step").click().run()
    assert step_count(test) == 2001


# --- in a real browser ----------------------------------------------------------------------------------------

def screen_step(tab) -> int:
    text = tab.get_by_text(re.compile(r"^Step [\d,]+")).first.inner_text()
    return int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))


@pytest.mark.browser
def test_continue_from_a_replay_frame_in_chromium(app_url, page):
    page.goto(app_url + "/Mode_collapse?coverage_every=20")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => /Step (\\d{3,}|[1-9],)/.test(document.body.innerText)", timeout=60_000)
    page.get_by_role("button", name="Pause").click()
    wait_for_app(page)
    assert screen_step(page) >= 100
    slider = page.get_by_role("slider").last  # the replay's frame slider, under the charts
    slider.focus()
    for _ in range(3):
        slider.press("ArrowLeft")
        page.wait_for_timeout(300)
    wait_for_app(page)
    frame_step = int(re.search(r"Replay · step ([\d,]+)", page.locator(".main-svg .gtitle").last.text_content())
                     .group(1).replace(",", ""))
    page.get_by_role("combobox", name="Loss").click()  # the classic demo: the cure, from the frame on screen
    page.get_by_role("option", name="WGAN-GP").click()
    wait_for_app(page)
    continue_button = page.get_by_role("button", name="Continue from here")
    if continue_button.is_disabled():  # a frame without a state: step back to one that keeps it
        slider.press("ArrowLeft")
        wait_for_app(page)
    continue_button.click()
    page.get_by_text(re.compile(r"Continued from step")).wait_for(timeout=30_000)
    wait_for_app(page)
    continued = int(re.search(r"Continued from step ([\d,]+)", page.get_by_text(re.compile(r"Continued from step"))
                              .inner_text()).group(1).replace(",", ""))
    assert continued <= frame_step and screen_step(page) == continued
    assert "with the loss WGAN-GP" in page.get_by_text(re.compile(r"Continued from step")).inner_text()
    screenshot(page, "mode_collapse_continued")
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="Pause").click()
    wait_for_app(page)
    assert screen_step(page) > continued
    assert page.locator("[data-testid='stException']").count() == 0


@pytest.mark.browser
def test_start_trained_in_chromium(app_url, page):
    page.goto(app_url + "/Mode_collapse?preset=wgan_gp")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    page.get_by_role("button", name="Start trained").click()
    page.get_by_text("Started from a checkpoint trained for 2,000 steps").wait_for(timeout=30_000)
    wait_for_app(page)
    assert screen_step(page) == 2000
    screenshot(page, "mode_collapse_started_trained")
    assert page.locator("[data-testid='stException']").count() == 0


def test_many_seeds_offers_its_run_as_a_file(page_runs):
    """Many seeds' four controls cannot show every ensemble, so the page offers the download only."""
    test = AppTest.from_file(str(ROOT / "pages" / "10_Many_seeds.py"), default_timeout=120)
    test.query_params["seeds_members"] = "4"
    test.run()
    button = next(b for b in test.get("download_button") if b.label == "Download this run")
    assert not button.proto.disabled and button.proto.deferred_file_id and not test.get("file_uploader")
    run = page_runs[-1]
    assert isinstance(run, Ensemble) and Ensemble.from_bytes(run.to_bytes()).seeds == run.seeds


@pytest.mark.browser
def test_download_and_load_a_run_in_chromium(app_url, page, tmp_path):
    """The file is made on the click (deferred): the browser gets the run at the step on screen, and loading it
    back after Reset brings that step back."""
    page.goto(app_url + "/Mode_collapse")
    wait_for_app(page)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
    for _ in range(3):
        page.get_by_role("button", name="Step", exact=True).click()
        wait_for_app(page)
    page.get_by_role("tab", name="Export and load").click()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download this run").click()
    assert download.value.suggested_filename == "mode_collapse_step3.gganrun"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert Trainer.load(saved).step == 3
    page.get_by_role("button", name="Reset", exact=True).click()
    wait_for_app(page)
    page.get_by_text(re.compile(r"^Step 0\b")).first.wait_for(timeout=30_000)  # the fresh run's first frame
    assert screen_step(page) == 0
    page.locator("[data-testid='stFileUploader']", has_text="Load a run").locator(
        "[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(saved))
    page.get_by_text("Loaded mode_collapse_step3.gganrun: step 3, paused.").wait_for(timeout=30_000)
    wait_for_app(page)
    assert screen_step(page) == 3
    assert page.locator("[data-testid='stException']").count() == 0


def test_every_presets_run_can_be_shown_by_the_controls_it_is_loaded_into():
    """A run file of any preset loads on Mode collapse: its settings are inside every control's range."""
    from playground.ui.tools import _check_controls_can_show
    for preset in PRESETS.values():
        _check_controls_can_show(preset.config(device="cpu"))
    with pytest.raises(ValueError, match="critic_steps"):
        _check_controls_can_show(TrainingConfig(critic_steps=50))

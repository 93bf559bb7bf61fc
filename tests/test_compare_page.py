"""The Compare page: two runs in lockstep on one clock, exact W₁ measured by POT, and controls that say when
a loss ignores them."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from playground import compare, transport
from playground.compare import Lockstep, run_title, run_titles
from playground.datasets import DATASETS
from playground.objectives import OBJECTIVES
from playground.presets import PRESETS
from playground.settings import field_specs
from playground.training import Trainer, TrainingConfig
from playground.ui import widget_key

PAGE = str(ROOT / "pages" / "9_Compare_runs.py")
DATASET, SEED = widget_key("compare", "dataset"), widget_key("compare", "seed")   # the sidebar's shared section


def control(side: str, field: str) -> str:
    """The widget key of run `side`'s control for `field` ("preset_choice": its preset box)."""
    return widget_key(f"compare_{side}", field)


def step_count(test: AppTest) -> int:
    text = next(m.value for m in test.markdown if m.value.startswith("**Step"))
    return int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))


def test_lockstep_advances_every_run_together_and_measures_exact_w1_on_one_clock():
    small = {"batch_size": 32, "generator_hidden_units": 16, "critic_hidden_units": 16, "seed": 4}
    group = Lockstep({"A": Trainer(TrainingConfig(objective="minimax", **small)),
                      "B": Trainer(TrainingConfig(objective="wgan_gp", critic_steps=2, **small))}, evaluate_every=10)
    group.train(25)
    assert group.step == 25 and all(trainer.step == 25 for trainer in group.trainers.values())
    snapshot = group.snapshot()
    for name, run in snapshot["runs"].items():
        assert list(run["exact_w1"][:, 0]) == [0, 10, 20]   # the same checkpoints for both runs
        fake = group.trainers[name].sample(500)               # sample(n) is fresh each call: W₁ to the real set
        assert run["exact_w1"][-1, 1] > 0 and np.isfinite(transport.wasserstein(group.evaluation_real, fake))


def test_a_diverging_run_stops_the_group_and_is_named():
    """A comparison with one side missing would mislead: the first run to diverge stops both, by name."""
    group = Lockstep({"steady": Trainer(TrainingConfig(batch_size=32)),
                      "wild": Trainer(TrainingConfig(batch_size=32, objective="minimax", generator_lr=10.0,
                                                     critic_lr=10.0))}, evaluate_every=50)
    group.train(500)
    assert group.diverged is not None and group.diverged.startswith("wild: ")
    assert group.step < 500 and group.trainers["steady"].diverged is None


@pytest.mark.slow
def test_page_steps_both_runs_and_greys_out_c_under_losses_that_ignore_it():
    test = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not test.exception
    # defaults: A is the non-saturating mode-collapse preset, B is WGAN-GP: neither clips its critic
    assert test.select_slider(key=control("A", "clip_value")).disabled
    assert test.select_slider(key=control("B", "clip_value")).disabled
    assert "ignores it" in test.select_slider(key=control("B", "clip_value")).help
    test.button(key="compare.lockstep.step").click().run()
    assert step_count(test) == 1
    test.selectbox(key=control("B", "objective")).set_value("wgan").run()   # a new loss: both runs restart together
    assert step_count(test) == 0
    assert not test.select_slider(key=control("B", "clip_value")).disabled
    assert test.select_slider(key=control("A", "clip_value")).disabled
    test.button(key="compare.lockstep.step").click().run()
    test.select_slider(key=control("B", "clip_value")).set_value(0.1).run()   # c is live: the runs go on
    assert step_count(test) == 1 and not test.exception


def test_picking_a_preset_sets_the_runs_loss_noise_and_unrolling_to_the_presets():
    """A preset sets the run's controls, not only its name: "Unrolled GAN" trains with 10 unrolled steps and
    "Instance noise" with its noise, under the preset's loss; each run keeps its own settings."""
    test = AppTest.from_file(PAGE, default_timeout=120).run()
    test.selectbox(key=control("A", "preset_choice")).set_value("unrolled").run()
    assert test.slider(key=control("A", "unrolled_steps")).value == 10
    assert test.selectbox(key=control("A", "objective")).value == "non_saturating"
    test.selectbox(key=control("B", "preset_choice")).set_value("instance_noise").run()
    assert test.selectbox(key=control("B", "objective")).value == "minimax"
    assert test.slider(key=control("B", "instance_noise")).value == 0.3
    assert test.slider(key=control("A", "unrolled_steps")).value == 10   # run A keeps its own settings
    test.selectbox(key=control("B", "objective")).set_value("wgan").run()  # a change after the preset stays
    assert test.selectbox(key=control("B", "preset_choice")).value == "instance_noise"
    assert test.selectbox(key=control("B", "objective")).value == "wgan"
    assert test.slider(key=control("B", "instance_noise")).value == 0.3
    test.button(key="compare.lockstep.step").click().run()
    assert step_count(test) == 1 and not test.exception


def test_run_titles_name_the_settings_that_tell_two_runs_of_one_loss_apart():
    assert run_title("A", TrainingConfig(objective="non_saturating")) == "A: Non-saturating"
    assert run_title("B", TrainingConfig(objective="wgan", clip_value=0.5)) == "B: WGAN, weight clipping · c = 0.5"
    assert run_title("A", TrainingConfig(objective="wgan_gp", clip_value=0.5)) == "A: WGAN-GP"  # GP ignores c
    both = run_title("B", TrainingConfig(objective="minimax", instance_noise=0.3, unrolled_steps=10))
    assert both == "B: Minimax (saturating) · σ = 0.3 · 10 unrolled"
    assert run_title("B", TrainingConfig(objective="wgan", clip_value=0.5), two_lines=True) == (
        "B: WGAN, weight clipping<br><sup>c = 0.5</sup>")
    assert run_title("A", TrainingConfig(objective="hinge"), two_lines=True) == "A: Hinge"



def test_two_runs_of_one_loss_are_told_apart_by_the_settings_they_differ_in():
    """"WGAN-GP on 25 Gaussians" against "WGAN-GP on the swiss roll" both read "WGAN-GP"."""
    configs = {"A": PRESETS["twenty_five_gaussians"].config(), "B": PRESETS["swiss_roll"].config()}
    titles = run_titles(configs)
    assert titles == {"A": "A: WGAN-GP · G lr 0.001 · D lr 0.001", "B": "B: WGAN-GP · G lr 0.0001 · D lr 0.0001"}
    assert run_titles(configs, two_lines=True)["B"] == "B: WGAN-GP<br><sup>G lr 0.0001 · D lr 0.0001</sup>"
    default = {"A": PRESETS["mode_collapse"].config(), "B": PRESETS["wgan_gp"].config()}
    assert run_titles(default) == {"A": "A: Non-saturating", "B": "B: WGAN-GP"}   # different losses: enough
    same = {"A": TrainingConfig(objective="wgan_gp"), "B": TrainingConfig(objective="wgan_gp")}
    assert run_titles(same) == {"A": "A: WGAN-GP", "B": "B: WGAN-GP"}   # nothing differs: nothing to add


def test_a_preset_named_for_its_data_brings_that_dataset_for_both_runs():
    test = AppTest.from_file(PAGE, default_timeout=120).run()
    test.selectbox(key=control("A", "preset_choice")).set_value("twenty_five_gaussians").run()
    assert test.selectbox(key=DATASET).value == "twenty_five_gaussians" and not test.exception
    test.button(key="compare.lockstep.step").click().run()
    assert step_count(test) == 1 and not test.exception


def test_a_hand_made_link_may_name_presets_losses_and_the_dataset_by_id():
    """Links may name options by id (as the code and a notebook do) as well as by the labels the page wrote."""
    test = AppTest.from_file(PAGE, default_timeout=120)
    test.query_params.update(cmp_A_preset="wgan", cmp_B_loss="hinge", cmp_dataset="swiss_roll")
    test.run()
    assert test.selectbox(key=control("A", "preset_choice")).value == "wgan"
    assert test.selectbox(key=control("A", "objective")).value == "wgan"
    assert test.selectbox(key=control("B", "objective")).value == "hinge"
    assert test.selectbox(key=DATASET).value == "swiss_roll"
    assert not test.warning and not test.exception                      # no notice: ids are taken


def page_from_link(**params: str) -> AppTest:
    test = AppTest.from_file(PAGE, default_timeout=120)
    test.query_params.update(params)
    return test.run()


def test_old_links_open_the_same_view():
    """Links the page wrote with its hand-bound controls (cmp_* keys; the preset, loss and dataset boxes' labels;
    an integer for a float) open the same values in the same controls, and the address keeps those keys."""
    test = page_from_link(cmp_A_preset=PRESETS["twenty_five_gaussians"].label, cmp_A_loss="Hinge", cmp_A_c="0.5",
                          cmp_A_noise="1", cmp_A_unrolled="5", cmp_B_preset=PRESETS["wgan"].label,
                          cmp_dataset=DATASETS["twenty_five_gaussians"].label, cmp_seed="3")
    assert not test.exception and not test.warning
    assert test.selectbox(key=control("A", "preset_choice")).value == "twenty_five_gaussians"
    assert test.selectbox(key=control("A", "objective")).value == "hinge"
    assert test.select_slider(key=control("A", "clip_value")).value == 0.5
    assert test.slider(key=control("A", "instance_noise")).value == 1.0
    assert test.slider(key=control("A", "unrolled_steps")).value == 5
    assert test.selectbox(key=control("B", "preset_choice")).value == "wgan"
    assert test.selectbox(key=control("B", "objective")).value == "wgan"       # the preset's, as the link left it
    assert test.select_slider(key=control("B", "clip_value")).value == 0.01
    assert test.selectbox(key=DATASET).value == "twenty_five_gaussians" and test.number_input(key=SEED).value == 3
    assert (test.query_params["cmp_A_preset"], test.query_params["cmp_A_loss"], test.query_params["cmp_A_c"]) == (
        "twenty_five_gaussians", "hinge", "0.5")
    assert test.query_params["cmp_dataset"] == "twenty_five_gaussians" and test.query_params["cmp_seed"] == "3"
    assert "cmp_B_loss" not in test.query_params                      # the preset's own loss: not repeated


def test_link_values_the_controls_cannot_take_are_named_and_the_defaults_kept():
    test = page_from_link(cmp_A_loss="zzz", cmp_seed="-5", cmp_B_c="0.3", cmp_B_preset="nope")
    assert not test.exception
    warnings = " ".join(warning.value for warning in test.warning)
    assert "cmp_A_loss=zzz" in warnings and "cmp_B_c=0.3" in warnings and "Unknown preset “nope”" in warnings
    assert "cmp_seed=-5" in " ".join(warning.value for warning in test.sidebar.warning)
    assert test.selectbox(key=control("A", "objective")).value == "non_saturating"
    assert test.number_input(key=SEED).value == 0 and "cmp_seed" not in test.query_params
    assert test.selectbox(key=control("B", "preset_choice")).value == "wgan_gp"
    good = page_from_link(cmp_seed="3", cmp_B_loss=OBJECTIVES["wgan_gp"].label)   # B's default loss
    assert not good.exception and not good.warning


def test_changed_controls_go_to_the_address_under_the_old_keys_and_reopen_the_view():
    test = page_from_link()
    test.selectbox(key=control("A", "preset_choice")).set_value("twenty_five_gaussians").run()
    test.slider(key=control("B", "instance_noise")).set_value(0.2).run()
    params = {key: test.query_params[key] for key in test.query_params}
    assert params == {"cmp_dataset": "twenty_five_gaussians", "cmp_A_preset": "twenty_five_gaussians",
                      "cmp_B_noise": "0.2"}
    reopened = page_from_link(**params)
    assert not reopened.warning and reopened.selectbox(key=DATASET).value == "twenty_five_gaussians"
    assert reopened.selectbox(key=control("A", "objective")).value == "wgan_gp"
    assert reopened.slider(key=control("B", "instance_noise")).value == 0.2


@pytest.mark.parametrize("preset_id", list(PRESETS))
def test_a_runs_preset_trains_the_preset_with_the_shared_data_and_its_four_controls(preset_id):
    """What the hand-wired page trained: the preset's config with the sidebar's dataset and seed and the run's loss,
    c (the nearest offered), σ and unrolling; and each run settings class reads its own side's keys."""
    shared = compare.SharedSettings(dataset="swiss_roll", seed=7)
    preset = PRESETS[preset_id].config()
    run = compare.RUN_SETTINGS["B"](**compare.RUN_PRESETS[preset_id].overrides)
    nearest_c = min(compare.CLIP_OPTIONS, key=lambda c: abs(c - preset.clip_value))
    assert run.config(shared) == replace(preset, dataset="swiss_roll", seed=7, clip_value=nearest_c)
    assert {spec["url"] for spec in field_specs(compare.RUN_SETTINGS["A"]).values()} >= {
        "cmp_A_loss", "cmp_A_c", "cmp_A_noise", "cmp_A_unrolled"}


def test_the_comparison_view_titles_two_runs_of_one_loss_by_what_tells_them_apart():
    settings = compare.CompareSettings(
        compare.SharedSettings(), compare.RUN_SETTINGS["A"](**compare.RUN_PRESETS["twenty_five_gaussians"].overrides),
        compare.RUN_SETTINGS["B"](**compare.RUN_PRESETS["swiss_roll"].overrides))
    run = compare.CompareRun.from_settings(settings)
    assert run.config == settings and list(run.trainers) == ["A: WGAN-GP", "B: WGAN-GP"]
    samples_a, samples_b, curves = compare.comparison_view(run.snapshot())
    assert samples_a["layout"]["title"]["text"] == "A: WGAN-GP<br><sup>G lr 0.001 · D lr 0.001</sup>"
    assert samples_b["layout"]["title"]["text"] == "B: WGAN-GP<br><sup>G lr 0.0001 · D lr 0.0001</sup>"
    assert [trace["name"] for trace in curves["data"]][:2] == ["A: WGAN-GP · G lr 0.001 · D lr 0.001: modes",
                                                              "A: WGAN-GP · G lr 0.001 · D lr 0.001: exact W₁"]
    wider = replace(settings, b=replace(settings.b, instance_noise=0.2))
    assert run.reconfigure(wider) == ["B: WGAN-GP.instance_noise"] and run.config == wider

"""The Compare page: two runs in lockstep on one clock, exact W₁ measured by POT, and controls that say when
a loss ignores them."""

from __future__ import annotations

import re

import numpy as np
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from playground import transport
from playground.compare import Lockstep, run_title, run_titles
from playground.presets import PRESETS
from playground.training import Trainer, TrainingConfig

PAGE = str(ROOT / "pages" / "9_Compare_runs.py")


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


def test_page_steps_both_runs_and_greys_out_c_under_losses_that_ignore_it():
    test = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not test.exception
    # defaults: A is the non-saturating mode-collapse preset, B is WGAN-GP: neither clips its critic
    assert test.select_slider(key="cmp_A_c").disabled and test.select_slider(key="cmp_B_c").disabled
    assert "ignores it" in test.select_slider(key="cmp_B_c").help
    test.button(key="compare.lockstep.step").click().run()
    assert step_count(test) == 1
    test.selectbox(key="cmp_B_loss").set_value("wgan").run()   # a new loss: both runs restart from one start
    assert step_count(test) == 0
    assert not test.select_slider(key="cmp_B_c").disabled and test.select_slider(key="cmp_A_c").disabled
    test.button(key="compare.lockstep.step").click().run()
    test.select_slider(key="cmp_B_c").set_value(0.1).run()        # c is live: the runs go on
    assert step_count(test) == 1 and not test.exception


def test_picking_a_preset_sets_the_runs_loss_noise_and_unrolling_to_the_presets():
    """Keyed widgets keep their own state: without the preset's callback, "Unrolled GAN" trained with 0 unrolled
    steps and "Instance noise" with no noise, under the previous preset's loss."""
    test = AppTest.from_file(PAGE, default_timeout=120).run()
    test.selectbox(key="cmp_A_preset").set_value("unrolled").run()
    assert test.slider(key="cmp_A_unrolled").value == 10
    assert test.selectbox(key="cmp_A_loss").value == "non_saturating"
    test.selectbox(key="cmp_B_preset").set_value("instance_noise").run()
    assert test.selectbox(key="cmp_B_loss").value == "minimax" and test.slider(key="cmp_B_noise").value == 0.3
    assert test.slider(key="cmp_A_unrolled").value == 10   # run A keeps its own settings
    test.selectbox(key="cmp_B_loss").set_value("wgan").run()  # a change after the preset stays
    assert test.selectbox(key="cmp_B_preset").value == "instance_noise"
    assert test.selectbox(key="cmp_B_loss").value == "wgan" and test.slider(key="cmp_B_noise").value == 0.3
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
    test.selectbox(key="cmp_A_preset").set_value("twenty_five_gaussians").run()
    assert test.selectbox(key="cmp_dataset").value == "twenty_five_gaussians" and not test.exception
    test.button(key="compare.lockstep.step").click().run()
    assert step_count(test) == 1 and not test.exception


def test_a_hand_made_link_may_name_presets_losses_and_the_dataset_by_id():
    """Bound selectboxes keep labels in the URL; ?cmp_A_preset=wgan fell back to the default with a notice."""
    test = AppTest.from_file(PAGE, default_timeout=120)
    test.query_params.update(cmp_A_preset="wgan", cmp_B_loss="hinge", cmp_dataset="swiss_roll")
    test.run()
    assert test.selectbox(key="cmp_A_preset").value == "wgan" and test.selectbox(key="cmp_A_loss").value == "wgan"
    assert test.selectbox(key="cmp_B_loss").value == "hinge" and test.selectbox(key="cmp_dataset").value == "swiss_roll"
    assert not test.warning and not test.exception                      # no "could not be used" notice

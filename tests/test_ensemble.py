"""Many seeds at once: the batched ensemble against K separate Trainers (weights, one update, coverage), every
objective trains, diverging members are frozen alone, and the figures draw what the snapshot holds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest
from torch.func import functional_call

from playground import ensemble as ensemble_module
from playground import lipschitz, presets
from playground.datasets import DATASETS
from playground.ensemble import Ensemble, SeedsSettings, vmap_forward
from playground.figures import ensemble as figures
from playground.objectives import OBJECTIVES
from playground.training import Trainer, TrainingConfig
from playground.ui import widget_key

# Small networks keep each test well under a second or two on a shared 2-core machine.
SMALL = TrainingConfig(generator_hidden_units=32, critic_hidden_units=32, batch_size=64, coverage_every=25)



def member_state(parameters: dict[str, torch.Tensor], member: int) -> dict[str, torch.Tensor]:
    return {name: value[member].detach() for name, value in parameters.items()}


# --- construction ------------------------------------------------------------------------------------------------

def test_member_initial_weights_and_coverage_batch_equal_the_trainers_for_the_same_seed():
    seeds = (3, 11, 42)
    config = replace(SMALL, generator_depth=3, activation="tanh")
    ensemble = Ensemble(config, seeds)
    for member, seed in enumerate(seeds):
        trainer = Trainer(replace(config, seed=seed))
        for stacked, module in ((ensemble.generator_parameters, trainer.generator),
                                (ensemble.critic_parameters, trainer.critic)):
            expected = module.state_dict()
            assert set(stacked) == set(expected)
            for name, value in member_state(stacked, member).items():
                assert torch.equal(value, expected[name]), (seed, name)
        assert torch.equal(ensemble.evaluation_latent[member], trainer.evaluation_latent)
        _, captured, quality, occupancy = trainer.coverage_history[0]
        assert ensemble.coverage_captured[0][member] == captured
        assert ensemble.coverage_quality[0][member] == pytest.approx(quality)


def test_members_differ_and_the_same_seeds_give_the_same_run():
    first, second = Ensemble(SMALL, (0, 1)), Ensemble(SMALL, (0, 1))
    weight = first.critic_parameters["net.0.weight"]
    assert not torch.equal(weight[0], weight[1])
    first.train(10)
    second.train(10)
    for name, value in first.generator_parameters.items():
        assert torch.equal(value, second.generator_parameters[name])


def test_unrolled_steps_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="unroll"):
        Ensemble(replace(SMALL, unrolled_steps=3), (0, 1))
    with pytest.raises(ValueError, match="seed"):
        Ensemble(SMALL, ())


def test_live_update_applies_learning_rates_and_keeps_unrolling_off():
    ensemble = Ensemble(SMALL, (0, 1))
    changed = ensemble.reconfigure(replace(SMALL, critic_lr=5e-4, unrolled_steps=4, seed=9))
    assert changed == ["critic_lr"] and ensemble.config.seed == SMALL.seed  # a new seed needs a new ensemble
    assert ensemble.critic_optimizer.param_groups[0]["lr"] == 5e-4
    assert ensemble.config.unrolled_steps == 0


# --- the batched networks ----------------------------------------------------------------------------------------

def test_batched_forward_equals_each_member_and_torch_func_vmap():
    seeds = (0, 5, 9, 12)
    ensemble = Ensemble(SMALL, seeds)
    points = torch.randn(len(seeds), 100, 2)
    latent = torch.randn(len(seeds), 100, SMALL.latent_size)
    scores, samples = ensemble.critic(points), ensemble.generate(latent)
    trainers = [Trainer(replace(SMALL, seed=seed)) for seed in seeds]
    for member, trainer in enumerate(trainers):
        torch.testing.assert_close(scores[member], trainer.critic(points[member]), atol=1e-6, rtol=1e-5)
        torch.testing.assert_close(samples[member], trainer.generator(latent[member]), atol=1e-6, rtol=1e-5)
    reference = vmap_forward(trainers[0].critic, ensemble.critic_parameters, points)
    torch.testing.assert_close(scores, reference, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize(("inputs", "outputs"), [(2, 7), (1, 5), (7, 1), (7, 2), (2, 2), (6, 7)])
@pytest.mark.slow
def test_batched_linear_backward_equals_autograds_own_and_is_twice_differentiable(inputs, outputs, relu):
    """The layer's hand-laid-out backward gives autograd's own gradients of baddbmm, ReLU'd or not (inputs,
    weights, bias), contiguous, passes torch's numerical gradcheck, and can be differentiated again (WGAN-GP's
    penalty does). With ReLU the incoming gradient is masked in place (it is the next layer's, made for this
    layer alone), unless the backward is itself being differentiated."""
    generator = torch.Generator().manual_seed(inputs * 10 + outputs)
    points = torch.randn(3, 11, inputs, generator=generator, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(3, outputs, inputs, generator=generator, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(3, outputs, generator=generator, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(3, 11, outputs, generator=generator, dtype=torch.float64)
    reference = torch.baddbmm(bias.unsqueeze(1), points, weight.transpose(1, 2))
    reference = reference.relu() if relu else reference
    expected = torch.autograd.grad(reference, (points, weight, bias), upstream)

    def layer(*tensors):
        return ensemble_module.BatchedLinear.apply(*tensors, relu)

    output = layer(points, weight, bias)
    torch.testing.assert_close(output, reference, rtol=0, atol=0)
    incoming = upstream.clone()
    for got, want in zip(torch.autograd.grad(output, (points, weight, bias), incoming), expected, strict=True):
        assert got.is_contiguous()
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    assert torch.equal(incoming, upstream * (output > 0)) if relu else torch.equal(incoming, upstream)
    assert torch.autograd.gradcheck(layer, (points, weight, bias))
    assert torch.autograd.gradgradcheck(layer, (points, weight, bias))


@pytest.mark.parametrize(("objective", "optimizer", "dtype"), [
    ("non_saturating", "adam", torch.float32),
    ("non_saturating", "adam", torch.float64),
    # WGAN's and the hinge's piecewise-linear losses give ReLU nets gradients that cancel to exactly 0 in exact
    # arithmetic; float32 leaves ±1e-9 there, which RMSprop's and Adam's normalisation blow up to ±lr. In float64
    # both paths cancel exactly, so the comparison tests the optimiser, not the rounding.
    ("wgan", "rmsprop", torch.float64),
    ("hinge", "sgd", torch.float64),
])
def test_one_batched_update_equals_k_separate_trainer_updates(objective, optimizer, dtype):
    """One optimiser over stacked [K, …] weights is K separate optimisers: two rounds of (critic step, generator
    step) on the same batches give each member the weights its own Trainer reaches (clipping included)."""
    config = replace(SMALL, objective=objective, critic_optimizer=optimizer, generator_optimizer=optimizer,
                     clip_value=0.05)
    seeds = (0, 1, 2)
    ensemble = Ensemble(config, seeds)
    trainers = [Trainer(replace(config, seed=seed)) for seed in seeds]
    for weight in ensemble._weights():  # same tensors, so the optimisers keep them (no state yet)
        weight.data = weight.data.to(dtype)
    for trainer in trainers:
        trainer.generator.to(dtype)
        trainer.critic.to(dtype)
    rng = torch.Generator().manual_seed(123)
    shape = (len(seeds), config.batch_size)
    for _ in range(2):
        real = DATASETS[config.dataset].sample(len(seeds) * config.batch_size, rng).view(*shape, 2)
        real = real.to(dtype)
        critic_latent = torch.randn(*shape, config.latent_size, generator=rng, dtype=dtype)
        generator_latent = torch.randn(*shape, config.latent_size, generator=rng, dtype=dtype)
        ensemble.critic_step(real, critic_latent)
        ensemble.generator_step(generator_latent)
        for member, trainer in enumerate(trainers):
            latents = iter([critic_latent[member], generator_latent[member]])
            trainer.real_batch = lambda member=member, real=real: real[member]
            trainer.latent_batch = lambda n=None, latents=latents: next(latents)
            trainer.critic_step()
            trainer.generator_step()
    for member, trainer in enumerate(trainers):
        for stacked, module in ((ensemble.generator_parameters, trainer.generator),
                                (ensemble.critic_parameters, trainer.critic)):
            expected = module.state_dict()
            for name, value in member_state(stacked, member).items():
                assert (value - expected[name]).abs().max().item() <= 1e-6, (member, name)
    if objective == "wgan":
        assert all(v.abs().max() <= 0.05 + 1e-7 for v in ensemble.critic_parameters.values())


@pytest.mark.parametrize("objective", ["non_saturating", "wgan"])
def test_metric_rows_equal_each_trainers_rows_on_the_same_batches(objective):
    """A step's per-member metrics (losses, D(x), D(G(z)), gap, gradient norms, accuracy, σ) are the metrics
    member k's own Trainer records for the same step on the same batches."""
    config = replace(SMALL, objective=objective, instance_noise=0.3, noise_anneal_steps=4)
    seeds = (0, 1, 2)
    ensemble = Ensemble(config, seeds)
    trainers = [Trainer(replace(config, seed=seed)) for seed in seeds]
    rng = torch.Generator().manual_seed(7)
    shape = (len(seeds), config.batch_size)
    real = DATASETS[config.dataset].sample(len(seeds) * config.batch_size, rng).view(*shape, 2)
    latents = [torch.randn(*shape, config.latent_size, generator=rng) for _ in range(2)]
    ensemble.real_batch = lambda: real
    ensemble.latent_batch = iter(latents).__next__
    ensemble._noisy = lambda points: points  # noise draws differ between the two; σ's record must not
    rows = ensemble._metric_rows(torch.stack([ensemble.train_step()]), np.array([1]))[0]
    for member, trainer in enumerate(trainers):
        trainer.real_batch = lambda member=member: real[member]
        trainer.latent_batch = iter([latent[member] for latent in latents]).__next__
        trainer._noisy = lambda points: points
        expected = trainer._metric_rows(trainer.train_step()[None].double().numpy(), np.array([1]))[0]
        np.testing.assert_allclose(rows[member], expected, rtol=2e-4, atol=1e-6)
    assert rows[0, ensemble_module.METRICS.index("noise_sigma")] == pytest.approx(0.3)  # step 1 trained at σ(0)


def test_the_penalty_runs_through_autograds_backward_with_the_same_values_and_weight_gradients():
    """The gradient penalty differentiates the critic's backward again; the ensemble runs it through autograd's own
    baddbmm backward, which must give what `BatchedLinear`'s differentiable backward gives."""
    ensemble = Ensemble(replace(SMALL, objective="wgan_gp"), (0, 1, 2))
    real, fake = torch.randn(3, 64, 2), torch.randn(3, 64, 2) * 2
    results = []
    for critic in (ensemble.critic, ensemble._penalty_critic):
        penalties = lipschitz.gradient_penalty(critic, real, fake, torch.Generator().manual_seed(4))
        weights = list(ensemble.critic_parameters.values())
        results.append((penalties, torch.autograd.grad(penalties.sum(), weights, materialize_grads=True)))
    (custom, custom_gradients), (plain, plain_gradients) = results
    torch.testing.assert_close(plain, custom, rtol=1e-5, atol=1e-7)
    for got, want in zip(plain_gradients, custom_gradients, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-6)


def test_batched_gradient_penalty_equals_each_members_penalty():
    """The input gradient of Σ_k Σ_i f_k(x̂_ki) is each member's own ∇f_k: one call gives all K penalties."""
    seeds = (0, 1, 2, 3)
    ensemble = Ensemble(replace(SMALL, objective="wgan_gp"), seeds)
    real, fake = torch.randn(4, 64, 2), torch.randn(4, 64, 2) * 2
    state = ensemble.rng.get_state()
    penalties = lipschitz.gradient_penalty(ensemble.critic, real, fake, ensemble.rng)
    mix = torch.rand(4, 64, 1, generator=torch.Generator().set_state(state))
    template = Trainer(SMALL).critic
    for member in range(4):
        weights = member_state(ensemble.critic_parameters, member)

        def critic(points, weights=weights):
            return functional_call(template, weights, (points,))

        between = mix[member] * real[member] + (1 - mix[member]) * fake[member]
        gradients = lipschitz.input_gradients(critic, between)
        expected = ((gradients.norm(dim=1) - 1) ** 2).mean()
        assert penalties[member].item() == pytest.approx(expected.item(), rel=1e-5)


# --- training ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("objective", list(OBJECTIVES))
def test_every_objective_trains_k4_for_50_steps_to_finite_numbers(objective):
    config = replace(SMALL, objective=objective, critic_steps=2 if objective.startswith("wgan") else 1,
                     instance_noise=0.1)
    ensemble = Ensemble(config, (0, 1, 2, 3))
    latest = ensemble.train(50)
    assert ensemble.step == 50 and ensemble.diverged is None and ensemble.alive.all()
    assert all(torch.isfinite(v).all() for v in ensemble._weights())
    assert np.isfinite(ensemble.history.rows).all() and len(ensemble.history.rows) == 50
    assert np.isfinite([latest["critic_loss"], latest["generator_loss"], latest["modes_captured_mean"]]).all()
    snapshot = ensemble.snapshot()
    checkpoints = len(range(0, 51, config.coverage_every))
    assert snapshot["modes_captured"].shape == (4, checkpoints)
    assert snapshot["high_quality"].shape == (4, checkpoints)
    assert snapshot["coverage_step"].tolist() == [0.0, 25.0, 50.0]
    assert snapshot["occupancy"].shape == (4, 8)
    assert snapshot["fake"].shape == (4, ensemble_module.SNAPSHOT_POINTS, 2)
    assert snapshot["member_metrics"].shape == (4, len(ensemble_module.METRICS))
    now = snapshot["modes_captured"][:, -1]
    assert snapshot["modes_captured_mean"] == pytest.approx(now.mean())
    assert snapshot["modes_captured_std"] == pytest.approx(now.std())


def test_a_diverging_member_is_frozen_and_reported_while_the_others_continue():
    ensemble = Ensemble(SMALL, (0, 1, 2, 3))
    ensemble.train(5)
    with torch.no_grad():  # blow up member 2's critic: its scores and losses explode past 1e8
        for weight in ensemble.critic_parameters.values():
            weight[2] *= 1e4
    ensemble.train(20)
    assert ensemble.alive.tolist() == [True, True, False, True]
    assert ensemble.diverged is None
    assert "Seed 2" in ensemble.member_diverged[2] and "critic" in ensemble.member_diverged[2]
    frozen = {name: value[2].clone() for name, value in ensemble.generator_parameters.items()}
    others = {name: value[[0, 1, 3]].clone() for name, value in ensemble.generator_parameters.items()}
    ensemble.train(30)
    assert ensemble.step == 55
    for name, value in ensemble.generator_parameters.items():
        assert torch.equal(value[2], frozen[name])
        assert not torch.equal(value[[0, 1, 3]], others[name])
    snapshot = ensemble.snapshot()
    assert snapshot["alive"].tolist() == [True, True, False, True]
    live_now = snapshot["modes_captured"][[0, 1, 3], -1]
    assert snapshot["modes_captured_mean"] == pytest.approx(live_now.mean())
    assert "3 seeds" in ensemble_module.describe(snapshot) and "diverged" in ensemble_module.describe(snapshot)


def test_a_nan_in_one_member_does_not_reach_the_others_and_all_diverged_stops_the_run():
    ensemble = Ensemble(SMALL, (0, 1, 2))
    with torch.no_grad():
        ensemble.generator_parameters["net.0.weight"][1] = float("nan")
    ensemble.train(10)
    assert ensemble.alive.tolist() == [True, False, True]
    assert "NaN" in ensemble.member_diverged[1]
    assert all(torch.isfinite(value[[0, 2]]).all() for value in ensemble._weights())
    with torch.no_grad():
        for member in (0, 2):
            ensemble.generator_parameters["net.0.weight"][member] = float("nan")
    ensemble.train(10)
    assert ensemble.diverged is not None and "All 3 seeds" in ensemble.diverged
    stopped_at = ensemble.step
    ensemble.train(10)
    assert ensemble.step == stopped_at


# --- figures -------------------------------------------------------------------------------------------------------

def test_figures_draw_every_seed_the_mean_band_and_a_panel_per_member():
    ensemble = Ensemble(SMALL, (0, 1, 2, 3, 4))
    before_play = figures.modes_over_time(ensemble.snapshot())["data"][-1]  # one checkpoint: a dot, not a line
    assert before_play["mode"] == "markers" and len(before_play["y"]) == 1
    ensemble.train(50)
    with torch.no_grad():
        ensemble.generator_parameters["net.0.weight"][4] = float("nan")
    ensemble.train(25)
    snapshot = ensemble.snapshot()
    over_time = figures.modes_over_time(snapshot)
    seed_lines = [t for t in over_time["data"] if t.get("legendgroup") == "seeds"]
    assert len(seed_lines) == 5
    mean_line = over_time["data"][-1]
    assert mean_line["mode"] == "lines"
    np.testing.assert_allclose(mean_line["y"], snapshot["modes_captured"][:4].mean(axis=0), rtol=1e-6)
    assert over_time["layout"]["yaxis"]["range"][1] == pytest.approx(8.5)
    histogram = figures.modes_histogram(snapshot)
    assert histogram["data"][0]["y"].sum() == 4 and histogram["data"][1]["y"].sum() == 1
    # Between checkpoints, the histogram and the summary line name the step the modes were counted at (75), not
    # the current one (80).
    ensemble.train(5)
    later = ensemble.snapshot()
    assert later["step"] == 80 and later["coverage_step"][-1] == 75
    assert figures.modes_histogram(later)["layout"]["title"]["text"].startswith("Step 75:")
    assert "counted at step 75)" in ensemble_module.describe(later)
    panels = figures.member_samples(snapshot, columns=3)
    assert len(panels["data"]) == 2 * 5 and "yaxis5" in panels["layout"]
    assert "diverged" in panels["layout"]["annotations"][4]["text"]


@pytest.mark.parametrize("count", [1, 5, 8, 9, 16, 17, 32, 64, 100])
def test_histogram_labels_at_most_eight_seed_counts_with_the_smallest_round_step(count):
    """At K = 32 a step of 2 stacked sixteen labels on top of each other on a projector."""
    step = figures.count_step(count)
    assert count / step <= 8
    sequence = [1, 2, 5, 10, 20, 50, 100]
    assert step in sequence and (step == 1 or count / sequence[sequence.index(step) - 1] > 8)


# --- the page --------------------------------------------------------------------------------------------------------

PAGE = str(Path(__file__).parents[1] / "pages" / "10_Many_seeds.py")


def page_app(**params) -> AppTest:
    test = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        test.query_params[key] = value
    return test.run()


def shown(test: AppTest, prefix: str) -> str:
    return next(m.value for m in test.markdown if m.value.startswith(prefix))


PRESET, DATASET, MEMBERS, FIRST = (widget_key("seeds", name) for name in ("preset_choice", "dataset", "members",
                                                                             "first_seed"))


def test_page_steps_every_seed_and_restarts_when_k_changes():
    test = page_app(seeds_members="4")
    assert not test.exception and not test.error
    assert "Out of 4 seeds" in shown(test, "Out of")
    assert test.select_slider(key=MEMBERS).value == 4
    test.button(key="seeds.ensemble.step").click().run()
    assert shown(test, "**Step").startswith("**Step 1**")
    test.select_slider(key=MEMBERS).set_value(8).run()
    assert not test.exception
    assert shown(test, "**Step").startswith("**Step 0**") and "Out of 8 seeds" in shown(test, "Out of")


def test_page_reads_the_preset_from_the_url_and_offers_no_unrolled_preset():
    test = page_app(seeds_preset="WGAN-GP", seeds_members="4")  # a bound selectbox kept its label in the URL
    assert not test.exception
    assert test.selectbox(key=PRESET).value == "wgan_gp"
    assert "WGAN-GP" in shown(test, "Out of")
    assert "unrolled" not in test.selectbox(key=PRESET).options


def test_picking_a_preset_picks_its_dataset_and_a_link_keeps_it():
    """The dataset box kept its own value: "WGAN-GP on the swiss roll" trained on 8 Gaussians."""
    test = page_app(seeds_members="4")
    assert test.selectbox(key=DATASET).value == "eight_gaussians"
    test.selectbox(key=PRESET).set_value("swiss_roll").run()
    assert test.selectbox(key=DATASET).value == "swiss_roll" and not test.exception
    test.selectbox(key=DATASET).set_value("twenty_five_gaussians").run()  # changed afterwards: it stays
    assert test.selectbox(key=PRESET).value == "swiss_roll"
    assert "of 25 modes" in shown(test, "Out of")
    assert test.query_params["seeds_preset"] == "swiss_roll"
    assert test.query_params["seeds_dataset"] == "twenty_five_gaussians"
    linked = page_app(seeds_preset="WGAN-GP on 25 Gaussians", seeds_members="4")  # the preset's dataset by default
    assert linked.selectbox(key=DATASET).value == "twenty_five_gaussians"
    assert "of 25 modes" in shown(linked, "Out of") and not linked.exception


def test_a_hand_made_link_may_name_the_preset_by_id():
    test = page_app(seeds_preset="swiss_roll", seeds_members="4")
    assert test.selectbox(key=PRESET).value == "swiss_roll"
    assert test.selectbox(key=DATASET).value == "swiss_roll" and not test.warning


def test_old_links_open_the_same_view():
    """Links the page wrote with its hand-bound controls (seeds_* keys, the preset and the dataset by their
    labels, K as a select slider's number) open the same values, and the address keeps the old keys."""
    test = page_app(seeds_preset="WGAN-GP", seeds_dataset="25 Gaussians", seeds_members="4", seeds_first="7")
    assert not test.exception and not test.error and not test.sidebar.warning
    assert test.selectbox(key=PRESET).value == "wgan_gp"
    assert test.selectbox(key=DATASET).value == "twenty_five_gaussians"
    assert test.select_slider(key=MEMBERS).value == 4
    assert test.number_input(key=FIRST).value == 7
    assert test.session_state["seeds.config"] == SeedsSettings("wgan_gp", "twenty_five_gaussians", 4, 7)
    assert "Out of 4 seeds, **WGAN-GP**" in shown(test, "Out of") and "of 25 modes" in shown(test, "Out of")
    assert {key: test.query_params[key] for key in ("seeds_preset", "seeds_dataset", "seeds_members", "seeds_first")
            } == {"seeds_preset": "wgan_gp", "seeds_dataset": "twenty_five_gaussians", "seeds_members": "4",
                  "seeds_first": "7"}


def test_link_values_no_control_can_take_are_named_and_the_defaults_kept():
    test = page_app(seeds_members="1000", seeds_dataset="nope", seeds_first="-1", seeds_preset="unrolled")
    assert not test.exception
    warnings = " ".join(w.value for w in test.sidebar.warning)
    assert "seeds_members=1000" in warnings and "seeds_dataset=nope" in warnings and "seeds_first=-1" in warnings
    assert "Unknown preset “unrolled”" in warnings  # the ensemble does not unroll
    assert test.session_state["seeds.config"] == SeedsSettings()
    assert "seeds_members" not in test.query_params


def test_settings_build_the_presets_configuration_on_the_chosen_dataset_from_consecutive_seeds():
    settings = SeedsSettings("wgan_gp", "swiss_roll", 8, 5)
    ensemble = Ensemble.from_settings(settings)
    assert ensemble.config == presets.PRESETS["wgan_gp"].config(dataset="swiss_roll")
    assert ensemble.seeds == tuple(range(5, 13))
    assert ensemble.reconfigure(settings) == []

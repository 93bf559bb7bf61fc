"""The core against references: torch's own losses, closed forms, and the lecture's facts."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import ROOT
from torch import nn

from playground import datasets, lipschitz, metrics, noise, objectives, training
from playground.models import Critic, Generator
from playground.training import METRICS, History, Trainer, TrainingConfig, parse_config

# --- objectives -------------------------------------------------------------------------------------------------


def test_minimax_critic_loss_at_equilibrium_is_log_4():
    """D = ½ everywhere gives V(D*, G*) = −log 4, so the critic loss −V is log 4."""
    half = torch.zeros(256)
    assert objectives.minimax_critic_loss(half, half).item() == pytest.approx(math.log(4))


def test_minimax_critic_loss_matches_torch_bce():
    real, fake = torch.randn(300) * 3, torch.randn(200) * 3
    expected = (F.binary_cross_entropy_with_logits(real, torch.ones(300))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros(200)))
    assert objectives.minimax_critic_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-6)


def test_non_saturating_loss_matches_torch_bce():
    scores = torch.randn(256)
    expected = F.binary_cross_entropy_with_logits(scores, torch.ones(256))
    assert objectives.non_saturating_generator_loss(scores).item() == pytest.approx(expected.item())


def test_minimax_generator_loss_is_log_one_minus_d():
    scores = torch.randn(256, dtype=torch.float64)
    expected = torch.log1p(-torch.sigmoid(scores)).mean()
    assert objectives.minimax_generator_loss(scores).item() == pytest.approx(expected.item(), rel=1e-9)


def test_saturation_minimax_gradient_vanishes_where_non_saturating_is_strong():
    """At a confident discriminator (D(G(z)) ≈ 0) d/ds log(1 − σ(s)) = −σ(s) → 0, d/ds −log σ(s) = σ(s) − 1 → −1."""
    scores = torch.full((1,), -12.0, requires_grad=True)
    (minimax,) = torch.autograd.grad(objectives.minimax_generator_loss(scores), scores)
    (non_saturating,) = torch.autograd.grad(objectives.non_saturating_generator_loss(scores), scores)
    assert abs(minimax.item()) < 1e-5
    assert non_saturating.item() == pytest.approx(-1.0, abs=1e-4)


def test_classic_losses_stay_finite_for_huge_logits():
    scores = torch.tensor([-1e4, 1e4])
    for objective in objectives.OBJECTIVES.values():
        assert torch.isfinite(objective.critic_loss(scores, scores))
        assert torch.isfinite(objective.generator_loss(scores))


@pytest.mark.parametrize("name", sorted(objectives.OBJECTIVES))
def test_losses_with_dim_give_each_rows_own_loss(name):
    """The ensemble's [K, n] scores with dim=-1: one loss per member, each the loss of that member's scores."""
    objective = objectives.OBJECTIVES[name]
    generator = torch.Generator().manual_seed(3)
    real, fake = torch.randn(4, 50, generator=generator) * 3, torch.randn(4, 50, generator=generator) * 3
    critic = objective.critic_loss(real, fake, dim=-1)
    generator_loss = objective.generator_loss(fake, dim=-1)
    assert critic.shape == generator_loss.shape == (4,)
    for row in range(4):
        assert critic[row].item() == pytest.approx(objective.critic_loss(real[row], fake[row]).item(), rel=1e-6)
        assert generator_loss[row].item() == pytest.approx(objective.generator_loss(fake[row]).item(), rel=1e-6)


def test_wasserstein_losses_are_the_dual_objective():
    real, fake = torch.randn(100) + 2, torch.randn(100)
    assert objectives.wasserstein_critic_loss(real, fake).item() == pytest.approx((fake.mean() - real.mean()).item())
    assert objectives.wasserstein_generator_loss(fake).item() == pytest.approx(-fake.mean().item())


def test_least_squares_losses_match_torch_mse():
    real, fake = torch.randn(64), torch.randn(64)
    expected = 0.5 * F.mse_loss(real, torch.ones(64)) + 0.5 * F.mse_loss(fake, torch.zeros(64))
    assert objectives.least_squares_critic_loss(real, fake).item() == pytest.approx(expected.item())
    assert objectives.least_squares_generator_loss(fake).item() == pytest.approx(
        0.5 * F.mse_loss(fake, torch.ones(64)).item())


def test_hinge_loss_is_zero_beyond_the_margin_and_linear_inside():
    assert objectives.hinge_critic_loss(torch.full((8,), 2.0), torch.full((8,), -2.0)).item() == 0.0
    assert objectives.hinge_critic_loss(torch.zeros(8), torch.zeros(8)).item() == pytest.approx(2.0)


def test_registry_ids_and_formulas():
    assert {"minimax", "non_saturating", "wgan", "wgan_gp", "lsgan", "hinge"} <= set(objectives.OBJECTIVES)
    assert objectives.OBJECTIVES["wgan"].lipschitz == "clip"
    assert objectives.OBJECTIVES["wgan_gp"].lipschitz == "gradient_penalty"
    for objective in objectives.OBJECTIVES.values():
        assert objective.tex and objective.label


# --- Lipschitz tools ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", list(objectives.OBJECTIVES))
def test_a_setting_is_greyed_out_exactly_when_training_ignores_it(objective):
    """The note that disables c or λ in the sidebar is true: two very different values of a setting give
    bit-identical training (20 steps) when the loss ignores it, and different weights when it uses it."""
    for setting, values in (("clip_value", (0.005, 0.5)), ("gp_weight", (0.0, 10.0))):
        weights = []
        for value in values:
            trainer = Trainer(TrainingConfig(objective=objective, seed=3, batch_size=32, **{setting: value}))
            trainer.train(20)
            weights.append(torch.cat([p.detach().flatten() for p in trainer.critic.parameters()]))
        note = objectives.unused_setting_note(objective, setting)
        assert (note is not None) == torch.equal(*weights), (setting, note)
        if note:
            assert objectives.OBJECTIVES[objective].label in note


def test_weight_clipping_keeps_every_weight_in_the_box():
    critic = Critic(64, 3)
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.mul_(50)
    lipschitz.clip_weights(critic, 0.05)
    for parameter in critic.parameters():
        assert parameter.abs().max().item() <= 0.05 + 1e-7
    assert any((parameter.abs() == 0.05).any() for parameter in critic.parameters())


def test_one_lipschitz_registry_whose_ids_the_objectives_use():
    assert {o.lipschitz for o in objectives.OBJECTIVES.values()} - {None} == set(lipschitz.LIPSCHITZ_METHODS)
    assert lipschitz.lipschitz_method("weight_clipping") == "clip"   # the Divergences page's old id
    with pytest.raises(ValueError, match="gradient_penalty"):
        lipschitz.lipschitz_method("spectral_norm")


class LinearCritic(nn.Module):
    def __init__(self, direction):
        super().__init__()
        self.direction = torch.as_tensor(direction, dtype=torch.float32)

    def forward(self, x):
        return x @ self.direction


def test_gradient_penalty_is_zero_for_unit_slope_linear_critic():
    real, fake = torch.randn(128, 2), torch.randn(128, 2) + 3
    unit = LinearCritic([0.6, 0.8])
    assert lipschitz.gradient_penalty(unit, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    steep = LinearCritic([3.0, 4.0])  # slope 5: penalty (5 − 1)² = 16
    assert lipschitz.gradient_penalty(steep, real, fake).item() == pytest.approx(16.0, rel=1e-5)


def test_lipschitz_estimate_of_a_linear_critic_is_its_slope():
    assert lipschitz.lipschitz_estimate(LinearCritic([3.0, 4.0]), torch.randn(50, 2)) == pytest.approx(5.0)


# --- noise ---------------------------------------------------------------------------------------------------


def test_instance_noise_has_the_requested_std_and_anneals_linearly():
    points = torch.zeros(200_000, 2)
    noisy = noise.add_instance_noise(points, 0.3, torch.Generator().manual_seed(0))
    assert noisy.std().item() == pytest.approx(0.3, rel=0.01)
    assert noise.add_instance_noise(points, 0.0) is points
    assert noise.noise_level(0.4, 0, 100) == 0.4
    assert noise.noise_level(0.4, 50, 100) == pytest.approx(0.2)
    assert noise.noise_level(0.4, 500, 100) == 0.0
    assert noise.noise_level(0.4, 500, 0) == 0.4


# --- datasets -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(datasets.DATASETS))
def test_datasets_are_reproducible_from_their_seed(name):
    dataset = datasets.DATASETS[name]
    first = dataset.sample(500, torch.Generator().manual_seed(3))
    again = dataset.sample(500, torch.Generator().manual_seed(3))
    other = dataset.sample(500, torch.Generator().manual_seed(4))
    assert first.shape == (500, 2) and first.dtype == torch.float32
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert dataset.modes.shape[1] == 2 and dataset.mode_std > 0
    assert np.abs(first.numpy()).max() < dataset.extent, "the plot window shows all of it"


@pytest.mark.parametrize("name", sorted(datasets.DATASETS))
def test_real_data_covers_all_its_modes_with_high_quality(name):
    """The data itself scores (almost) perfectly on the coverage metric it is judged by."""
    dataset = datasets.DATASETS[name]
    coverage = metrics.mode_coverage(dataset.sample(2500, torch.Generator().manual_seed(0)), dataset.modes,
                                     dataset.mode_std)
    assert coverage.modes_captured == len(dataset.modes)
    assert coverage.high_quality > 0.9


def test_standard_toy_recipes():
    eight = datasets.DATASETS["eight_gaussians"]
    assert np.allclose(np.linalg.norm(eight.modes, axis=1), 2.0) and eight.mode_std == 0.02
    grid = datasets.DATASETS["twenty_five_gaussians"]
    assert len(grid.modes) == 25 and grid.mode_std == 0.05
    assert sorted(set(grid.modes[:, 0])) == [-4, -2, 0, 2, 4]
    sample = eight.sample(20_000, torch.Generator().manual_seed(1)).numpy()
    nearest = np.linalg.norm(sample[:, None] - eight.modes[None], axis=2).min(axis=1)
    assert nearest.std() == pytest.approx(0.02 * math.sqrt(2 - math.pi / 2), rel=0.05)  # Rayleigh spread


# --- metrics ---------------------------------------------------------------------------------------------------


def test_mode_coverage_follows_veegan_definitions():
    modes = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    samples = np.array([[0.05, 0.0], [0.2, 0.0], [10.0, 0.29], [5.0, 5.0], [0.0, 10.31]])
    coverage = metrics.mode_coverage(samples, modes, std=0.1, threshold=3.0)
    # within 0.3 of the nearest mode: samples 0, 2 (mode 1). Sample 1 is 0.2 away: good too. 3 and 4 are not.
    assert coverage.modes_captured == 2
    assert coverage.high_quality == pytest.approx(3 / 5)
    assert coverage.occupancy.tolist() == pytest.approx([2 / 5, 1 / 5, 0.0])


def test_mode_coverage_of_a_collapsed_generator():
    modes = datasets.DATASETS["eight_gaussians"].modes
    samples = np.repeat(modes[:1], 100, axis=0) + 0.01
    coverage = metrics.mode_coverage(samples, modes, 0.02)
    assert coverage.modes_captured == 1 and coverage.high_quality == 1.0


def test_mode_coverage_counts_nan_samples_as_low_quality_and_rejects_bad_input():
    """Input that would be silently miscounted is refused by name: samples [4, 3] against 2-D modes (which a
    reshape would turn into six 2-D points), a flat [0, 0] for one mode, no modes, and a std that is not positive."""
    modes = np.array([[0.0, 0.0], [4.0, 0.0]])
    coverage = metrics.mode_coverage(np.array([[0.0, 0.01], [np.nan, np.nan]]), modes, std=0.1)
    assert coverage.modes_captured == 1 and coverage.high_quality == 0.5      # a diverged sample is low quality
    assert metrics.mode_coverage(np.zeros((0, 2)), modes, 0.1).modes_captured == 0
    bad = [(np.zeros((4, 3)), modes, 0.1, "samples must be"), (np.zeros(6), modes, 0.1, "samples must be"),
           (np.zeros((2, 2)), np.zeros(2), 0.1, "one 2-D mode is"), (np.zeros((2, 2)), np.zeros((0, 2)), 0.1,
                                                                    "at least one mode"),
           (np.zeros((2, 2)), modes, -1.0, "positive"), (np.zeros((2, 2)), modes, float("nan"), "positive")]
    for samples, centres, std, message in bad:
        with pytest.raises(ValueError, match=message):
            metrics.mode_coverage(samples, centres, std)


def test_critic_readout_of_a_classic_and_a_raw_critic():
    """Classic: mean σ(s), threshold D = ½ (s = 0). Raw: mean scores, threshold halfway between their means."""
    real, fake = torch.tensor([2.0, -1.0, 3.0]), torch.tensor([-2.0, 0.5])
    d_real, d_fake, gap, accuracy = metrics.critic_readout(real, fake, probabilistic=True)
    assert d_real.item() == pytest.approx(torch.sigmoid(real).mean().item())
    assert d_fake.item() == pytest.approx(torch.sigmoid(fake).mean().item())
    assert gap.item() == pytest.approx(4 / 3 - (-0.75))
    assert accuracy.item() == pytest.approx(3 / 5)                    # 2 and 3 above 0; −2 below 0
    _, _, _, accuracy = metrics.critic_readout(real + 10, fake + 10, probabilistic=False)
    assert accuracy.item() == pytest.approx(3 / 5)                    # threshold (11.33 + 9.25) / 2: shift-free


# --- a leading seed dimension: K runs' tensors [K, n, …] give what K calls on [n, …] give ---------------------


def test_instance_noise_on_k_stacks_is_k_draws_in_turn():
    """n·2 a multiple of 16 keeps torch's CPU normal sampler on the same stream for one call and for K calls."""
    points = torch.randn(4, 64, 2)
    batched = noise.add_instance_noise(points, 0.3, torch.Generator().manual_seed(5))
    generator = torch.Generator().manual_seed(5)
    one_by_one = torch.stack([noise.add_instance_noise(member, 0.3, generator) for member in points])
    assert torch.equal(batched, one_by_one)
    assert noise.add_instance_noise(points, 0.0) is points


def test_gradient_penalty_of_k_critics_equals_each_critics_own():
    """f_k(x) = a_k ‖x‖²/2 has ∇f_k(x̂) = a_k x̂, so the penalty depends on where x̂ falls: each of the K
    penalties from one call on [K, n, 2] equals that critic's penalty on its own points, same random mixes."""
    slopes = torch.tensor([0.5, 1.0, 2.0])
    real, fake = torch.randn(3, 40, 2), torch.randn(3, 40, 2) + 1

    def critics(points):
        return 0.5 * slopes[:, None] * points.square().sum(-1)

    batched = lipschitz.gradient_penalty(critics, real, fake, torch.Generator().manual_seed(2))
    assert batched.shape == (3,)
    generator = torch.Generator().manual_seed(2)
    for member, slope in enumerate(slopes):
        def critic(points, slope=slope):
            return 0.5 * slope * points.square().sum(-1)

        own = lipschitz.gradient_penalty(critic, real[member], fake[member], generator)
        assert own.dim() == 0
        assert batched[member].item() == pytest.approx(own.item(), rel=1e-6)


def test_weight_clipping_of_stacked_tensors_clips_every_member():
    weights = [torch.randn(3, 5, 4) * 10, torch.randn(3, 5) * 10]
    expected = [weight.clamp(-0.1, 0.1) for weight in weights]
    lipschitz.clip_weights(weights, 0.1)
    assert all(torch.equal(weight, want) for weight, want in zip(weights, expected, strict=True))


def test_mode_coverage_of_k_sample_sets_equals_k_calls():
    dataset = datasets.DATASETS["eight_gaussians"]
    rng = np.random.default_rng(0)
    sets = []
    for kept in (8, 3, 1):  # full coverage, partial, collapsed
        centres = dataset.modes[rng.integers(kept, size=500)]
        sets.append(centres + rng.normal(scale=dataset.mode_std * 1.5, size=centres.shape))
    sets.append(rng.normal(size=(500, 2)))  # mostly off the modes
    samples = np.stack(sets)
    samples[3, :10] = np.nan
    batched = metrics.mode_coverage(torch.as_tensor(samples, dtype=torch.float32), dataset.modes, dataset.mode_std)
    assert batched.modes_captured.shape == (4,) and batched.occupancy.shape == (4, 8)
    for member in range(4):
        own = metrics.mode_coverage(samples[member].astype(np.float32), dataset.modes, dataset.mode_std)
        assert batched.modes_captured[member] == own.modes_captured
        assert batched.high_quality[member] == own.high_quality
        np.testing.assert_array_equal(batched.occupancy[member], own.occupancy)
    assert list(batched.modes_captured[:3]) == [8, 3, 1]
    empty = metrics.mode_coverage(np.zeros((2, 0, 2)), dataset.modes, dataset.mode_std)
    assert list(empty.modes_captured) == [0, 0] and list(empty.high_quality) == [0.0, 0.0]


@pytest.mark.parametrize("probabilistic", [True, False])
def test_critic_readout_along_dim_equals_each_runs_own(probabilistic):
    real, fake = torch.randn(4, 64) + 0.5, torch.randn(4, 64) - 0.5
    batched = metrics.critic_readout(real, fake, probabilistic, dim=-1)
    for member in range(4):
        own = metrics.critic_readout(real[member], fake[member], probabilistic)
        for got, want in zip(batched, own, strict=True):
            assert got[member].item() == pytest.approx(want.item(), rel=1e-6)


def test_divergence_checks_of_k_runs_equal_each_runs_own():
    rows = np.zeros((3, 2, len(METRICS)))
    rows[1, 0, 0] = np.nan                  # run 0's critic loss turns NaN at the second step
    rows[2, 1, 1] = 2e8                     # run 1's generator loss explodes at the third
    bad = training.bad_rows(rows)
    assert bad.tolist() == [[False, False], [True, False], [False, True]]
    assert all((training.bad_rows(rows[:, run]) == bad[:, run]).all() for run in range(2))
    assert training.failed_loss(rows[1, 0]) == "the critic loss became NaN"
    assert training.failed_loss(rows[2, 1], "its") == "its generator loss became 2e+08"


# --- models ---------------------------------------------------------------------------------------------------


def test_critic_returns_a_raw_unbounded_score():
    critic = Critic(32, 2)
    with torch.no_grad():
        for parameter in critic.parameters():
            parameter.mul_(10)
    scores = critic(torch.randn(100, 2) * 10)
    assert scores.shape == (100,)
    assert (scores.abs() > 1).any(), "no sigmoid inside the critic"
    assert not any(isinstance(m, nn.Sigmoid) for m in critic.modules())


def test_configurable_depth_width_activation():
    generator = Generator(latent_size=5, hidden_units=7, depth=3, activation="tanh")
    linears = [m for m in generator.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 4 and linears[0].in_features == 5 and linears[0].out_features == 7
    assert sum(isinstance(m, nn.Tanh) for m in generator.modules()) == 3
    assert generator(torch.randn(4, 5)).shape == (4, 2)


# --- training ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("objective", sorted(objectives.OBJECTIVES))
def test_every_objective_trains_50_steps_to_finite_numbers(objective):
    trainer = Trainer(TrainingConfig(objective=objective, batch_size=64, generator_hidden_units=32,
                                     critic_hidden_units=32, critic_steps=2))
    latest = trainer.train(50)
    assert trainer.step == 50 and trainer.diverged is None
    assert all(math.isfinite(value) for value in latest.values()), latest
    assert np.isfinite(trainer.sample(100)).all()


def test_same_seed_same_samples_and_different_seed_different():
    config = TrainingConfig(batch_size=64, generator_hidden_units=32, critic_hidden_units=32)
    first, again = Trainer(config), Trainer(config)
    first.train(30)
    again.train(30)
    assert np.array_equal(first.sample(200), again.sample(200))
    assert np.array_equal(first.history.rows, again.history.rows)
    other = Trainer(TrainingConfig(**{**config.__dict__, "seed": 1}))
    other.train(30)
    assert not np.array_equal(first.sample(200), other.sample(200))


def test_weight_clipping_holds_during_wgan_training():
    trainer = Trainer(TrainingConfig(objective="wgan", clip_value=0.02, critic_steps=3, batch_size=64))
    trainer.train(20)
    for parameter in trainer.critic.parameters():
        assert parameter.abs().max().item() <= 0.02 + 1e-7


def test_critic_steps_per_generator_step():
    trainer = Trainer(TrainingConfig(critic_steps=4, batch_size=32))
    trainer.train(5)
    assert trainer.critic_updates == 20 and trainer.step == 5


def test_unrolling_restores_the_critic():
    trainer = Trainer(TrainingConfig(unrolled_steps=3, batch_size=32))
    before = [p.clone() for p in trainer.critic.parameters()]
    trainer.generator_step()
    for old, new in zip(before, trainer.critic.parameters(), strict=True):
        assert torch.equal(old, new)


def test_live_changes_apply_in_place_and_restart_fields_are_reported():
    trainer = Trainer(TrainingConfig(batch_size=32))
    generator_weights = next(trainer.generator.parameters()).clone()
    blocked = trainer.update_config(TrainingConfig(batch_size=32, generator_lr=0.02, clip_value=0.5, seed=9))
    assert blocked == ["seed"]
    assert trainer.config.generator_lr == 0.02 and trainer.config.clip_value == 0.5 and trainer.config.seed == 0
    assert trainer.generator_optimizer.param_groups[0]["lr"] == 0.02
    assert torch.equal(next(trainer.generator.parameters()), generator_weights)


def test_reconfigure_applies_live_fields_and_names_them():
    """The Steppable contract: reconfigure takes the live fields in place and returns their names; a restart
    field that differs (seed) is left alone for the live view to start a new run."""
    trainer = Trainer(TrainingConfig(batch_size=32))
    changed = trainer.reconfigure(TrainingConfig(batch_size=32, critic_lr=0.003, beta1=0.9, seed=4))
    assert changed == ["critic_lr", "beta1"]
    assert (trainer.config.critic_lr, trainer.config.beta1, trainer.config.seed) == (0.003, 0.9, 0)
    assert trainer.critic_optimizer.param_groups[0]["lr"] == 0.003
    assert trainer.critic_optimizer.param_groups[0]["betas"][0] == 0.9  # rebuilt with the new β₁
    assert trainer.reconfigure(trainer.config) == []


def test_divergence_stops_the_run_and_keeps_the_last_finite_state():
    config = TrainingConfig(objective="minimax", generator_lr=1.0, critic_lr=1.0, generator_optimizer="sgd",
                            critic_optimizer="sgd", batch_size=64)
    trainer = Trainer(config)
    trainer.train(3000)  # never raises
    assert trainer.diverged and "diverged" in trainer.diverged
    assert trainer.step < 3000
    assert all(torch.isfinite(p).all() for p in trainer.generator.parameters())
    assert all(torch.isfinite(p).all() for p in trainer.critic.parameters())
    assert np.isfinite(trainer.history.rows).all()
    stopped_at = trainer.step
    trainer.train(10)
    assert trainer.step == stopped_at, "a diverged run stops stepping"


def test_metrics_rows_have_the_documented_meaning():
    trainer = Trainer(TrainingConfig(objective="minimax", batch_size=64))
    latest = trainer.train(10)
    assert set(METRICS) <= set(latest)
    assert 0 <= latest["d_real"] <= 1 and 0 <= latest["d_fake"] <= 1 and 0 <= latest["critic_accuracy"] <= 1
    assert latest["critic_grad_norm"] > 0 and latest["generator_grad_norm"] > 0
    assert "modes_captured" in latest and 0 <= latest["high_quality"] <= 1


def test_coverage_is_measured_every_n_steps():
    trainer = Trainer(TrainingConfig(coverage_every=20, batch_size=32))
    trainer.train(65)
    assert [row[0] for row in trainer.coverage_history] == [0, 20, 40, 60]


def test_history_memory_stays_bounded():
    history = History(("a",), max_rows=100)
    for start in range(0, 10_000, 50):
        steps = np.arange(start + 1, start + 51)
        history.extend(steps, steps[:, None].astype(float))
    assert len(history.rows) <= 100
    assert history.rows[-1, 0] >= 9_900 - history.stride
    assert np.all(np.diff(history.rows[:, 0]) > 0)


def test_snapshot_is_numpy_and_small():
    trainer = Trainer(TrainingConfig(batch_size=32))
    trainer.train(5)
    snapshot = trainer.snapshot()
    assert snapshot["fake"].dtype == np.float32 and snapshot["fake"].shape == (1000, 2)
    assert snapshot["surface"].shape == (48, 48)
    assert snapshot["surface"].min() >= 0 and snapshot["surface"].max() <= 1


# --- config parsing (the URL) --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"generator_lr": float("nan")}, {"critic_lr": -1e-3},
                                 {"objective": "zzz"}, {"beta1": 1.0}, {"critic_steps": 0}, {"clip_value": 0.0},
                                 {"latent_size": 2.5}])
def test_a_config_no_run_can_use_is_rejected_by_name(bad):
    """A config no run can use fails at construction, naming the field, not later inside torch (if at all)."""
    (name, value), = bad.items()
    with pytest.raises(ValueError, match=f"{name}="):
        TrainingConfig(**bad)
    TrainingConfig(generator_lr=10.0, critic_lr=10.0, batch_size=4)  # outside the widgets' ranges, still runnable


def test_parse_config_round_trips_and_rejects_bad_values():
    config, notices = parse_config({"objective": "wgan", "clip_value": "0.05", "critic_steps": "5"})
    assert (config.objective, config.clip_value, config.critic_steps) == ("wgan", 0.05, 5) and not notices
    config, notices = parse_config({"objective": "<script>", "clip_value": "nan", "critic_steps": "2.5",
                                    "batch_size": "1e9", "bogus": "1", "seed": "abc"})
    assert config == TrainingConfig()
    assert len(notices) == 6


@pytest.mark.slow
def test_core_never_imports_streamlit():
    code = ("import sys; import playground, playground.training, playground.datasets, playground.objectives, "
            "playground.metrics, playground.live, playground.figures.training; "
            "import pkgutil, importlib; "
            "[importlib.import_module('playground.' + m.name) for m in pkgutil.iter_modules(playground.__path__) "
            "if m.name != 'ui']; "
            "print('streamlit' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"

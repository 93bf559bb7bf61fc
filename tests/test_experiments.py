"""The saturation picture against torch autograd, and Arjovsky & Bottou's frozen-generator protocol: its
contract, and its teaching guarantee over several seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground import experiments, objectives
from playground.training import TrainingConfig

GUARANTEE_SEEDS = range(5)
MIN_FALL = 100.0       # the minimax norm ends ≥ 100× below its peak within 2,000 critic steps



# --- saturation -----------------------------------------------------------------------------------------------


def test_saturation_slopes_match_autograd_of_the_generator_losses():
    """d/ds log(1 − σ(s)) = −σ(s) and d/ds (−log σ(s)) = σ(s) − 1, through the objectives' own losses."""
    curves = experiments.saturation_curves(points=101)
    logits = torch.tensor(curves["logit"], dtype=torch.float64, requires_grad=True)
    count = len(logits)
    for loss_function, slope_key in ((objectives.minimax_generator_loss, "slope_minimax"),
                                     (objectives.non_saturating_generator_loss, "slope_non_saturating")):
        (gradient,) = torch.autograd.grad(loss_function(logits) * count, logits)  # the losses are means
        np.testing.assert_allclose(curves[slope_key], gradient.numpy(), rtol=1e-12, atol=1e-15)


def test_saturation_losses_match_torch():
    curves = experiments.saturation_curves(points=51)
    d = torch.tensor(curves["d"], dtype=torch.float64)
    np.testing.assert_allclose(curves["loss_minimax"], torch.log1p(-d).numpy(), rtol=1e-10)
    bce = F.binary_cross_entropy(d, torch.ones_like(d), reduction="none")  # −log D
    np.testing.assert_allclose(curves["loss_non_saturating"], bce.numpy(), rtol=1e-10)


def test_minimax_saturates_where_the_generator_is_poor():
    """As D(G(z)) → 0 the minimax slope −D vanishes while the non-saturating slope D − 1 tends to −1."""
    curves = experiments.saturation_curves(smallest=1e-4)
    assert curves["d"][0] == pytest.approx(1e-4)
    assert abs(curves["slope_minimax"][0]) < 2e-4
    assert curves["slope_non_saturating"][0] == pytest.approx(-1.0, abs=2e-4)
    # …and the other way round where the generator fools D.
    assert curves["slope_minimax"][-1] == pytest.approx(-1.0, abs=2e-4)
    assert abs(curves["slope_non_saturating"][-1]) < 2e-4


# --- the frozen-generator protocol: contract -----------------------------------------------------------------------


def test_frozen_generator_contract():
    """Positional signature, the four keys (plus the critic's loss), one record at step 0 and every `every`."""
    result = experiments.frozen_generator(TrainingConfig(seed=3), 100, 20)
    assert {"step", "grad_norm_minimax", "grad_norm_non_saturating", "critic_accuracy"} <= set(result)
    np.testing.assert_array_equal(result["step"], [0, 20, 40, 60, 80, 100])
    assert {len(values) for values in result.values()} == {100 // 20 + 1}
    assert all(np.isfinite(values).all() for values in result.values())
    assert np.all(result["grad_norm_minimax"] > 0) and np.all(result["grad_norm_non_saturating"] > 0)
    assert np.all((result["critic_accuracy"] >= 0) & (result["critic_accuracy"] <= 1))


def test_frozen_generator_is_deterministic_and_keeps_the_generator_frozen():
    config = TrainingConfig(seed=5)
    experiment = experiments.FrozenGeneratorExperiment(config, critic_steps=60, every=20)
    before = [p.detach().clone() for p in experiment.generator.parameters()]
    experiment.train(60)
    assert all(torch.equal(a, b) for a, b in zip(before, experiment.generator.parameters(), strict=True))
    again = experiments.frozen_generator(config, critic_steps=60, every=20)
    for key, values in experiment.results().items():
        np.testing.assert_array_equal(values, again[key])


def test_the_generator_is_the_trainers_generator():
    """'As built from config': Trainer(config)'s generator, deterministic from config.seed."""
    from playground.training import Trainer

    config = TrainingConfig(seed=11)
    experiment = experiments.FrozenGeneratorExperiment(config, critic_steps=20)
    for mine, theirs in zip(experiment.generator.parameters(), Trainer(config).generator.parameters(), strict=True):
        assert torch.equal(mine, theirs)


def test_progress_callback_and_steppable_protocol():
    calls = []
    experiments.frozen_generator(TrainingConfig(), critic_steps=50, every=10, chunk_steps=20,
                                 progress=lambda step, total: calls.append((step, total)))
    assert calls == [(20, 50), (40, 50), (50, 50)]

    experiment = experiments.FrozenGeneratorExperiment(TrainingConfig(), critic_steps=30, every=10)
    assert experiment.step == 0 and experiment.diverged is None and not experiment.done
    experiment.train(25)
    assert experiment.step == 25 and list(experiment.results()["step"]) == [0, 10, 20]
    experiment.train(100)  # stops at the end
    assert experiment.step == 30 and experiment.done and experiment.progress == 1.0
    snapshot = experiment.snapshot()
    assert snapshot["surface"].shape == (experiments.SURFACE_GRID, experiments.SURFACE_GRID)
    assert np.all((snapshot["surface"] >= 0) & (snapshot["surface"] <= 1))
    assert list(snapshot["records"]["step"]) == [0, 10, 20, 30]


def test_pretraining_moves_the_generator_before_it_is_frozen():
    config = TrainingConfig(seed=2)
    fresh = experiments.FrozenGeneratorExperiment(config, critic_steps=20, every=10)
    pretrained = experiments.FrozenGeneratorExperiment(config, critic_steps=20, every=10, pretrain_steps=30)
    assert pretrained.phase == "pretraining the generator" and len(pretrained.results()["step"]) == 0
    pretrained.train(35)  # 30 pretraining steps, then 5 critic steps
    assert pretrained.pretrained == 30 and pretrained.step == 5
    assert list(pretrained.results()["step"]) == [0]
    moved = [not torch.equal(a, b) for a, b in zip(fresh.generator.parameters(), pretrained.generator.parameters(),
                                                   strict=True)]
    assert any(moved)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        experiments.frozen_generator(TrainingConfig(), critic_steps=0)
    with pytest.raises(ValueError):
        experiments.frozen_generator(TrainingConfig(), critic_steps=10, every=0)


@pytest.mark.slow
def test_minimax_gradient_already_falls_in_a_short_run():
    """A quick version of the guarantee (one seed, 600 steps): D separates, minimax falls ≥ 10×, NS does not."""
    result = experiments.frozen_generator(TrainingConfig(seed=1), critic_steps=600, every=20)
    minimax, non_saturating = result["grad_norm_minimax"], result["grad_norm_non_saturating"]
    assert result["critic_accuracy"][-1] >= 0.99
    assert minimax.max() / minimax[-1] >= 10
    assert non_saturating[-1] >= non_saturating[0]


# --- the frozen-generator protocol: the teaching guarantee ---------------------------------------------------------


def assert_vanishing(result: dict[str, np.ndarray]) -> None:
    minimax, non_saturating = result["grad_norm_minimax"], result["grad_norm_non_saturating"]
    peak = int(np.argmax(minimax))
    assert result["step"][-1] <= 2000
    assert result["critic_accuracy"].max() >= 0.99 and result["critic_accuracy"][-1] >= 0.99
    assert minimax[peak] / minimax[peak:].min() >= MIN_FALL, "the minimax gradient did not fall 100×"
    assert minimax[peak] / minimax[-1] >= MIN_FALL, "the minimax gradient came back"
    assert non_saturating[-1] >= non_saturating[0], "the non-saturating gradient fell"
    assert non_saturating.min() >= 0.1 * non_saturating[0], "the non-saturating gradient collapsed"


@pytest.mark.slow
@pytest.mark.parametrize("seed", GUARANTEE_SEEDS)
def test_minimax_gradient_vanishes_against_a_trained_discriminator(seed):
    """Arjovsky & Bottou's Figs. 1–3 on the default config: accuracy → 1, minimax ‖∇_θ L_G‖ ≥ 100× below its peak
    (and still there at the end), non-saturating ‖∇_θ L_G‖ not below its start."""
    assert_vanishing(experiments.frozen_generator(TrainingConfig(seed=seed)))


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["ring"])
@pytest.mark.parametrize("seed", [0, 1])
def test_minimax_gradient_vanishes_on_other_separated_datasets(dataset, seed):
    assert_vanishing(experiments.frozen_generator(TrainingConfig(dataset=dataset, seed=seed)))

"""G steps per iteration (0 freezes G) and the R1 penalty (Mescheder et al., 2018) against closed forms."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from torch import nn

from playground import lipschitz, objectives
from playground.ensemble import Ensemble
from playground.models import Critic
from playground.training import Trainer, TrainingConfig

SMALL = {"batch_size": 32, "generator_hidden_units": 16, "critic_hidden_units": 16, "seed": 5}


# --- R1 -------------------------------------------------------------------------------------------------------


def test_r1_of_a_linear_critic_is_half_the_squared_weight_norm():
    """s(x) = wᵀx + b has ∇ₓs = w everywhere, so (γ/2)·E‖∇ₓs‖² = (γ/2)‖w‖² whatever the points."""
    critic = nn.Linear(2, 1)
    points = torch.randn(100, 2) * 5
    gamma = 3.0
    expected = gamma / 2 * critic.weight.detach().square().sum()
    assert (gamma * lipschitz.r1_penalty(critic, points)).item() == pytest.approx(expected.item(), rel=1e-6)


def test_r1_of_a_quadratic_critic_matches_its_gradient_a_x():
    """s(x) = ½ xᵀAx with A symmetric has ∇ₓs = Ax: R1 = ½·mean ‖Ax‖²."""
    matrix = torch.tensor([[2.0, 0.5], [0.5, -1.0]], dtype=torch.float64)
    points = torch.randn(64, 2, dtype=torch.float64)

    def critic(x):
        return 0.5 * ((x @ matrix) * x).sum(dim=1)

    expected = 0.5 * (points @ matrix).square().sum(dim=1).mean()
    assert lipschitz.r1_penalty(critic, points).item() == pytest.approx(expected.item(), rel=1e-12)


def test_r1_of_the_mlp_critic_matches_autograd_functional_jacobian():
    torch.manual_seed(0)
    critic = Critic(32, 2).double()
    points = torch.randn(20, 2, dtype=torch.float64)
    gradients = torch.stack([torch.autograd.functional.jacobian(lambda x: critic(x[None])[0], point)
                             for point in points])
    expected = 0.5 * gradients.square().sum(dim=1).mean()
    assert lipschitz.r1_penalty(critic, points).item() == pytest.approx(expected.item(), rel=1e-10)


def test_r1_penalty_is_differentiable_in_the_critic_weights():
    """The critic descends it: for a linear critic d/dw (½‖w‖²) = w."""
    critic = nn.Linear(2, 1)
    lipschitz.r1_penalty(critic, torch.randn(10, 2)).backward()
    assert torch.allclose(critic.weight.grad, critic.weight.detach())


def test_a_critic_step_adds_gamma_times_r1_to_the_classic_loss():
    """The trainer's critic step with γ = 2 moves the weights as a hand-made step on loss + 2·R1(real) does."""
    config = TrainingConfig(objective="minimax", r1_weight=2.0, critic_optimizer="sgd", beta1=0.0, **SMALL)
    trainer, twin = Trainer(config), Trainer(config)
    real = twin.real_batch()
    with torch.no_grad():
        fake = twin.generator(twin.latent_batch())
    loss = objectives.minimax_critic_loss(twin.critic(real), twin.critic(fake))
    loss = loss + 2.0 * lipschitz.r1_penalty(twin.critic, real)
    twin.critic_optimizer.zero_grad()
    loss.backward()
    twin.critic_optimizer.step()
    trainer.critic_step()
    for mine, expected in zip(trainer.critic.parameters(), twin.critic.parameters(), strict=True):
        assert torch.equal(mine, expected)


@pytest.mark.parametrize("objective", list(objectives.OBJECTIVES))
def test_r1_is_greyed_out_exactly_for_the_losses_that_ignore_it(objective):
    note = objectives.unused_setting_note(objective, "r1_weight")
    assert (note is None) == objectives.OBJECTIVES[objective].probabilistic
    weights = []
    for gamma in (0.0, 10.0):
        trainer = Trainer(TrainingConfig(objective=objective, r1_weight=gamma, **SMALL))
        trainer.train(10)
        weights.append(torch.cat([p.detach().flatten() for p in trainer.critic.parameters()]))
    assert torch.equal(*weights) == (note is not None)


# --- G steps per iteration ------------------------------------------------------------------------------------


def test_zero_generator_steps_freeze_g_while_the_critic_trains():
    trainer = Trainer(TrainingConfig(generator_steps=0, **SMALL))
    generator = [p.detach().clone() for p in trainer.generator.parameters()]
    critic = [p.detach().clone() for p in trainer.critic.parameters()]
    metrics = trainer.train(40)
    assert all(torch.equal(a, b) for a, b in zip(generator, trainer.generator.parameters(), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(critic, trainer.critic.parameters(), strict=True))
    assert trainer.generator_updates == 0 and trainer.critic_updates == 40 and trainer.diverged is None
    # the charts still show the loss and gradient a frozen G would get
    assert metrics["generator_grad_norm"] > 0 and torch.isfinite(torch.tensor(metrics["generator_loss"]))


def test_two_generator_steps_make_two_optimiser_steps_per_iteration():
    trainer = Trainer(TrainingConfig(generator_steps=2, critic_steps=3, **SMALL))
    twin = Trainer(TrainingConfig(generator_steps=1, critic_steps=3, **SMALL))
    trainer.train(5)
    for _ in range(5):  # the same iterations by hand: 3 critic updates, then 2 generator updates
        for _ in range(3):
            twin.critic_step()
        twin.generator_step()
        twin.generator_step()
    assert trainer.generator_updates == 10 and trainer.critic_updates == 15
    first = trainer.generator_optimizer.state[next(trainer.generator.parameters())]
    assert int(first["step"]) == 10
    for mine, expected in zip([*trainer.generator.parameters(), *trainer.critic.parameters()],
                              [*twin.generator.parameters(), *twin.critic.parameters()], strict=True):
        assert torch.equal(mine, expected)


def test_generator_steps_change_live():
    trainer = Trainer(TrainingConfig(**SMALL))
    trainer.train(3)
    assert trainer.update_config(replace(trainer.config, generator_steps=3, r1_weight=1.0)) == []
    trainer.train(2)
    assert trainer.generator_updates == 3 + 6


def test_the_ensemble_refuses_what_it_does_not_do():
    with pytest.raises(ValueError, match="generator_steps"):
        Ensemble(TrainingConfig(generator_steps=2, **SMALL), seeds=(0, 1))
    with pytest.raises(ValueError, match="r1_weight"):
        Ensemble(TrainingConfig(r1_weight=1.0, **SMALL), seeds=(0, 1))

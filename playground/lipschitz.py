"""Ways to keep a critic (roughly) 1-Lipschitz, as the Kantorovich–Rubinstein dual needs, and a way to
measure how Lipschitz it actually is."""

from __future__ import annotations

import torch
from torch import Tensor, nn


@torch.no_grad()
def clip_weights(critic: nn.Module, clip_value: float) -> None:
    """WGAN's crude Lipschitz bound: clamp every weight into [−c, c]."""
    for parameter in critic.parameters():
        parameter.clamp_(-clip_value, clip_value)


def input_gradients(critic: nn.Module, points: Tensor, create_graph: bool = False) -> Tensor:
    """∇ₓ f(x) at every point, shape like `points`."""
    points = points.detach().requires_grad_(True)
    scores = critic(points)
    (gradients,) = torch.autograd.grad(scores.sum(), points, create_graph=create_graph)
    return gradients


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor, generator: torch.Generator | None = None
                     ) -> Tensor:
    """E_x̂ (‖∇f(x̂)‖₂ − 1)², x̂ uniform on segments between real and fake points (Gulrajani et al., 2017).

    Two-sided: zero exactly when the critic has unit slope along every segment.
    """
    mix = torch.rand(real.shape[0], 1, generator=generator, device=real.device)
    between = mix * real.detach() + (1 - mix) * fake.detach()
    gradients = input_gradients(critic, between, create_graph=True)
    return ((gradients.norm(dim=1) - 1.0) ** 2).mean()


def lipschitz_estimate(critic: nn.Module, points: Tensor) -> float:
    """max ‖∇ₓ f(x)‖ over the given points: a lower bound on the critic's Lipschitz constant."""
    return float(input_gradients(critic, points).norm(dim=1).max())


def r1_penalty(critic: nn.Module, real: Tensor) -> Tensor:
    """½·E_x ‖∇ₓ s(x)‖² on real points (R1, Mescheder et al., 2018): zero-centred, so it pulls the critic flat on
    the data. The critic loss adds γ times it, the paper's (γ/2)·E‖∇ₓ s(x)‖²."""
    gradients = input_gradients(critic, real, create_graph=True)
    return 0.5 * gradients.square().sum(dim=1).mean()

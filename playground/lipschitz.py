"""Ways to keep a critic (roughly) 1-Lipschitz, as the Kantorovich–Rubinstein dual needs, and a way to
measure how Lipschitz it actually is. Points are [n, d], or [K, n, d] for K critics scored at once (an ensemble
whose critic maps [K, n, d] to [K, n]): every result then gains the leading K."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

LIPSCHITZ_METHODS = {  # keys are URL ids, the same as `Objective.lipschitz`: never rename
    "gradient_penalty": "Gradient penalty (WGAN-GP)",
    "clip": "Weight clipping (WGAN)",
}
LIPSCHITZ_ALIASES = {"weight_clipping": "clip"}  # ids the Divergences page once used, still read from its links


def lipschitz_method(method: str) -> str:
    """The registry id of `method`, an id of LIPSCHITZ_METHODS or an old alias; ValueError naming the ids else."""
    method = LIPSCHITZ_ALIASES.get(method, method)
    if method not in LIPSCHITZ_METHODS:
        raise ValueError(f"unknown Lipschitz method {method!r}; choose one of {list(LIPSCHITZ_METHODS)}.")
    return method


@torch.no_grad()
def clip_weights(critic: nn.Module | Iterable[Tensor], clip_value: float) -> None:
    """WGAN's crude Lipschitz bound: clamp every weight (of a module, or the given tensors) into [−c, c]."""
    weights = list(critic.parameters() if isinstance(critic, nn.Module) else critic)
    torch._foreach_clamp_min_(weights, -clip_value)
    torch._foreach_clamp_max_(weights, clip_value)


def input_gradients(critic: nn.Module, points: Tensor, create_graph: bool = False) -> Tensor:
    """∇ₓ f(x) at every point, shape like `points`."""
    points = points.detach().requires_grad_(True)
    scores = critic(points)
    (gradients,) = torch.autograd.grad(scores.sum(), points, create_graph=create_graph)
    return gradients


def gradient_penalty(critic, real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """E_x̂ (‖∇f(x̂)‖₂ − 1)², x̂ uniform on segments between real and fake points (Gulrajani et al., 2017).

    Two-sided: zero exactly when the critic has unit slope along every segment. For [K, n, d] points the penalty
    of each critic, [K]: the input gradient of Σ_k Σ_i f_k(x̂_ki) at x̂_ki is f_k's own, so one autograd call
    serves all K.
    """
    mix = torch.rand(*real.shape[:-1], 1, generator=generator, device=real.device)
    between = mix * real.detach() + (1 - mix) * fake.detach()
    gradients = input_gradients(critic, between, create_graph=True)
    return (gradients.norm(dim=-1) - 1.0).square().mean(dim=-1)


def lipschitz_estimate(critic: nn.Module, points: Tensor) -> float:
    """max ‖∇ₓ f(x)‖ over the given points [n, d]: a lower bound on the critic's Lipschitz constant."""
    return float(input_gradients(critic, points).norm(dim=1).max())


def r1_penalty(critic: nn.Module, real: Tensor) -> Tensor:
    """½·E_x ‖∇ₓ s(x)‖² on real points (R1, Mescheder et al., 2018): zero-centred, so it pulls the critic flat on
    the data. The critic loss adds γ times it, the paper's (γ/2)·E‖∇ₓ s(x)‖²."""
    gradients = input_gradients(critic, real, create_graph=True)
    return 0.5 * gradients.square().sum(dim=1).mean()

"""Instance noise (Sønderby et al. 2016; Arjovsky & Bottou 2017): blur real *and* fake points with the same
Gaussian before the critic sees them, so that their supports overlap and the divergences become smooth."""

from __future__ import annotations

import torch
from torch import Tensor


def noise_level(instance_noise: float, step: int, anneal_steps: int) -> float:
    """σ_t = σ · max(0, 1 − t / T): linear annealing to zero over T steps; T = 0 keeps σ constant."""
    if anneal_steps <= 0:
        return instance_noise
    return instance_noise * max(0.0, 1.0 - step / anneal_steps)


def add_instance_noise(points: Tensor, sigma: float, generator: torch.Generator | None = None) -> Tensor:
    """x + σ ε with ε ~ N(0, I); the identity when σ = 0."""
    if sigma <= 0:
        return points
    return points + sigma * torch.randn(points.shape, generator=generator, device=points.device)

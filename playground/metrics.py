"""Measurements of a run: mode coverage (VEEGAN's definitions), gradient norms and critic accuracy."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class Coverage:
    """How much of a multi-modal π the samples reach.

    modes_captured: modes that are the nearest mode of at least one high-quality sample.
    high_quality:   share of samples within threshold·std of their nearest mode, in [0, 1].
    occupancy:      per mode, the share of all samples that are high quality and nearest to it (sums to
                    high_quality); a mode-collapsed generator puts all its mass in one entry.
    """

    modes_captured: int
    high_quality: float
    occupancy: np.ndarray


def mode_coverage(samples, modes, std: float, threshold: float = 3.0) -> Coverage:
    """VEEGAN's metrics (Srivastava et al., 2017): a sample is high quality when it lies within
    threshold·std of its nearest mode; a mode is captured when it is the nearest mode of at least one
    high-quality sample. A NaN sample (a diverged generator) counts as low quality; bad shapes, no modes or a
    non-positive std raise ValueError."""
    centres = np.asarray(modes, dtype=np.float64)
    if centres.ndim != 2 or len(centres) == 0:
        raise ValueError(f"modes must be an array [modes, dimensions] with at least one mode, got shape "
                         f"{centres.shape} (one 2-D mode is [[x, y]]).")
    if not (math.isfinite(std) and std > 0 and math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"std and threshold must be finite and positive, got std={std!r}, threshold={threshold!r}.")
    points = _as_numpy(samples)
    if points.size == 0:
        return Coverage(0, 0.0, np.zeros(len(centres)))
    if points.ndim != 2 or points.shape[1] != centres.shape[1]:
        raise ValueError(f"samples must be an array [n, {centres.shape[1]}] like the modes, got shape "
                         f"{points.shape}.")
    squared = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    nearest = squared.argmin(axis=1)
    good = np.sqrt(squared[np.arange(len(points)), nearest]) <= threshold * std
    counts = np.bincount(nearest[good], minlength=len(centres))
    return Coverage(int((counts > 0).sum()), float(good.mean()), counts / len(points))


def gradient_norm(parameters: Iterable[nn.Parameter]) -> Tensor:
    """‖∇‖₂ over all parameters' current .grad (0 where none), as a 0-d tensor (no host sync)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def critic_accuracy(scores_real: Tensor, scores_fake: Tensor, threshold: float | Tensor = 0.0) -> Tensor:
    """Share of real points scored above `threshold` and fake points below it (0-d tensor)."""
    correct = (scores_real > threshold).float().sum() + (scores_fake < threshold).float().sum()
    return correct / (scores_real.numel() + scores_fake.numel())


def _as_numpy(values) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)

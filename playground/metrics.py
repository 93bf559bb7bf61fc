"""Measurements of a run: mode coverage (VEEGAN's definitions) and the critic's readout (mean D, gap, accuracy)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True)
class Coverage:
    """How much of a multi-modal π the samples reach.

    modes_captured: modes that are the nearest mode of at least one high-quality sample.
    high_quality:   share of samples within threshold·std of their nearest mode, in [0, 1].
    occupancy:      per mode, the share of all samples that are high quality and nearest to it (sums to
                    high_quality); a mode-collapsed generator puts all its mass in one entry.
    For samples [K, n, d] (K generators) each field gains a leading K: arrays [K], [K] and [K, modes].
    """

    modes_captured: int | np.ndarray
    high_quality: float | np.ndarray
    occupancy: np.ndarray


def mode_coverage(samples, modes, std: float, threshold: float = 3.0) -> Coverage:
    """VEEGAN's metrics (Srivastava et al., 2017): a sample is high quality when it lies within
    threshold·std of its nearest mode; a mode is captured when it is the nearest mode of at least one
    high-quality sample. Samples are [n, d], or [K, n, d] for K generators at once. A NaN sample (a diverged
    generator) counts as low quality; bad shapes, no modes or a non-positive std raise ValueError."""
    centres = np.asarray(modes, dtype=np.float64)
    if centres.ndim != 2 or len(centres) == 0:
        raise ValueError(f"modes must be an array [modes, dimensions] with at least one mode, got shape "
                         f"{centres.shape} (one 2-D mode is [[x, y]]).")
    if not (math.isfinite(std) and std > 0 and math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"std and threshold must be finite and positive, got std={std!r}, threshold={threshold!r}.")
    points = _as_numpy(samples)
    if points.size == 0 and points.ndim != 3:
        return Coverage(0, 0.0, np.zeros(len(centres)))
    if points.ndim not in (2, 3) or points.shape[-1] != centres.shape[1]:
        raise ValueError(f"samples must be an array [n, {centres.shape[1]}] like the modes (or [K, n, "
                         f"{centres.shape[1]}] for K generators), got shape {points.shape}.")
    batched = points if points.ndim == 3 else points[None]                          # [K, n, d]
    members, count = batched.shape[:2]
    squared = ((batched[:, :, None, :] - centres) ** 2).sum(axis=-1)                # [K, n, modes]
    nearest = squared.argmin(axis=-1)
    good = np.sqrt(np.take_along_axis(squared, nearest[..., None], -1)[..., 0]) <= threshold * std  # NaN: False
    flat = (np.arange(members)[:, None] * len(centres) + nearest)[good]
    counts = np.bincount(flat, minlength=members * len(centres)).reshape(members, len(centres))
    captured, quality = (counts > 0).sum(axis=1), good.mean(axis=1) if count else np.zeros(members)
    occupancy = counts / max(count, 1)
    if points.ndim == 2:
        return Coverage(int(captured[0]), float(quality[0]), occupancy[0])
    return Coverage(captured, quality, occupancy)


def critic_accuracy(scores_real: Tensor, scores_fake: Tensor, threshold: float | Tensor = 0.0,
                    dim: int | None = None) -> Tensor:
    """Share of real points scored above `threshold` and fake points below it: over all scores (0-d tensor), or
    along `dim` (an ensemble's [K, n] scores with dim=-1 and a threshold [K, 1] give one share per member)."""
    if dim is None:
        correct = (scores_real > threshold).float().sum() + (scores_fake < threshold).float().sum()
        return correct / (scores_real.numel() + scores_fake.numel())
    correct = (scores_real > threshold).float().sum(dim) + (scores_fake < threshold).float().sum(dim)
    return correct / (scores_real.shape[dim] + scores_fake.shape[dim])


def critic_readout(scores_real: Tensor, scores_fake: Tensor, probabilistic: bool, dim: int | None = None
                   ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(d_real, d_fake, critic_gap, critic_accuracy) of one critic update's scores, over all scores or along `dim`.

    d_real, d_fake are mean D(x), D(G(z)) = σ(s) for a probabilistic (classic) GAN, else the mean raw scores; the
    gap E s(x) − E s(G(z)) is the WGAN critic's estimate of W₁. Accuracy thresholds D at ½ (s at 0) for a classic
    GAN, and a raw critic, whose scores have no fixed scale, halfway between its mean real and fake scores."""
    if probabilistic:
        d_real, d_fake = torch.sigmoid(scores_real).mean(dim), torch.sigmoid(scores_fake).mean(dim)
        threshold: float | Tensor = 0.0
    else:
        d_real, d_fake = scores_real.mean(dim), scores_fake.mean(dim)
        threshold = (d_real + d_fake) / 2
        if dim is not None:
            threshold = threshold.unsqueeze(dim)
    accuracy = critic_accuracy(scores_real, scores_fake, threshold, dim)
    return d_real, d_fake, scores_real.mean(dim) - scores_fake.mean(dim), accuracy


def _as_numpy(values) -> np.ndarray:
    if isinstance(values, Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)

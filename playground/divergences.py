"""Exact divergences for the lecture's two 1-D pictures: the parallel lines (KL, JSD and W₁ against θ, with
and without instance noise) and a Gaussian fitted to a two-mode mixture by forward KL, reverse KL or JSD
(mode covering against mode seeking). Plus a live, trained estimate of JSD and W₁ from samples.

Everything is natural log; JSD uses the ½-definition, so 0 ≤ JSD ≤ ln 2.
"""

from __future__ import annotations

import inspect
import math
import threading
import warnings
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy import optimize, special

from playground import checkpoint, lipschitz, models, objectives
from playground.settings import Preset, field_specs, knob

LN2 = math.log(2.0)
LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)

# ---------------------------------------------------------------------------------------------------------
# Quadrature: composite Gauss–Legendre. Ten nodes a panel integrate a polynomial of degree 19 exactly, so a
# panel half the narrowest local standard deviation wide is accurate to ~1e-12 for Gaussian integrands.
# ---------------------------------------------------------------------------------------------------------
NODES_PER_PANEL = 10
_LEGENDRE_NODES, _LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(NODES_PER_PANEL)
TAIL_STDS = 12.0            # e^(−12²/2) ≈ 5e-32: beyond 12 standard deviations a Gaussian holds nothing
PANELS_PER_STD = 2          # panel width ≤ σ/2 wherever a Gaussian of width σ lives
BACKGROUND_PANELS = 128     # a uniform floor of panels over the whole domain
SOFTPLUS_TAIL = 42.0        # log(1 + e^(−t)) < 1e-18 beyond t = 42


def _gauss_legendre(breakpoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the composite rule on the panels between consecutive sorted breakpoints."""
    left, right = breakpoints[:-1], breakpoints[1:]
    half = 0.5 * (right - left)
    middle = 0.5 * (right + left)
    nodes = middle[:, None] + half[:, None] * _LEGENDRE_NODES[None, :]
    weights = half[:, None] * _LEGENDRE_WEIGHTS[None, :]
    return nodes.ravel(), weights.ravel()


def _clean_breakpoints(points: np.ndarray) -> np.ndarray:
    """Sort, drop duplicates and panels too thin to matter (relative 1e-13 of the domain)."""
    points = np.sort(points[np.isfinite(points)])
    scale = max(points[-1] - points[0], 1e-300)
    keep = np.concatenate([[True], np.diff(points) > 1e-13 * scale])
    return points[keep]


# ---------------------------------------------------------------------------------------------------------
# The parallel lines
# ---------------------------------------------------------------------------------------------------------

def parallel_lines(thetas, noise_std: float = 0.0) -> dict[str, np.ndarray]:
    """Exact KL, reverse KL, JSD and W₁ between π = (0, U[0,1]) and p_θ = (θ, U[0,1]) (Arjovsky et al. 2017).

    Without noise the supports are disjoint for θ ≠ 0: KL(π‖p_θ) = KL(p_θ‖π) = ∞, JSD = ln 2, W₁ = |θ|;
    all four are 0 at θ = 0. With instance noise σ both are convolved with N(0, σ²I); the y-marginals agree,
    so everything reduces to N(0, σ²) against N(θ, σ²): KL = θ²/(2σ²) both ways, JSD = `gaussian_shift_js`,
    and W₁ = |θ| (a translation moves every point by θ, and no plan does better).

    Accepts a scalar or an array of θ; every value is an array of the same shape. Never NaN.
    """
    theta = np.asarray(thetas, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise ValueError("θ must be finite")
    noise_std = float(noise_std)
    if not (math.isfinite(noise_std) and noise_std >= 0):
        raise ValueError(f"noise_std must be a finite number ≥ 0, got {noise_std}")
    distance = np.abs(theta)
    if noise_std == 0.0:
        apart = distance > 0
        kl = np.where(apart, np.inf, 0.0)
        js = np.where(apart, LN2, 0.0)
    else:
        with np.errstate(over="ignore"):  # (θ/σ)², not θ²/σ²: σ² underflowed to 0 for σ < 1e-162 (NaN)
            shift = distance / noise_std
            kl = 0.5 * shift**2           # inf only where it exceeds the largest float
        js = gaussian_shift_js(shift)
    return {"kl": np.asarray(kl, dtype=np.float64), "reverse_kl": np.array(kl, dtype=np.float64),
            "js": np.asarray(js, dtype=np.float64), "wasserstein": np.asarray(distance, dtype=np.float64)}


SATURATED_SHIFT = 60.0


def gaussian_shift_js(shift) -> np.ndarray:
    """JSD(N(0, 1) ‖ N(d, 1)) for d = |θ|/σ, accurate to ~1e-12 absolute.

    By the reflection x ↦ d − x the two halves of the JSD agree, so JSD = KL(P‖M) = ln 2 − E_P softplus(T)
    with T = log q/p(X) ~ N(−d²/2, d²). Split softplus(t) = max(t, 0) + log(1 + e^(−|t|)): the first mean is
    closed form, E max(T, 0) = −(d²/2) Φ(−d/2) + d φ(d/2); the second is a smooth bounded integrand on each
    side of t = 0, integrated by composite Gauss–Legendre.
    """
    d = np.abs(np.asarray(shift, dtype=np.float64))
    # Past d = 60 the JSD is ln 2 to double precision (ln 2 − JSD < e^(−d²/8)); d² would overflow past 1e154.
    flat = np.minimum(d.ravel(), SATURATED_SHIFT)
    positive_part = -(flat**2 / 2) * special.ndtr(-flat / 2) + flat * np.exp(-(flat**2) / 8 - LOG_SQRT_2PI)
    remainder = np.zeros_like(flat)
    panels = 96
    unit = np.linspace(0.0, 1.0, panels + 1)
    for side in (+1.0, -1.0):
        # t = side·s, s ≥ 0. The density of T at t is φ((t + d²/2)/d)/d; keep s where it is not negligible.
        center = -side * flat**2 / 2          # where the density peaks, in s
        low = np.clip(center - TAIL_STDS * flat, 0.0, SOFTPLUS_TAIL)
        high = np.clip(center + TAIL_STDS * flat, 0.0, SOFTPLUS_TAIL)
        for index in np.flatnonzero((high > low) & (flat > 0)):
            nodes, weights = _gauss_legendre(low[index] + (high[index] - low[index]) * unit)
            standardized = (side * nodes + flat[index] ** 2 / 2) / flat[index]
            density = np.exp(-0.5 * standardized**2 - LOG_SQRT_2PI) / flat[index]
            remainder[index] += np.sum(weights * density * np.log1p(np.exp(-nodes)))
    js = LN2 - positive_part - remainder
    js = np.where(flat == 0, 0.0, np.where(flat >= SATURATED_SHIFT, LN2, np.clip(js, 0.0, LN2)))
    return js.reshape(d.shape)


def theorem2_sequence(steps: int = 8, start: float = 1.0, noise_std: float = 0.0) -> dict[str, np.ndarray]:
    """The lecture's Theorem 2 picture: p_t → π along θ_t = start/t, t = 1 … steps − 1, then θ = 0.

    W₁(π, p_t) = |θ_t| → 0, so p_t converges in W₁; without noise KL = ∞ and JSD = ln 2 at every t until
    the last one: neither notices the convergence.
    """
    if steps < 2:
        raise ValueError("steps must be at least 2")
    t = np.arange(1, steps + 1, dtype=np.float64)
    theta = np.where(t < steps, start / t, 0.0)
    return {"t": t, "theta": theta, **parallel_lines(theta, noise_std)}


def theorem2_caption(sequence: dict[str, np.ndarray], noise_std: float) -> str:
    """What the Theorem 2 chart shows, from the sequence drawn: the steps t, the limit drawn apart, and whether
    KL and JSD see the convergence (only with instance noise)."""
    theta = np.asarray(sequence["theta"], dtype=np.float64)
    t = np.asarray(sequence["t"], dtype=np.float64)[theta != 0]
    start = float(theta[0] * sequence["t"][0])
    text = (rf"$p_t = p_{{\theta_t}}$ with $\theta_t = {start:g}/t$ for t = 1 … {int(t.max())}; the limit θ = 0 is "
            "drawn apart, right of the dotted line (it is not one more step). W₁(π, pₜ) = θₜ → 0, so pₜ → π in W₁")
    if noise_std:
        return text + (f". With the noise σ = {noise_std:g} drawn here, KL and JSD are finite and fall with θₜ: the "
                       "blurred distributions overlap, and the divergences see the convergence too.")
    return text + ("; KL stays ∞ and JSD stays ln 2 at every step t and are 0 only in the limit: they do not see "
                   "the convergence.")


FLAT_JSD_SLOPE = 0.01   # |d JSD/dθ| below 1% of W₁'s slope ±1: "next to nothing" in the estimators' caption


def estimator_caption(theta: float, noise_std: float, lipschitz_method: str) -> str:
    """The live estimators' "Look for", from the settings: what the JSD estimate approaches (ln 2 only for
    disjoint supports, θ ≠ 0 without noise), and what the critic's estimate tracks under the chosen Lipschitz
    constraint (|θ| with slope ±1 only when f is kept near 1-Lipschitz; a clipped critic estimates K·|θ|)."""
    exact_js = float(parallel_lines(theta, noise_std)["js"])
    slope = parallel_lines_js_gradient(theta, noise_std)
    saturated = exact_js >= LN2 * (1 - 1e-3)   # supports (as good as) disjoint at this θ and σ
    flat = abs(slope) < FLAT_JSD_SLOPE
    if theta == 0:
        jsd = ("at θ = 0 π and $p_\\theta$ coincide, so the discriminator cannot tell them apart and the JSD estimate "
               "stays near the exact 0")
    else:
        if not saturated:
            jsd = (f"the JSD estimate climbs towards the exact {exact_js:.3g} (below ln 2: the noise makes the "
                   "supports overlap)")
        elif noise_std:
            jsd = (f"the JSD estimate climbs towards ln 2, the exact JSD here (at this θ the noise σ = {noise_std:g} "
                   "barely blurs the supports into each other)")
        else:
            jsd = "the JSD estimate climbs towards ln 2, the exact JSD of disjoint supports"
        jsd += (f"; the exact JSD's slope in θ is {slope:.2g}"
                + (" — next to nothing: the discriminator saturates and gives $p_\\theta$ nothing to follow" if flat
                   else ", a slope $p_\\theta$ can follow"))
    if lipschitz_method == "gradient_penalty":
        critic = ("the critic's estimate approaches W₁ = |θ|, slope ±1 in θ, as far as the penalty holds ‖∇f‖ near "
                  "1 (K below says how near)")
    else:
        critic = ("the clipped critic's estimate is at most K·|θ|, where K, its Lipschitz constant (read out below), "
                  "is set by c, not by the data: its slope in θ is at most ±K, not ±1, and estimate / K is the one to "
                  "compare with |θ|")
    tail = ""
    if theta and flat:
        tail = (" Add noise" if not noise_std else " More noise, or a θ nearer 0,") + (
            " and the JSD estimate, and its gradient, come back.")
    return ("A discriminator and a critic train on fresh samples of π and $p_\\theta$ (θ and σ apply live). "
            f"**Look for:** {jsd}; {critic}.{tail}")


def parallel_lines_samples(theta: float, noise_std: float, count: int, seed: int = 0
                           ) -> tuple[np.ndarray, np.ndarray]:
    """`count` points of π and of p_θ (each convolved with N(0, σ²I)), as float32 arrays [count, 2]."""
    rng = np.random.default_rng(seed)
    real = np.column_stack([np.zeros(count), rng.uniform(0.0, 1.0, count)])
    fake = np.column_stack([np.full(count, float(theta)), rng.uniform(0.0, 1.0, count)])
    real += noise_std * rng.standard_normal(real.shape)
    fake += noise_std * rng.standard_normal(fake.shape)
    return real.astype(np.float32), fake.astype(np.float32)


# ---------------------------------------------------------------------------------------------------------
# Mode covering against mode seeking: a Gaussian p = N(μ, σ²) against a 1-D mixture π = Σ wᵢ N(mᵢ, sᵢ²)
# ---------------------------------------------------------------------------------------------------------
DIVERGENCES = {  # URL id -> label
    "forward_kl": "KL(π‖p), forward: mode covering",
    "reverse_kl": "KL(p‖π), reverse: mode seeking",
    "js": "JSD(π, p)",
}


class Mixture:
    """π = Σ wᵢ N(mᵢ, sᵢ²) in 1-D; weights are normalised to sum to one."""

    def __init__(self, weights, means, stds):
        self.weights = np.atleast_1d(np.asarray(weights, dtype=np.float64))
        self.means = np.atleast_1d(np.asarray(means, dtype=np.float64))
        self.stds = np.atleast_1d(np.asarray(stds, dtype=np.float64))
        if not (self.weights.shape == self.means.shape == self.stds.shape and self.weights.ndim == 1):
            raise ValueError("weights, means and stds need one entry per component")
        if not all(np.all(np.isfinite(v)) for v in (self.weights, self.means, self.stds)):
            raise ValueError("mixture parameters must be finite")
        if np.any(self.weights < 0) or self.weights.sum() <= 0:
            raise ValueError("weights must be ≥ 0 with a positive sum")
        if np.any(self.stds <= 0):
            raise ValueError("component standard deviations must be > 0")
        keep = self.weights > 0
        self.weights, self.means, self.stds = self.weights[keep], self.means[keep], self.stds[keep]
        self.weights = self.weights / self.weights.sum()

    @property
    def mean(self) -> float:
        """E_π x = Σ wᵢ mᵢ."""
        return float(np.sum(self.weights * self.means))

    @property
    def std(self) -> float:
        """√Var_π x, Var_π x = Σ wᵢ (sᵢ² + mᵢ²) − (E_π x)²."""
        second = np.sum(self.weights * (self.stds**2 + self.means**2))
        return float(math.sqrt(max(second - self.mean**2, 0.0)))

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """log π(x) by log-sum-exp: finite far into the tails."""
        x = np.asarray(x, dtype=np.float64)[..., None]
        z = (x - self.means) / self.stds
        terms = np.log(self.weights) - np.log(self.stds) - LOG_SQRT_2PI - 0.5 * z**2
        top = terms.max(axis=-1)
        return top + np.log(np.exp(terms - top[..., None]).sum(axis=-1))

    def density(self, x: np.ndarray) -> np.ndarray:
        return np.exp(self.log_density(x))

    def crossings(self, extra: list[tuple[float, float, float]] = ()) -> list[tuple[float, float]]:
        """Points where two weighted components (or a component and an extra Gaussian) are equal, with the
        width 1/|d/dx log ratio| over which log π bends there: the quadrature refines around them."""
        gaussians = list(zip(self.weights, self.means, self.stds, strict=True)) + list(extra)
        points = []
        for i, (wi, mi, si) in enumerate(gaussians):
            for wj, mj, sj in gaussians[i + 1:]:
                # log(wi N_i) − log(wj N_j) = a x² + b x + c
                a = 0.5 / sj**2 - 0.5 / si**2
                b = mi / si**2 - mj / sj**2
                c = (math.log(wi / si) - math.log(wj / sj) - 0.5 * mi**2 / si**2 + 0.5 * mj**2 / sj**2)
                roots = np.roots([a, b, c]) if abs(a) > 1e-14 else np.array([-c / b]) if b != 0 else []
                for root in np.atleast_1d(roots):
                    if abs(root.imag) > 1e-12:
                        continue
                    x = float(root.real)
                    slope = abs(2 * a * x + b)
                    if slope > 0:
                        points.append((x, 1.0 / slope))
        return points


def _breakpoints(gaussians: list[tuple[float, float]], bends: list[tuple[float, float]],
                 low: float, high: float) -> np.ndarray:
    """Panel edges: σ/4 steps within 12σ of every Gaussian, a uniform background, and a geometric grading
    (w/2, w, 2w, 4w, …) around every bend of width w."""
    pieces = [np.linspace(low, high, BACKGROUND_PANELS + 1)]
    for center, scale in gaussians:
        count = int(2 * TAIL_STDS * PANELS_PER_STD)
        pieces.append(np.linspace(center - TAIL_STDS * scale, center + TAIL_STDS * scale, count + 1))
    grading = 2.0 ** np.arange(-1, 40)
    for center, width in bends:
        offsets = width * grading
        offsets = offsets[offsets < high - low]
        pieces.append(center + np.concatenate([[0.0], offsets, -offsets]))
    points = np.concatenate(pieces)
    return _clean_breakpoints(np.clip(points, low, high))


def _quadrature(mixture: Mixture, mu: float, sigma: float, with_crossings: bool = True
                ) -> tuple[np.ndarray, np.ndarray]:
    """A composite Gauss–Legendre rule adapted to π and to N(μ, σ²)."""
    gaussians = [(m, s) for m, s in zip(mixture.means, mixture.stds, strict=True)] + [(mu, sigma)]
    low = min(c - TAIL_STDS * s for c, s in gaussians)
    high = max(c + TAIL_STDS * s for c, s in gaussians)
    bends = mixture.crossings([(1.0, mu, sigma)]) if with_crossings else []
    return _gauss_legendre(_breakpoints(gaussians, bends, low, high))


def _entropy(mixture: Mixture) -> float:
    """H(π) = −∫ π log π dx by quadrature (no closed form for a mixture)."""
    gaussians = list(zip(mixture.means, mixture.stds, strict=True))
    low = min(c - TAIL_STDS * s for c, s in gaussians)
    high = max(c + TAIL_STDS * s for c, s in gaussians)
    nodes, weights = _gauss_legendre(_breakpoints(gaussians, mixture.crossings(), low, high))
    log_pi = mixture.log_density(nodes)
    return float(-np.sum(weights * np.exp(log_pi) * log_pi))


def gaussian_log_density(x, mu, sigma) -> np.ndarray:
    z = (np.asarray(x) - mu) / sigma
    return -np.log(sigma) - LOG_SQRT_2PI - 0.5 * z**2


def _value_and_gradient(mixture: Mixture, divergence: str, mu: float, log_sigma: float,
                        entropy: float) -> tuple[float, np.ndarray]:
    """The divergence and its gradient with respect to (μ, log σ).

    Forward:  KL(π‖p) = −H(π) + log σ + ½ log 2π + E_π (x − μ)²/(2σ²)              (closed form but H(π))
    Reverse:  KL(p‖π) = ∫ p (log p − log π),  ∇ = ∫ p ∇log p · (log p − log π)
    JSD:      ½ ∫ π log(π/m) + ½ ∫ p log(p/m), m = (π + p)/2,  ∇ = ½ ∫ p ∇log p · log(p/m)
    with ∇_μ log p = (x − μ)/σ² and ∇_{log σ} log p = (x − μ)²/σ² − 1 (the terms ∫ ∇p = 0 drop out).
    """
    sigma = math.exp(log_sigma)
    if divergence == "forward_kl":
        mean_square = float(np.sum(mixture.weights * (mixture.stds**2 + (mixture.means - mu) ** 2)))
        value = -entropy + log_sigma + LOG_SQRT_2PI + mean_square / (2 * sigma**2)
        gradient = np.array([-(mixture.mean - mu) / sigma**2, 1.0 - mean_square / sigma**2])
        return value, gradient
    nodes, weights = _quadrature(mixture, mu, sigma, with_crossings=True)
    log_pi = mixture.log_density(nodes)
    z = (nodes - mu) / sigma
    log_p = -log_sigma - LOG_SQRT_2PI - 0.5 * z**2
    p = np.exp(log_p)
    scores = np.stack([z / sigma, z**2 - 1.0])
    if divergence == "reverse_kl":
        integrand = log_p - log_pi
        value = float(np.sum(weights * p * integrand))
        gradient = scores @ (weights * p * integrand)
        return value, gradient
    if divergence == "js":
        log_m = np.logaddexp(log_pi, log_p) - LN2
        pi = np.exp(log_pi)
        value = 0.5 * float(np.sum(weights * (pi * (log_pi - log_m) + p * (log_p - log_m))))
        gradient = 0.5 * (scores @ (weights * p * (log_p - log_m)))
        return min(max(value, 0.0), LN2), gradient
    raise ValueError(f"unknown divergence {divergence!r}; choose one of {list(DIVERGENCES)}")


def gaussian_divergence(weights, means, stds, divergence: str, mu: float, sigma: float) -> float:
    """D(π, N(μ, σ²)) for one (μ, σ): the function `fit_gaussian` minimises."""
    mixture = Mixture(weights, means, stds)
    if not sigma > 0:
        raise ValueError("σ must be > 0")
    entropy = _entropy(mixture) if divergence == "forward_kl" else 0.0
    return float(_value_and_gradient(mixture, divergence, float(mu), math.log(sigma), entropy)[0])


def gaussian_kl(mean_p: float, std_p: float, mean_q: float, std_q: float) -> float:
    """KL(N(m₁, s₁²) ‖ N(m₂, s₂²)) = log(s₂/s₁) + (s₁² + (m₁ − m₂)²)/(2 s₂²) − ½."""
    return math.log(std_q / std_p) + (std_p**2 + (mean_p - mean_q) ** 2) / (2 * std_q**2) - 0.5


def moment_matching(weights, means, stds) -> tuple[float, float]:
    """argmin KL(π‖N(μ, σ²)) in closed form: μ = E_π x, σ² = Var_π x."""
    mixture = Mixture(weights, means, stds)
    return mixture.mean, mixture.std


# Optimiser: gradient descent semantics, made exact. Phase 1 follows the gradient flow of the divergence in
# (μ, log σ), dx/dt = −∇D(x), with short steps of fixed length along −∇D/‖∇D‖: the same path as plain
# gradient descent with a small learning rate, at constant speed, so plateaus (JSD's vanishing gradient) are
# crossed and the minimum reached is the one whose basin holds `init`. Phase 2, once the steps have shrunk
# around a minimum where D is locally convex, polishes it with Newton steps to a gradient of ~1e-11.
FLOW_STEP = 0.02             # first step length in (μ, log σ) units
MAX_FLOW_STEP = 0.25         # longest step, taken only where the path runs straight
FLOW_STEP_PER_SCALE = 0.1    # |Δμ| ≤ √(σ² + s_min²)/10: a tenth of the narrowest feature of D along μ
STRAIGHT, TURNING = 0.995, 0.9   # cosines between successive directions: lengthen above, reject below
POLISH_STEP = 1e-3           # switch to Newton once the flow's step has shrunk below this
MAX_FLOW_STEPS = 4000
MAX_NEWTON_STEPS = 200
GRADIENT_TOLERANCE = 1e-11
HESSIAN_STEP = 1e-5


def fit_gaussian_path(weights, means, stds, divergence: str, init=(0.5, 1.0)) -> dict[str, np.ndarray]:
    """Minimise `divergence` over N(μ, σ²) from `init` = (μ₀, σ₀); every accepted iterate, start included.

    Returns arrays "mu", "sigma", "loss" (one entry per iterate) and "converged" (a 0-d bool array).
    Gradient descent semantics in (μ, log σ): the result is the local minimum whose basin of the gradient
    flow holds `init`; a start exactly on a symmetry axis stays on it, and a start where the gradient is zero
    to machine precision (JSD between disjoint supports) does not move at all.
    """
    if divergence not in DIVERGENCES:
        raise ValueError(f"unknown divergence {divergence!r}; choose one of {list(DIVERGENCES)}")
    mixture = Mixture(weights, means, stds)
    mu0, sigma0 = (float(v) for v in init)
    if not (math.isfinite(mu0) and math.isfinite(sigma0) and sigma0 > 0):
        raise ValueError("init must be (μ₀, σ₀) with σ₀ > 0")
    entropy = _entropy(mixture) if divergence == "forward_kl" else 0.0

    def evaluate(point: np.ndarray) -> tuple[float, np.ndarray]:
        return _value_and_gradient(mixture, divergence, float(point[0]), float(point[1]), entropy)

    point = np.array([mu0, math.log(sigma0)])
    value, gradient = evaluate(point)
    path = [(point[0], math.exp(point[1]), value)]
    converged = False
    step_length = FLOW_STEP
    # (1) Follow the gradient flow, with the step adapted to how fast its direction turns.
    narrowest = float(mixture.stds.min())
    direction = -gradient / max(float(np.linalg.norm(gradient)), 1e-300)
    for _ in range(MAX_FLOW_STEPS):
        if np.linalg.norm(gradient) < GRADIENT_TOLERANCE:
            converged = True
            break
        if step_length < POLISH_STEP and _positive_definite(_hessian(evaluate, point)):
            break
        if step_length < 1e-12:
            converged = True                 # no decrease left at machine precision (a saddle on an axis)
            break
        feature = math.hypot(math.exp(point[1]), narrowest)
        length = min(step_length, FLOW_STEP_PER_SCALE * feature / max(abs(direction[0]), 1e-12))
        candidate = point + length * direction
        candidate_value, candidate_gradient = evaluate(candidate)
        candidate_direction = -candidate_gradient / max(float(np.linalg.norm(candidate_gradient)), 1e-300)
        turn = float(direction @ candidate_direction)
        if candidate_value >= value or turn < TURNING:
            step_length = 0.5 * length       # past the valley floor, or the path bends: shorten the stride
            continue
        point, value, gradient, direction = candidate, candidate_value, candidate_gradient, candidate_direction
        path.append((point[0], math.exp(point[1]), value))
        if turn > STRAIGHT:
            step_length = min(1.5 * length, MAX_FLOW_STEP)
    # (2) Polish with Newton steps.
    if not converged:
        point, value, gradient, converged = _newton_polish(evaluate, point, value, gradient, path)
    if not converged:
        # (3) The flow used up its steps far from any minimum (a start 100 from the only mode: the flow crawls
        # along a curved valley, 0.03 in μ a step): quasi-Newton descent from where it stopped, then Newton again.
        iterates: list[tuple[float, float, float]] = []
        result = optimize.minimize(evaluate, point, jac=True, method="BFGS", options={
            "gtol": GRADIENT_TOLERANCE, "maxiter": 1000}, callback=lambda state: iterates.append(
            (float(state[0]), math.exp(float(state[1])), evaluate(state)[0])))
        result_value, result_gradient = evaluate(result.x)
        if result_value <= value:   # BFGS's line searches only descend; kept only if it did
            path.extend(iterate for iterate in iterates if iterate[2] <= value)
            point, value, gradient = result.x, result_value, result_gradient
        point, value, gradient, converged = _newton_polish(evaluate, point, value, gradient, path)
    mu, sigma, loss = (np.array(column) for column in zip(*path, strict=True))
    return {"mu": mu, "sigma": sigma, "loss": loss, "converged": np.array(bool(converged))}


def _newton_polish(evaluate, point: np.ndarray, value: float, gradient: np.ndarray, path: list
                   ) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Newton steps while they decrease D (downhill steps where D is not locally convex), each within a trust
    region: its radius starts at POLISH_STEP, doubles after an accepted step that it cut short and halves after a
    rejected one. Fixed 1e-3 steps ran out 0.02 short of the minimum in a valley nearly flat along μ (d = 8,
    s₁ = s₂ = 2 under reverse KL). Appends each accepted iterate to `path`; returns (point, value, gradient,
    converged)."""
    radius = POLISH_STEP
    for _ in range(MAX_NEWTON_STEPS):
        if np.linalg.norm(gradient) < GRADIENT_TOLERANCE:
            return point, value, gradient, True
        matrix = _hessian(evaluate, point)
        if _positive_definite(matrix):
            step = -np.linalg.solve(matrix, gradient)
            length = float(np.linalg.norm(step))
            step *= min(1.0, radius / length)
        else:
            step, length = -gradient * (radius / float(np.linalg.norm(gradient))), math.inf
        candidate_value, candidate_gradient = evaluate(point + step)
        if candidate_value > value + 1e-15 * max(1.0, abs(value)):
            if min(length, radius) > 1e-9 * (1.0 + float(np.linalg.norm(point))):
                radius = 0.5 * min(length, radius)     # overshot: a shorter step
                continue
            # the value is flat to rounding: as good as it gets
            return point, value, gradient, bool(np.linalg.norm(gradient) < 1e-7)
        point, value, gradient = point + step, candidate_value, candidate_gradient
        path.append((point[0], math.exp(point[1]), value))
        if length > radius:
            radius *= 2
    return point, value, gradient, bool(np.linalg.norm(gradient) < 1e-7)


def _hessian(evaluate, point: np.ndarray) -> np.ndarray:
    """Central differences of the exact gradient, symmetrised."""
    columns = []
    for axis in range(2):
        shift = np.zeros(2)
        shift[axis] = HESSIAN_STEP
        columns.append((evaluate(point + shift)[1] - evaluate(point - shift)[1]) / (2 * HESSIAN_STEP))
    matrix = np.column_stack(columns)
    return 0.5 * (matrix + matrix.T)


def _positive_definite(matrix: np.ndarray) -> bool:
    return bool(np.linalg.eigvalsh(matrix)[0] > 0)


def fit_gaussian(weights, means, stds, divergence: str, init=(0.5, 1.0)) -> tuple[float, float]:
    """(μ, σ) of the N(μ, σ²) reached by minimising `divergence` ∈ {"forward_kl", "reverse_kl", "js"} from
    `init`, against π = Σ wᵢ N(meansᵢ, stdsᵢ²).

    forward_kl = KL(π‖p) (mode covering; its only minimum is moment matching), reverse_kl = KL(p‖π) (mode
    seeking; one minimum per well-separated mode), js = JSD(π, p).

    Which minimum is reached depends on `init`, as for gradient descent. For ½N(−2, 0.55²) + ½N(2, 0.55²),
    reverse KL has minima at μ ≈ ±1.9991, σ ≈ 0.5516 (value 0.6927) *and* a poorer, covering local
    minimum at μ = 0, σ ≈ 1.7626 (value 1.4489) whose basin holds the default start (0.5, 1.0); starts
    nearer a mode or narrower, such as (1, 1) or (0.5, 0.5), reach the mode. JSD's global minimum is the
    covering one, μ = 0, σ ≈ 2.0524, with local minima near the modes.
    """
    path = fit_gaussian_path(weights, means, stds, divergence, init)
    if not bool(path["converged"]):
        warnings.warn(f"The {divergence} fit from {tuple(init)} did not converge: the result is where the descent "
                      "stopped, not a minimum.", RuntimeWarning, stacklevel=2)
    return float(path["mu"][-1]), float(path["sigma"][-1])


def divergence_landscape(weights, means, stds, divergence: str, mus, sigmas) -> np.ndarray:
    """D(π, N(μ, σ²)) on the grid: rows follow `sigmas`, columns `mus` (a heat map's z[y][x])."""
    if divergence not in DIVERGENCES:
        raise ValueError(f"unknown divergence {divergence!r}; choose one of {list(DIVERGENCES)}")
    mixture = Mixture(weights, means, stds)
    mus = np.asarray(mus, dtype=np.float64)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if np.any(sigmas <= 0):
        raise ValueError("σ must be > 0")
    if divergence == "forward_kl":
        entropy = _entropy(mixture)
        mean_square = np.sum(mixture.weights * (mixture.stds**2 + (mixture.means - mus[:, None]) ** 2), axis=1)
        return (-entropy + np.log(sigmas)[:, None] + LOG_SQRT_2PI
                + mean_square[None, :] / (2 * sigmas[:, None] ** 2))
    landscape = np.empty((sigmas.size, mus.size))
    components = list(zip(mixture.means, mixture.stds, strict=True))
    for row, sigma in enumerate(sigmas):
        # One rule for the whole row: fine enough for N(μ, σ²) at every μ of the row and for π.
        low = min([c - TAIL_STDS * s for c, s in components] + [mus.min() - TAIL_STDS * sigma])
        high = max([c + TAIL_STDS * s for c, s in components] + [mus.max() + TAIL_STDS * sigma])
        span = mus.max() - mus.min() + 2 * TAIL_STDS * sigma
        count = int(math.ceil(span / sigma * PANELS_PER_STD))
        edges = [np.linspace(mus.min() - TAIL_STDS * sigma, mus.max() + TAIL_STDS * sigma, count + 1)]
        edges.append(_breakpoints(components, mixture.crossings(), low, high))
        nodes, weights_ = _gauss_legendre(_clean_breakpoints(np.concatenate(edges)))
        log_pi = mixture.log_density(nodes)[None, :]
        log_p = gaussian_log_density(nodes[None, :], mus[:, None], sigma)
        p = np.exp(log_p)
        if divergence == "reverse_kl":
            landscape[row] = np.sum(weights_ * p * (log_p - log_pi), axis=1)
        else:
            log_m = np.logaddexp(log_pi, log_p) - LN2
            pi = np.exp(log_pi)
            landscape[row] = 0.5 * np.sum(weights_ * (pi * (log_pi - log_m) + p * (log_p - log_m)), axis=1)
    return landscape


def landscape_minima(weights, means, stds, divergence: str, mus, sigmas, landscape=None
                     ) -> list[dict[str, float]]:
    """The local minima of `divergence` inside the box, found by refining every local minimum of the grid
    (and the modes and the moment-matching point) with `fit_gaussian`. Sorted by value; each is
    {"mu", "sigma", "value", "global"}, and minima tied with the smallest value (to 1e-9) are all global."""
    mixture = Mixture(weights, means, stds)
    mus = np.asarray(mus, dtype=np.float64)
    sigmas = np.asarray(sigmas, dtype=np.float64)
    if landscape is None:
        landscape = divergence_landscape(weights, means, stds, divergence, mus, sigmas)
    starts = [(mixture.mean, mixture.std)] + list(zip(mixture.means, mixture.stds, strict=True))
    padded = np.pad(landscape, 1, constant_values=np.inf)
    rows, columns = landscape.shape
    for i in range(rows):
        for j in range(columns):
            window = padded[i:i + 3, j:j + 3]
            if landscape[i, j] <= window.min():
                starts.append((mus[j], sigmas[i]))
    found: list[dict[str, float]] = []
    for start in starts:
        mu, sigma = fit_gaussian(weights, means, stds, divergence, init=start)
        inside = mus.min() <= mu <= mus.max() and sigmas.min() <= sigma <= sigmas.max()
        duplicate = any(abs(mu - f["mu"]) < 1e-3 * (1 + abs(mu)) and abs(sigma - f["sigma"]) < 1e-3 * sigma
                        for f in found)
        if inside and not duplicate and _is_minimum(mixture, divergence, mu, sigma):
            value = gaussian_divergence(weights, means, stds, divergence, mu, sigma)
            found.append({"mu": mu, "sigma": sigma, "value": value, "global": False})
    found.sort(key=lambda f: f["value"])
    for minimum in found:       # ties (a symmetric mixture's two modes) are all global
        minimum["global"] = minimum["value"] <= found[0]["value"] + 1e-9 * (1 + abs(found[0]["value"]))
    return found


MIXTURE_PRESETS = {  # URL id -> (label, separation, weight of the left mode, left std, right std)
    # labels fit the sidebar's closed box (~30 characters)
    "lecture": ("Lecture: ½N(±2, 0.55²)", 4.0, 0.5, 0.55, 0.55),
    "unequal_weights": ("Unequal weights 0.75 / 0.25", 4.0, 0.75, 0.55, 0.55),
    "wide_and_narrow": ("A wide and a narrow mode", 4.0, 0.5, 1.0, 0.3),
    "close_modes": ("Close modes: one bump", 1.5, 0.5, 0.55, 0.55),
    "far_modes": ("Far modes", 7.0, 0.5, 0.5, 0.5),
}


def two_mode_mixture(separation: float, left_weight: float, left_std: float, right_std: float
                     ) -> tuple[list[float], list[float], list[float]]:
    """(weights, means, stds) of w N(−d/2, s₁²) + (1 − w) N(d/2, s₂²)."""
    if not (0 < left_weight < 1 and left_std > 0 and right_std > 0 and separation >= 0):
        raise ValueError("need 0 < w < 1, positive widths and a separation ≥ 0")
    return [left_weight, 1.0 - left_weight], [-separation / 2, separation / 2], [left_std, right_std]


MIXTURE_FIELDS = ("separation", "weight", "left_std", "right_std")  # CoveringSettings' fields, MIXTURE_PRESETS' order


def mixture_formula(separation: float, left_weight: float, left_std: float, right_std: float) -> str:
    """π = w N(−d/2, s₁²) + (1 − w) N(d/2, s₂²), written out with the numbers."""
    half = separation / 2
    return (f"π = {left_weight:g} N(−{half:g}, {left_std:g}²) + {1 - left_weight:g} N({half:g}, {right_std:g}²)."
            .replace("−0,", "0,"))


COVERING_PRESETS = {  # MIXTURE_PRESETS as the page's preset box loads them; the note is the mixture itself
    preset_id: Preset(label, mixture_formula(*values), dict(zip(MIXTURE_FIELDS, values, strict=True)))
    for preset_id, (label, *values) in MIXTURE_PRESETS.items()}
# The landscapes' fixed axes, comparable across mixtures. σ reaches 5 because the widest mixture the sliders make
# (d = 8, s₁ = s₂ = 2) has its forward-KL optimum at σ = √20 ≈ 4.47.
COVERING_MUS, COVERING_SIGMAS = np.linspace(-5.0, 5.0, 61), np.linspace(0.1, 5.0, 50)


@dataclass(frozen=True)
class CoveringSettings:
    """The Mode-covering page: the two-mode mixture π and where the three descents start. No run plays, so every
    field is live. URL ids are the page's first links' keys (cov_separation, …): never rename them."""

    separation: float = knob(4.0, "Separation of the modes d", live=True, min=0.0, max=8.0, step=0.1,
                             url="cov_separation", help="Means at −d/2 and +d/2.")
    weight: float = knob(0.5, "Weight of the left mode w", live=True, min=0.05, max=0.95, step=0.05,
                         url="cov_weight", help="π = w N(−d/2, s₁²) + (1 − w) N(d/2, s₂²).")
    left_std: float = knob(0.55, "Width of the left mode s₁", live=True, min=0.1, max=2.0, step=0.05,
                           url="cov_left_std", help="Standard deviation of the left component.")
    right_std: float = knob(0.55, "Width of the right mode s₂", live=True, min=0.1, max=2.0, step=0.05,
                            url="cov_right_std", help="Standard deviation of the right component.")
    mu0: float = knob(1.0, "μ₀", live=True, min=-5.0, max=5.0, step=0.05, url="cov_mu0", help="Initial mean.")
    sigma0: float = knob(1.0, "σ₀", live=True, min=0.15, max=4.0, step=0.05, url="cov_sigma0",
                         help="Initial width.")

    def mixture(self) -> tuple[list[float], list[float], list[float]]:
        """(weights, means, stds) of π, as `two_mode_mixture`."""
        return two_mode_mixture(self.separation, self.weight, self.left_std, self.right_std)

    def with_start(self, mu: float, sigma: float) -> CoveringSettings:
        """These settings with the descents' start at a clicked (μ, σ), to two decimals, within the sliders."""
        specs = field_specs(CoveringSettings)
        return replace(self, **{name: float(np.clip(round(value, 2), specs[name]["min"], specs[name]["max"]))
                                for name, value in (("mu0", mu), ("sigma0", sigma))})


def landscapes_and_minima(weights, means, stds, mus, sigmas) -> dict[str, dict]:
    """For every divergence: its landscape over the (μ, σ) grid and its local minima in the box."""
    result = {}
    for divergence in DIVERGENCES:
        landscape = divergence_landscape(weights, means, stds, divergence, mus, sigmas)
        result[divergence] = {"landscape": landscape, "minima": landscape_minima(
            weights, means, stds, divergence, mus, sigmas, landscape)}
    return result


def classify_fit(weights, means, stds, divergence: str, mu: float, sigma: float,
                 minima: list[dict[str, float]]) -> str:
    """“global minimum” or “local minimum” (one of `minima`, the box's minima), “minimum outside the map”, or
    “stationary, not a minimum” (a saddle on a symmetry axis, or a plateau flat to machine precision)."""
    for minimum in minima:
        if abs(mu - minimum["mu"]) < 1e-3 * (1 + abs(mu)) and abs(sigma - minimum["sigma"]) < 1e-3 * sigma:
            return "global minimum" if minimum["global"] else "local minimum"
    if _is_minimum(Mixture(weights, means, stds), divergence, mu, sigma):
        return "minimum outside the map"
    return "stationary, not a minimum"


MINIMA_NAMES = {"forward_kl": "Forward KL(π‖p)", "reverse_kl": "Reverse KL(p‖π)", "js": "JSD"}
COVER_STDS = 2.0  # a fit N(μ, σ²) covers a mode when the mode's centre lies in μ ± 2σ, its central 95%
COVERING_DEFINITION = ("A fit N(μ, σ²) *covers* a mode when the mode's centre lies within μ ± 2σ (the fit's "
                       "central 95 %); it *seeks* a mode when it covers that one only.")


def covering_verdict(means, mu: float, sigma: float) -> str:
    """“covers both modes”, “seeks the left mode”, “seeks the right mode” or “covers neither mode”, for a fit
    N(μ, σ²) of a two-mode mixture with component centres `means` (left first), by COVERING_DEFINITION."""
    left, right = (abs(float(centre) - mu) <= COVER_STDS * sigma for centre in means)
    if left and right:
        return "covers both modes"
    if left or right:
        return f"seeks the {'left' if left else 'right'} mode"
    return "covers neither mode"


def _two_places(value: float) -> str:
    """Two decimals with a true minus sign, and no “−0.00”."""
    return f"{round(value, 2) + 0.0:.2f}".replace("-", "−")


def minima_summary(means, minima_by_divergence: dict[str, list[dict[str, float]]]) -> str:
    """One sentence per divergence: its minima in the map (global first), each with (μ, σ) and its
    `covering_verdict`: the page's covering/seeking claims, computed from the optima found."""
    sentences = []
    for divergence, minima in minima_by_divergence.items():
        name = MINIMA_NAMES[divergence]
        if not minima:
            sentences.append(f"{name}: no minimum inside the map.")
            continue
        described = [f"{'global' if m['global'] else 'local'} (μ = {_two_places(m['mu'])}, σ = {m['sigma']:.2f}) "
                     f"{covering_verdict(means, m['mu'], m['sigma'])}" for m in minima]
        count = "one minimum" if len(minima) == 1 else f"{len(minima)} minima"
        sentences.append(f"{name}, {count}: " + "; ".join(described) + ".")
    return " ".join(sentences)


def covering_caption(means, study: dict[str, dict]) -> str:
    """The landscapes' caption: what to look for, the covering definition, and `minima_summary` of this mixture."""
    return ("**Look for:** ★ global and ☆ local minima; the path runs from ○ (your start) to ✕. Forward KL has one "
            "minimum, moment matching, whatever the start. " + COVERING_DEFINITION + " Here: "
            + minima_summary(means, {d: study[d]["minima"] for d in DIVERGENCES}))


def covering_results(mixture, study: dict[str, dict], paths: dict[str, dict], short_names: dict[str, str]
                     ) -> tuple[list[dict], list[tuple[str, str]]]:
    """The page's table of fits (one row per divergence: the fit reached, its value and steps, `classify_fit` and
    `covering_verdict`), and a (level, text) note, "warning" or "info", for each descent that stopped where the
    divergence is stationary without a minimum: stuck at its start on a flat plateau, or on a saddle."""
    rows, notes = [], []
    for divergence, path in paths.items():
        mu, sigma = float(path["mu"][-1]), float(path["sigma"][-1])
        reached = classify_fit(*mixture, divergence, mu, sigma, study[divergence]["minima"])
        rows.append({"divergence": DIVERGENCES[divergence], "μ": round(mu, 4) + 0.0, "σ": round(sigma, 4),
                     "value": float(path["loss"][-1]), "steps": len(path["mu"]) - 1, "reached": reached,
                     "modes": covering_verdict(mixture[1], mu, sigma)})
        if reached != "stationary, not a minimum":
            continue
        if len(path["mu"]) == 1:
            notes.append(("warning", f"{short_names[divergence]}: the descent cannot move from this start — the "
                                     "divergence is flat here to machine precision (p and π barely overlap). Pick a "
                                     "start nearer π."))
        else:
            notes.append(("info", f"{short_names[divergence]} stopped where its gradient vanishes without a minimum: "
                                  "a saddle on a symmetry axis, which gradient descent cannot leave. Move the start "
                                  "off the axis."))
    return rows, notes


def moment_matching_sentence(mixture) -> str:
    mean, std = moment_matching(*mixture)
    return f"Moment matching (forward KL's exact optimum): μ = {mean:.4f}, σ = {std:.4f}."


def _is_minimum(mixture: Mixture, divergence: str, mu: float, sigma: float) -> bool:
    """Positive-definite Hessian (central differences of the exact gradient) at (μ, log σ)."""
    entropy = _entropy(mixture) if divergence == "forward_kl" else 0.0

    def evaluate(point: np.ndarray) -> tuple[float, np.ndarray]:
        return _value_and_gradient(mixture, divergence, float(point[0]), float(point[1]), entropy)

    return _positive_definite(_hessian(evaluate, np.array([mu, math.log(sigma)])))


# ---------------------------------------------------------------------------------------------------------
# Estimating JSD and W₁ from samples, live: a discriminator and a Lipschitz critic trained on π and p_θ
# ---------------------------------------------------------------------------------------------------------
LOG4 = math.log(4.0)
EVALUATION_POINTS = 512      # one fixed batch for the recorded estimates: smooth curves, exact θ-gradients
SLICE_POINTS = 161           # D(x) and f(x) along the x-axis, at y = ½


def jsd_estimate(discriminator_loss):
    """JSD ≥ ½ (log 4 − L_D) for any discriminator, with equality at the optimal D* = π/(π + p)
    (Goodfellow et al. 2014): L_D = −E_π log D − E_p log(1 − D) is the minimax critic loss."""
    return 0.5 * (LOG4 - discriminator_loss)


@dataclass(frozen=True)
class ThetaSettings:
    """The Divergences-against-θ page: where p_θ sits, the instance noise, and the live estimators' settings.
    URL ids are the page's first links' keys (div_theta, div_noise, …): never rename them."""

    theta: float = knob(0.7, "θ", live=True, min=-2.0, max=2.0, step=0.05, url="div_theta",
                        help="Where $p_\\theta$'s segment sits; π stays at x = 0.")
    noise_std: float = knob(0.0, "Instance noise σ", live=True, options=(0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
                            url="div_noise",
                            help="Both π and $p_\\theta$ convolved with N(0, σ²I): the supports overlap.")
    lipschitz_method: str = knob("gradient_penalty", "Critic's Lipschitz constraint",
                                 choices=lipschitz.LIPSCHITZ_METHODS, aliases=lipschitz.LIPSCHITZ_ALIASES,
                                 widget="radio", url="div_lipschitz",
                                 help="How the W₁ critic is kept 1-Lipschitz.")
    clip_value: float = knob(0.01, "Clipping constant c", live=True, options=(0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
                             url="div_clip", help="Weight clipping: every critic weight in [−c, c] (live).")
    penalty_weight: float = knob(10.0, "Gradient penalty λ", live=True, options=(0.1, 1.0, 10.0, 100.0),
                                 url="div_lambda", help="Weight of E(‖∇f(x̂)‖ − 1)² (live).")
    learning_rate: float = knob(1e-3, "Learning rate", live=True, options=(1e-4, 3e-4, 1e-3, 3e-3), format="{:g}",
                                url="div_lr", help="For the discriminator and the critic (live).")
    seed: int = knob(0, "Seed", min=0, max=2**31 - 1, widget="number", url="div_seed",
                     help="Initial weights and samples.")

    def unused_note(self, name: str) -> str | None:
        """The clipping constant and the penalty weight each belong to one Lipschitz method."""
        method = {"clip_value": "clip", "penalty_weight": "gradient_penalty"}.get(name)
        if method is None or method == self.lipschitz_method:
            return None
        labels = lipschitz.LIPSCHITZ_METHODS
        return f"Only {labels[method]} uses it; this critic is kept 1-Lipschitz by {labels[self.lipschitz_method]}."


LIVE_ESTIMATOR_SETTINGS = ("theta", "noise_std", "clip_value", "penalty_weight", "learning_rate")


@checkpoint.register
class ParallelLinesEstimators(checkpoint.Checkpointable):
    """Steppable: a discriminator D and a critic f trained side by side on π = (0, U[0,1]) and
    p_θ = (θ, U[0,1]) (plus instance noise σ on both), to estimate JSD(π, p_θ) and W₁(π, p_θ) from samples.

    One step: (1) D descends the minimax loss L_D; (2) f ascends E_π f − E_p f under weight clipping into
    [−c, c] or a gradient penalty λ E(‖∇f‖ − 1)². Every `record_every` steps the estimates and their
    derivatives with respect to θ (autograd through the shift x ↦ x + θ of p_θ's points, D and f held
    fixed) are recorded on one fixed evaluation batch.

    θ, σ, c, λ and the learning rate are live (`reconfigure`); the Lipschitz method and seed need a new run.
    """

    def __init__(self, theta: float = 1.0, noise_std: float = 0.0, lipschitz_method: str = "gradient_penalty",
                 clip_value: float = 0.01, penalty_weight: float = 10.0, learning_rate: float = 1e-3,
                 hidden_units: int = 64, batch_size: int = 256, seed: int = 0, record_every: int = 10,
                 history_length: int = 1000, slice_limits: tuple[float, float] = (-3.0, 3.0)):
        self.lipschitz_method = lipschitz_method = lipschitz.lipschitz_method(lipschitz_method)
        self.seed = seed
        self._seed, self._hidden_units = seed, hidden_units  # for a saved run's settings
        self.batch_size = batch_size
        self.record_every = record_every
        self.slice_limits = slice_limits
        self.theta = self.noise_std = self.clip_value = self.penalty_weight = self.learning_rate = 0.0
        self.set_live(theta=theta, noise_std=noise_std, clip_value=clip_value, penalty_weight=penalty_weight,
                      learning_rate=learning_rate)
        self.step = 0
        self.diverged: str | None = None
        self._lock = threading.Lock()
        self._generator = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.discriminator = models.Critic(hidden_units=hidden_units, depth=2, activation="relu")
            self.critic = models.Critic(hidden_units=hidden_units, depth=2, activation="relu")
        if lipschitz_method == "clip":
            lipschitz.clip_weights(self.critic, self.clip_value)
            # WGAN: momentum-free RMSprop, since momentum destabilised training with clipped weights.
            self.critic_optimizer = torch.optim.RMSprop(self.critic.parameters(), lr=learning_rate)
        else:
            self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=learning_rate, betas=(0.5, 0.9))
        self.discriminator_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=learning_rate,
                                                        betas=(0.5, 0.999))
        # The fixed evaluation batch is stored as its ingredients, so that live θ and σ apply to it exactly.
        self._evaluation_heights = torch.rand(2, EVALUATION_POINTS, generator=self._generator)
        self._evaluation_noise = torch.randn(2, EVALUATION_POINTS, 2, generator=self._generator)
        self._history: deque[tuple[float, ...]] = deque(maxlen=history_length)
        self._latest: dict[str, float] = {}
        self._record()

    @classmethod
    def from_settings(cls, settings: ThetaSettings, **options) -> ParallelLinesEstimators:
        """A run built from the page's settings (`options`: the other constructor arguments)."""
        return cls(lipschitz_method=settings.lipschitz_method, seed=settings.seed,
                   **{name: getattr(settings, name) for name in LIVE_ESTIMATOR_SETTINGS}, **options)

    @property
    def config(self) -> ThetaSettings:
        """The run's settings (the `Steppable` contract): its live values, its method and seed."""
        return ThetaSettings(lipschitz_method=self.lipschitz_method, seed=self.seed,
                             **{name: getattr(self, name) for name in LIVE_ESTIMATOR_SETTINGS})

    def reconfigure(self, settings: ThetaSettings) -> list[str]:
        """Take θ, σ, c, λ and the learning rate from `settings` in place; returns the names that changed. The
        method and the seed need a new run."""
        changed = [name for name in LIVE_ESTIMATOR_SETTINGS if getattr(settings, name) != getattr(self, name)]
        self.set_live(**{name: getattr(settings, name) for name in changed})
        return changed

    def set_live(self, *, theta: float | None = None, noise_std: float | None = None,
                 clip_value: float | None = None, penalty_weight: float | None = None,
                 learning_rate: float | None = None) -> None:
        """Change settings in place; the networks keep training from where they are."""
        checks = {"theta": (theta, lambda v: True), "noise_std": (noise_std, lambda v: v >= 0),
                  "clip_value": (clip_value, lambda v: v > 0), "penalty_weight": (penalty_weight, lambda v: v >= 0),
                  "learning_rate": (learning_rate, lambda v: v > 0)}
        for name, (value, valid) in checks.items():
            if value is None:
                continue
            value = float(value)
            if not (math.isfinite(value) and valid(value)):
                raise ValueError(f"invalid {name}: {value}")
            setattr(self, name, value)

    # --- samples ----------------------------------------------------------------------------------------
    def _points(self, heights: torch.Tensor, noise: torch.Tensor, shift: torch.Tensor | float) -> torch.Tensor:
        """(shift, height) + σ·noise for every point."""
        x = shift + self.noise_std * noise[:, 0]
        y = heights + self.noise_std * noise[:, 1]
        return torch.stack([x.expand_as(y) if x.dim() == 0 else x, y], dim=1)

    def _training_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        heights = torch.rand(2, self.batch_size, generator=self._generator)
        noise = torch.randn(2, self.batch_size, 2, generator=self._generator)
        return (self._points(heights[0], noise[0], 0.0),
                self._points(heights[1], noise[1], torch.tensor(self.theta)))

    # --- training ---------------------------------------------------------------------------------------
    def _train_step(self) -> dict[str, float]:
        for group in self.discriminator_optimizer.param_groups + self.critic_optimizer.param_groups:
            group["lr"] = self.learning_rate
        real, fake = self._training_batch()
        # (1) Discriminator: minimise L_D = −E_π log D − E_p log(1 − D).
        discriminator_loss = objectives.minimax_critic_loss(self.discriminator(real), self.discriminator(fake))
        self.discriminator_optimizer.zero_grad(set_to_none=True)
        discriminator_loss.backward()
        self.discriminator_optimizer.step()
        # (2) Critic: maximise E_π f − E_p f, i.e. minimise its negative, kept (roughly) 1-Lipschitz.
        dual = -objectives.wasserstein_critic_loss(self.critic(real), self.critic(fake))
        critic_loss = -dual
        if self.lipschitz_method == "gradient_penalty":
            critic_loss = critic_loss + self.penalty_weight * lipschitz.gradient_penalty(
                self.critic, real, fake, generator=self._generator)
        self.critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_optimizer.step()
        if self.lipschitz_method == "clip":
            lipschitz.clip_weights(self.critic, self.clip_value)
        discriminator_loss, critic_loss, dual = (float(t.detach()) for t in (discriminator_loss, critic_loss, dual))
        return {"discriminator_loss": discriminator_loss, "critic_loss": critic_loss,
                "jsd_estimate": jsd_estimate(discriminator_loss), "wasserstein_estimate": dual}

    def train(self, steps: int) -> dict[str, float]:
        """Advance `steps` steps (fewer once diverged); the latest training-batch metrics."""
        for _ in range(int(steps)):
            if self.diverged is not None:
                break
            with self._lock:
                metrics = self._train_step()
                self.step += 1
                if not all(math.isfinite(v) for v in metrics.values()):
                    self.diverged = f"a loss became non-finite at step {self.step}: lower the learning rate"
                    break
                self._latest = metrics
                if self.step % self.record_every == 0:
                    self._record()
        return dict(self._latest)

    # --- estimates --------------------------------------------------------------------------------------
    def _estimates(self) -> dict[str, float]:
        """Both estimates on the fixed evaluation batch, and their derivatives d/dθ (D and f fixed)."""
        theta = torch.tensor(self.theta, requires_grad=True)
        real = self._points(self._evaluation_heights[0], self._evaluation_noise[0], 0.0)
        fake = self._points(self._evaluation_heights[1], self._evaluation_noise[1], theta)
        jsd = jsd_estimate(objectives.minimax_critic_loss(self.discriminator(real), self.discriminator(fake)))
        wasserstein = -objectives.wasserstein_critic_loss(self.critic(real), self.critic(fake))
        (jsd_gradient,) = torch.autograd.grad(jsd, theta)
        (wasserstein_gradient,) = torch.autograd.grad(wasserstein, theta)
        both = torch.cat([real, fake.detach()])
        return {"jsd_estimate": float(jsd.detach()), "wasserstein_estimate": float(wasserstein.detach()),
                "jsd_gradient": float(jsd_gradient), "wasserstein_gradient": float(wasserstein_gradient),
                "critic_lipschitz": lipschitz.lipschitz_estimate(self.critic, both)}

    def _record(self) -> None:
        estimates = self._last_estimates = self._estimates()
        exact = parallel_lines(self.theta, self.noise_std)
        self._history.append((self.step, self.theta, estimates["jsd_estimate"], estimates["wasserstein_estimate"],
                              estimates["jsd_gradient"], estimates["wasserstein_gradient"],
                              float(exact["js"]), float(exact["wasserstein"])))

    def snapshot(self) -> dict:
        """Current estimates, exact values and derivatives, the recorded history, and D(x), f(x) along the
        x-axis at y = ½ (f shifted to mean 0 over π and p_θ). Fresh arrays, safe to keep. The estimates are
        the latest recorded ones (at most `record_every` steps old), so that a snapshot stays cheap."""
        with self._lock:
            estimates = dict(self._last_estimates)
            history = np.array(self._history, dtype=np.float64).reshape(-1, 8)
            x = torch.linspace(*self.slice_limits, SLICE_POINTS)
            points = torch.stack([x, torch.full_like(x, 0.5)], dim=1)
            with torch.no_grad():
                probability = torch.sigmoid(self.discriminator(points))
                critic = self.critic(points)
                real = self._points(self._evaluation_heights[0], self._evaluation_noise[0], 0.0)
                fake = self._points(self._evaluation_heights[1], self._evaluation_noise[1], self.theta)
                critic = critic - 0.5 * (self.critic(real).mean() + self.critic(fake).mean())
            theta, noise_std, step = self.theta, self.noise_std, self.step
        exact = parallel_lines(theta, noise_std)
        names = ("step", "theta", "jsd_estimate", "wasserstein_estimate", "jsd_gradient",
                 "wasserstein_gradient", "exact_js", "exact_wasserstein")
        return {
            "step": step, "theta": theta, "noise_std": noise_std, "lipschitz_method": self.lipschitz_method,
            **estimates,
            "exact_js": float(exact["js"]), "exact_wasserstein": float(exact["wasserstein"]),
            "exact_js_gradient": parallel_lines_js_gradient(theta, noise_std),
            "exact_wasserstein_gradient": float(np.sign(theta)),
            "history": {name: history[:, index].copy() for index, name in enumerate(names)},
            "slice_x": x.numpy().astype(np.float32),
            "slice_discriminator": probability.numpy().astype(np.float32),
            "slice_critic": critic.numpy().astype(np.float32),
        }


    # --- saving and loading (playground/checkpoint.py) --------------------------------------------------
    CHECKPOINT_KIND, CHECKPOINT_LABEL = "parallel_lines", "Divergences (parallel lines)"
    CHECKPOINT_LIMITS = {"theta": (-1e3, 1e3), "noise_std": (0.0, 1e3), "clip_value": (1e-8, 1e3),
                         "penalty_weight": (0.0, 1e6), "learning_rate": (1e-8, 10.0), "hidden_units": (1, 512),
                         "batch_size": (1, 8192), "seed": (0, 2**31 - 1), "record_every": (1, 10**6),
                         "history_length": (1, 10**5)}

    def _checkpoint_config(self) -> dict:
        return {"theta": self.theta, "noise_std": self.noise_std, "lipschitz_method": self.lipschitz_method,
                "clip_value": self.clip_value, "penalty_weight": self.penalty_weight,
                "learning_rate": self.learning_rate, "hidden_units": self._hidden_units,
                "batch_size": self.batch_size, "seed": self._seed, "record_every": self.record_every,
                "history_length": self._history.maxlen, "slice_limits": [float(v) for v in self.slice_limits]}

    @classmethod
    def _from_checkpoint_config(cls, values: dict) -> ParallelLinesEstimators:
        defaults = {name: parameter.default for name, parameter in inspect.signature(cls).parameters.items()}
        if not isinstance(values, dict) or set(values) != set(defaults):
            raise ValueError("The file's config does not list this run's settings.")
        for name, (low, high) in cls.CHECKPOINT_LIMITS.items():
            value, whole = values[name], isinstance(defaults[name], int)
            if type(value) not in ((int,) if whole else (int, float)) or not low <= value <= high:
                raise ValueError(f"The file's config has {name}={value!r:.40}, not a "
                                 f"{'whole ' if whole else ''}number in [{low}, {high}].")
        limits = values["slice_limits"]
        if not (isinstance(limits, list) and len(limits) == 2 and all(type(v) is float and abs(v) <= 1e3
                                                                      for v in limits) and limits[0] < limits[1]):
            raise ValueError("The file's slice_limits should be two increasing numbers.")
        return cls(**{**values, "slice_limits": tuple(limits)})

    def _checkpoint_state(self) -> dict:
        optimizers = {}
        for name in ("discriminator_optimizer", "critic_optimizer"):
            state = getattr(self, name).state_dict()
            # the next step sets the live learning rate first: the file holds that one
            state["param_groups"] = [{**group, "lr": self.learning_rate} for group in state["param_groups"]]
            optimizers[name] = state
        return {"discriminator": self.discriminator.state_dict(), "critic": self.critic.state_dict(), **optimizers,
                "rng": self._generator.get_state(), "step": self.step, "diverged": self.diverged,
                "history": torch.tensor(list(self._history), dtype=torch.float64).reshape(-1, 8),
                "latest": dict(self._latest), "last_estimates": dict(self._last_estimates)}

    def _restore_checkpoint_state(self, state: dict, template: dict) -> None:
        def floats(value, where):
            if not isinstance(value, dict) or len(value) > 16 or not all(
                    isinstance(k, str) and type(v) is float for k, v in value.items()):
                raise ValueError(f"{where} should be a small table of numbers.")
        rules = {"state.history": checkpoint.bounded_rows(self._history.maxlen, 8),
                 "state.latest": floats, "state.last_estimates": floats}
        for name in ("discriminator", "critic"):
            rules[f"state.{name}_optimizer"] = checkpoint.optimizer_checker(
                getattr(self, f"{name}_optimizer"), list(getattr(self, name).parameters()))
        checkpoint.check_like(state, template, "state", rules)
        if not 0 <= state["step"] < 2**53:
            raise ValueError("The file's step counter is out of range.")
        for name in ("discriminator", "critic"):
            getattr(self, name).load_state_dict(state[name])
            getattr(self, f"{name}_optimizer").load_state_dict(state[f"{name}_optimizer"])
        self._generator.set_state(state["rng"])
        self.step, self.diverged = state["step"], state["diverged"]
        self._history.clear()
        self._history.extend(tuple(row) for row in state["history"].tolist())
        self._latest, self._last_estimates = dict(state["latest"]), dict(state["last_estimates"])


def parallel_lines_js_gradient(theta: float, noise_std: float) -> float:
    """d JSD(π, p_θ)/dθ: 0 without noise (JSD is the constant ln 2 for θ ≠ 0); with noise, a central
    difference of the exact JSD(d), d = θ/σ."""
    if noise_std == 0.0 or theta == 0.0:
        return 0.0
    step = 1e-5 * max(noise_std, abs(theta))
    values = parallel_lines(np.array([theta - step, theta + step]), noise_std)["js"]
    return float((values[1] - values[0]) / (2 * step))

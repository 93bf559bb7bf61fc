"""Optimal transport: the earth mover's distance between piles of dirt, W₁ between point clouds, and the
Kantorovich–Rubinstein dual W₁ = sup_{‖f‖_L ≤ 1} E_π f − E_p f, estimated live by a trained critic.

Exact values come from POT's network simplex (`ot.emd`, `ot.emd2`); nothing here is a hand-written solver.
The page's settings are four knob dataclasses: `EmdSection` (which part is open), `PileSettings`, `CloudSettings`
and `CriticSettings`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import ot
import torch
from scipy.optimize import linear_sum_assignment
from torch import nn

from playground import checkpoint, lipschitz
from playground.settings import knob

# POT's default of 100,000 simplex iterations is reached near n = 1,000 points, after which the result is
# only approximate (POT warns); the solver stops far earlier on every problem this app builds.
SIMPLEX_ITERATIONS = 10_000_000
# Masses that differ by less than this fraction of the total count as equal (decimal input, 0.1 + 0.2).
MASS_TOLERANCE = 1e-9
# The lecture's piles of dirt: W(P, Q) = 5.
LECTURE_P = (3, 2, 1, 4)
LECTURE_Q = (1, 2, 4, 3)


# ----------------------------------------------------------------------------------------------------
# Discrete: piles of dirt on a line
# ----------------------------------------------------------------------------------------------------


def _histogram(values, name: str) -> np.ndarray:
    """A non-empty, finite, non-negative 1-D float64 array, or a ValueError that says what is wrong."""
    histogram = np.asarray(values, dtype=np.float64)
    if histogram.ndim != 1:
        raise ValueError(f"{name} must be a flat list of pile sizes, got shape {histogram.shape}.")
    if histogram.size == 0:
        raise ValueError(f"{name} is empty: give at least one pile.")
    if not np.all(np.isfinite(histogram)):
        raise ValueError(f"{name} has a missing or infinite entry: every pile needs a number.")
    if np.any(histogram < 0):
        negative = ", ".join(f"{value:g}" for value in histogram[histogram < 0])
        raise ValueError(f"{name} has a negative pile ({negative}): dirt cannot be negative.")
    return histogram


def line_cost(size_a: int, size_b: int) -> np.ndarray:
    """Ground cost C[i, j] = |i − j|: moving one unit of dirt from pile i to pile j costs their distance."""
    return np.abs(np.arange(size_a, dtype=np.float64)[:, None] - np.arange(size_b, dtype=np.float64)[None, :])


def emd(a, b, cost=None) -> tuple[float, np.ndarray]:
    """Earth mover's distance W(P, Q) = min_γ Σᵢⱼ γᵢⱼ Cᵢⱼ over plans γ ≥ 0 with Σⱼ γᵢⱼ = aᵢ, Σᵢ γᵢⱼ = bⱼ.

    Not normalised: `a` and `b` are the slide's piles of dirt (equal total mass), the plan moves mass units,
    and W is the total work. `cost` defaults to |i − j|. Returns (W, plan) with plan of shape [len(a), len(b)].
    Raises ValueError for empty, negative, non-finite or unequal-mass input, or a negative cost. Solved by POT's
    `ot.emd` for unit mass, the plan scaled back.
    """
    a = _histogram(a, "P")
    b = _histogram(b, "Q")
    cost = line_cost(a.size, b.size) if cost is None else np.asarray(cost, dtype=np.float64)
    if cost.shape != (a.size, b.size):
        raise ValueError(f"The cost matrix must have shape {(a.size, b.size)}, got {cost.shape}.")
    if not np.all(np.isfinite(cost)):
        raise ValueError("The cost matrix has a missing or infinite entry.")
    if np.any(cost < 0):
        raise ValueError("The cost matrix has a negative entry: moving dirt cannot earn work back.")
    mass_a, mass_b = a.sum(), b.sum()
    if not np.isfinite(mass_a) or not np.isfinite(mass_b):
        raise ValueError("The piles hold more dirt than a float can add up: scale them down.")
    if abs(mass_a - mass_b) > MASS_TOLERANCE * max(mass_a, mass_b):
        raise ValueError(
            f"P holds {float(mass_a)!r} units of dirt and Q holds {float(mass_b)!r}: the earth mover's distance needs "
            "equal total mass (every unit moved must land somewhere)."
        )
    if mass_a == 0:
        return 0.0, np.zeros((a.size, b.size))
    # Solved for unit mass, then scaled back: POT's simplex misjudges feasibility on very large or tiny masses.
    unit_plan, log = ot.emd(a / mass_a, b / mass_b, np.ascontiguousarray(cost), numItermax=SIMPLEX_ITERATIONS,
                            log=True)
    if log.get("result_code") != 1:
        raise ValueError(f"The transport problem could not be solved exactly: {log.get('warning')}")
    plan = mass_a * unit_plan
    return float(np.sum(plan * cost)), plan


def plan_moves(plan: np.ndarray, cost: np.ndarray | None = None) -> list[tuple[int, int, float, float]]:
    """The plan as a list of moves (from pile i, to pile j, mass γᵢⱼ, cost γᵢⱼ Cᵢⱼ), non-zero moves only."""
    plan = np.asarray(plan, dtype=np.float64)
    cost = line_cost(*plan.shape) if cost is None else np.asarray(cost, dtype=np.float64)
    threshold = 1e-12 * max(float(plan.sum()), 1.0)
    rows, columns = np.nonzero(plan > threshold)
    return [(int(i), int(j), float(plan[i, j]), float(plan[i, j] * cost[i, j]))
            for i, j in zip(rows, columns, strict=True)]


# ----------------------------------------------------------------------------------------------------
# Continuous: point clouds
# ----------------------------------------------------------------------------------------------------


def _points(values, name: str) -> np.ndarray:
    """Samples as a float64 array [n, d]; a 1-D input of shape [n] becomes [n, 1]."""
    points = np.asarray(values, dtype=np.float64)
    if points.ndim == 1:
        points = points[:, None]
    if points.ndim != 2 or points.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty array of shape [n] or [n, d], got shape {points.shape}.")
    if not np.all(np.isfinite(points)):
        raise ValueError(f"{name} has a missing or infinite coordinate.")
    return points


def euclidean_cost(x, y) -> np.ndarray:
    """C[i, j] = ‖xᵢ − yⱼ‖₂, through scipy's cdist (POT's default expands ‖x‖² + ‖y‖² − 2x·y and loses digits)."""
    return ot.dist(x, y, metric="euclidean", backend="scipy")


def wasserstein(x, y) -> float:
    """Exact W₁(π̂, p̂) = min_γ Σᵢⱼ γᵢⱼ ‖xᵢ − yⱼ‖ between the empirical measures (1/n) Σ δ_xᵢ and (1/m) Σ δ_yⱼ.

    Made for equal-size clouds (then W₁ is the mean length of the best one-to-one matching); unequal sizes get
    uniform weights on each side. Accepts 1-D input of shape [n] or [n, 1]. Solved by POT's `ot.emd2`.
    """
    x, y = _points(x, "x"), _points(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x has {x.shape[1]} coordinates per point and y has {y.shape[1]}.")
    cost = euclidean_cost(x, y)
    return float(ot.emd2(ot.unif(len(x)), ot.unif(len(y)), cost, numItermax=SIMPLEX_ITERATIONS))


def optimal_matching(x, y) -> np.ndarray:
    """For equal-size clouds, the permutation σ minimising (1/n) Σᵢ ‖xᵢ − y_σ(i)‖, read off POT's optimal plan.

    The plan of uniform weights is a vertex of the Birkhoff polytope, a permutation matrix (times 1/n), so each
    row has a single non-zero entry. Returns σ as an int array: xᵢ is matched with y[σ[i]].
    """
    x, y = _points(x, "x"), _points(y, "y")
    if len(x) != len(y):
        raise ValueError(f"A one-to-one matching needs equal sizes, got {len(x)} and {len(y)} points.")
    cost = euclidean_cost(x, y)
    plan = ot.emd(ot.unif(len(x)), ot.unif(len(y)), cost, numItermax=SIMPLEX_ITERATIONS)
    permutation = np.argmax(plan, axis=1)
    if len(np.unique(permutation)) != len(x):  # a degenerate split plan: fall back to the assignment solver
        permutation = linear_sum_assignment(cost)[1]
    return permutation.astype(np.int64)


def empirical_cdfs(x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Breakpoints t₀ < t₁ < … (the sorted distinct samples) and the empirical CDFs F(tₖ), G(tₖ) of x and y.

    Both CDFs are right-continuous steps, constant on [tₖ, tₖ₊₁); F = G = 0 before t₀ and 1 from the last t.
    """
    x, y = np.sort(_points(x, "x")[:, 0]), np.sort(_points(y, "y")[:, 0])
    breakpoints = np.unique(np.concatenate([x, y]))
    cdf_x = np.searchsorted(x, breakpoints, side="right") / len(x)
    cdf_y = np.searchsorted(y, breakpoints, side="right") / len(y)
    return breakpoints, cdf_x, cdf_y


def wasserstein_1d_cdf(x, y) -> float:
    """W₁ on the line as the area between the CDFs: W₁ = ∫ |F(t) − G(t)| dt, exact for the empirical CDFs."""
    breakpoints, cdf_x, cdf_y = empirical_cdfs(x, y)
    return float(np.sum(np.abs(cdf_x[:-1] - cdf_y[:-1]) * np.diff(breakpoints)))


def kantorovich_potential_1d(real, fake) -> tuple[np.ndarray, np.ndarray]:
    """An optimal 1-Lipschitz f for W₁(π, p) = max_f E_π f − E_p f on the line, from the CDFs.

    Integrating by parts, E_π f − E_p f = ∫ f'(t) (F_p(t) − F_π(t)) dt, which f' = sign(F_p − F_π) makes equal to
    ∫ |F_p − F_π| = W₁ with |f'| ≤ 1. Returns knots and f(knots) of the piecewise-linear f (f(t₀) = 0, constant
    outside the knots): evaluate anywhere with np.interp(t, knots, values).
    """
    breakpoints, cdf_real, cdf_fake = empirical_cdfs(real, fake)
    slopes = np.sign(cdf_fake[:-1] - cdf_real[:-1])
    values = np.concatenate([[0.0], np.cumsum(slopes * np.diff(breakpoints))])
    return breakpoints, values


# ----------------------------------------------------------------------------------------------------
# Toy distributions for this page
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """A seeded sampler: `sample(n, rng)` returns float64 samples of shape [n, dimension]."""

    label: str
    dimension: int
    sample_function: Callable[[int, np.random.Generator], np.ndarray]

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.sample_function(n, rng).reshape(n, self.dimension)


def _gaussian(mean, std: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    mean = np.asarray(mean, dtype=np.float64)
    return lambda n, rng: mean + std * rng.standard_normal((n, mean.size))


def _ring(radius: float, std: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        angle = rng.uniform(0, 2 * np.pi, n)
        return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1) + std * rng.standard_normal((n, 2))

    return sample


def _eight_gaussians(radius: float, std: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        angle = rng.integers(0, 8, n) * (np.pi / 4)
        return radius * np.stack([np.cos(angle), np.sin(angle)], axis=1) + std * rng.standard_normal((n, 2))

    return sample


def _vertical_line(x_position: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    """The lecture's parallel lines: (θ, Z) with Z ~ U[0, 1]."""
    return lambda n, rng: np.stack([np.full(n, x_position), rng.uniform(0, 1, n)], axis=1)


def _mixture(means, std: float) -> Callable[[int, np.random.Generator], np.ndarray]:
    means = np.asarray(means, dtype=np.float64)
    return lambda n, rng: means[rng.integers(0, len(means), n)] + std * rng.standard_normal(n)


DISTRIBUTIONS_2D: dict[str, Distribution] = {  # keys are URL ids: never rename
    "gaussian_left": Distribution("Gaussian at (−1.5, 0)", 2, _gaussian([-1.5, 0.0], 0.5)),
    "gaussian_right": Distribution("Gaussian at (1.5, 0)", 2, _gaussian([1.5, 0.0], 0.5)),
    "ring": Distribution("Ring of radius 2", 2, _ring(2.0, 0.1)),
    "eight_gaussians": Distribution("8 Gaussians on a circle", 2, _eight_gaussians(2.0, 0.1)),
    "square": Distribution("Uniform on [−1, 1]²", 2, lambda n, rng: rng.uniform(-1, 1, (n, 2))),
    "line_at_zero": Distribution("Line (0, U[0, 1])", 2, _vertical_line(0.0)),
    "line_at_one": Distribution("Line (1, U[0, 1])", 2, _vertical_line(1.0)),
}

DISTRIBUTIONS_1D: dict[str, Distribution] = {  # keys are URL ids: never rename
    "gaussian": Distribution("N(0, 1)", 1, _gaussian([0.0], 1.0)),
    "gaussian_shifted": Distribution("N(3, 1)", 1, _gaussian([3.0], 1.0)),
    "narrow_gaussian": Distribution("N(1, 0.3²)", 1, _gaussian([1.0], 0.3)),
    "two_bumps": Distribution("½ N(−2, 0.5²) + ½ N(2, 0.5²)", 1, _mixture([-2.0, 2.0], 0.5)),
    "uniform": Distribution("U[−1, 1]", 1, lambda n, rng: rng.uniform(-1, 1, n)),
    "exponential": Distribution("Exp(1)", 1, lambda n, rng: rng.exponential(1.0, n)),
}


def distributions(dimension: int) -> dict[str, Distribution]:
    """The registry for 1-D or 2-D samples."""
    if dimension not in (1, 2):
        raise ValueError(f"dimension must be 1 or 2, got {dimension}.")
    return DISTRIBUTIONS_1D if dimension == 1 else DISTRIBUTIONS_2D


def sample_pair(dimension: int, real: str, fake: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n samples of π (`real`) and n of p (`fake`), reproducible from `seed`."""
    registry = distributions(dimension)
    rng = np.random.default_rng(seed)
    return registry[real].sample(n, rng), registry[fake].sample(n, rng)


# ----------------------------------------------------------------------------------------------------
# Kantorovich–Rubinstein: a critic trained live
# ----------------------------------------------------------------------------------------------------


def lipschitz_constant(critic: Callable[[torch.Tensor], torch.Tensor], points) -> float:
    """max over `points` of ‖∇ₓ f(x)‖₂: a lower bound on the Lipschitz constant of the critic f.

    `points` is an array or tensor of shape [n, d] (or [n] for 1-D input). The critic must score each row
    independently (no batch statistics), so the gradient of Σᵢ f(xᵢ) with respect to xᵢ is ∇f(xᵢ).
    """
    inputs = points if torch.is_tensor(points) else torch.as_tensor(np.asarray(points, dtype=np.float32))
    inputs = inputs.float()
    if inputs.ndim == 1:
        inputs = inputs[:, None]
    with torch.enable_grad():
        return lipschitz.lipschitz_estimate(critic, inputs)


def make_critic(dimension: int, hidden_units: int, seed: int) -> nn.Module:
    """A small ReLU MLP x → f(x) ∈ ℝ with two hidden layers, initialised from `seed` with f ≡ 0."""
    generator = torch.Generator().manual_seed(seed)
    critic = nn.Sequential(
        nn.Linear(dimension, hidden_units), nn.ReLU(),
        nn.Linear(hidden_units, hidden_units), nn.ReLU(),
        nn.Linear(hidden_units, 1),
    )
    with torch.no_grad():  # PyTorch's default init (uniform ±1/√fan_in), drawn from our own generator
        for layer in critic:
            if isinstance(layer, nn.Linear):
                bound = 1.0 / np.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)
        # f ≡ 0 at the start, so the first steps follow E_π f − E_p f alone: from a random f the two-sided penalty
        # (‖∇f‖ − 1)² can hold a 1-D critic at slope −1, since turning means passing ‖∇f‖ = 0.
        critic[-1].weight.zero_()
        critic[-1].bias.zero_()
    return critic


def critic_objective(scores_real: torch.Tensor, scores_fake: torch.Tensor) -> torch.Tensor:
    """The Kantorovich–Rubinstein objective E_π f − E_p f, to be maximised over 1-Lipschitz f."""
    return scores_real.mean() - scores_fake.mean()


def _live(default, reason: str):
    """A setting that changes a running critic in place (see KantorovichCritic.apply)."""
    return field(default=default, metadata={"live": True, "help": reason})


@dataclass(frozen=True)
class CriticConfig:
    """Everything the Kantorovich–Rubinstein demo can change; fields marked live apply without a restart."""

    dimension: int = 2
    real: str = "gaussian_left"                 # π, an id of distributions(dimension)
    fake: str = "gaussian_right"                # p
    lipschitz: str = "gradient_penalty"         # a key of lipschitz.LIPSCHITZ_METHODS
    clip_value: float = _live(0.01, "WGAN's c; every weight is clamped into [−c, c].")
    # GP is soft: for a shift by W the critic settles at ‖∇f‖ = 1 + W/(2λ), so its estimate is W (1 + W/(2λ)).
    # λ = 30 keeps that bias near 5% at W ≈ 3; the paper's λ = 10 gives 15%.
    penalty_weight: float = _live(30.0, "WGAN-GP's λ.")
    # Adam at 3e-3 nears the final estimate within a few seconds of live training.
    learning_rate: float = _live(3e-3, "Adam's step size.")
    batch_size: int = 256
    hidden_units: int = 64
    evaluation_size: int = 1024                 # fixed evaluation batch: steady estimates, one quick exact solve
    grid_size: int = 48                         # 48 × 48 heat map in 2-D: small enough to send every frame
    seed: int = 0

    def live_fields(self) -> tuple[str, ...]:
        return tuple(name for name, spec in self.__dataclass_fields__.items() if spec.metadata.get("live"))


# ----------------------------------------------------------------------------------------------------
# The page's settings (URL ids are the page's first links' keys: never rename them)
# ----------------------------------------------------------------------------------------------------

SECTIONS = {"piles": "Piles of dirt", "clouds": "Point clouds", "critic": "Kantorovich–Rubinstein critic"}
SAMPLE_COUNTS = (10, 25, 50, 100, 200, 500, 1000)
MAX_PILES = 10
DIMENSIONS = {2: "2-D", 1: "1-D"}


@dataclass(frozen=True)
class EmdSection:
    """Which part of the earth mover's distance page is open (its tabs)."""

    section: str = knob("piles", "Section", live=True, choices=SECTIONS, widget="tabs", url="emd_section")


def _pile(name: str, index: int) -> Any:
    lecture = LECTURE_P if name == "P" else LECTURE_Q
    return knob(float(lecture[index - 1]) if index <= len(lecture) else 0.0, f"{name} at {index}", live=True,
                widget="number", step=1.0, url=f"emd_{name.lower()}{index}",
                help=f"Dirt in {name}'s pile {index} (lecture: P = 3, 2, 1, 4; Q = 1, 2, 4, 3).")


@dataclass(frozen=True)
class PileSettings:
    """Two histograms of dirt on positions 1, 2, …, up to MAX_PILES piles each; the lecture's by default."""

    piles: int = knob(len(LECTURE_P), "Number of piles", live=True, min=1, max=MAX_PILES, widget="number",
                      url="emd_piles", help="Positions 1, 2, …; one unit from i to j costs |i − j|.")
    p1: float = _pile("P", 1)
    p2: float = _pile("P", 2)
    p3: float = _pile("P", 3)
    p4: float = _pile("P", 4)
    p5: float = _pile("P", 5)
    p6: float = _pile("P", 6)
    p7: float = _pile("P", 7)
    p8: float = _pile("P", 8)
    p9: float = _pile("P", 9)
    p10: float = _pile("P", 10)
    q1: float = _pile("Q", 1)
    q2: float = _pile("Q", 2)
    q3: float = _pile("Q", 3)
    q4: float = _pile("Q", 4)
    q5: float = _pile("Q", 5)
    q6: float = _pile("Q", 6)
    q7: float = _pile("Q", 7)
    q8: float = _pile("Q", 8)
    q9: float = _pile("Q", 9)
    q10: float = _pile("Q", 10)

    def shows(self, name: str) -> bool:
        """Only the first `piles` piles of each histogram have a control."""
        return name == "piles" or int(name[1:]) <= self.piles

    def histograms(self) -> tuple[list[float], list[float]]:
        """P's and Q's first `piles` piles."""
        return tuple([getattr(self, f"{name}{index}") for index in range(1, self.piles + 1)] for name in "pq")


# The page's rows of pile controls: the count, then P's piles above Q's, pile i under pile i.
PILE_GROUPS = {"": ("piles",), **{f"{name} ({when})": tuple(f"{name.lower()}{i}" for i in range(1, MAX_PILES + 1))
                                  for name, when in (("P", "before"), ("Q", "after"))}}


def piles_problem(a, b) -> str | None:
    """Why the piles `a`, `b` have no transport plan to show (`emd`'s complaint, or nothing to move), or None."""
    try:
        _, plan = emd(a, b)
    except ValueError as error:
        return str(error)
    return "Both histograms are empty: put some dirt in P and the same amount in Q." if plan.sum() == 0 else None


@dataclass(frozen=True)
class CloudSettings:
    """Two 2-D point clouds matched one to one, and two 1-D samples compared through their CDFs."""

    real: str = knob("gaussian_left", "π", live=True, choices=DISTRIBUTIONS_2D, url="emd_cloud_real",
                     help="The blue cloud.")
    fake: str = knob("ring", "p", live=True, choices=DISTRIBUTIONS_2D, url="emd_cloud_fake", help="The orange cloud.")
    count: int = knob(100, "Points in each cloud", live=True, options=SAMPLE_COUNTS, url="emd_cloud_n",
                      help="Equal weights 1/n: the optimal plan is a permutation.")
    seed: int = knob(0, "Seed", live=True, min=0, max=2**31 - 1, widget="number", url="emd_cloud_seed",
                     help="Which samples are drawn (both sections).")
    line_real: str = knob("gaussian", "π (1-D)", live=True, choices=DISTRIBUTIONS_1D, url="emd_line_real",
                          help="F is its empirical CDF.")
    line_fake: str = knob("two_bumps", "p (1-D)", live=True, choices=DISTRIBUTIONS_1D, url="emd_line_fake",
                          help="G is its empirical CDF.")
    line_count: int = knob(200, "Samples of each", live=True, options=SAMPLE_COUNTS, url="emd_line_n",
                           help="Drawn with the seed above.")


@dataclass(frozen=True)
class CriticSettings:
    """The Kantorovich–Rubinstein critic's data and constraint; π and p are kept per dimension, so switching
    dimension and back restores the pair (and old links name them per dimension)."""

    dimension: int = knob(2, "Dimension", choices=DIMENSIONS, widget="radio", horizontal=True,
                          url="emd_kr_dimension", help="π and p on the plane or on the line.")
    real_2d: str = knob("gaussian_left", "π", choices=DISTRIBUTIONS_2D, url="emd_kr_real_2d",
                        help="Where f should be high.")
    fake_2d: str = knob("gaussian_right", "p", choices=DISTRIBUTIONS_2D, url="emd_kr_fake_2d",
                        help="Where f should be low.")
    real_1d: str = knob("gaussian_shifted", "π", choices=DISTRIBUTIONS_1D, url="emd_kr_real_1d",
                        help="Where f should be high.")
    fake_1d: str = knob("gaussian", "p", choices=DISTRIBUTIONS_1D, url="emd_kr_fake_1d", help="Where f should be low.")
    lipschitz: str = knob("gradient_penalty", "Lipschitz constraint", choices=lipschitz.LIPSCHITZ_METHODS,
                          aliases=lipschitz.LIPSCHITZ_ALIASES, widget="radio", url="emd_kr_method",
                          help="How f is kept (roughly) Lipschitz.")
    clip_value: float = knob(0.01, "Clipping constant c", live=True, format="{:g}", url="emd_kr_c",
                             options=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
                             help="Every weight and bias of f clamped into [−c, c] after each step (live).")
    penalty_weight: float = knob(30.0, "Gradient penalty λ", live=True, options=(0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
                                 format="{:g}", url="emd_kr_lambda",
                                 help="Weight of E(‖∇f(x̂)‖ − 1)² at points x̂ between samples of π and p (live).")
    learning_rate: float = knob(3e-3, "Learning rate", live=True, options=(3e-4, 1e-3, 3e-3, 1e-2), format="{:g}",
                                url="emd_kr_lr", help="Adam's step size (live).")
    seed: int = knob(0, "Seed", min=0, max=2**31 - 1, widget="number", url="emd_kr_seed",
                     help="Initial weights and samples.")

    def shows(self, name: str) -> bool:
        """π and p of the other dimension have no control."""
        return not name.endswith(("_1d", "_2d")) or name.endswith(f"_{self.dimension}d")

    def unused_note(self, name: str) -> str | None:
        """c belongs to weight clipping, λ to the gradient penalty."""
        method = {"clip_value": "clip", "penalty_weight": "gradient_penalty"}.get(name)
        if method is None or method == self.lipschitz:
            return None
        labels = lipschitz.LIPSCHITZ_METHODS
        return f"Only {labels[method]} uses it; f is kept Lipschitz by {labels[self.lipschitz]}."

    def critic_config(self) -> CriticConfig:
        """The run's configuration: this dimension's π and p, the constraint and the seed."""
        return CriticConfig(dimension=self.dimension, real=getattr(self, f"real_{self.dimension}d"),
                            fake=getattr(self, f"fake_{self.dimension}d"), lipschitz=self.lipschitz,
                            clip_value=self.clip_value, penalty_weight=self.penalty_weight,
                            learning_rate=self.learning_rate, seed=self.seed)


@functools.lru_cache(maxsize=32)  # a pure memo: one exact solve per data setting, not one per run or frame
def exact_evaluation_distance(dimension: int, real: str, fake: str, n: int, seed: int) -> float:
    """Exact W₁ (POT) between the fixed evaluation batches that `KantorovichCritic` scores."""
    return wasserstein(*sample_pair(dimension, real, fake, n, seed))


# Evaluation batches use a seed offset from the training stream so that they are not the first batches seen.
EVALUATION_SEED_OFFSET = 10_000
HISTORY_EVERY = 10          # record the evaluation estimate and K every 10 steps: a small share of a step's time
HISTORY_POINTS = 1_000      # thin the history curve to at most this many points in a snapshot
DRAWN_POINTS = 300          # samples of each distribution drawn over the heat map
# Adam's defaults: a lone critic's estimate wobbles less with them than with WGAN-GP's (0.5, 0.9) at lr 3e-3.
ADAM_BETAS = (0.9, 0.999)


@checkpoint.register
class KantorovichCritic(checkpoint.Checkpointable):
    """Train f to maximise E_π f − E_p f under weight clipping or a gradient penalty (a Steppable).

    By Kantorovich–Rubinstein duality, W₁(π, p) = sup over 1-Lipschitz f of E_π f − E_p f. A K-Lipschitz f can
    at best reach K · W₁, so a clipped critic (K set by c) estimates W₁ only up to that unknown scale.
    """

    CHECKPOINT_KIND, CHECKPOINT_LABEL = "kantorovich_critic", "Kantorovich critic (Earth mover's)"
    # What a saved file may ask for: the demo's own settings sit well inside (the exact W₁ costs n² memory).
    CHECKPOINT_LIMITS = {"dimension": (1, 2), "batch_size": (1, 4096), "hidden_units": (1, 512),
                         "evaluation_size": (2, 4096), "grid_size": (2, 200), "seed": (0, 2**31 - 1),
                         "clip_value": (1e-6, 10.0), "penalty_weight": (0.0, 1e4), "learning_rate": (1e-8, 10.0)}
    MAX_HISTORY = 10**6

    def __init__(self, config: CriticConfig | None = None):
        config = config or CriticConfig()
        self.config = config = replace(config, lipschitz=lipschitz.lipschitz_method(config.lipschitz))
        registry = distributions(config.dimension)
        if config.real not in registry or config.fake not in registry:
            raise ValueError(f"Unknown distribution for dimension {config.dimension}: {config.real}, {config.fake}.")
        self.step = 0
        self.diverged: str | None = None
        self._real_distribution, self._fake_distribution = registry[config.real], registry[config.fake]
        self._rng = np.random.default_rng(config.seed)
        self._torch_generator = torch.Generator().manual_seed(config.seed)
        self.critic = make_critic(config.dimension, config.hidden_units, config.seed)
        self.optimizer = torch.optim.Adam(self.critic.parameters(), lr=config.learning_rate, betas=ADAM_BETAS)
        if config.lipschitz == "clip":
            lipschitz.clip_weights(self.critic, config.clip_value)

        evaluation_seed = config.seed + EVALUATION_SEED_OFFSET
        real, fake = sample_pair(config.dimension, config.real, config.fake, config.evaluation_size, evaluation_seed)
        self.evaluation_real = torch.as_tensor(real, dtype=torch.float32)
        self.evaluation_fake = torch.as_tensor(fake, dtype=torch.float32)
        self.exact_wasserstein = exact_evaluation_distance(
            config.dimension, config.real, config.fake, config.evaluation_size, evaluation_seed
        )
        self._build_grid(np.concatenate([real, fake]))
        if config.dimension == 1:
            knots, values = kantorovich_potential_1d(real, fake)
            self._potential_on_grid = np.interp(self.grid_x, knots, values)
            self._potential_on_samples = np.interp(np.concatenate([real, fake])[:, 0], knots, values)
        self._history_steps: list[int] = []
        self._history_estimates: list[float] = []
        self._history_lipschitz: list[float] = []
        self._record_history()

    def _build_grid(self, points: np.ndarray) -> None:
        """A fixed box around the evaluation samples (15% margin), so the heat map's axes never move."""
        low, high = points.min(axis=0), points.max(axis=0)
        margin = 0.15 * np.maximum(high - low, 1.0)
        low, high = low - margin, high + margin
        if self.config.dimension == 1:
            self.grid_x = np.linspace(low[0], high[0], 200)
            self.grid_y = None
            self._grid_points = torch.as_tensor(self.grid_x[:, None], dtype=torch.float32)
        else:
            self.grid_x = np.linspace(low[0], high[0], self.config.grid_size)
            self.grid_y = np.linspace(low[1], high[1], self.config.grid_size)
            mesh_x, mesh_y = np.meshgrid(self.grid_x, self.grid_y)  # rows follow y, as a heat map's z does
            self._grid_points = torch.as_tensor(np.stack([mesh_x.ravel(), mesh_y.ravel()], 1), dtype=torch.float32)

    @classmethod
    def from_settings(cls, settings: CriticSettings) -> KantorovichCritic:
        """A critic built from the page's settings."""
        return cls(settings.critic_config())

    # -- live settings ------------------------------------------------------------------------------
    def reconfigure(self, config: CriticConfig | CriticSettings) -> list[str]:
        """Take the live fields (c, λ, learning rate) of `config` (or of the page's settings); returns the names
        that changed. The others need a new KantorovichCritic."""
        if isinstance(config, CriticSettings):
            config = config.critic_config()
        changed = [name for name in config.live_fields() if getattr(config, name) != getattr(self.config, name)]
        self.config = replace(self.config, **{name: getattr(config, name) for name in config.live_fields()})
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.learning_rate
        return changed

    # -- training -----------------------------------------------------------------------------------
    def _batch(self, distribution: Distribution) -> torch.Tensor:
        return torch.as_tensor(distribution.sample(self.config.batch_size, self._rng), dtype=torch.float32)

    def _train_step(self) -> dict[str, float]:
        """One critic update: ascend E_π f − E_p f (minus λ · penalty), then clip if WGAN."""
        config = self.config
        real, fake = self._batch(self._real_distribution), self._batch(self._fake_distribution)
        objective = critic_objective(self.critic(real), self.critic(fake))
        loss = -objective
        penalty = torch.zeros(())
        if config.lipschitz == "gradient_penalty":
            penalty = lipschitz.gradient_penalty(self.critic, real, fake, self._torch_generator)
            loss = loss + config.penalty_weight * penalty
        if not torch.isfinite(loss):
            self.diverged = f"The critic's loss became {loss.item()} at step {self.step}; lower the learning rate."
            return {}
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        if config.lipschitz == "clip":
            lipschitz.clip_weights(self.critic, config.clip_value)
        self.step += 1
        if self.step % HISTORY_EVERY == 0:
            self._record_history()
        return {"batch_estimate": objective.item(), "penalty": penalty.item()}

    def train(self, steps: int) -> dict[str, float]:
        """Advance `steps` critic updates (fewer once diverged); returns the last step's batch metrics."""
        metrics: dict[str, float] = {}
        for _ in range(steps):
            if self.diverged:
                break
            metrics = self._train_step() or metrics
        return metrics

    # -- reading ------------------------------------------------------------------------------------
    @torch.no_grad()
    def _evaluation_scores(self) -> tuple[np.ndarray, np.ndarray]:
        return self.critic(self.evaluation_real)[:, 0].numpy(), self.critic(self.evaluation_fake)[:, 0].numpy()

    def estimate(self) -> float:
        """E_π f − E_p f on the fixed evaluation batches."""
        scores_real, scores_fake = self._evaluation_scores()
        return float(scores_real.mean() - scores_fake.mean())

    def _sample_lipschitz(self) -> float:
        """max ‖∇f‖ on 256 evaluation samples of each distribution."""
        return lipschitz_constant(self.critic, torch.cat([self.evaluation_real[:256], self.evaluation_fake[:256]]))

    def _record_history(self) -> None:
        self._history_steps.append(self.step)
        self._history_estimates.append(self.estimate())
        self._history_lipschitz.append(self._sample_lipschitz())

    def snapshot(self) -> dict:
        """Numpy arrays and floats for drawing: estimate, its history, exact W₁, Lipschitz estimates, f on a grid."""
        scores_real, scores_fake = self._evaluation_scores()
        with torch.no_grad():
            critic_on_grid = self.critic(self._grid_points)[:, 0].numpy()
        lipschitz_grid = lipschitz_constant(self.critic, self._grid_points)
        lipschitz_samples = self._sample_lipschitz()
        history_steps = np.asarray(self._history_steps, dtype=np.float32)
        history_estimates = np.asarray(self._history_estimates, dtype=np.float32)
        history_lipschitz = np.asarray(self._history_lipschitz, dtype=np.float32)
        step, diverged = self.step, self.diverged
        stride = max(1, int(np.ceil(len(history_steps) / HISTORY_POINTS)))
        estimate = float(scores_real.mean() - scores_fake.mean())
        lipschitz_bound = max(lipschitz_grid, lipschitz_samples)
        snapshot = {
            "step": step,
            "diverged": diverged,
            "dimension": self.config.dimension,
            "lipschitz_method": self.config.lipschitz,
            "clip_value": self.config.clip_value,
            "penalty_weight": self.config.penalty_weight,
            "estimate": estimate,
            "exact_wasserstein": self.exact_wasserstein,
            "lipschitz_grid": lipschitz_grid,
            "lipschitz_samples": lipschitz_samples,
            "lipschitz": lipschitz_bound,
            # E_π f − E_p f ≤ K · W₁ for a K-Lipschitz f: dividing by the measured K undoes the clipping's scale.
            "normalised_estimate": estimate / lipschitz_bound if lipschitz_bound > 0 else 0.0,
            "history_steps": history_steps[::stride],
            "history_estimates": history_estimates[::stride],
            "history_normalised": (history_estimates / np.maximum(history_lipschitz, 1e-12))[::stride],
            "real_points": self.evaluation_real[:DRAWN_POINTS].numpy().copy(),
            "fake_points": self.evaluation_fake[:DRAWN_POINTS].numpy().copy(),
            "grid_x": self.grid_x.astype(np.float32),
        }
        if self.config.dimension == 2:
            size = self.config.grid_size
            snapshot["grid_y"] = self.grid_y.astype(np.float32)
            snapshot["critic_on_grid"] = critic_on_grid.reshape(size, size).astype(np.float32)
        else:
            snapshot["critic_on_grid"] = critic_on_grid.astype(np.float32)
            # f is defined up to a constant: shift the potential to the critic's mean on the evaluation samples.
            shift = np.concatenate([scores_real, scores_fake]).mean() - self._potential_on_samples.mean()
            snapshot["potential_on_grid"] = (self._potential_on_grid + shift).astype(np.float32)
        return snapshot

    # -- saving and loading (playground/checkpoint.py) ------------------------------------------------
    def _checkpoint_config(self) -> dict:
        return asdict(self.config)

    @classmethod
    def _from_checkpoint_config(cls, values: dict) -> KantorovichCritic:
        return cls(checkpoint.dataclass_from(CriticConfig, values, cls.CHECKPOINT_LIMITS))

    def _checkpoint_state(self) -> dict:
        return {"critic": self.critic.state_dict(), "optimizer": self.optimizer.state_dict(),
                "numpy_rng": self._rng.bit_generator.state, "torch_rng": self._torch_generator.get_state(),
                "step": self.step, "diverged": self.diverged,
                "history": torch.tensor([self._history_steps, self._history_estimates, self._history_lipschitz],
                                        dtype=torch.float64).T.contiguous()}

    def _restore_checkpoint_state(self, state: dict, template: dict) -> None:
        checkpoint.check_like(state, template, "state", {
            "state.optimizer": checkpoint.optimizer_checker(self.optimizer, list(self.critic.parameters())),
            "state.numpy_rng": checkpoint.numpy_rng_checker(template["numpy_rng"]),
            "state.history": checkpoint.bounded_rows(self.MAX_HISTORY, 3)})
        if not 0 <= state["step"] < 2**53:
            raise ValueError("The file's step counter is out of range.")
        self.critic.load_state_dict(state["critic"])
        self.optimizer.load_state_dict(state["optimizer"])
        self._rng.bit_generator.state = state["numpy_rng"]
        self._torch_generator.set_state(state["torch_rng"])
        self.step, self.diverged = state["step"], state["diverged"]
        steps, estimates, lipschitz_values = state["history"].T.tolist() if len(state["history"]) else ([], [], [])
        self._history_steps = [int(step) for step in steps]
        self._history_estimates, self._history_lipschitz = estimates, lipschitz_values


# The Earth mover's page's critic section: what to look for (the figures are measured at the page's defaults).
CRITIC_CAPTION = (
    r"**Look for:** with the gradient penalty, $E_\pi f - E_p f$ climbs to the exact W₁ with K ≈ 1 (a little "
    "above: a soft penalty settles at ‖∇f‖ ≈ 1 + W/2λ), and f ramps from p up to π. With clipping K scales "
    "like c³ in this 3-layer critic, so the estimate gives W₁ only up to an unknown scale; estimate / K "
    "recovers the order of magnitude. At the defaults (2-D, 200 steps) K ≈ 0.0025 at c = 0.01, 2.6 at c = 0.1 "
    "and 2,400 at c = 1, where the estimate overshoots W₁ over a thousandfold; the line under the charts says "
    "on which side of 1 this run's K is. In 1-D, f follows an optimal "
    r"potential f* of slope ±1 ($f^{*\prime} = \operatorname{sign}(F_p - F_\pi)$). "
    "Ring against 8 Gaussians moves dirt only a little: "
    "there the penalty dominates at large λ; try λ = 1."
)

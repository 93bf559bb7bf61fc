"""The optimal discriminator in 1-D: for π = N(0, s_π²) and p_θ = N(θ, s_p²) (or uniforms), optionally both
blurred by instance noise N(0, σ²), D*(x) = π(x) / (π(x) + p_θ(x)) and V(G, D*) = 2·JSD(π‖p_θ) − log 4.
With separated supports D* is 0 or 1 wherever the mass is, and its slope at the fakes is zero; noise brings it
back. A small network trained live with the minimax loss can be drawn over D*."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
import torch
from scipy import special
from torch import Tensor

from playground import checkpoint, objectives
from playground.models import Critic
from playground.settings import Preset, knob

FAMILIES = {  # id -> label (links hold either, and old links hold the label: keep it short and stable)
    "gaussian": "Gaussians",
    "uniform": "Uniforms",
}
LOG_4 = math.log(4.0)
OPTIMAL_DISCRIMINATOR_TEX = (r"D^*(x) = \frac{\pi(x)}{\pi(x)+p_\theta(x)},\qquad "
                             r"V(G, D^*) = 2\,\mathrm{JSD}(\pi\,\|\,p_\theta) - \log 4")


@dataclass(frozen=True)
class Pair:
    """π = family(0, real_width) and p_θ = family(theta, fake_width), both convolved with N(0, noise²).

    "gaussian": N(centre, width²). "uniform": U[centre − width, centre + width] (disjoint supports are possible,
    where D* is exactly 0 and 1). The page's settings: every field is live (the discriminator keeps training
    against the new pair); the defaults are the overlapping pair."""

    theta: float = knob(1.0, "θ (mean of $p_\\theta$)", live=True, min=-5.0, max=5.0, step=0.1, url="vg_theta",
                        help="π is centred at 0, $p_\\theta$ at θ.")
    real_width: float = knob(1.0, "Width of π", live=True, min=0.05, max=2.0, step=0.05, url="vg_real_width",
                             help="Standard deviation (Gaussian) or half-width (uniform) of π.")
    fake_width: float = knob(1.0, "Width of $p_\\theta$", live=True, min=0.05, max=2.0, step=0.05, url="vg_fake_width",
                             help="Standard deviation (Gaussian) or half-width (uniform) of $p_\\theta$.")
    noise: float = knob(0.0, "Instance noise σ", live=True, min=0.0, max=2.0, step=0.05, url="vg_noise",
                        help="Both π and $p_\\theta$ are blurred by N(0, σ²) before D sees them.")
    family: str = knob("gaussian", "Distributions", live=True, choices=FAMILIES, url="vg_family",
                       help="Gaussians N(centre, width²), or uniforms on [centre − width, centre + width], which "
                       "can have exactly disjoint supports.")

    def __post_init__(self):
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {', '.join(FAMILIES)}")
        values = (self.theta, self.real_width, self.fake_width, self.noise)
        if not all(math.isfinite(float(value)) for value in values):
            raise ValueError(f"θ, the widths and the noise must be finite numbers, got {values}")
        if not (self.real_width > 0 and self.fake_width > 0 and self.noise >= 0):
            raise ValueError("widths must be > 0 and noise ≥ 0")


PRESETS = {  # URL ids, never renamed; the labels are the ids, as the page has always shown them
    # θ/width = 16: log π/p_θ ≈ −140 at the fakes, D* ≈ e^−140 there: 0 in float32, and its slope with it.
    "separated": Preset("separated", "Supports far apart relative to their widths: D* is 1 on π and 0 on $p_\\theta$, "
                        "flat where the fakes are.", {"theta": 4.8, "real_width": 0.3, "fake_width": 0.3}),
    "overlapping": Preset("overlapping", "The densities overlap: D* slides smoothly from 1 to 0 and has a slope at "
                          "the fakes.", {}),
    "matched": Preset("matched", "$p_\\theta$ = π: D* = ½ everywhere and V(G, D*) = −log 4, the minimum.",
                      {"theta": 0.0}),
}


def preset_pair(preset_id: str) -> Pair:
    """The pair a preset starts from."""
    return PRESETS[preset_id].settings(Pair)


# --- densities ------------------------------------------------------------------------------------------------


def _log_difference_of_normal_cdfs(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """log(Φ(upper) − Φ(lower)) for upper ≥ lower, accurate in both tails."""
    right_tail = lower > 0  # both large: Φ(u) − Φ(l) = Φ(−l) − Φ(−u) avoids 1 − 1
    a = np.where(right_tail, -lower, upper)
    b = np.where(right_tail, -upper, lower)
    log_a, log_b = special.log_ndtr(a), special.log_ndtr(b)
    with np.errstate(divide="ignore"):
        return log_a + np.log1p(-np.exp(np.minimum(log_b - log_a, 0.0)))


def log_density(x, centre: float, width: float, family: str, noise: float = 0.0) -> np.ndarray:
    """log of N(centre, width² + noise²), or of U[centre ± width] convolved with N(0, noise²):
    log[(Φ((x − a)/σ) − Φ((x − b)/σ)) / (b − a)]; −inf off a noise-free uniform's support."""
    x = np.asarray(x, dtype=np.float64)
    if family == "gaussian":
        variance = width**2 + noise**2
        return -0.5 * (x - centre) ** 2 / variance - 0.5 * math.log(2 * math.pi * variance)
    low, high = centre - width, centre + width
    if noise == 0:
        inside = (x >= low) & (x <= high)
        return np.where(inside, -math.log(high - low), -np.inf)
    return _log_difference_of_normal_cdfs((x - low) / noise, (x - high) / noise) - math.log(high - low)


def log_density_slope(x, centre: float, width: float, family: str, noise: float = 0.0) -> np.ndarray:
    """d/dx log density. Gaussian: −(x − centre)/(width² + noise²). Blurred uniform: (φ(u) − φ(v)) / (σ(Φ(u) −
    Φ(v))) with u = (x − a)/σ, v = (x − b)/σ. Noise-free uniform: 0 on the support, NaN off it."""
    x = np.asarray(x, dtype=np.float64)
    if family == "gaussian":
        return -(x - centre) / (width**2 + noise**2)
    low, high = centre - width, centre + width
    if noise == 0:
        return np.where((x >= low) & (x <= high), 0.0, np.nan)
    u, v = (x - low) / noise, (x - high) / noise
    log_mass = _log_difference_of_normal_cdfs(u, v)
    log_phi_u, log_phi_v = -0.5 * u**2 - 0.5 * math.log(2 * math.pi), -0.5 * v**2 - 0.5 * math.log(2 * math.pi)
    return (np.exp(log_phi_u - log_mass) - np.exp(log_phi_v - log_mass)) / noise


def real_log_density(x, pair: Pair) -> np.ndarray:
    return log_density(x, 0.0, pair.real_width, pair.family, pair.noise)


def fake_log_density(x, pair: Pair) -> np.ndarray:
    return log_density(x, pair.theta, pair.fake_width, pair.family, pair.noise)


def log_ratio(x, pair: Pair) -> np.ndarray:
    """r(x) = log π(x) − log p_θ(x): the optimal logit, s*(x) = r(x). ±inf where one density vanishes, NaN where
    both do (off both supports of noise-free uniforms: there any D is optimal)."""
    with np.errstate(invalid="ignore"):
        return real_log_density(x, pair) - fake_log_density(x, pair)


# --- the optimal discriminator ----------------------------------------------------------------------------------


def optimal_discriminator(x, pair: Pair) -> np.ndarray:
    """D*(x) = π(x) / (π(x) + p_θ(x)) = σ(log π(x) − log p_θ(x)), computed in log space (no 0/0, no overflow).
    NaN where both densities are 0 (only off the supports of noise-free uniforms)."""
    return special.expit(log_ratio(x, pair))


def optimal_discriminator_slope(x, pair: Pair) -> np.ndarray:
    """∂D*/∂x = D*(1 − D*) · (∂ log π/∂x − ∂ log p_θ/∂x), with D*(1 − D*) = exp(log σ(r) + log σ(−r)) so that
    it underflows cleanly to 0 where D* saturates."""
    ratio = log_ratio(x, pair)
    with np.errstate(invalid="ignore", over="ignore"):
        spread = np.exp(special.log_expit(ratio) + special.log_expit(-ratio))
        slope = (log_density_slope(x, 0.0, pair.real_width, pair.family, pair.noise)
                 - log_density_slope(x, pair.theta, pair.fake_width, pair.family, pair.noise))
        # A saturated D* is flat whatever the log-densities do (0 · ±inf and 0 · NaN would read as NaN).
        return np.where(spread == 0, 0.0, spread * np.nan_to_num(slope))


# --- quadrature -------------------------------------------------------------------------------------------------

NODES_PER_PANEL = 12       # Gauss–Legendre nodes on each panel
TAIL_WIDTHS = 12.0         # e^(−12²/2) ≈ 5e-32: beyond 12 widths a Gaussian (or a blurred edge) holds nothing
PANELS_PER_WIDTH = 4       # panel length ≤ width/4 wherever a density changes on that scale
BACKGROUND_PANELS = 128    # a floor of even panels over the whole domain
_LEGENDRE_NODES, _LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(NODES_PER_PANEL)


def _breakpoints(centre: float, width: float, family: str, noise: float) -> np.ndarray:
    """Panel edges that resolve one density: dense within 12 widths of a Gaussian or of a blurred edge."""
    if family == "gaussian":
        scale = math.hypot(width, noise)
        return centre + scale * np.linspace(-TAIL_WIDTHS, TAIL_WIDTHS, int(2 * TAIL_WIDTHS * PANELS_PER_WIDTH) + 1)
    low, high = centre - width, centre + width
    points = [np.linspace(low, high, 17)]
    if noise > 0:
        offsets = noise * np.linspace(-TAIL_WIDTHS, TAIL_WIDTHS, int(2 * TAIL_WIDTHS * PANELS_PER_WIDTH) + 1)
        points += [low + offsets, high + offsets]
    return np.concatenate(points)


def _quadrature(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of a composite Gauss–Legendre rule that resolves both densities, their edges and the
    points where log π = log p_θ (where log D* bends). Exact for noise-free uniforms (constant on each panel)."""
    real = _breakpoints(0.0, pair.real_width, pair.family, pair.noise)
    fake = _breakpoints(pair.theta, pair.fake_width, pair.family, pair.noise)
    edges = np.concatenate([real, fake])
    low, high = edges.min(), edges.max()
    edges = np.concatenate([edges, np.linspace(low, high, BACKGROUND_PANELS + 1), _crossings(pair, low, high)])
    edges = np.unique(edges)
    edges = edges[np.concatenate([[True], np.diff(edges) > 1e-12 * (high - low)])]
    left, right = edges[:-1, None], edges[1:, None]
    nodes = 0.5 * (left + right) + 0.5 * (right - left) * _LEGENDRE_NODES[None, :]
    weights = 0.5 * (right - left) * _LEGENDRE_WEIGHTS[None, :]
    return nodes.ravel(), weights.ravel()


def _crossings(pair: Pair, low: float, high: float) -> np.ndarray:
    """Where log π(x) = log p_θ(x) for Gaussians (a quadratic in x), and where their difference is flat; none needed
    for the uniforms' step edges."""
    if pair.family != "gaussian":
        return np.zeros(0)
    real_variance, fake_variance = pair.real_width**2 + pair.noise**2, pair.fake_width**2 + pair.noise**2
    # −x²/(2a) − ½log a = −(x − θ)²/(2b) − ½log b  ⇔  A x² + B x + C = 0
    a_coefficient = 0.5 / fake_variance - 0.5 / real_variance
    b_coefficient = -pair.theta / fake_variance
    c_coefficient = 0.5 * pair.theta**2 / fake_variance + 0.5 * math.log(fake_variance / real_variance)
    roots = np.roots([a_coefficient, b_coefficient, c_coefficient]) if (a_coefficient or b_coefficient) else []
    roots = np.real(np.asarray(roots)[np.isreal(roots)]) if len(roots) else np.zeros(0)
    # and where (log π/p_θ)' = 0, the kink of |∂D*/∂x| (inside a panel it costs mean_slope_at_fakes its accuracy)
    if real_variance != fake_variance:
        roots = np.append(roots, pair.theta * real_variance / (real_variance - fake_variance))
    return roots[(roots > low) & (roots < high)]


def _expectations(pair: Pair) -> tuple[float, float]:
    """(E_π log D*(x), E_{p_θ} log(1 − D*(x))) by quadrature; log D* = −softplus(−r), log(1 − D*) = −softplus(r)."""
    nodes, weights = _quadrature(pair)
    log_real, log_fake = real_log_density(nodes, pair), fake_log_density(nodes, pair)
    with np.errstate(invalid="ignore"):  # 0 · (−inf) off a support: masked by the np.where below
        ratio = log_real - log_fake
        real_part = np.where(np.isfinite(log_real), np.exp(log_real) * special.log_expit(ratio), 0.0)
        fake_part = np.where(np.isfinite(log_fake), np.exp(log_fake) * special.log_expit(-ratio), 0.0)
    return float(weights @ real_part), float(weights @ fake_part)


def value_at_optimum(pair: Pair) -> float:
    """V(G, D*) = E_π log D*(x) + E_{p_θ} log(1 − D*(x)) = 2·JSD(π‖p_θ) − log 4 ∈ [−log 4, 0]."""
    real_part, fake_part = _expectations(pair)
    return min(0.0, max(-LOG_4, real_part + fake_part))


def jensen_shannon(pair: Pair) -> float:
    """JSD(π‖p_θ) = (V(G, D*) + log 4) / 2 (natural log, ≤ log 2)."""
    return 0.5 * (value_at_optimum(pair) + LOG_4)


def value_curve(thetas, pair: Pair) -> np.ndarray:
    """V(G, D*) at each θ, the other settings as in `pair`: the slide's curve, flat at 0 once supports part."""
    return np.array([value_at_optimum(replace(pair, theta=float(theta))) for theta in np.asarray(thetas).ravel()])


def mean_slope_at_fakes(pair: Pair) -> float:
    """E_{x∼p_θ} |∂D*/∂x|: how much D* tells the fakes where to move (0 when the supports are apart)."""
    nodes, weights = _quadrature(pair)
    log_fake = fake_log_density(nodes, pair)
    density = np.where(np.isfinite(log_fake), np.exp(log_fake), 0.0)
    slope = np.abs(optimal_discriminator_slope(nodes, pair))
    return float(weights @ np.where(density > 0, density * np.nan_to_num(slope), 0.0))


# --- sampling -------------------------------------------------------------------------------------------------


def sample(pair: Pair, n: int, generator: torch.Generator, which: str) -> Tensor:
    """n points [n, 1] from π (which="real") or p_θ (which="fake"), with the instance noise added."""
    centre, width = (0.0, pair.real_width) if which == "real" else (pair.theta, pair.fake_width)
    if pair.family == "gaussian":
        points = centre + width * torch.randn(n, 1, generator=generator)
    else:
        points = centre + width * (2 * torch.rand(n, 1, generator=generator) - 1)
    if pair.noise > 0:
        points = points + pair.noise * torch.randn(n, 1, generator=generator)
    return points


# --- a discriminator trained live -------------------------------------------------------------------------------

PLOT_LIMIT = 7.0           # the page's fixed x-axis [−7, 7]: θ runs over [−5, 5], widths up to 2
GRID_POINTS = 401
SNAPSHOT_SAMPLES = 200     # points in each rug


@checkpoint.register
class LiveDiscriminator(checkpoint.Checkpointable):
    """A small MLP D(x) = σ(s(x)) trained with the minimax critic loss on fresh samples of π and p_θ.

    Steppable: `train(steps)` takes Adam steps; `snapshot()` gives D on a grid next to D* (and the densities).
    `pair` may change between calls (a slider moved): training continues against the new distributions.
    """

    def __init__(self, pair: Pair = Pair(), *, seed: int = 0, hidden_units: int = 32,
                 depth: int = 2, learning_rate: float = 3e-3, batch_size: int = 256):
        self.pair = pair
        self.batch_size = batch_size
        self._seed, self._hidden_units, self._depth = seed, hidden_units, depth  # for a saved run's settings
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.critic = Critic(hidden_units, depth, "relu", data_size=1)
        self.optimizer = torch.optim.Adam(self.critic.parameters(), lr=learning_rate, betas=(0.5, 0.999))
        self.rng = torch.Generator().manual_seed(seed)
        self._evaluation_seed = seed + 1  # one fixed evaluation sample: V(G, D) does not flicker with noise
        self.step = 0
        self.diverged: str | None = None
        self.loss = float("nan")
        self.grid = np.linspace(-PLOT_LIMIT, PLOT_LIMIT, GRID_POINTS)

    @property
    def config(self) -> Pair:
        """The pair of distributions the discriminator learns to tell apart (the `Steppable` contract)."""
        return self.pair

    def reconfigure(self, pair: Pair) -> list[str]:
        """Move to another pair in place (the discriminator keeps its weights); returns the fields that changed."""
        changed = [item.name for item in fields(Pair) if getattr(pair, item.name) != getattr(self.pair, item.name)]
        self.pair = pair
        return changed

    def train(self, steps: int = 1) -> dict[str, float]:
        for _ in range(int(steps)):
            if self.diverged:
                break
            real = sample(self.pair, self.batch_size, self.rng, "real")
            fake = sample(self.pair, self.batch_size, self.rng, "fake")
            scores = self.critic(torch.cat([real, fake]))
            loss = objectives.minimax_critic_loss(scores[: self.batch_size], scores[self.batch_size:])
            if not torch.isfinite(loss):
                self.diverged = f"The discriminator's loss became non-finite at step {self.step:,}."
                break
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1
            self.loss = loss.item()
        return {"step": float(self.step), "critic_loss": self.loss}

    # --- saving and loading (playground/checkpoint.py) --------------------------------------------------
    CHECKPOINT_KIND, CHECKPOINT_LABEL = "optimal_discriminator", "Optimal discriminator"
    CHECKPOINT_LIMITS = {"seed": (0, 2**31 - 1), "hidden_units": (1, 512), "depth": (1, 8),
                         "learning_rate": (1e-8, 10.0), "batch_size": (1, 8192)}
    PAIR_LIMITS = {"theta": (-1e3, 1e3), "real_width": (1e-6, 1e3), "fake_width": (1e-6, 1e3), "noise": (0.0, 1e3)}

    def _checkpoint_config(self) -> dict[str, Any]:
        return {"pair": asdict(self.pair), "seed": self._seed, "hidden_units": self._hidden_units, "depth": self._depth,
                "learning_rate": float(self.optimizer.param_groups[0]["lr"]), "batch_size": self.batch_size}

    @classmethod
    def _from_checkpoint_config(cls, values: dict[str, Any]) -> LiveDiscriminator:
        if not isinstance(values, dict) or set(values) != {"pair", *cls.CHECKPOINT_LIMITS}:
            raise ValueError("The file's config does not list this run's settings.")
        for name, (low, high) in cls.CHECKPOINT_LIMITS.items():
            value, whole = values[name], name != "learning_rate"
            if type(value) not in ((int,) if whole else (int, float)) or not low <= value <= high:
                raise ValueError(f"The file's config has {name}={value!r:.40}, not a "
                                 f"{'whole ' if whole else ''}number in [{low}, {high}].")
        pair = checkpoint.dataclass_from(Pair, values["pair"], cls.PAIR_LIMITS)
        return cls(pair, **{name: values[name] for name in cls.CHECKPOINT_LIMITS})

    def _checkpoint_state(self) -> dict[str, Any]:
        return {"critic": self.critic.state_dict(), "optimizer": self.optimizer.state_dict(),
                "rng": self.rng.get_state(), "step": self.step, "diverged": self.diverged, "loss": self.loss}

    def _restore_checkpoint_state(self, state: dict[str, Any], template: dict[str, Any]) -> None:
        checkpoint.check_like(state, template, "state", {
            "state.optimizer": checkpoint.optimizer_checker(self.optimizer, list(self.critic.parameters()))})
        if not 0 <= state["step"] < 2**53:
            raise ValueError("The file's step counter is out of range.")
        self.critic.load_state_dict(state["critic"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.set_state(state["rng"])
        self.step, self.diverged, self.loss = state["step"], state["diverged"], state["loss"]

    def snapshot(self) -> dict[str, Any]:
        """D and D* on the grid, both densities, a few samples, and V(G, D) next to V(G, D*) ≥ V(G, D)."""
        pair = self.pair
        grid = self.grid
        with torch.no_grad():
            logits = self.critic(torch.from_numpy(grid.astype(np.float32))[:, None]).double().numpy()
            generator = torch.Generator().manual_seed(self._evaluation_seed)  # the same rug on every frame
            real = sample(pair, SNAPSHOT_SAMPLES, generator, "real")[:, 0].numpy()
            fake = sample(pair, SNAPSHOT_SAMPLES, generator, "fake")[:, 0].numpy()
        real_density = np.exp(real_log_density(grid, pair))
        fake_density = np.exp(fake_log_density(grid, pair))
        return {
            "step": self.step,
            "pair": pair,
            "x": grid.astype(np.float32),
            "d": special.expit(logits).astype(np.float32),
            "d_optimal": optimal_discriminator(grid, pair).astype(np.float32),
            "real_density": real_density.astype(np.float32),
            "fake_density": fake_density.astype(np.float32),
            "real_samples": real.astype(np.float32),
            "fake_samples": fake.astype(np.float32),
            "value": grid_value(grid, logits, real_density, fake_density),
            "value_optimal": value_at_optimum(pair),
            "critic_loss": self.loss,
            "diverged": self.diverged,
        }


def grid_value(grid: np.ndarray, logits: np.ndarray, real_density: np.ndarray, fake_density: np.ndarray) -> float:
    """V(G, D) = ∫ π log D + p_θ log(1 − D) dx by the trapezoid rule on the grid, with D = σ(s):
    log D = −softplus(−s), log(1 − D) = −softplus(s). Never above V(G, D*) (up to the grid's error)."""
    integrand = -real_density * np.logaddexp(0.0, -logits) - fake_density * np.logaddexp(0.0, logits)
    return float(np.trapezoid(integrand, grid))

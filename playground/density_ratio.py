"""The density-ratio trick: a classifier s(x) trained with the logistic loss to tell q₁ (label 1) from q₂
(label 0) learns s*(x) = log q₁(x)/q₂(x), so D/(1 − D) = e^s estimates the ratio and E_{q₁}[s(x)] estimates
KL(q₁‖q₂). Pairs of 1-D and 2-D distributions with known densities let the estimate meet the truth."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from functools import cache

import numpy as np
import torch
from scipy import special
from torch import Tensor

from playground import checkpoint, objectives
from playground.models import mlp
from playground.settings import knob

# --- distributions with a sampler and an exact log-density ---------------------------------------------------


@dataclass(frozen=True)
class GaussianMixture:
    """Σₖ wₖ N(meanₖ, diag(stdₖ²)) in `dimension` dimensions; one component is a plain Gaussian."""

    weights: tuple[float, ...]
    means: tuple[tuple[float, ...], ...]
    stds: tuple[tuple[float, ...], ...]

    @property
    def dimension(self) -> int:
        return len(self.means[0])

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        weights = torch.tensor(self.weights, dtype=torch.float32)
        component = torch.multinomial(weights, n, replacement=True, generator=generator)
        means = torch.tensor(self.means, dtype=torch.float32)[component]
        stds = torch.tensor(self.stds, dtype=torch.float32)[component]
        return means + stds * torch.randn(n, self.dimension, generator=generator)

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """log Σₖ wₖ Πᵢ N(xᵢ; μₖᵢ, σₖᵢ²) for points [n, d], by log-sum-exp."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, self.dimension)
        means, stds = np.asarray(self.means), np.asarray(self.stds)
        standardised = (points[:, None, :] - means[None]) / stds[None]
        log_components = (-0.5 * standardised**2 - np.log(stds)[None] - 0.5 * math.log(2 * math.pi)).sum(-1)
        return special.logsumexp(log_components + np.log(self.weights)[None], axis=1)


@dataclass(frozen=True)
class UniformBox:
    """The uniform distribution on the box [low, high] (one interval per dimension)."""

    low: tuple[float, ...]
    high: tuple[float, ...]

    @property
    def dimension(self) -> int:
        return len(self.low)

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        low, high = torch.tensor(self.low), torch.tensor(self.high)
        return low + (high - low) * torch.rand(n, self.dimension, generator=generator)

    def log_density(self, points: np.ndarray) -> np.ndarray:
        """−log(volume) inside the box, −∞ outside."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, self.dimension)
        low, high = np.asarray(self.low), np.asarray(self.high)
        inside = np.all((points >= low) & (points <= high), axis=1)
        return np.where(inside, -np.log(high - low).sum(), -np.inf)


Distribution = GaussianMixture | UniformBox


def gaussian(mean: tuple[float, ...], std: tuple[float, ...]) -> GaussianMixture:
    """N(mean, diag(std²)) as a one-component mixture."""
    return GaussianMixture((1.0,), (mean,), (std,))


@dataclass(frozen=True)
class DistributionPair:
    """q₁ (the numerator, label 1) and q₂ (the denominator, label 0), and the window that shows both."""

    label: str
    numerator: Distribution
    denominator: Distribution
    extent: tuple[float, float]          # plot window [low, high] on every axis
    note: str = ""

    @property
    def dimension(self) -> int:
        return self.numerator.dimension

    def log_ratio(self, points: np.ndarray) -> np.ndarray:
        """Exact log q₁(x)/q₂(x): +∞ where only q₁ has mass, −∞ where only q₂ has, NaN where neither has."""
        log_q1, log_q2 = self.numerator.log_density(points), self.denominator.log_density(points)
        with np.errstate(invalid="ignore"):
            return log_q1 - log_q2


PAIRS: dict[str, DistributionPair] = {  # keys are URL ids: never rename
    "gaussians": DistributionPair(
        "1-D: N(0, 1) vs N(1, 1.5²)", gaussian((0.0,), (1.0,)), gaussian((1.0,), (1.5,)), (-5.0, 6.0),
        "Both have mass everywhere and the exact log-ratio is a parabola; the classifier can find it where "
        "both have samples."),
    "mixture": DistributionPair(
        "1-D: two bumps vs a broad Gaussian",
        GaussianMixture((0.5, 0.5), ((-2.0,), (2.0,)), ((0.5,), (0.5,))), gaussian((0.0,), (2.0,)),
        (-6.0, 6.0), "No closed form: the exact KL comes from numerical integration."),
    "wide_over_narrow": DistributionPair(
        "1-D: N(0, 1.5²) vs N(0, 0.5²) (q₂ thin in the tails)", gaussian((0.0,), (1.5,)),
        gaussian((0.0,), (0.5,)), (-5.0, 5.0),
        "The true log-ratio grows like x² in the tails where q₂ has almost no samples: the classifier "
        "cannot see it there."),
    "no_overlap": DistributionPair(
        "1-D: U[−2, 2] vs U[−1, 1] (q₂ has no mass on the sides)", UniformBox((-2.0,), (2.0,)),
        UniformBox((-1.0,), (1.0,)), (-3.0, 3.0),
        "On 1 < |x| < 2 only q₁ has mass: the true ratio is infinite, KL(q₁‖q₂) = ∞, and the logistic loss "
        "rewards a larger logit there at every step, so it keeps climbing as you train."),
    "gaussians_2d": DistributionPair(
        "2-D: N(0, I) vs N((1, 0), diag(1.5², 0.75²))", gaussian((0.0, 0.0), (1.0, 1.0)),
        gaussian((1.0, 0.0), (1.5, 0.75)), (-4.0, 4.0),
        "A quadratic log-ratio in the plane; where neither has samples nothing pins the logit to it."),
    "ring_2d": DistributionPair(
        "2-D: eight Gaussians on a ring vs N(0, 1.5² I)",
        GaussianMixture(
            (0.125,) * 8,
            tuple((2.0 * math.cos(angle), 2.0 * math.sin(angle)) for angle in np.arange(8) * math.pi / 4),
            ((0.3, 0.3),) * 8),
        gaussian((0.0, 0.0), (1.5, 1.5)), (-4.0, 4.0),
        "Eight peaks of the ratio; the exact KL comes from numerical integration on a fine grid."),
}


# --- exact references --------------------------------------------------------------------------------------


def gaussian_kl(mean_1, std_1, mean_2, std_2) -> float:
    """KL(N(μ₁, diag σ₁²) ‖ N(μ₂, diag σ₂²)) = Σᵢ log(σ₂ᵢ/σ₁ᵢ) + (σ₁ᵢ² + (μ₁ᵢ − μ₂ᵢ)²)/(2σ₂ᵢ²) − ½."""
    mean_1, std_1, mean_2, std_2 = (np.asarray(v, dtype=np.float64) for v in (mean_1, std_1, mean_2, std_2))
    return float(np.sum(np.log(std_2 / std_1) + (std_1**2 + (mean_1 - mean_2) ** 2) / (2 * std_2**2) - 0.5))


def quadrature_grid(pair: DistributionPair, points_per_axis: int) -> tuple[np.ndarray, float]:
    """Grid points covering the pair's window widened by a quarter on each side, and the volume of one cell."""
    low, high = pair.extent
    margin = 0.25 * (high - low)
    axis = np.linspace(low - margin, high + margin, points_per_axis)
    cell = (axis[1] - axis[0]) ** pair.dimension
    mesh = np.meshgrid(*([axis] * pair.dimension), indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1), cell


@cache
def exact_kl(pair_id: str) -> float:
    """KL(q₁‖q₂) = ∫ q₁ log(q₁/q₂): closed form for two Gaussians, ∞ where q₁ has mass outside q₂'s support,
    otherwise a Riemann sum on a fine grid (error ≪ 10⁻³ for these smooth densities)."""
    pair = PAIRS[pair_id]
    first, second = pair.numerator, pair.denominator
    if isinstance(first, GaussianMixture) and isinstance(second, GaussianMixture) \
            and len(first.weights) == len(second.weights) == 1:
        return gaussian_kl(first.means[0], first.stds[0], second.means[0], second.stds[0])
    points, cell = quadrature_grid(pair, 20_001 if pair.dimension == 1 else 301)
    log_q1 = first.log_density(points)
    has_mass = np.isfinite(log_q1)
    log_ratio = pair.log_ratio(points[has_mass])
    if np.any(np.isposinf(log_ratio)):
        return math.inf
    return float(np.sum(np.exp(log_q1[has_mass]) * log_ratio) * cell)


MASS_COVERAGE = 0.99   # a point is "where q has mass" inside the smallest region holding 99 % of q's mass
CAPTION = (
    "The logit is judged against the exact log-ratio where both distributions have mass: unshaded in 1-D, inside "
    f"the dotted contour in 2-D (inside the smallest regions holding {MASS_COVERAGE:.0%} of q₁'s and of q₂'s mass). "
    "Outside, few samples constrain it. The KL estimate $E_{q_1}[s(x)]$ averages the logit over q₁'s samples, so it "
    "inherits the logit's errors wherever q₁ has mass and q₂ little or none.")


@cache
def _mass_threshold(pair_id: str, which: str, coverage: float) -> float:
    distribution = getattr(PAIRS[pair_id], which)
    samples = distribution.sample(200_000, torch.Generator().manual_seed(0)).numpy()
    return float(np.quantile(distribution.log_density(samples), 1.0 - coverage))


def has_mass(pair_id: str, which: str, points: np.ndarray, coverage: float = MASS_COVERAGE) -> np.ndarray:
    """True where `points` lie in the highest-density region of q (`which` = "numerator" or "denominator")
    holding `coverage` of its mass: log q(x) ≥ the (1 − coverage)-quantile of log q(X), X ~ q."""
    distribution = getattr(PAIRS[pair_id], which)
    return distribution.log_density(points) >= _mass_threshold(pair_id, which, coverage)


def both_have_mass(pair_id: str, points: np.ndarray, coverage: float = MASS_COVERAGE) -> np.ndarray:
    """Where the estimate can be good: inside the high-density regions of both q₁ and q₂."""
    return has_mass(pair_id, "numerator", points, coverage) & has_mass(pair_id, "denominator", points, coverage)


# --- the classifier ------------------------------------------------------------------------------------------


def logistic_loss(scores_numerator: Tensor, scores_denominator: Tensor) -> Tensor:
    """−E_{q₁} log D(x) − E_{q₂} log(1 − D(x)) with D = σ(s), written as E_{q₁} softplus(−s) + E_{q₂} softplus(s).
    With equal class sizes its minimiser is s*(x) = log q₁(x)/q₂(x). It is the minimax critic's loss, q₁ as real."""
    return objectives.minimax_critic_loss(scores_numerator, scores_denominator)


def kl_estimate(scores_numerator: Tensor) -> Tensor:
    """KL(q₁‖q₂) ≈ E_{q₁}[log D/(1 − D)] = E_{q₁}[s(x)]."""
    return scores_numerator.mean()


RATIO_TEX = (r"D^*(x) = \frac{q_1(x)}{q_1(x) + q_2(x)} \;\Longrightarrow\; "
             r"\frac{D^*(x)}{1 - D^*(x)} = \frac{q_1(x)}{q_2(x)},\qquad "
             r"s(x) = \log\frac{D(x)}{1-D(x)} \approx \log\frac{q_1(x)}{q_2(x)}")
LOSS_TEX = (r"\min_s\; \mathbb{E}_{q_1}\big[\log(1 + e^{-s(x)})\big] + \mathbb{E}_{q_2}\big[\log(1 + e^{s(x)})\big]")
KL_TEX = (r"\mathrm{KL}(q_1\,\|\,q_2) = \mathbb{E}_{q_1}\Big[\log\frac{q_1(x)}{q_2(x)}\Big] "
          r"\approx \mathbb{E}_{q_1}[s(x)]")


@dataclass(frozen=True)
class DensityRatioConfig:
    """One classifier between q₁ and q₂. `learning_rate` is live; the other fields need a fresh run."""

    pair: str = "gaussians"
    seed: int = 0
    hidden_units: int = 64        # two layers of 64 ELUs fit every pair here; larger only slows the demo
    depth: int = 2
    batch_size: int = 512         # per class, fresh samples every step (infinite data)
    learning_rate: float = 3e-3   # Adam; 3e-3 settles in ~1,000 steps on these pairs
    record_every: int = 10        # steps between points of the KL-estimate curve
    evaluation_size: int = 8192   # fixed q₁ sample for E_{q₁}[s]; its Monte Carlo error is ~0.01 nats


LEARNING_RATES = (3e-4, 1e-3, 2e-3, 3e-3, 4e-3, 1e-2)  # the page's stops for Adam's rate (AVB's page too)
SCALES = ("log-ratio", "ratio")
SECTIONS = {"ratio": "Density-ratio trick", "avb": "AVB"}  # keys are URL ids: never rename


@dataclass(frozen=True)
class PageSection:
    """Which part of the density-ratio and AVB page is open (its tabs); `dr_tab` links held the tab's label."""

    section: str = knob("ratio", "Section", live=True, choices=SECTIONS, widget="tabs", url="dr_tab")


@dataclass(frozen=True)
class RatioSettings:
    """The density-ratio section's controls. URL ids are the page's first links' keys (dr_pair, dr_lr, …): never
    rename them. `scale` only changes the drawing; the run ignores it."""

    pair: str = knob("gaussians", "Distributions q₁ and q₂", choices=PAIRS, url="dr_pair",
                     help="Two distributions with known densities.")
    learning_rate: float = knob(3e-3, "Learning rate", live=True, options=LEARNING_RATES, format="{:g}", url="dr_lr",
                                help="Adam's rate; applies live.")
    seed: int = knob(0, "Seed", min=0, max=9999, widget="number", url="dr_seed",
                     help="Initial weights and samples.")
    scale: str = knob("log-ratio", "Show", live=True, choices=SCALES, widget="radio", horizontal=True, url="dr_scale",
                      help="The logit s(x) against log q₁/q₂, or D/(1 − D) = eˢ against q₁/q₂ (1-D).")


GRID_POINTS = {1: 400, 2: 60}    # drawing resolution per axis
# The logit's offset follows each batch's sampling noise: the KL estimate of a single step jitters by ~±10 %
# (seeds 0–3, Gaussian pair), the mean of the last 20 records (200 steps) by ~±3 %.
SMOOTHING_RECORDS = 20


def running_mean(values, window: int) -> np.ndarray:
    """Mean of the last `window` values (fewer at the start), same length as `values`."""
    values = np.asarray(values, dtype=np.float64)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, len(values) + 1)
    counts = np.minimum(ends, window)
    return ((sums[ends] - sums[ends - counts]) / counts).astype(np.float32)


@checkpoint.register
@dataclass
class DensityRatioRun(checkpoint.Checkpointable):
    """A live classifier between q₁ and q₂ (the Steppable protocol: step, diverged, train, snapshot)."""

    config: DensityRatioConfig = field(default_factory=DensityRatioConfig)
    CHECKPOINT_KIND, CHECKPOINT_LABEL = "density_ratio", "Density ratio"
    CHECKPOINT_LIMITS = {"seed": (0, 2**31 - 1), "hidden_units": (1, 512), "depth": (1, 8),
                         "batch_size": (1, 8192), "learning_rate": (1e-8, 10.0), "record_every": (1, 10**6),
                         "evaluation_size": (1, 65536)}
    MAX_HISTORY = 10**6

    def __post_init__(self) -> None:
        if self.config.pair not in PAIRS:
            raise ValueError(f"unknown pair {self.config.pair!r}; choose from {sorted(PAIRS)}")
        self.pair = PAIRS[self.config.pair]
        self.generator = torch.Generator().manual_seed(self.config.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.config.seed)
            self.classifier = mlp(self.pair.dimension, 1, self.config.hidden_units, self.config.depth, "elu")
        self.optimizer = torch.optim.Adam(self.classifier.parameters(), lr=self.config.learning_rate)
        self.step = 0
        self.diverged: str | None = None
        self.evaluation_points = self.pair.numerator.sample(self.config.evaluation_size, self.generator)
        self.grid, self.grid_axis = self._drawing_grid()
        self.exact_log_ratio = self.pair.log_ratio(self.grid)
        self.density_numerator = np.exp(self.pair.numerator.log_density(self.grid))
        self.density_denominator = np.exp(self.pair.denominator.log_density(self.grid))
        self.trusted = both_have_mass(self.config.pair, self.grid)
        shown = torch.Generator().manual_seed(self.config.seed + 1)
        self.shown_numerator = self.pair.numerator.sample(400, shown).numpy()
        self.shown_denominator = self.pair.denominator.sample(400, shown).numpy()
        self.history: dict[str, list[float]] = {"step": [], "loss": [], "kl_estimate": []}
        self._record(float("nan"))

    def _drawing_grid(self) -> tuple[np.ndarray, np.ndarray]:
        low, high = self.pair.extent
        axis = np.linspace(low, high, GRID_POINTS[self.pair.dimension])
        if self.pair.dimension == 1:
            return axis[:, None], axis
        first, second = np.meshgrid(axis, axis, indexing="xy")   # rows follow the second coordinate
        return np.stack([first.ravel(), second.ravel()], axis=1), axis

    def scores(self, points: np.ndarray | Tensor) -> np.ndarray:
        """The classifier's logit s(x) ≈ log q₁(x)/q₂(x) at `points` [n, d]."""
        with torch.no_grad():
            return self.classifier(torch.as_tensor(points, dtype=torch.float32)).squeeze(-1).numpy()

    def current_kl_estimate(self) -> float:
        with torch.no_grad():
            return float(kl_estimate(self.classifier(self.evaluation_points).squeeze(-1)))

    def smoothed_kl_estimate(self) -> float:
        """The mean of the last SMOOTHING_RECORDS recorded estimates."""
        return float(np.mean(self.history["kl_estimate"][-SMOOTHING_RECORDS:]))

    @classmethod
    def from_settings(cls, settings: RatioSettings, **config) -> DensityRatioRun:
        """A run built from the page's settings (`config`: other `DensityRatioConfig` fields)."""
        return cls(DensityRatioConfig(pair=settings.pair, seed=settings.seed, learning_rate=settings.learning_rate,
                                      **config))

    def reconfigure(self, config: RatioSettings | DensityRatioConfig) -> list[str]:
        """Take the learning rate of `config` in place (the pair and seed need a new run); returns
        ["learning_rate"] if it changed."""
        changed = ["learning_rate"] if config.learning_rate != self.config.learning_rate else []
        self.config = replace(self.config, learning_rate=float(config.learning_rate))
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.learning_rate
        return changed

    def _record(self, loss: float) -> None:
        self.history["step"].append(self.step)
        self.history["loss"].append(loss)
        self.history["kl_estimate"].append(self.current_kl_estimate())

    def train(self, steps: int) -> dict[str, float]:
        """`steps` Adam steps on the logistic loss, fresh batches of q₁ and q₂ each step."""
        loss_value = float("nan")
        for _ in range(int(steps)):
            if self.diverged:
                break
            numerator = self.pair.numerator.sample(self.config.batch_size, self.generator)
            denominator = self.pair.denominator.sample(self.config.batch_size, self.generator)
            loss = logistic_loss(self.classifier(numerator).squeeze(-1), self.classifier(denominator).squeeze(-1))
            loss_value = loss.item()
            if not math.isfinite(loss_value):
                self.diverged = f"the classifier's loss became {loss_value} at step {self.step}"
                break
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1
            if self.step % self.config.record_every == 0:
                self._record(loss_value)
        return {"loss": loss_value, "kl_estimate": self.history["kl_estimate"][-1]}

    # --- saving and loading (playground/checkpoint.py) --------------------------------------------------

    def _checkpoint_config(self) -> dict:
        # the learning rate is live (reconfigure): the file keeps the one the optimiser has now
        return {**asdict(self.config), "learning_rate": float(self.optimizer.param_groups[0]["lr"])}

    @classmethod
    def _from_checkpoint_config(cls, values: dict) -> DensityRatioRun:
        return cls(checkpoint.dataclass_from(DensityRatioConfig, values, cls.CHECKPOINT_LIMITS))

    def _checkpoint_state(self) -> dict:
        return {"classifier": self.classifier.state_dict(), "optimizer": self.optimizer.state_dict(),
                "rng": self.generator.get_state(), "step": self.step, "diverged": self.diverged,
                "history": torch.tensor([self.history["step"], self.history["loss"], self.history["kl_estimate"]],
                                        dtype=torch.float64).T.contiguous()}

    def _restore_checkpoint_state(self, state: dict, template: dict) -> None:
        checkpoint.check_like(state, template, "state", {
            "state.optimizer": checkpoint.optimizer_checker(self.optimizer, list(self.classifier.parameters())),
            "state.history": checkpoint.bounded_rows(self.MAX_HISTORY, 3)})
        if not 0 <= state["step"] < 2**53:
            raise ValueError("The file's step counter is out of range.")
        self.classifier.load_state_dict(state["classifier"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["rng"])
        self.step, self.diverged = state["step"], state["diverged"]
        steps, losses, estimates = state["history"].T.tolist() if len(state["history"]) else ([], [], [])
        self.history = {"step": [int(step) for step in steps], "loss": losses, "kl_estimate": estimates}

    def snapshot(self) -> dict:
        """Numpy arrays for drawing: the logit and the exact log-ratio on the grid, densities, samples, history."""
        return {
            "step": self.step,
            "dimension": self.pair.dimension,
            "extent": self.pair.extent,
            "grid_axis": self.grid_axis.astype(np.float32),
            "estimated_log_ratio": self.scores(self.grid).astype(np.float32),
            "exact_log_ratio": self.exact_log_ratio.astype(np.float32),
            "density_numerator": self.density_numerator.astype(np.float32),
            "density_denominator": self.density_denominator.astype(np.float32),
            "trusted": self.trusted.copy(),
            "samples_numerator": self.shown_numerator,
            "samples_denominator": self.shown_denominator,
            "history_step": np.asarray(self.history["step"], dtype=np.float32),
            "history_kl_estimate": np.asarray(self.history["kl_estimate"], dtype=np.float32),
            "history_kl_smoothed": running_mean(self.history["kl_estimate"], SMOOTHING_RECORDS),
            "kl_estimate": self.history["kl_estimate"][-1],
            "kl_estimate_smoothed": self.smoothed_kl_estimate(),
            "exact_kl": exact_kl(self.config.pair),
        }


def ratio_verdict(estimate: float, exact: float, estimated_log_ratio: np.ndarray, exact_log_ratio: np.ndarray,
                  trusted: np.ndarray) -> str:
    """Sentences comparing the run's numbers with the truth, computed from the values the page shows: the KL
    estimate against the exact KL, and the logit's mean error where both distributions have mass against its
    error elsewhere on the chart (and its largest value where the exact log-ratio is +∞)."""
    sentences = []
    if math.isinf(exact):
        sentences.append(f"The exact KL is ∞, so every finite estimate falls short; this one is {estimate:.3f}.")
    else:
        difference = estimate - exact
        relative = difference / exact
        sentences.append("The KL estimate is within 0.5 % of the exact KL." if abs(relative) < 0.005 else
                         f"The KL estimate is {abs(difference):.3f} nats ({abs(relative):.0%}) "
                         f"{'below' if difference < 0 else 'above'} the exact KL"
                         + (", and negative, which no KL can be." if estimate < 0 else "."))
    estimated = np.asarray(estimated_log_ratio, dtype=np.float64)
    exact_values = np.asarray(exact_log_ratio, dtype=np.float64)
    trusted = np.asarray(trusted, dtype=bool)
    finite = np.isfinite(exact_values)
    inside, outside = trusted & finite, ~trusted & finite
    if inside.any() and outside.any():
        error_inside = float(np.abs(estimated - exact_values)[inside].mean())
        error_outside = float(np.abs(estimated - exact_values)[outside].mean())
        sentences.append(f"Outside the region where both have mass the logit is off by {error_outside:.3f} on "
                         f"average, {'more' if error_outside > error_inside else 'less'} than inside "
                         f"({error_inside:.3f}).")
    infinite = np.isposinf(exact_values)
    if infinite.any():
        sentences.append(f"Where only q₁ has mass the exact log-ratio is +∞; the logit there reaches "
                         f"{float(estimated[infinite].max()):.2f}.")
    return " ".join(sentences)

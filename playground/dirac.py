"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018): data δ₀, generator δ_θ, discriminator D_ψ(x) = ψx.

With two parameters the whole game is visible: the gradient vector field in the (θ, ψ) plane, the training
trajectories of simultaneous and alternating gradient descent, and the Jacobian at the equilibrium (0, 0),
whose eigenvalues, together with the iterates themselves, decide whether training converges, circles or
diverges at the step size and regularisation chosen (`verdict`).

Sign convention (the paper's): the generator descends and the discriminator ascends
L(θ, ψ) = f(D_ψ(θ)) + f(−D_ψ(0)) = f(ψθ) + f(0), so the paper's D scores *fakes* high. The house critic
scores real points high, so the trainer-style code below uses the raw score s(x) = −ψx with the house
losses of `playground.objectives`; `autograd_vector_field` checks that both views give the same field.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import expit
from torch import Tensor, nn

from playground import lipschitz, noise, objectives
from playground.settings import Preset, knob

# f(t) = −log(1 + e^{−t}) for the classic GAN: f'(0) = ½ sets the speed of rotation, f''(0) = −¼ the damping
# that instance noise brings. WGAN has f(t) = t, so f'(0) = 1 and f'' = 0.
GAN_SLOPE_AT_ZERO = 0.5
GAN_CURVATURE_AT_ZERO = -0.25
WGAN_SLOPE = 1.0
GRADIENT_PENALTY_TARGET = 1.0   # g₀: WGAN-GP pulls the critic's slope to Gulrajani et al.'s unit norm
# E_ε over ε ~ N(0, σ²) by the trapezoidal rule on ±10σ: for these analytic integrands its error decays like
# exp(−2π²/(Δ|ψ|σ)) with node spacing Δ = 1/12, which stays accurate at large |ψ|σ where Gauss–Hermite does not;
# the tails beyond 10σ weigh 1e-23.
QUADRATURE_HALF_WIDTH = 10.0
QUADRATURE_NODES = 241
ESCAPE_RADIUS = 1e3             # a trajectory this far out has spiralled away for good: stop there
FLOW_STEP = 0.1                 # RK4 step of the flow: 126 steps per turn (period 4π); radius drift < 1e-6
FLOW_MAX_DURATION = 100.0       # eight turns of the plain GAN; keeps the reference curve cheap

UPDATES = {"simultaneous": "Simultaneous", "alternating": "Alternating (critic, then generator)"}


@dataclass(frozen=True)
class Regularisation:
    """The knobs of the regularised games; each game reads only its own."""

    penalty_weight: float = 1.0   # γ: R1's γ/2 ψ², WGAN-GP's γ/2 (|ψ| − g₀)² (Gulrajani's λ = γ/2), consensus' γ/2 ‖v‖²
    noise_std: float = 1.0        # σ: instance noise ε ~ N(0, σ²) added to real and fake points
    clip_value: float = 0.5       # c: WGAN keeps the critic's weight ψ in [−c, c]


def gan_slope(t):
    """f'(t) = 1 / (1 + e^t) = sigmoid(−t) for f(t) = −log(1 + e^{−t}); stable for any t."""
    return expit(-t)


# ---- closed-form vector fields v(θ, ψ) = (−∂L/∂θ, ∂L/∂ψ), vectorised over numpy arrays -------------------

def minimax_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−ψ f'(ψθ), θ f'(ψθ)), the Dirac-GAN's field: a rotation around (0, 0), slowed where f' saturates."""
    slope = gan_slope(psi * theta)
    return -psi * slope, theta * slope


def non_saturating_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−ψ f'(−ψθ), θ f'(ψθ)): the generator maximises f(−ψθ) instead of minimising f(ψθ)."""
    return -psi * gan_slope(-psi * theta), theta * gan_slope(psi * theta)


def wgan_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−ψ, θ) for f(t) = t; the clipping |ψ| ≤ c is a projection after each critic update."""
    return -psi + 0.0 * theta, theta + 0.0 * psi   # the zeros broadcast both to the grid's shape


def wgan_gp_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−ψ, θ − γ (|ψ| − g₀) sign ψ): the penalty γ/2 (|ψ| − g₀)² pushes |ψ| to g₀, away from 0."""
    gamma = regularisation.penalty_weight
    return -psi + 0.0 * theta, theta - gamma * (np.abs(psi) - GRADIENT_PENALTY_TARGET) * np.sign(psi)


def r1_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−ψ f'(ψθ), θ f'(ψθ) − γψ): R1 = γ/2 E_π ‖∇D‖² = γ/2 ψ² damps the critic (zero-centred penalties)."""
    slope = gan_slope(psi * theta)
    return -psi * slope, theta * slope - regularisation.penalty_weight * psi


def gan_curvature(t):
    """f''(t) = −σ(t) σ(−t) for f(t) = −log(1 + e^{−t}); f''(0) = −¼."""
    return -expit(t) * expit(-t)


def consensus_field(theta, psi, regularisation: Regularisation):
    """w = v − γ ∇(½‖v‖²) for the minimax field v (Mescheder, Nowozin & Geiger 2017, consensus optimisation).

    ½‖v‖² = ½ f'(ψθ)² (θ² + ψ²), so ∇(½‖v‖²) = f'(ψθ)² (θ, ψ) + f'(ψθ) f''(ψθ) (θ² + ψ²) (ψ, θ).
    """
    gamma = regularisation.penalty_weight
    product = psi * theta
    slope, curvature = gan_slope(product), gan_curvature(product)
    squared_radius = theta**2 + psi**2
    return (-psi * slope - gamma * (slope**2 * theta + slope * curvature * squared_radius * psi),
            theta * slope - gamma * (slope**2 * psi + slope * curvature * squared_radius * theta))


def _standard_normal_quadrature() -> tuple[np.ndarray, np.ndarray]:
    """Nodes xᵢ on [−10, 10] and trapezoidal weights Δ φ(xᵢ), so that Σ wᵢ g(xᵢ) ≈ E g(x), x ~ N(0, 1)."""
    nodes = np.linspace(-QUADRATURE_HALF_WIDTH, QUADRATURE_HALF_WIDTH, QUADRATURE_NODES)
    spacing = nodes[1] - nodes[0]
    return nodes, spacing * np.exp(-nodes**2 / 2) / math.sqrt(2 * math.pi)


STANDARD_NORMAL_NODES, STANDARD_NORMAL_WEIGHTS = _standard_normal_quadrature()


def instance_noise_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−E ψ f'(ψ(θ + ε)), E[(θ + ε) f'(ψ(θ + ε))] − E[ε f'(−ψε)]), ε ~ N(0, σ²) (instance noise).

    L = E_ε f(ψ(θ + ε)) + E_ε f(−ψε): both real and fake points are blurred; expectations by quadrature.
    """
    if regularisation.noise_std <= 0:
        return minimax_field(theta, psi, regularisation)
    theta_ = np.asarray(theta, dtype=float)[..., None]     # broadcast against the quadrature nodes
    psi_ = np.asarray(psi, dtype=float)[..., None]
    epsilon = regularisation.noise_std * STANDARD_NORMAL_NODES
    fake = theta_ + epsilon
    fake_slope = gan_slope(psi_ * fake)
    d_theta = -(psi_ * fake_slope) @ STANDARD_NORMAL_WEIGHTS
    d_psi = (fake * fake_slope - epsilon * gan_slope(-psi_ * epsilon)) @ STANDARD_NORMAL_WEIGHTS
    return d_theta, d_psi


@dataclass(frozen=True)
class Game:
    """One Dirac-GAN game: a label, its objective, closed-form field and eigenvalues, and which knob it reads."""

    label: str
    objective_tex: str
    field_tex: str
    field: Callable
    eigenvalue_tex: str                 # the paper's closed form for the eigenvalues of v'(0, 0)
    look_for: str                       # what the lecturer points at
    knob: str | None = None             # "penalty_weight", "noise_std" or "clip_value"
    smooth_at_origin: bool = True       # False when v has a kink at (0, 0): no Jacobian there


GAMES: dict[str, Game] = {  # keys are URL ids: never rename
    "minimax": Game(
        "Minimax GAN", r"L(\theta,\psi) = f(\psi\theta) + f(0),\quad f(t) = -\log(1 + e^{-t})",
        r"v(\theta,\psi) = \big(-\psi f'(\psi\theta),\; \theta f'(\psi\theta)\big)", minimax_field,
        r"\lambda_{1,2} = \pm i\, f'(0) = \pm \tfrac{i}{2}",
        "The field only rotates around (0, 0) (v is perpendicular to (θ, ψ) everywhere), and where ψθ is large "
        "the discriminator saturates and the arrows shrink. Compare the iterates with the dashed flow (h → 0)."),
    "non_saturating": Game(
        "Non-saturating GAN", r"L_D = f(\psi\theta) + f(0),\quad L_G = -f(-\psi\theta)",
        r"v(\theta,\psi) = \big(-\psi f'(-\psi\theta),\; \theta f'(\psi\theta)\big)", non_saturating_field,
        r"\lambda_{1,2} = \pm i\, f'(0) = \pm \tfrac{i}{2}",
        "Same Jacobian at (0, 0) as the minimax game, but away from the axes the field leans inwards "
        "($\\theta v_\\theta + \\psi v_\\psi \\le 0$): what that does to the iterates depends on h and the "
        "update rule (verdict above)."),
    "wgan": Game(
        "WGAN, clipped ψ", r"L(\theta,\psi) = \psi\theta,\quad |\psi| \le c",
        r"v(\theta,\psi) = (-\psi,\; \theta),\quad \psi \leftarrow \operatorname{clip}(\psi, -c, c)",
        wgan_field, r"\lambda_{1,2} = \pm i \quad (f(t) = t,\; f'(0) = 1)",
        "Clipping keeps the critic's ψ inside the dotted box |ψ| ≤ c; nothing bounds the generator's θ, and the "
        "field outside the box still rotates.", knob="clip_value"),
    "wgan_gp": Game(
        "WGAN-GP", r"L_D = \psi\theta - \tfrac{\gamma}{2}\big(|\psi| - g_0\big)^2,\quad g_0 = 1",
        r"v(\theta,\psi) = \big(-\psi,\; \theta - \gamma(|\psi| - g_0)\operatorname{sign}\psi\big)",
        wgan_gp_field, r"\text{none: } v \text{ jumps across } \psi = 0",
        "The penalty pulls |ψ| towards g₀ = 1, not towards 0, so the field jumps across ψ = 0 and has no "
        "Jacobian at the equilibrium.", knob="penalty_weight", smooth_at_origin=False),
    "instance_noise": Game(
        "Instance noise", r"L = \mathbb{E}_{\varepsilon}\big[f(\psi(\theta+\varepsilon)) + f(-\psi\varepsilon)\big],"
        r"\quad \varepsilon \sim \mathcal{N}(0, \sigma^2)",
        r"\begin{aligned} v_\theta &= -\mathbb{E}\,\psi f'(\psi(\theta+\varepsilon)) \\ v_\psi &= \mathbb{E}\big["
        r"(\theta+\varepsilon) f'(\psi(\theta+\varepsilon)) - \varepsilon f'(-\psi\varepsilon)\big] \end{aligned}",
        instance_noise_field,
        r"\lambda_{1,2} = f''(0)\sigma^2 \pm \sqrt{f''(0)^2\sigma^4 - f'(0)^2},\quad f''(0) = -\tfrac14",
        "Blurring real and fake points damps the flow near (0, 0): the Jacobian there has trace 2f''(0)σ² = −σ²/2, "
        "the sum of the two eigenvalues below.", knob="noise_std"),
    "r1": Game(
        "Zero-centred gradient penalty (R1)",
        r"L_D = f(\psi\theta) + f(0) - R_1,\quad R_1 = \tfrac{\gamma}{2}\,\mathbb{E}_{\pi}"
        r"\lVert\nabla_x D_\psi(x)\rVert^2 = \tfrac{\gamma}{2}\psi^2",
        r"v(\theta,\psi) = \big(-\psi f'(\psi\theta),\; \theta f'(\psi\theta) - \gamma\psi\big)",
        r1_field, r"\lambda_{1,2} = -\tfrac{\gamma}{2} \pm \sqrt{\tfrac{\gamma^2}{4} - f'(0)^2}",
        "Penalising the critic's slope on real data damps ψ: the Jacobian at (0, 0) has trace −γ, the sum of the "
        "two eigenvalues below.", knob="penalty_weight"),
    "consensus": Game(
        "Consensus optimisation",
        r"L(\theta,\psi) = f(\psi\theta) + f(0),\quad "
        r"\tfrac{\gamma}{2}\lVert v\rVert^2 = \tfrac{\gamma}{2} f'(\psi\theta)^2(\theta^2 + \psi^2)",
        r"w(\theta,\psi) = v - \gamma\,\nabla\tfrac12\lVert v\rVert^2 = v - \gamma\, v'(\theta,\psi)^{\top} v",
        consensus_field, r"\lambda_{1,2} = -\gamma f'(0)^2 \pm i\, f'(0) = -\tfrac{\gamma}{4} \pm \tfrac{i}{2}",
        "Both players also descend ½‖v‖², which adds −γ f'(0)² = −γ/4 to the real part of both eigenvalues at "
        "(0, 0) and leaves their imaginary parts ±f'(0) as they are.", knob="penalty_weight"),
}


def vector_field(game: str, theta, psi, regularisation: Regularisation = Regularisation()):
    """The closed-form v(θ, ψ) of `game`, vectorised: numpy arrays (or floats) in, a pair like them out."""
    return _game(game).field(theta, psi, regularisation)


def _game(game: str) -> Game:
    """GAMES[game], or a ValueError that names the games."""
    if game not in GAMES:
        raise ValueError(f"unknown game {game!r}; choose one of {', '.join(GAMES)}")
    return GAMES[game]


# ---- the same fields from the trainer's losses, by autograd ------------------------------------------------

class DiracCritic(nn.Module):
    """The house critic s(x) = −ψx (high on real points): the paper's D_ψ(x) = ψx with the sign flipped."""

    def __init__(self, psi: float):
        super().__init__()
        self.psi = nn.Parameter(torch.tensor(float(psi), dtype=torch.float64))

    def forward(self, points: Tensor) -> Tensor:
        return -self.psi * points[:, 0]


GAME_OBJECTIVES = {"minimax": "minimax", "non_saturating": "non_saturating", "wgan": "wgan",
                   "wgan_gp": "wgan_gp", "instance_noise": "minimax", "r1": "minimax", "consensus": "minimax"}


def autograd_vector_field(game: str, theta: float, psi: float, regularisation: Regularisation = Regularisation(),
                          *, noise_samples: int = 200_000, generator: torch.Generator | None = None
                          ) -> tuple[float, float]:
    """v(θ, ψ) as a trainer computes it: −∂/∂θ of the generator loss, −∂/∂ψ of the critic loss (with penalty).

    Uses `objectives.OBJECTIVES`, `lipschitz` and `noise` on a one-point real batch {0} and fake batch {θ};
    instance noise draws `noise_samples` noisy copies of each (Monte Carlo, so only close to the closed form).
    """
    objective = objectives.OBJECTIVES[GAME_OBJECTIVES[game]]
    critic = DiracCritic(psi)
    generator_parameter = torch.tensor(float(theta), dtype=torch.float64, requires_grad=True)
    batch = noise_samples if game == "instance_noise" else 1
    real = torch.zeros(batch, 1, dtype=torch.float64)
    fake = generator_parameter.expand(batch, 1)
    if game == "instance_noise":
        real = noise.add_instance_noise(real, regularisation.noise_std, generator)
        fake = noise.add_instance_noise(fake, regularisation.noise_std, generator)

    # (1) Critic: descend its loss (= ascend L) with the generator held fixed. Consensus differentiates v itself
    # with respect to θ, so there the fake batch stays attached (the value of ∂/∂ψ is the same either way).
    consensus = game == "consensus"
    critic_loss = objective.critic_loss(critic(real), critic(fake if consensus else fake.detach()))
    if game == "r1":
        gradients = lipschitz.input_gradients(critic, real, create_graph=True)
        critic_loss = critic_loss + regularisation.penalty_weight / 2 * (gradients**2).sum(dim=1).mean()
    if game == "wgan_gp":
        penalty = lipschitz.gradient_penalty(critic, real, fake, generator)
        critic_loss = critic_loss + regularisation.penalty_weight / 2 * penalty
    (critic_gradient,) = torch.autograd.grad(critic_loss, critic.psi, create_graph=consensus)

    # (2) Generator: descend its loss through the critic just used.
    generator_loss = objective.generator_loss(critic(fake))
    (generator_gradient,) = torch.autograd.grad(generator_loss, generator_parameter, create_graph=consensus)
    if consensus:   # (3) both players also descend γ ½‖v‖², v = (−∂θ L_G, −∂ψ L_D)
        squared_norm = (generator_gradient**2 + critic_gradient**2) / 2
        theta_pull, psi_pull = torch.autograd.grad(squared_norm, (generator_parameter, critic.psi))
        gamma = regularisation.penalty_weight
        return (-float(generator_gradient.detach()) - gamma * float(theta_pull),
                -float(critic_gradient.detach()) - gamma * float(psi_pull))
    return -float(generator_gradient), -float(critic_gradient)


# ---- training: discrete gradient descent and the continuous-time flow --------------------------------------

def _project(game: str, psi: float, regularisation: Regularisation) -> float:
    """WGAN's weight clipping ψ ← clip(ψ, −c, c); the identity for every other game."""
    if game == "wgan":
        return min(max(psi, -regularisation.clip_value), regularisation.clip_value)
    return psi


def gradient_descent(game: str, start: tuple[float, float], *, step_size: float, steps: int,
                     update: str = "simultaneous", regularisation: Regularisation = Regularisation()
                     ) -> np.ndarray:
    """Iterates (θ_k, ψ_k), k = 0 … steps, as an array [k, 2]; stops early once beyond ESCAPE_RADIUS.

    simultaneous: (θ, ψ) ← (θ, ψ) + h v(θ, ψ).
    alternating:  ψ ← ψ + h v_ψ(θ, ψ), then θ ← θ + h v_θ(θ, ψ_new) (critic first, as the trainer does).
    WGAN projects ψ into [−c, c] after every critic update (and at the start).
    """
    if update not in UPDATES:
        raise ValueError(f"unknown update {update!r}; choose one of {list(UPDATES)}")
    field = _game(game).field
    theta, psi = float(start[0]), _project(game, float(start[1]), regularisation)
    points = np.empty((steps + 1, 2))
    points[0] = theta, psi
    for step in range(1, steps + 1):
        if update == "simultaneous":
            d_theta, d_psi = field(theta, psi, regularisation)
            theta, psi = theta + step_size * float(d_theta), psi + step_size * float(d_psi)
            psi = _project(game, psi, regularisation)
        else:
            psi = _project(game, psi + step_size * float(field(theta, psi, regularisation)[1]), regularisation)
            theta = theta + step_size * float(field(theta, psi, regularisation)[0])
        points[step] = theta, psi
        if not math.isfinite(theta + psi) or math.hypot(theta, psi) > ESCAPE_RADIUS:
            return points[: step + 1]
    return points


def continuous_flow(game: str, start: tuple[float, float], *, duration: float,
                    regularisation: Regularisation = Regularisation(), step: float = FLOW_STEP) -> np.ndarray:
    """The ODE (θ̇, ψ̇) = v(θ, ψ) by classical Runge–Kutta with a small step: gradient descent as h → 0.

    Points every `step` time units up to min(duration, FLOW_MAX_DURATION); WGAN projects ψ after each step.
    """
    field = _game(game).field
    steps = max(1, round(min(duration, FLOW_MAX_DURATION) / step))
    state = np.array([start[0], _project(game, float(start[1]), regularisation)], dtype=float)
    points = np.empty((steps + 1, 2))
    points[0] = state

    def velocity(point: np.ndarray) -> np.ndarray:
        return np.array(field(point[0], point[1], regularisation), dtype=float)

    for index in range(1, steps + 1):
        k1 = velocity(state)
        k2 = velocity(state + step / 2 * k1)
        k3 = velocity(state + step / 2 * k2)
        k4 = velocity(state + step * k3)
        state = state + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        state[1] = _project(game, state[1], regularisation)
        points[index] = state
    return points


def distances_to_equilibrium(points: np.ndarray) -> np.ndarray:
    """‖(θ_k, ψ_k) − (0, 0)‖ for every iterate."""
    return np.hypot(points[:, 0], points[:, 1])


# ---- local analysis at the equilibrium (0, 0) ---------------------------------------------------------------

def eigenvalues_at_origin(game: str, regularisation: Regularisation = Regularisation()) -> np.ndarray | None:
    """Closed forms for the eigenvalues of v'(0, 0), sorted by imaginary part (Mescheder et al. 2018, the
    Dirac-GAN sections; consensus from Mescheder et al. 2017). The square roots are complex where negative.

    Unregularised GANs: ±i f'(0), purely imaginary: the linearisation alone decides nothing.
    R1: −γ/2 ± √(γ²/4 − f'(0)²): a complex pair with real part −γ/2 for γ < 2f'(0) = 1, two real ones from 1 on.
    Instance noise: f''(0)σ² ± √(f''(0)²σ⁴ − f'(0)²): real part −σ²/4 for σ < √2, two real ones from √2 on.
    Consensus: −γ f'(0)² ± i f'(0): v'(0, 0) = A with AᵀA = f'(0)² I, so w' = A − γ f'(0)² I.
    WGAN-GP: the penalty has a kink at ψ = 0, so there is no Jacobian (None).
    """
    if game in ("minimax", "non_saturating"):
        roots = [GAN_SLOPE_AT_ZERO * 1j, -GAN_SLOPE_AT_ZERO * 1j]
    elif game == "wgan":
        roots = [WGAN_SLOPE * 1j, -WGAN_SLOPE * 1j]
    elif game == "r1":
        half = regularisation.penalty_weight / 2
        root = np.sqrt(complex(half**2 - GAN_SLOPE_AT_ZERO**2))
        roots = [-half + root, -half - root]
    elif game == "instance_noise":
        damping = GAN_CURVATURE_AT_ZERO * regularisation.noise_std**2
        root = np.sqrt(complex(damping**2 - GAN_SLOPE_AT_ZERO**2))
        roots = [damping + root, damping - root]
    elif game == "consensus":
        damping = -regularisation.penalty_weight * GAN_SLOPE_AT_ZERO**2
        roots = [damping + GAN_SLOPE_AT_ZERO * 1j, damping - GAN_SLOPE_AT_ZERO * 1j]
    else:
        return None
    return np.array(sorted(roots, key=lambda value: (value.imag, value.real)), dtype=complex)


def update_jacobian_at_origin(game: str, *, step_size: float, update: str = "simultaneous",
                              regularisation: Regularisation = Regularisation(), epsilon: float = 1e-6
                              ) -> np.ndarray | None:
    """Jacobian of one gradient-descent step (θ, ψ) ↦ (θ', ψ') at (0, 0), by central differences.

    Spectral radius < 1: (0, 0) attracts the iterates that start close enough; > 1: it repels them; = 1: the
    linearisation decides nothing and the nonlinear terms do (see `verdict`).
    """
    if not _game(game).smooth_at_origin:
        return None
    jacobian = np.empty((2, 2))
    for column, direction in enumerate(np.eye(2) * epsilon):
        forward, backward = (gradient_descent(game, tuple(sign * direction), step_size=step_size, steps=1,
                                              update=update, regularisation=regularisation)[-1]
                             for sign in (1.0, -1.0))
        jacobian[:, column] = (forward - backward) / (2 * epsilon)
    return jacobian


# ---- the verdict: converges, circles, diverges or stalls, and why ------------------------------------------

# The finite-difference Jacobian of one step is exact to ~1e-9 here; a spectral radius closer to 1 than this
# (alternating steps of the plain GAN; instance noise at h = 2σ²) is read as 1, where the linearisation is silent.
SPECTRAL_TOLERANCE = 1e-6
VERDICT_MIN_STEPS = 1500      # the verdict looks at least this far ahead, even when the page shows fewer steps
UNDECIDED_MIN_STEPS = 5000    # ... and this far where ρ = 1: alternating steps at h = 0.5 drift out only slowly
VERDICT_WINDOW = 10           # it compares the first and the last tenth of the run
TREND_TOLERANCE = 0.02        # radii of a closed orbit swing by ≤ 0.6 % at h = 0.01: a 2 % trend is real
REST_TOLERANCE = 1e-6         # a last tenth that moves less than this share of its distance has come to rest
ROUNDING_LEVEL = 1e-12        # a run this much closer than its start has converged to rounding noise

KINDS = {"converges": "Converges to (0, 0)", "circles": "Neither converges nor diverges",
         "diverges": "Moves away from (0, 0)", "stalls": "Stalls away from (0, 0)"}


@dataclass(frozen=True)
class Trend:
    """How the distance to (0, 0) of a run evolves, read off the run itself."""

    start_radius: float
    final_radius: float
    early: tuple[float, float]          # (min, max) of ‖x_k‖ over the first tenth of the run
    middle: tuple[float, float]         # (min, max) over the tenth that ends halfway
    late: tuple[float, float]           # (min, max) over the last tenth
    escaped_at: int | None              # step at which the iterates left the disc of radius ESCAPE_RADIUS
    at_rest: bool                       # the last tenth hardly moves, away from (0, 0)
    final_point: tuple[float, float]

    @property
    def grows(self) -> bool:
        return self.escaped_at is not None or self.late[0] > (1 + TREND_TOLERANCE) * self.early[1]

    @property
    def shrinks(self) -> bool:
        """Closer in than the first tenth and still closing in over the second half (a run that has settled on a
        smaller cycle stops there), or already at rounding level."""
        if self.escaped_at is not None:
            return False
        if self.late[1] < ROUNDING_LEVEL * self.start_radius:
            return True
        return (self.late[1] < (1 - TREND_TOLERANCE) * self.early[0]
                and self.late[1] < (1 - TREND_TOLERANCE) * self.middle[0])


def trend(points: np.ndarray, steps: int) -> Trend:
    """Summarise a run of `steps` updates (fewer points when it escaped) as a `Trend`."""
    radii = distances_to_equilibrium(points)
    window = max(1, len(radii) // VERDICT_WINDOW)
    half = max(window, len(radii) // 2)
    late_points = points[-window:]
    movement = float(np.max(np.hypot(*(late_points - points[-1]).T)))
    escaped = len(points) <= steps     # gradient_descent stops early only once beyond ESCAPE_RADIUS
    return Trend(
        start_radius=float(radii[0]), final_radius=float(radii[-1]),
        early=(float(radii[:window].min()), float(radii[:window].max())),
        middle=(float(radii[half - window:half].min()), float(radii[half - window:half].max())),
        late=(float(radii[-window:].min()), float(radii[-window:].max())),
        escaped_at=len(points) - 1 if escaped else None,
        at_rest=bool(radii[-1] > 1e-3 * radii[0] and movement < REST_TOLERANCE * radii[-1]),
        final_point=(float(points[-1, 0]), float(points[-1, 1])),
    )


@dataclass(frozen=True)
class Verdict:
    """What training does at these settings, and why: from the step's Jacobian where it decides, else the run."""

    kind: str                                   # a key of KINDS
    reason: str
    spectral_radius: float | None               # of one update step's Jacobian at (0, 0); None at a kink
    update_eigenvalues: np.ndarray | None
    flow_eigenvalues: np.ndarray | None         # of v'(0, 0), closed form
    steps: int                                  # how far the verdict looked
    trend: Trend

    @property
    def markdown(self) -> str:
        return f"**{KINDS[self.kind]}.** {self.reason}"


def _number(value: float) -> str:
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e4 else f"{value:.1e}"


def _radius_story(run: Trend, steps: int) -> str:
    if run.escaped_at is not None:
        return (f"the iterates left the disc of radius {ESCAPE_RADIUS:g} after {run.escaped_at:,} steps")
    return (f"‖(θ, ψ)‖ went from {_number(run.start_radius)} to {_number(run.final_radius)} in {steps:,} steps "
            f"(last tenth between {_number(run.late[0])} and {_number(run.late[1])})")


def verdict(game: str, start: tuple[float, float], *, step_size: float, steps: int = VERDICT_MIN_STEPS,
            update: str = "simultaneous", regularisation: Regularisation = Regularisation(),
            points: np.ndarray | None = None) -> Verdict:
    """Converges / circles / diverges / stalls for this game, rule, h, γ/σ/c and start, with the reason.

    The spectral radius ρ of one step's Jacobian at (0, 0) decides where it is not 1: ρ < 1 attracts nearby
    iterates, ρ > 1 repels them (they cannot converge). Whether this start is near enough, and what happens
    where ρ = 1 or v has a kink, the run itself decides over max(steps, VERDICT_MIN_STEPS) steps: its last tenth
    against its first tenth and its middle tenth (grown, shrunk by more than TREND_TOLERANCE, or neither) and
    against its start.
    Where ρ decides nothing the run is longer (UNDECIDED_MIN_STEPS): nonlinear drifts are slow.
    `points` may pass the run of `steps` steps when it has been computed already (used when steps is enough).
    """
    jacobian = update_jacobian_at_origin(game, step_size=step_size, update=update, regularisation=regularisation)
    values = None if jacobian is None else np.linalg.eigvals(jacobian)
    radius = None if values is None else float(np.max(np.abs(values)))
    decided = radius is not None and abs(radius - 1) > SPECTRAL_TOLERANCE
    horizon = max(steps, VERDICT_MIN_STEPS if decided else UNDECIDED_MIN_STEPS)
    if points is None or steps != horizon:
        points = gradient_descent(game, start, step_size=step_size, steps=horizon, update=update,
                                  regularisation=regularisation)
    run = trend(points, horizon)
    rule = "simultaneous" if update == "simultaneous" else "alternating"
    story = _radius_story(run, horizon)

    def result(kind: str, reason: str) -> Verdict:
        return Verdict(kind, reason, radius, values, eigenvalues_at_origin(game, regularisation), horizon, run)

    if run.start_radius == 0:
        return result("converges", "It starts at the equilibrium (0, 0), where v = 0: no update moves it.")
    if radius is None:
        local = "v has a kink at ψ = 0, so no Jacobian at (0, 0) decides; the run does. "
    elif abs(radius - 1) <= SPECTRAL_TOLERANCE:
        local = (f"One {rule} step of size h = {step_size:g} has spectral radius ρ = 1 at (0, 0) (within "
                 f"{SPECTRAL_TOLERANCE:g}): the linearisation decides nothing, so the run does. ")
    else:
        local = (f"One {rule} step of size h = {step_size:g} has spectral radius ρ = {radius:.4f} "
                 f"{'<' if radius < 1 else '>'} 1 at (0, 0), so (0, 0) {'attracts' if radius < 1 else 'repels'} "
                 "iterates that start close to it. ")
    if run.escaped_at is not None:
        tail = "This start is outside the region it attracts: " if decided and radius < 1 else "The run escapes: "
        return result("diverges", f"{local}{tail}{story}.")
    if run.at_rest:
        theta, psi = run.final_point
        return result("stalls", f"{local}The iterates come to rest at (θ, ψ) = ({theta:.3g}, {psi:.3g}), away "
                      f"from the equilibrium (0, 0): {story}.")
    if decided and radius < 1:
        if run.grows or run.late[0] > run.start_radius:
            return result("diverges", f"{local}This start is outside the region it attracts: {story}.")
        # ρ^(half the run) close to 1: the decay is too slow for the run to show beyond its oscillations
        too_slow_to_show = radius ** (horizon / 2) > 1 - 2 * TREND_TOLERANCE
        if run.shrinks or too_slow_to_show and run.late[1] < run.start_radius:
            return result("converges", f"{local}From this start too: {story}.")
        return result("circles", f"{local}From this start the iterates neither close in nor get away: {story}.")
    if decided:   # ρ > 1
        if run.grows or run.late[0] > run.start_radius:
            return result("diverges", f"{local}The iterates get away: {story}.")
        return result("circles", f"{local}So they cannot converge, but they stay bounded, no farther out than "
                      f"they started: {story}.")
    margin = f"{TREND_TOLERANCE:.0%}"
    if run.grows:
        return result("diverges", f"{local}The last tenth of the run stays more than {margin} farther from (0, 0) "
                      f"than the first tenth ever was: {story}.")
    if run.shrinks:
        return result("converges", f"{local}The last tenth of the run stays more than {margin} closer to (0, 0) "
                      f"than the first tenth and the middle tenth ever were: {story}.")
    return result("circles", f"{local}The last tenth of the run is not more than {margin} farther from (0, 0) "
                  f"than the first tenth, nor still closing in on it by more than {margin} since the middle "
                  f"tenth: {story}.")


FLOW_TOLERANCE = 1e-9


def flow_statement(game: str, start: tuple[float, float], regularisation: Regularisation = Regularisation()
                   ) -> str:
    """What the continuous-time flow (h → 0) does, from the eigenvalues of v'(0, 0) where their real parts
    decide, else from the flow itself (RK4 up to t = FLOW_MAX_DURATION) from this start."""
    values = eigenvalues_at_origin(game, regularisation)
    if values is not None and np.max(values.real) < -FLOW_TOLERANCE:
        shape = ("both are real, so nearby it closes in without circling" if np.all(np.abs(values.imag) < 1e-12)
                 else "a complex pair, so nearby it spirals in")
        return (f"Flow (h → 0): every Re λ < 0 (largest {np.max(values.real):.3f}), so it converges to (0, 0) "
                f"from nearby starts; {shape}.")
    if values is not None and np.max(values.real) > FLOW_TOLERANCE:
        return f"Flow (h → 0): Re λ = {np.max(values.real):.3f} > 0, so (0, 0) repels it."
    head = ("Flow (h → 0): v has a kink at ψ = 0, so no Jacobian decides"
            if values is None else "Flow (h → 0): Re λ = 0, so the linearisation decides nothing")
    flow = continuous_flow(game, start, duration=FLOW_MAX_DURATION, regularisation=regularisation)
    run = trend(flow, len(flow) - 1)
    change = ("grows" if run.grows else "shrinks" if run.shrinks
              else f"neither grows nor shrinks by more than {TREND_TOLERANCE:.0%} from the first tenth to the last")
    return (f"{head}; from this start its distance to (0, 0) {change}: {_number(run.start_radius)} at t = 0, "
            f"{_number(run.final_radius)} at t = {FLOW_MAX_DURATION:g}.")


# ---- one page view: settings in, every array the figures need out ----------------------------------------

STEP_SIZES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
PENALTY_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0)
NOISE_STDS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0)
CLIP_VALUES = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class DiracSettings:
    """Everything the page lets a lecturer change; one field = one widget = one URL key. URL ids are the page's
    first links' keys (dirac_game, dirac_step_size, …): never rename them. Every field is live: the page
    recomputes its view from the settings, there is no run to restart."""

    game: str = knob("minimax", "Game", live=True, choices=GAMES, url="dirac_game",
                     help="The objective the two players optimise.")
    update: str = knob("simultaneous", "Update rule", live=True, choices=UPDATES, widget="radio", url="dirac_update",
                       help="Both players step at once, or the critic first and then the generator against the "
                       "new critic.")
    step_size: float = knob(0.1, "Step size h", live=True, options=STEP_SIZES, url="dirac_step_size",
                            help="Learning rate of both players.")
    steps: int = knob(1500, "Steps", live=True, min=10, max=5000, step=10, widget="slider", url="dirac_steps",
                      help="Number of gradient steps.")
    penalty_weight: float = knob(1.0, "Penalty weight γ", live=True, options=PENALTY_WEIGHTS,
                                 url="dirac_penalty_weight",
                                 help="R1's γ/2 ψ², WGAN-GP's γ/2 (|ψ|−1)², consensus' γ/2 ‖v‖².")
    noise_std: float = knob(1.0, "Instance noise σ", live=True, options=NOISE_STDS, url="dirac_noise_std",
                            help="Std of the Gaussian added to real and fake points.")
    clip_value: float = knob(0.5, "Clip c", live=True, options=CLIP_VALUES, url="dirac_clip_value",
                             help="WGAN keeps the critic's weight ψ in [−c, c].")
    theta: float = knob(1.0, "Start θ₀", live=True, min=-3.0, max=3.0, step=0.1, url="dirac_theta",
                        help="Where the generator starts (the data sit at 0).")
    psi: float = knob(1.0, "Start ψ₀", live=True, min=-3.0, max=3.0, step=0.1, url="dirac_psi",
                      help="The discriminator's starting slope.")

    @property
    def regularisation(self) -> Regularisation:
        return Regularisation(self.penalty_weight, self.noise_std, self.clip_value)

    def unused_note(self, name: str) -> str | None:
        """γ, σ and c each belong to the games whose `knob` they are; the other games ignore them."""
        users = [f"“{game.label}”" for game in GAMES.values() if game.knob == name]
        if not users or GAMES[self.game].knob == name:
            return None
        names = " and ".join([", ".join(users[:-1]), users[-1]] if len(users) > 1 else users)
        return f"Only the game{'s' if len(users) > 1 else ''} {names} use{'' if len(users) > 1 else 's'} it; " \
               f"“{GAMES[self.game].label}” ignores it."


PRESETS: dict[str, Preset] = {  # keys are URL ids: never rename
    "plain_spirals": Preset(
        "Plain GAN spirals out", "Simultaneous steps multiply the radius by √(1 + h²f'(ψθ)²) > 1 every time.",
        {"game": "minimax", "update": "simultaneous", "step_size": 0.1, "steps": 1500}),
    "plain_circles": Preset(
        "Alternating GAN circles", "At h = 0.1 alternating steps keep |λ| = 1 and the point circles (0, 0).",
        {"game": "minimax", "update": "alternating", "step_size": 0.1, "steps": 1500}),
    "r1_converges": Preset(
        "R1 converges", "γ/2 ψ² damps the critic: eigenvalues −γ/2 ± √(γ²/4 − ¼), the spiral closes in.",
        {"game": "r1", "update": "simultaneous", "step_size": 0.3, "steps": 600, "penalty_weight": 0.3}),
    "noise_converges": Preset(
        "Instance noise converges", "Blurring both points gives real parts f''(0)σ² = −σ²/4 < 0.",
        {"game": "instance_noise", "update": "simultaneous", "step_size": 0.3, "steps": 600, "noise_std": 0.7}),
    "wgan_oscillates": Preset(
        "WGAN clipped oscillates", "|ψ| ≤ c caps the spiral, but θ keeps swinging on a circle of radius ≈ c.",
        {"game": "wgan", "update": "simultaneous", "step_size": 0.1, "steps": 1500, "clip_value": 0.5}),
}


def preset_settings(preset_id: str, **changes) -> DiracSettings:
    """The settings of `PRESETS[preset_id]`, with `changes` applied on top."""
    return PRESETS[preset_id].settings(DiracSettings, **changes)


GRID_POINTS = 21                # arrows per axis of the vector-field plot
MIN_EXTENT, MAX_EXTENT = 1.5, 8.0


@dataclass(frozen=True)
class DiracView:
    """The arrays one page view draws; iterations of the flow are t / h so that all curves share an axis."""

    trajectory: np.ndarray                  # [k, 2] iterates of the chosen update rule
    distances: dict[str, np.ndarray]        # update rule -> ‖(θ_k, ψ_k)‖, both rules for comparison
    flow: np.ndarray                        # [m, 2] continuous-time reference
    flow_iterations: np.ndarray             # [m] t / h
    extent: float                           # the plot shows [−extent, extent]²
    grid_theta: np.ndarray
    grid_psi: np.ndarray
    field_theta: np.ndarray
    field_psi: np.ndarray
    eigenvalues: np.ndarray | None          # of v'(0, 0): the paper's closed form
    update_eigenvalues: dict[str, np.ndarray | None]   # update rule -> eigenvalues of one step's Jacobian
    verdict: Verdict                        # what the chosen rule does at these settings, and why
    flow_note: str                          # what the flow does, and why


def view_extent(points: np.ndarray) -> float:
    """Half-width of a square view holding the points with a margin, between MIN_EXTENT and MAX_EXTENT."""
    reach = float(np.max(np.abs(points))) if points.size else 0.0
    return float(np.clip(1.15 * reach, MIN_EXTENT, MAX_EXTENT))


def simulate(settings: DiracSettings) -> DiracView:
    """Train the Dirac-GAN with both update rules and the continuous flow; sample the field on a grid."""
    regularisation = settings.regularisation
    start = (settings.theta, settings.psi)
    trajectories = {update: gradient_descent(settings.game, start, step_size=settings.step_size,
                                             steps=settings.steps, update=update, regularisation=regularisation)
                    for update in UPDATES}
    trajectory = trajectories[settings.update]
    settings_verdict = verdict(settings.game, start, step_size=settings.step_size, steps=settings.steps,
                               update=settings.update, regularisation=regularisation,
                               points=trajectory if settings.steps >= VERDICT_MIN_STEPS else None)
    flow = continuous_flow(settings.game, start, duration=settings.step_size * settings.steps,
                           regularisation=regularisation)
    extent = view_extent(np.concatenate([trajectory, flow]))
    axis = np.linspace(-extent, extent, GRID_POINTS)
    grid_theta, grid_psi = np.meshgrid(axis, axis)
    field_theta, field_psi = vector_field(settings.game, grid_theta, grid_psi, regularisation)
    return DiracView(
        trajectory=trajectory,
        distances={update: distances_to_equilibrium(points) for update, points in trajectories.items()},
        flow=flow,
        flow_iterations=np.arange(len(flow)) * FLOW_STEP / settings.step_size,
        extent=extent,
        grid_theta=grid_theta, grid_psi=grid_psi,
        field_theta=np.broadcast_to(field_theta, grid_theta.shape), field_psi=field_psi,
        eigenvalues=eigenvalues_at_origin(settings.game, regularisation),
        update_eigenvalues={update: _eigenvalues_or_none(update_jacobian_at_origin(
            settings.game, step_size=settings.step_size, update=update, regularisation=regularisation))
            for update in UPDATES},
        verdict=settings_verdict,
        flow_note=flow_statement(settings.game, start, regularisation),
    )


def _eigenvalues_or_none(matrix: np.ndarray | None) -> np.ndarray | None:
    return None if matrix is None else np.linalg.eigvals(matrix)


def view_warnings(view: DiracView, steps: int) -> list[str]:
    """What the page should flag: a run that diverged, iterates outside the plotted square."""
    notes = []
    if len(view.trajectory) <= steps:
        notes.append(f"The iterates left the disc of radius {ESCAPE_RADIUS:g} after {len(view.trajectory) - 1} "
                     "steps: training diverged (the verdict below the warnings says why).")
    elif np.max(np.abs(view.trajectory)) > view.extent:
        notes.append(f"Some iterates lie outside the plotted square |θ|, |ψ| ≤ {view.extent:g}; the distance chart "
                     "shows all of them.")
    return notes


EIGENVALUE_NOTE = (
    "One step of size h multiplies small deviations from (0, 0) by the update's eigenvalues (left): inside the "
    "unit circle (0, 0) attracts nearby iterates, outside it repels them, and on it the linearisation decides "
    "nothing. Simultaneous steps have eigenvalues 1 + hλ for each eigenvalue λ of v'(0, 0).")


def eigenvalue_tex(values: np.ndarray | None) -> str:
    """λ₁,₂ as LaTeX, e.g. "-0.150 \\pm 0.477\\,i"; a note where the Jacobian does not exist."""
    if values is None:
        return r"\text{no Jacobian: } v \text{ has a kink at } \psi = 0"

    def number(value: float) -> str:
        return f"{0.0 if abs(value) < 5e-4 else value:.3f}"

    first = values[np.argmax(values.imag)]
    if abs(first.imag) > 1e-12:
        return rf"{number(first.real)} \pm {number(abs(first.imag))}\,i"
    return r",\;".join(number(value.real) for value in sorted(values, key=lambda value: value.real))

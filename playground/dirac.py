"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018): data δ₀, generator δ_θ, discriminator D_ψ(x) = ψx.

With two parameters the whole game is visible: the gradient vector field in the (θ, ψ) plane, the training
trajectories of simultaneous and alternating gradient descent, and the Jacobian at the equilibrium (0, 0),
whose eigenvalues say why unregularised GANs circle or spiral out while R1 and instance noise converge.

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

# f(t) = −log(1 + e^{−t}) for the classic GAN: f'(0) = ½ sets the speed of rotation, f''(0) = −¼ the damping
# that instance noise brings. WGAN has f(t) = t, so f'(0) = 1 and f'' = 0.
GAN_SLOPE_AT_ZERO = 0.5
GAN_CURVATURE_AT_ZERO = -0.25
WGAN_SLOPE = 1.0
GRADIENT_PENALTY_TARGET = 1.0   # g₀: WGAN-GP pulls the critic's slope to Gulrajani et al.'s unit norm
# E_ε over ε ~ N(0, σ²) by the trapezoidal rule on ±10σ: for these analytic integrands its error decays like
# exp(−2π²/(Δ|ψ|σ)) with node spacing Δ = 1/12, far faster than Gauss–Hermite's at the page's |ψ|σ; the tails
# beyond 10σ weigh 1e-23.
QUADRATURE_HALF_WIDTH = 10.0
QUADRATURE_NODES = 241
ESCAPE_RADIUS = 1e3             # a trajectory this far out has spiralled away for good: stop there
FLOW_STEP = 0.1                 # RK4 step of the flow: 126 steps per turn (period 4π); radius drift < 1e-6
FLOW_MAX_DURATION = 100.0       # eight turns of the plain GAN; keeps the reference curve cheap

UPDATES = {"simultaneous": "Simultaneous", "alternating": "Alternating (critic, then generator)"}


@dataclass(frozen=True)
class Regularisation:
    """The knobs of the regularised games; each game reads only its own."""

    penalty_weight: float = 1.0   # γ: R1's γ/2 ψ² and WGAN-GP's γ/2 (|ψ| − g₀)² (Gulrajani's λ = γ/2)
    noise_std: float = 1.0        # σ: instance noise ε ~ N(0, σ²) added to real and fake points
    clip_value: float = 0.5       # c: WGAN keeps the critic's weight ψ in [−c, c]


def gan_slope(t):
    """f'(t) = 1 / (1 + e^t) = sigmoid(−t) for f(t) = −log(1 + e^{−t}); stable for any t."""
    return expit(-t)


# ---- closed-form vector fields v(θ, ψ) = (−∂L/∂θ, ∂L/∂ψ), vectorised over numpy arrays -------------------

def minimax_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−ψ f'(ψθ), θ f'(ψθ)) (paper eq. 5): a rotation around (0, 0), slowed where f' saturates."""
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
    """v(θ, ψ) = (−ψ f'(ψθ), θ f'(ψθ) − γψ): R1 = γ/2 E_π ‖∇D‖² = γ/2 ψ² damps the critic (paper Sec. 4.2)."""
    slope = gan_slope(psi * theta)
    return -psi * slope, theta * slope - regularisation.penalty_weight * psi


def _standard_normal_quadrature() -> tuple[np.ndarray, np.ndarray]:
    """Nodes xᵢ on [−10, 10] and trapezoidal weights Δ φ(xᵢ), so that Σ wᵢ g(xᵢ) ≈ E g(x), x ~ N(0, 1)."""
    nodes = np.linspace(-QUADRATURE_HALF_WIDTH, QUADRATURE_HALF_WIDTH, QUADRATURE_NODES)
    spacing = nodes[1] - nodes[0]
    return nodes, spacing * np.exp(-nodes**2 / 2) / math.sqrt(2 * math.pi)


STANDARD_NORMAL_NODES, STANDARD_NORMAL_WEIGHTS = _standard_normal_quadrature()


def instance_noise_field(theta, psi, regularisation: Regularisation):
    """v(θ, ψ) = (−E ψ f'(ψ(θ + ε)), E[(θ + ε) f'(ψ(θ + ε))] − E[ε f'(−ψε)]), ε ~ N(0, σ²) (paper Sec. 4.1).

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
        "The field only rotates: the flow circles (0, 0) for ever. Simultaneous steps spiral out, alternating "
        "steps circle; where ψθ is large the discriminator saturates and the point crawls."),
    "non_saturating": Game(
        "Non-saturating GAN", r"L_D = f(\psi\theta) + f(0),\quad L_G = -f(-\psi\theta)",
        r"v(\theta,\psi) = \big(-\psi f'(-\psi\theta),\; \theta f'(\psi\theta)\big)", non_saturating_field,
        r"\lambda_{1,2} = \pm i\, f'(0) = \pm \tfrac{i}{2}",
        "Same Jacobian at (0, 0) as the minimax game, so no local convergence: simultaneous steps settle on a "
        "circle, alternating steps creep inwards ever more slowly."),
    "wgan": Game(
        "WGAN, clipped ψ", r"L(\theta,\psi) = \psi\theta,\quad |\psi| \le c",
        r"v(\theta,\psi) = (-\psi,\; \theta),\quad \psi \leftarrow \operatorname{clip}(\psi, -c, c)",
        wgan_field, r"\lambda_{1,2} = \pm i \quad (f(t) = t,\; f'(0) = 1)",
        "Clipping stops the spiral at |ψ| = c, but the generator keeps swinging: the point runs round a circle "
        "of radius ≈ c and never settles.", knob="clip_value"),
    "wgan_gp": Game(
        "WGAN-GP", r"L_D = \psi\theta - \tfrac{\gamma}{2}\big(|\psi| - g_0\big)^2,\quad g_0 = 1",
        r"v(\theta,\psi) = \big(-\psi,\; \theta - \gamma(|\psi| - g_0)\operatorname{sign}\psi\big)",
        wgan_gp_field, r"\text{none: } v \text{ jumps across } \psi = 0",
        "The penalty wants |ψ| = 1, not ψ = 0: with small γ the point oscillates around (0, 0); with large γ "
        "the generator parks at θ = ±γ, away from the data.", knob="penalty_weight", smooth_at_origin=False),
    "instance_noise": Game(
        "Instance noise", r"L = \mathbb{E}_{\varepsilon}\big[f(\psi(\theta+\varepsilon)) + f(-\psi\varepsilon)\big],"
        r"\quad \varepsilon \sim \mathcal{N}(0, \sigma^2)",
        r"\begin{aligned} v_\theta &= -\mathbb{E}\,\psi f'(\psi(\theta+\varepsilon)) \\ v_\psi &= \mathbb{E}\big["
        r"(\theta+\varepsilon) f'(\psi(\theta+\varepsilon)) - \varepsilon f'(-\psi\varepsilon)\big] \end{aligned}",
        instance_noise_field,
        r"\lambda_{1,2} = f''(0)\sigma^2 \pm \sqrt{f''(0)^2\sigma^4 - f'(0)^2},\quad f''(0) = -\tfrac14",
        "Blurring real and fake points gives the critic a smooth optimum: the eigenvalues get real part "
        "−σ²/4 < 0 and the spiral closes in on (0, 0).", knob="noise_std"),
    "r1": Game(
        "Zero-centred gradient penalty (R1)",
        r"L_D = f(\psi\theta) + f(0) - R_1,\quad R_1 = \tfrac{\gamma}{2}\,\mathbb{E}_{\pi}"
        r"\lVert\nabla_x D_\psi(x)\rVert^2 = \tfrac{\gamma}{2}\psi^2",
        r"v(\theta,\psi) = \big(-\psi f'(\psi\theta),\; \theta f'(\psi\theta) - \gamma\psi\big)",
        r1_field, r"\lambda_{1,2} = -\tfrac{\gamma}{2} \pm \sqrt{\tfrac{\gamma^2}{4} - f'(0)^2}",
        "Penalising the critic's slope on real data damps ψ: the eigenvalues get real part −γ/2 and training "
        "converges; γ = 1 = 2f'(0) is critically damped (no spiral at all).", knob="penalty_weight"),
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
                   "wgan_gp": "wgan_gp", "instance_noise": "minimax", "r1": "minimax"}


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

    # (1) Critic: descend its loss (= ascend L) with the generator held fixed.
    critic_loss = objective.critic_loss(critic(real), critic(fake.detach()))
    if game == "r1":
        gradients = lipschitz.input_gradients(critic, real, create_graph=True)
        critic_loss = critic_loss + regularisation.penalty_weight / 2 * (gradients**2).sum(dim=1).mean()
    if game == "wgan_gp":
        penalty = lipschitz.gradient_penalty(critic, real, fake, generator)
        critic_loss = critic_loss + regularisation.penalty_weight / 2 * penalty
    (critic_gradient,) = torch.autograd.grad(critic_loss, critic.psi)

    # (2) Generator: descend its loss through the critic just used.
    generator_loss = objective.generator_loss(critic(fake))
    (generator_gradient,) = torch.autograd.grad(generator_loss, generator_parameter)
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
    """The paper's closed forms for the eigenvalues of v'(0, 0), sorted by imaginary part.

    Unregularised GANs (Lemma 2.2): ±i f'(0), purely imaginary, so the flow circles and never converges.
    R1 (Thm 4.1 for the Dirac-GAN): −γ/2 ± √(γ²/4 − f'(0)²), real parts −γ/2 < 0: converges.
    Instance noise (Lemma 4.1): f''(0)σ² ± √(f''(0)²σ⁴ − f'(0)²), real parts f''(0)σ² < 0: converges.
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
    else:
        return None
    return np.array(sorted(roots, key=lambda value: (value.imag, value.real)), dtype=complex)


def update_jacobian_at_origin(game: str, *, step_size: float, update: str = "simultaneous",
                              regularisation: Regularisation = Regularisation(), epsilon: float = 1e-6
                              ) -> np.ndarray | None:
    """Jacobian of one gradient-descent step (θ, ψ) ↦ (θ', ψ') at (0, 0), by central differences.

    Its eigenvalues decide the discrete dynamics: spectral radius > 1 spirals out, = 1 circles, < 1 converges.
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


# ---- one page view: settings in, every array the figures need out ----------------------------------------

@dataclass(frozen=True)
class DiracSettings:
    """Everything the page lets a lecturer change; one field = one widget = one URL key."""

    game: str = "minimax"
    update: str = "simultaneous"
    step_size: float = 0.1        # h
    steps: int = 1500
    penalty_weight: float = 1.0   # γ (R1, WGAN-GP)
    noise_std: float = 1.0        # σ (instance noise)
    clip_value: float = 0.5       # c (WGAN)
    theta: float = 1.0            # θ₀
    psi: float = 1.0              # ψ₀

    @property
    def regularisation(self) -> Regularisation:
        return Regularisation(self.penalty_weight, self.noise_std, self.clip_value)


@dataclass(frozen=True)
class Preset:
    """A small, self-explaining override of the page's settings that shows one claim of the paper."""

    label: str
    claim: str
    settings: DiracSettings


PRESETS: dict[str, Preset] = {  # keys are URL ids: never rename
    "plain_spirals": Preset(
        "Plain GAN spirals out", "Simultaneous steps multiply the radius by √(1 + h²f'(ψθ)²) > 1 every time.",
        DiracSettings("minimax", "simultaneous", step_size=0.1, steps=1500)),
    "plain_circles": Preset(
        "Alternating GAN circles", "Alternating steps keep |λ| = 1: the point circles (0, 0) for ever.",
        DiracSettings("minimax", "alternating", step_size=0.1, steps=1500)),
    "r1_converges": Preset(
        "R1 converges", "γ/2 ψ² damps the critic: eigenvalues −γ/2 ± √(γ²/4 − ¼), the spiral closes in.",
        DiracSettings("r1", "simultaneous", step_size=0.3, steps=600, penalty_weight=0.3)),
    "noise_converges": Preset(
        "Instance noise converges", "Blurring both points gives real parts f''(0)σ² = −σ²/4 < 0.",
        DiracSettings("instance_noise", "simultaneous", step_size=0.3, steps=600, noise_std=0.7)),
    "wgan_oscillates": Preset(
        "WGAN clipped oscillates", "|ψ| ≤ c caps the spiral, but θ keeps swinging on a circle of radius ≈ c.",
        DiracSettings("wgan", "simultaneous", step_size=0.1, steps=1500, clip_value=0.5)),
}

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
    )


def _eigenvalues_or_none(matrix: np.ndarray | None) -> np.ndarray | None:
    return None if matrix is None else np.linalg.eigvals(matrix)


def view_warnings(view: DiracView, steps: int) -> list[str]:
    """What the page should flag: a run that diverged, iterates outside the plotted square."""
    notes = []
    if len(view.trajectory) <= steps:
        notes.append(f"The iterates left the disc of radius {ESCAPE_RADIUS:g} after {len(view.trajectory) - 1} "
                     "steps: training diverged. Try a smaller step size h.")
    elif np.max(np.abs(view.trajectory)) > view.extent:
        notes.append(f"Some iterates lie outside the plotted square |θ|, |ψ| ≤ {view.extent:g}; the distance chart "
                     "shows all of them.")
    return notes


EIGENVALUE_NOTE = (
    "Continuous time converges when every Re λ < 0 and circles when Re λ = 0. One step of size h multiplies "
    "deviations by the update's eigenvalues (left): outside the unit circle spirals out, on it circles, inside "
    "converges. Simultaneous steps give 1 + hλ (Lemma 2.3); alternating steps keep |λ| = 1 for the plain GAN while "
    "h f'(0) ≤ 2 (Lemma 2.4).")


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

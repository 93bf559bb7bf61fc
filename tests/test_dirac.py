"""The Dirac-GAN (Mescheder et al. 2018): closed-form fields against autograd of the trainer's losses and
against quadrature, the paper's eigenvalues at (0, 0), and the lecture's claims about each game's training."""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import integrate

from playground import dirac
from playground.figures import dirac as dirac_figures

SMOOTH_GAMES = [game for game, spec in dirac.GAMES.items() if spec.smooth_at_origin]
DETERMINISTIC_GAMES = [game for game in dirac.GAMES if game != "instance_noise"]


def random_points(count: int, seed: int, scale: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-scale, scale, size=(count, 2))


def f_gan(t: float) -> float:
    """f(t) = −log(1 + e^{−t}), written independently of the module."""
    return -math.log1p(math.exp(-t))


# ---- fields -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("game", DETERMINISTIC_GAMES)
def test_closed_form_field_matches_autograd_of_the_trainer_losses(game):
    """v = (−∂θ L_G, −∂ψ L_D) from objectives/lipschitz by autograd equals the paper's closed form."""
    regularisation = dirac.Regularisation(penalty_weight=0.7, clip_value=0.4)
    for theta, psi in random_points(12, seed=1):
        expected = dirac.vector_field(game, theta, psi, regularisation)
        actual = dirac.autograd_vector_field(game, theta, psi, regularisation)
        np.testing.assert_allclose(actual, np.asarray(expected, dtype=float), rtol=1e-10, atol=1e-12)


def test_minimax_field_against_finite_differences_of_the_paper_objective():
    """v = (−∂L/∂θ, ∂L/∂ψ) for L(θ, ψ) = f(ψθ) + f(0) with f(t) = −log(1 + e^{−t})."""
    step = 1e-6
    for theta, psi in random_points(8, seed=2):
        objective = lambda t, p: f_gan(p * t) + f_gan(0.0)  # noqa: E731
        d_theta = -(objective(theta + step, psi) - objective(theta - step, psi)) / (2 * step)
        d_psi = (objective(theta, psi + step) - objective(theta, psi - step)) / (2 * step)
        np.testing.assert_allclose(dirac.vector_field("minimax", theta, psi), [d_theta, d_psi], atol=1e-8)


def test_unregularised_field_is_tangent_to_circles():
    """θ v_θ + ψ v_ψ = 0 for the minimax GAN: the continuous flow neither approaches nor leaves (0, 0)."""
    theta, psi = random_points(50, seed=3).T
    d_theta, d_psi = dirac.vector_field("minimax", theta, psi)
    np.testing.assert_allclose(theta * d_theta + psi * d_psi, 0.0, atol=1e-14)


def test_non_saturating_flow_never_moves_away_from_the_origin():
    """θ v_θ + ψ v_ψ = θψ (σ(−ψθ) − σ(ψθ)) ≤ 0: the non-saturating generator only ever dissipates."""
    theta, psi = random_points(200, seed=4, scale=3.0).T
    d_theta, d_psi = dirac.vector_field("non_saturating", theta, psi)
    assert np.all(theta * d_theta + psi * d_psi <= 1e-15)


@pytest.mark.parametrize(("theta", "psi", "noise_std"),
                         [(2.0, 3.0, 1.5), (-3.0, 4.0, 1.5), (0.5, -0.2, 0.7), (1.0, 6.0, 1.0)])
def test_instance_noise_field_matches_scipy_quadrature(theta, psi, noise_std):
    """The trapezoidal expectations agree with scipy.integrate.quad, also where |ψ|σ = 6 (Gauss–Hermite fails)."""
    def density(e):
        return math.exp(-e * e / (2 * noise_std**2)) / (math.sqrt(2 * math.pi) * noise_std)

    def slope(t):
        return 1.0 / (1.0 + math.exp(t)) if t < 700 else 0.0

    d_theta = integrate.quad(lambda e: -psi * slope(psi * (theta + e)) * density(e), -np.inf, np.inf,
                             epsabs=1e-13)[0]
    d_psi = integrate.quad(lambda e: ((theta + e) * slope(psi * (theta + e)) - e * slope(-psi * e)) * density(e),
                           -np.inf, np.inf, epsabs=1e-13)[0]
    field = dirac.vector_field("instance_noise", theta, psi, dirac.Regularisation(noise_std=noise_std))
    np.testing.assert_allclose(np.asarray(field, dtype=float), [d_theta, d_psi], atol=1e-10)


def test_instance_noise_field_matches_monte_carlo_autograd():
    """The trainer's way (noise.add_instance_noise on real and fake, autograd) agrees within sampling error."""
    regularisation = dirac.Regularisation(noise_std=0.8)
    generator = torch.Generator().manual_seed(0)
    for theta, psi in random_points(3, seed=5, scale=1.5):
        expected = np.asarray(dirac.vector_field("instance_noise", theta, psi, regularisation), dtype=float)
        actual = dirac.autograd_vector_field("instance_noise", theta, psi, regularisation,
                                             noise_samples=1_000_000, generator=generator)
        # per-sample gradients have std below ~1.5 here, so the standard error is under 1.5e-3
        np.testing.assert_allclose(actual, expected, atol=6e-3)


def test_instance_noise_field_tends_to_the_minimax_field_as_noise_vanishes():
    theta, psi = random_points(20, seed=6).T
    blurred = dirac.vector_field("instance_noise", theta, psi, dirac.Regularisation(noise_std=1e-4))
    np.testing.assert_allclose(blurred, dirac.vector_field("minimax", theta, psi), atol=1e-6)


def test_fields_are_vectorised_over_grids():
    theta, psi = np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-1, 1, 5))
    for game in dirac.GAMES:
        d_theta, d_psi = dirac.vector_field(game, theta, psi)
        assert np.shape(d_theta) == np.shape(d_psi) == theta.shape
        for row, column in [(0, 0), (2, 3), (4, 6)]:
            point = dirac.vector_field(game, theta[row, column], psi[row, column])
            np.testing.assert_allclose([d_theta[row, column], d_psi[row, column]], np.asarray(point, float))


# ---- local analysis at (0, 0) ------------------------------------------------------------------------------

def jacobian_at_origin(game: str, regularisation: dirac.Regularisation | None = None) -> np.ndarray | None:
    """v'(0, 0) by central differences: one simultaneous step of size h is (θ, ψ) + h·v, so v' = (J_step − I)/h."""
    step = dirac.update_jacobian_at_origin(game, step_size=1.0, update="simultaneous",
                                           regularisation=regularisation or dirac.Regularisation())
    return None if step is None else step - np.eye(2)


def spectral_radius(matrix: np.ndarray) -> float:
    """max |λ| over the eigenvalues of a square matrix."""
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


@pytest.mark.parametrize("game", SMOOTH_GAMES)
@pytest.mark.parametrize("strength", [0.3, 1.0, 2.5])
def test_jacobian_eigenvalues_match_the_paper(game, strength):
    """Eigenvalues of v'(0, 0) by finite differences equal the closed forms of `eigenvalues_at_origin`."""
    regularisation = dirac.Regularisation(penalty_weight=strength, noise_std=strength)
    numeric = np.sort_complex(np.linalg.eigvals(jacobian_at_origin(game, regularisation)))
    closed = np.sort_complex(dirac.eigenvalues_at_origin(game, regularisation))
    np.testing.assert_allclose(numeric, closed, atol=1e-6)


def test_unregularised_eigenvalues_are_purely_imaginary_and_regularised_ones_damped():
    for game, speed in [("minimax", 0.5), ("non_saturating", 0.5), ("wgan", 1.0)]:
        values = dirac.eigenvalues_at_origin(game)
        np.testing.assert_allclose(values.real, 0.0)
        np.testing.assert_allclose(np.abs(values.imag), speed)
    gamma, sigma = 0.6, 0.9
    r1 = dirac.eigenvalues_at_origin("r1", dirac.Regularisation(penalty_weight=gamma))
    np.testing.assert_allclose(r1.real, -gamma / 2)                         # −γ/2 ± i √(¼ − γ²/4)
    np.testing.assert_allclose(np.abs(r1.imag), math.sqrt(0.25 - gamma**2 / 4))
    noisy = dirac.eigenvalues_at_origin("instance_noise", dirac.Regularisation(noise_std=sigma))
    np.testing.assert_allclose(noisy.real, -(sigma**2) / 4)                  # f''(0)σ² with f''(0) = −¼
    critical = dirac.eigenvalues_at_origin("r1", dirac.Regularisation(penalty_weight=1.0))
    np.testing.assert_allclose(critical, [-0.5, -0.5])                     # γ = 2 f'(0): critically damped


def test_wgan_gp_has_no_jacobian_at_the_origin():
    assert jacobian_at_origin("wgan_gp") is None
    assert dirac.eigenvalues_at_origin("wgan_gp") is None


@pytest.mark.parametrize("step_size", [0.05, 0.3, 1.0])
def test_simultaneous_step_eigenvalues_lie_outside_the_unit_circle(step_size):
    """The update (θ, ψ) + h v has eigenvalues 1 ± i h f'(0), modulus √(1 + h²/4) > 1 (Mescheder et al. 2018)."""
    jacobian = dirac.update_jacobian_at_origin("minimax", step_size=step_size, update="simultaneous")
    values = np.sort_complex(np.linalg.eigvals(jacobian))
    np.testing.assert_allclose(values, [1 - 0.5j * step_size, 1 + 0.5j * step_size], atol=1e-8)
    assert spectral_radius(jacobian) == pytest.approx(math.sqrt(1 + step_size**2 / 4))


@pytest.mark.parametrize("step_size", [0.05, 0.3, 1.0, 3.0])
def test_alternating_step_eigenvalues_lie_on_the_unit_circle(step_size):
    """Alternating steps: λ = 1 − α²/2 ± √((1 − α²/2)² − 1), α = h f'(0); |λ| = 1 while α ≤ 2.

    One step is ψ' = ψ + αθ, θ' = θ − αψ' (linearised), the matrix [[1 − α², −α], [α, 1]]: trace 2 − α², det 1.
    """
    alpha = step_size * 0.5
    centre = 1 - alpha**2 / 2
    closed = np.sort_complex(centre + np.array([-1, 1]) * np.sqrt(complex(centre**2 - 1)))
    jacobian = dirac.update_jacobian_at_origin("minimax", step_size=step_size, update="alternating")
    np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(jacobian)), closed, atol=1e-8)
    assert spectral_radius(jacobian) == pytest.approx(1.0, abs=1e-8)


def test_regularised_steps_contract():
    for update in dirac.UPDATES:
        for game, regularisation in [("r1", dirac.Regularisation(penalty_weight=0.5)),
                                     ("instance_noise", dirac.Regularisation(noise_std=1.0))]:
            jacobian = dirac.update_jacobian_at_origin(game, step_size=0.2, update=update,
                                                       regularisation=regularisation)
            assert spectral_radius(jacobian) < 0.99


# ---- training ----------------------------------------------------------------------------------------------

def test_simultaneous_steps_grow_the_radius_by_the_closed_form_factor():
    """‖x_{k+1}‖ = ‖x_k‖ √(1 + h² f'(ψ_k θ_k)²) for the minimax game: strictly outward, every step."""
    step_size = 0.2
    points = dirac.gradient_descent("minimax", (0.6, -0.3), step_size=step_size, steps=400)
    radii = dirac.distances_to_equilibrium(points)
    slope = 1 / (1 + np.exp(points[:-1, 0] * points[:-1, 1]))
    np.testing.assert_allclose(radii[1:] / radii[:-1], np.sqrt(1 + step_size**2 * slope**2), rtol=1e-12)


@pytest.mark.parametrize("game", ["minimax", "wgan_gp"])
def test_unregularised_simultaneous_gradient_descent_spirals_out(game):
    regularisation = dirac.Regularisation(penalty_weight=0.3)
    points = dirac.gradient_descent(game, (1.0, 1.0), step_size=0.3, steps=1500, regularisation=regularisation)
    radii = dirac.distances_to_equilibrium(points)
    assert radii[-1] > 2 * radii[0]
    if game == "minimax":
        assert np.all(np.diff(radii) > 0)


def test_non_saturating_gan_does_not_converge_either():
    for update in dirac.UPDATES:
        points = dirac.gradient_descent("non_saturating", (1.0, 1.0), step_size=0.3, steps=3000, update=update)
        assert dirac.distances_to_equilibrium(points)[-1] > 0.05


def test_unregularised_alternating_gradient_descent_circles():
    """Bounded (no spiral out) and never converging: the radius stays within 15 % of the start for 5,000 steps."""
    points = dirac.gradient_descent("minimax", (1.0, 1.0), step_size=0.1, steps=5000, update="alternating")
    radii = dirac.distances_to_equilibrium(points)
    assert radii.max() < 1.15 * radii[0]
    assert radii.min() > 0.85 * radii[0]
    assert points[:, 0].min() < -1.0 < 1.0 < points[:, 0].max()   # it goes around, it does not stall


@pytest.mark.parametrize("update", list(dirac.UPDATES))
@pytest.mark.parametrize("gamma", [0.3, 1.0, 3.0])
def test_r1_converges_to_the_equilibrium(update, gamma):
    points = dirac.gradient_descent("r1", (1.0, 1.0), step_size=0.2, steps=2000, update=update,
                                    regularisation=dirac.Regularisation(penalty_weight=gamma))
    assert dirac.distances_to_equilibrium(points)[-1] < 1e-6


@pytest.mark.parametrize("update", list(dirac.UPDATES))
@pytest.mark.parametrize("sigma", [0.5, 1.0])
def test_instance_noise_converges_to_the_equilibrium(update, sigma):
    points = dirac.gradient_descent("instance_noise", (1.0, 1.0), step_size=0.3, steps=2500, update=update,
                                    regularisation=dirac.Regularisation(noise_std=sigma))
    assert dirac.distances_to_equilibrium(points)[-1] < 1e-6


@pytest.mark.parametrize("update", list(dirac.UPDATES))
def test_wgan_with_clipping_oscillates(update):
    """ψ stays in [−c, c], θ keeps swinging through ±c: the distance never drops below ≈ c."""
    clip_value = 0.5
    points = dirac.gradient_descent("wgan", (1.0, 1.0), step_size=0.1, steps=3000, update=update,
                                    regularisation=dirac.Regularisation(clip_value=clip_value))
    assert np.all(np.abs(points[:, 1]) <= clip_value)
    late = points[-1000:]
    assert dirac.distances_to_equilibrium(late).min() > 0.9 * clip_value
    assert late[:, 0].min() < -0.9 * clip_value and late[:, 0].max() > 0.9 * clip_value


def test_wgan_gp_never_reaches_the_equilibrium():
    """The penalty pushes |ψ| to g₀ = 1: weak γ oscillates around (0, 0); strong γ parks the generator at
    θ = −γ, where the ψ > 0 branch ψ = 1 + θ/γ of the critic's optimum reaches 0."""
    for update in dirac.UPDATES:
        weak = dirac.gradient_descent("wgan_gp", (1.0, 1.0), step_size=0.05, steps=3000, update=update,
                                      regularisation=dirac.Regularisation(penalty_weight=1.0))
        assert dirac.distances_to_equilibrium(weak[-1000:]).min() > 1.0
        strong = dirac.gradient_descent("wgan_gp", (1.0, 1.0), step_size=0.05, steps=3000, update=update,
                                        regularisation=dirac.Regularisation(penalty_weight=3.0))
        np.testing.assert_allclose(strong[-1], [-3.0, 0.0], atol=1e-6)


def test_continuous_flow_circles_without_regularisation_and_converges_with_r1():
    circle = dirac.continuous_flow("minimax", (1.0, 0.5), duration=100.0)
    np.testing.assert_allclose(dirac.distances_to_equilibrium(circle), math.hypot(1.0, 0.5), rtol=1e-6)
    damped = dirac.continuous_flow("r1", (1.0, 0.5), duration=100.0, regularisation=dirac.Regularisation(0.5))
    assert dirac.distances_to_equilibrium(damped)[-1] < 1e-4


def test_small_steps_follow_the_continuous_flow():
    """Gradient descent with h → 0 approaches the flow: at t = 10 the gap shrinks roughly linearly in h."""
    flow_end = dirac.continuous_flow("r1", (1.0, 1.0), duration=10.0, regularisation=dirac.Regularisation(0.3))[-1]
    gaps = [np.linalg.norm(dirac.gradient_descent("r1", (1.0, 1.0), step_size=h, steps=round(10 / h),
                                                  regularisation=dirac.Regularisation(0.3))[-1] - flow_end)
            for h in (0.1, 0.01)]
    assert gaps[1] < gaps[0] / 5
    assert gaps[1] < 1e-2


def test_gradient_descent_stops_once_escaped():
    points = dirac.gradient_descent("wgan", (1.0, 1.0), step_size=1.0, steps=500,
                                    regularisation=dirac.Regularisation(clip_value=1e9))
    assert len(points) < 501 and np.all(np.isfinite(points))
    assert dirac.distances_to_equilibrium(points)[-1] > dirac.ESCAPE_RADIUS


def test_unknown_update_rule_is_rejected():
    with pytest.raises(ValueError, match="unknown update"):
        dirac.gradient_descent("minimax", (1.0, 1.0), step_size=0.1, steps=3, update="leapfrog")


@pytest.mark.parametrize("preset", list(dirac.PRESETS))
def test_presets_show_their_claims(preset):
    settings = dirac.preset_settings(preset)
    view = dirac.simulate(settings)
    expected = {"plain_spirals": "diverges", "plain_circles": "circles", "r1_converges": "converges",
                "noise_converges": "converges", "wgan_oscillates": "circles"}[preset]
    assert view.verdict.kind == expected, view.verdict.reason
    radii = view.distances[settings.update]
    assert len(radii) == settings.steps + 1
    if preset == "plain_spirals":
        assert radii[-1] > 1.8 * radii[0]
    elif preset == "plain_circles":
        assert 0.9 * radii[0] < radii.min() <= radii.max() < 1.1 * radii[0]
    elif preset in ("r1_converges", "noise_converges"):
        assert radii[-1] < 1e-5
        assert np.max(np.abs(view.update_eigenvalues[settings.update])) < 1
    elif preset == "wgan_oscillates":
        assert radii[-500:].min() > 0.45
    else:
        raise AssertionError(f"add a claim for preset {preset}")


def test_a_few_thousand_steps_take_well_under_a_second():
    """Slowest game (instance noise, quadrature at every step), 3,000 alternating steps, plus the page's view."""
    torch.set_num_threads(1)
    started = time.perf_counter()
    dirac.gradient_descent("instance_noise", (1.0, 1.0), step_size=0.1, steps=3000, update="alternating")
    assert time.perf_counter() - started < 1.0
    started = time.perf_counter()
    dirac.simulate(dirac.DiracSettings(game="r1", steps=3000))
    assert time.perf_counter() - started < 0.5


def test_view_warnings_flag_divergence_and_iterates_off_the_plot():
    assert dirac.view_warnings(dirac.simulate(dirac.DiracSettings()), 1500) == []
    diverged = dirac.DiracSettings(game="wgan_gp", step_size=1.0, steps=200, penalty_weight=0.3)  # escapes at 24
    assert "diverged" in dirac.view_warnings(dirac.simulate(diverged), 200)[0]
    parked = dirac.DiracSettings(game="wgan_gp", step_size=0.05, steps=3000, penalty_weight=10.0)   # at θ = −10
    assert "outside the plotted square" in dirac.view_warnings(dirac.simulate(parked), 3000)[0]


def test_eigenvalue_tex():
    assert dirac.eigenvalue_tex(np.array([-1e-9 + 0.5j, -1e-9 - 0.5j])) == r"0.000 \pm 0.500\,i"
    assert dirac.eigenvalue_tex(np.array([-0.15 - 0.477j, -0.15 + 0.477j])) == r"-0.150 \pm 0.477\,i"
    assert dirac.eigenvalue_tex(np.array([-0.25, -0.5])) == r"-0.500,\;-0.250"
    assert "no Jacobian" in dirac.eigenvalue_tex(None)


# ---- figures -----------------------------------------------------------------------------------------------

def test_phase_portrait_draws_field_trajectory_and_replay():
    view = dirac.simulate(dirac.preset_settings("r1_converges"))
    figure = dirac_figures.phase_portrait(view.grid_theta, view.grid_psi, view.field_theta, view.field_psi,
                                          view.trajectory, extent=view.extent, flow=view.flow, clip_value=0.5)
    names = [trace.name for trace in figure.data]
    assert {"gradient field", "iterates", "start", "equilibrium", "flow (h → 0)"} <= set(
        names)
    assert len(figure.frames) == dirac_figures.ANIMATION_FRAMES
    assert figure.frames[-1].name == str(len(view.trajectory) - 1)
    assert figure.layout.sliders[0].active == len(figure.frames) - 1
    assert figure.layout.yaxis.scaleanchor == "x"                     # θ and ψ on one scale: circles look round
    assert tuple(figure.layout.xaxis.range) == (-view.extent, view.extent)
    replay = figure.data[-1]
    np.testing.assert_allclose([replay.x[0], replay.y[0]], view.trajectory[-1], rtol=1e-6)


def test_arrow_heads_point_along_the_field():
    theta, psi = np.meshgrid([0.0, 1.0], [0.0, 1.0])
    d_theta, d_psi = np.array([[1.0, 0.0], [0.0, -1.0]]), np.array([[0.0, 1.0], [-2.0, 0.0]])
    _, _, heads = dirac_figures.arrow_segments(theta, psi, d_theta, d_psi, length=0.5)
    np.testing.assert_allclose(heads[2], [90.0, 0.0, 180.0, -90.0])   # right, up, down, left (clockwise from up)
    assert heads[0][3] < 1.0 and heads[1][2] < 1.0                     # tips moved along the field


def test_distance_and_eigenvalue_figures():
    view = dirac.simulate(dirac.preset_settings("plain_spirals"))
    distance = dirac_figures.distance_curves(view.distances, highlight="simultaneous",
                                             flow_iterations=view.flow_iterations,
                                             flow_distances=dirac.distances_to_equilibrium(view.flow))
    assert distance.layout.yaxis.type == "log"
    assert [trace.name for trace in distance.data] == ["simultaneous", "alternating", "flow (h → 0)"]
    eigen = dirac_figures.update_eigenvalues(view.update_eigenvalues)
    assert "1.0012" in eigen.data[1].name                               # √(1 + 0.1²/4)
    assert "1.0000" in eigen.data[2].name


def test_distance_chart_draws_a_fast_oscillation_as_the_band_it_swings_in():
    """WGAN at h = 1 cycles with period 5 (simultaneous) and 3 (alternating). Drawn point by point, so fast a
    zig-zag would fill a solid block hiding the other rule; each is drawn as its range per window, which holds
    every iterate."""
    settings = replace(dirac.preset_settings("plain_spirals"), game="wgan", step_size=1.0)
    view = dirac.simulate(settings)
    figure = dirac_figures.distance_curves(view.distances, highlight="simultaneous")
    named = [trace for trace in figure.data if trace.showlegend is not False]
    assert [trace.name.split(":")[0] for trace in named] == ["simultaneous", "alternating"]
    for lower, upper, (label, values) in zip(figure.data[0::2], figure.data[1::2], view.distances.items(),
                                             strict=True):
        window = int(upper.name.rsplit("per ", 1)[1].split()[0])
        assert upper.fill == "tonexty" and upper.name.startswith(label) and window >= 2 * 3
        for index in range(len(upper.y)):
            chunk = values[index * window:(index + 1) * window]
            assert lower.y[index] == pytest.approx(chunk.min(), rel=1e-6)
            assert upper.y[index] == pytest.approx(chunk.max(), rel=1e-6)
    assert 0.70 < figure.data[3].y[-1] < 0.71 < 1.11 < figure.data[1].y[-1] < 1.12  # cycles: √0.5 and √1.25 at most
    slow = dirac.simulate(dirac.preset_settings("plain_spirals"))   # h = 0.1: one cycle in 63 steps stays a line
    assert all(trace.fill is None for trace in dirac_figures.distance_curves(slow.distances).data)
    converging = dirac.simulate(replace(settings, game="instance_noise"))  # h = 1: rounding noise at 1e-16 is no cycle
    assert all(trace.fill is None for trace in dirac_figures.distance_curves(converging.distances).data)


def test_an_unknown_game_is_a_value_error_that_names_the_games():
    for call in (lambda: dirac.vector_field("nope", 0.0, 0.0),
                 lambda: dirac.update_jacobian_at_origin("nope", step_size=0.1),
                 lambda: dirac.gradient_descent("nope", (1.0, 1.0), step_size=0.1, steps=3)):
        with pytest.raises(ValueError, match="r1"):
            call()


# ---- the verdict: every sentence the page states about convergence is computed -----------------------------

def radii_of(game, update, step_size, regularisation, steps, start=(1.0, 1.0)):
    points = dirac.gradient_descent(game, start, step_size=step_size, steps=steps, update=update,
                                    regularisation=regularisation)
    return dirac.distances_to_equilibrium(points), len(points) < steps + 1


@pytest.mark.parametrize("step_size", [0.5, 1.0])
def test_r1_with_a_weak_penalty_does_not_converge_at_large_steps(step_size):
    """Issue 20: R1, γ = 0.1, simultaneous, h = 0.5 or 1: 1 + hλ leaves the unit circle, and the run stays away."""
    regularisation = dirac.Regularisation(penalty_weight=0.1)
    found = dirac.verdict("r1", (1.0, 1.0), step_size=step_size, regularisation=regularisation)
    assert found.kind != "converges" and found.spectral_radius > 1
    radii, _ = radii_of("r1", "simultaneous", step_size, regularisation, 1500)
    assert radii[-150:].min() > 1.0


@pytest.mark.parametrize("update", list(dirac.UPDATES))
@pytest.mark.parametrize(("gamma", "step_size"), [(2.0, 1.0), (3.0, 1.0), (5.0, 0.5), (5.0, 1.0)])
def test_r1_with_a_strong_penalty_diverges_at_large_steps(update, gamma, step_size):
    """Issue 20: these leave the radius-1000 disc within 22 steps, both update rules; at γ = 2, h = 1 (simultaneous)
    the linearisation even contracts (ρ = √3/2): the start lies outside the region it attracts."""
    found = dirac.verdict("r1", (1.0, 1.0), step_size=step_size, update=update,
                          regularisation=dirac.Regularisation(penalty_weight=gamma))
    assert found.kind == "diverges"
    assert found.trend.escaped_at is not None and found.trend.escaped_at <= 22


@pytest.mark.parametrize("step_size", [0.05, 0.1, 0.2, 0.3, 0.5, 1.0])
def test_instance_noise_of_01_diverges_for_every_offered_step_from_005(step_size):
    """Issue 20: σ = 0.1, simultaneous: |1 + hλ|² = 1 − hσ²/2 + h²/4 (σ < √2) exceeds 1 once h > 2σ² = 0.02."""
    sigma = 0.1
    found = dirac.verdict("instance_noise", (1.0, 1.0), step_size=step_size,
                          regularisation=dirac.Regularisation(noise_std=sigma))
    assert found.kind == "diverges"
    assert found.spectral_radius == pytest.approx(math.sqrt(1 - step_size * sigma**2 / 2 + step_size**2 / 4))


def test_instance_noise_simultaneous_steps_contract_below_h_equal_two_sigma_squared():
    for sigma in (0.1, 0.2, 0.3, 0.5, 0.7, 1.0):
        for step_size in (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0):
            jacobian = dirac.update_jacobian_at_origin("instance_noise", step_size=step_size,
                                                       regularisation=dirac.Regularisation(noise_std=sigma))
            closed = math.sqrt(1 - step_size * sigma**2 / 2 + step_size**2 / 4)
            assert spectral_radius(jacobian) == pytest.approx(closed, abs=1e-7)
            if not math.isclose(step_size, 2 * sigma**2):             # there ρ = 1: the verdict asks the run
                assert (closed < 1) == (step_size < 2 * sigma**2)


def test_alternating_plain_gan_at_h_05_drifts_out_although_its_linearisation_circles():
    """Issue 20: |λ| = 1 for alternating steps, yet at h = 0.5 the nonlinear terms push the iterates out."""
    found = dirac.verdict("minimax", (1.0, 1.0), step_size=0.5, update="alternating")
    assert found.spectral_radius == pytest.approx(1.0, abs=1e-8)
    assert found.kind == "diverges"
    radii, _ = radii_of("minimax", "alternating", 0.5, dirac.Regularisation(), 5000)
    assert radii[-500:].min() > 1.5 * radii[0]
    assert dirac.verdict("minimax", (1.0, 1.0), step_size=0.1, update="alternating").kind == "circles"


def test_non_saturating_flow_shrinks_although_re_lambda_is_zero():
    """Issue 20: Re λ = 0 at (0, 0) decides nothing; θ v_θ + ψ v_ψ ≤ 0 makes the non-saturating flow shrink."""
    np.testing.assert_allclose(dirac.eigenvalues_at_origin("non_saturating").real, 0.0)
    flow = dirac.continuous_flow("non_saturating", (1.0, 1.0), duration=100.0)
    assert dirac.distances_to_equilibrium(flow)[-1] < 0.3
    statement = dirac.flow_statement("non_saturating", (1.0, 1.0))
    assert "decides nothing" in statement and "shrinks" in statement
    assert "neither grows nor shrinks" in dirac.flow_statement("minimax", (1.0, 1.0))


@pytest.mark.parametrize(("game", "knob", "value", "expected"), [
    ("r1", "penalty_weight", 0.5, [-0.25 - 0.4330127j, -0.25 + 0.4330127j]),
    ("r1", "penalty_weight", 1.0, [-0.5, -0.5]),                                   # γ = 2f'(0): critical
    ("r1", "penalty_weight", 2.0, [-1.8660254, -0.1339746]),                      # −1 ± √(1 − ¼)
    ("instance_noise", "noise_std", 1.0, [-0.25 - 0.4330127j, -0.25 + 0.4330127j]),
    ("instance_noise", "noise_std", 1.5, [-0.8201941, -0.3048059]),               # −9/16 ± √(81/256 − ¼)
    ("instance_noise", "noise_std", 2.0, [-1.8660254, -0.1339746]),               # issue 20's −1.866, −0.134
])
def test_damped_eigenvalues_are_real_from_critical_damping_on(game, knob, value, expected):
    """σ ≥ √2 and γ ≥ 1 give two real eigenvalues: then "real part −σ²/4" or "−γ/2" no longer holds."""
    regularisation = dirac.Regularisation(**{knob: value})
    values = dirac.eigenvalues_at_origin(game, regularisation)
    np.testing.assert_allclose(np.sort_complex(values), np.sort_complex(np.array(expected)), atol=1e-6)
    numeric = np.linalg.eigvals(jacobian_at_origin(game, regularisation))
    np.testing.assert_allclose(np.sort_complex(numeric), np.sort_complex(np.array(expected)), atol=1e-6)
    statement = dirac.flow_statement(game, (1.0, 1.0), regularisation)
    assert f"largest {max(np.real(expected)):.3f}" in statement
    assert ("both are real" in statement) == all(np.isreal(expected))


KNOB_VALUES = {  # the page's controls, every value they offer
    "penalty_weight": [0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0],
    "noise_std": [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0],
    "clip_value": [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0],
    None: [None],
}
STEP_SIZES = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]


def behaviour_agrees(found: dirac.Verdict, radii: np.ndarray, escaped: bool, points_tail: np.ndarray,
                     continued: np.ndarray) -> str:
    """'' when the iterates of an independent run over found.steps steps do what the verdict says, else why not.

    `continued`: the radii of the same run continued for as many steps again. Converging means ending closer than
    the start and still closing in: the continuation's last tenth lies below the first run's last tenth (or both
    sit at rounding level); a run that merely settled on a smaller cycle fails that."""
    start, final, late = radii[0], radii[-1], radii[-max(1, len(radii) // 10):]
    if found.kind == "diverges":
        return "" if escaped or final > start else f"said diverges, but {start:.3g} -> {final:.3g}"
    if escaped:
        return f"said {found.kind}, but the run escaped"
    if found.kind == "converges":
        later = continued[-max(1, len(continued) // 10):]
        closing = later.max() < late.min() or later.max() < 1e-12 * start
        return "" if final < start and closing else (
            f"said converges, but {start:.3g} -> last tenth {late.min():.3g}-{late.max():.3g} -> continued "
            f"{later.min():.3g}-{later.max():.3g}")
    if found.kind == "circles":
        return "" if late.min() > 1e-3 * start else f"said circles, but it reached {late.min():.3g}"
    if found.kind == "stalls":
        moved = np.max(np.hypot(*(points_tail - points_tail[-1]).T))
        return "" if moved < 1e-6 * final and final > 1e-3 * start else f"said stalls, but moved {moved:.3g}"
    return f"unknown kind {found.kind}"


def continuation(game, points, step_size, update, regularisation, found) -> np.ndarray:
    """Radii of the run continued from its last point for found.steps more steps (only needed for 'converges')."""
    if found.kind != "converges":
        return np.zeros(1)
    more = dirac.gradient_descent(game, tuple(points[-1]), step_size=step_size, steps=found.steps, update=update,
                                  regularisation=regularisation)
    return dirac.distances_to_equilibrium(more)


@pytest.mark.slow
@pytest.mark.parametrize("game", list(dirac.GAMES))
def test_verdict_agrees_with_the_iterates_on_every_offered_setting(game):
    """Every h, update rule and value of the game's knob on the page (start (1, 1), the page's default): the
    stated kind matches an independent run over the same number of steps, and a decisive spectral radius never
    contradicts it (ρ > 1 cannot converge)."""
    knob = dirac.GAMES[game].knob
    failures, kinds = [], set()
    for value in KNOB_VALUES[knob]:
        regularisation = dirac.Regularisation() if knob is None else dirac.Regularisation(**{knob: value})
        for update in dirac.UPDATES:
            for step_size in STEP_SIZES:
                found = dirac.verdict(game, (1.0, 1.0), step_size=step_size, update=update,
                                      regularisation=regularisation)
                kinds.add(found.kind)
                points = dirac.gradient_descent(game, (1.0, 1.0), step_size=step_size, steps=found.steps,
                                                update=update, regularisation=regularisation)
                radii = dirac.distances_to_equilibrium(points)
                problem = behaviour_agrees(found, radii, len(points) < found.steps + 1, points[-len(points) // 10:],
                                           continuation(game, points, step_size, update, regularisation, found))
                if found.spectral_radius is not None and found.spectral_radius > 1 + dirac.SPECTRAL_TOLERANCE:
                    problem += " converges with ρ > 1" if found.kind == "converges" else ""
                if problem:
                    failures.append(f"{knob}={value} {update} h={step_size}: {problem}")
    assert not failures, "\n".join(failures)
    assert kinds, game


@pytest.mark.parametrize("start", [(-3.0, 3.0), (0.1, -0.1), (2.5, 0.0), (0.0, 0.0)])
@pytest.mark.parametrize("game", list(dirac.GAMES))
def test_verdict_agrees_with_the_iterates_from_other_starts(game, start):
    for update in dirac.UPDATES:
        for step_size in (0.1, 1.0):
            found = dirac.verdict(game, start, step_size=step_size, update=update)
            points = dirac.gradient_descent(game, start, step_size=step_size, steps=found.steps, update=update)
            radii = dirac.distances_to_equilibrium(points)
            if radii[0] == 0:
                assert found.kind == "converges" and np.all(radii == 0)
                continue
            problem = behaviour_agrees(found, radii, len(points) < found.steps + 1, points[-len(points) // 10:],
                                       continuation(game, points, step_size, update, dirac.Regularisation(), found))
            assert not problem, f"{update} h={step_size}: {problem}"


# ---- consensus optimisation ----------------------------------------------------------------------------------

def test_consensus_field_is_v_minus_gamma_times_the_gradient_of_half_the_squared_norm():
    """w = v − γ ∇(½‖v‖²) with ∇ by central differences of the minimax field (Mescheder, Nowozin & Geiger 2017)."""
    gamma, step = 0.7, 1e-6
    regularisation = dirac.Regularisation(penalty_weight=gamma)

    def half_squared_norm(theta, psi):
        d_theta, d_psi = dirac.vector_field("minimax", theta, psi)
        return (d_theta**2 + d_psi**2) / 2

    for theta, psi in random_points(10, seed=7):
        pull_theta = (half_squared_norm(theta + step, psi) - half_squared_norm(theta - step, psi)) / (2 * step)
        pull_psi = (half_squared_norm(theta, psi + step) - half_squared_norm(theta, psi - step)) / (2 * step)
        v = np.asarray(dirac.vector_field("minimax", theta, psi), dtype=float)
        expected = v - gamma * np.array([pull_theta, pull_psi])
        np.testing.assert_allclose(dirac.vector_field("consensus", theta, psi, regularisation), expected, atol=1e-8)


@pytest.mark.parametrize("gamma", [0.0, 0.1, 1.0, 5.0])
def test_consensus_eigenvalues_and_step_against_closed_forms(gamma):
    """Derivation. With s = f'(0) = ½, v'(0, 0) = A = [[0, −s], [s, 0]]. ∇(½‖v‖²) = v'ᵀ v, whose Jacobian at
    (0, 0) is AᵀA + Σᵢ vᵢ ∇²vᵢ = AᵀA = s² I because v(0, 0) = 0. So w'(0, 0) = A − γ s² I, with eigenvalues
    −γ s² ± i s = −γ/4 ± i/2: always a complex pair, damped by γ/4 while the rotation ±i/2 stays.
    A simultaneous step has eigenvalues 1 − hγ/4 ± i h/2, so ρ² = (1 − hγ/4)² + h²/4, below 1 exactly when
    h < 8γ / (γ² + 4)."""
    regularisation = dirac.Regularisation(penalty_weight=gamma)
    closed = np.array([-gamma / 4 - 0.5j, -gamma / 4 + 0.5j])
    np.testing.assert_allclose(np.sort_complex(dirac.eigenvalues_at_origin("consensus", regularisation)), closed)
    numeric = np.linalg.eigvals(jacobian_at_origin("consensus", regularisation))
    np.testing.assert_allclose(np.sort_complex(numeric), closed, atol=1e-7)
    for step_size in STEP_SIZES:
        jacobian = dirac.update_jacobian_at_origin("consensus", step_size=step_size, regularisation=regularisation)
        radius = math.sqrt((1 - step_size * gamma / 4) ** 2 + step_size**2 / 4)
        assert spectral_radius(jacobian) == pytest.approx(radius, abs=1e-7)
        assert (radius < 1) == (step_size < 8 * gamma / (gamma**2 + 4))


def test_consensus_converges_where_the_plain_gan_spirals_out():
    plain = dirac.verdict("minimax", (1.0, 1.0), step_size=0.1)
    consensus = dirac.verdict("consensus", (1.0, 1.0), step_size=0.1, regularisation=dirac.Regularisation(1.0))
    assert plain.kind == "diverges" and consensus.kind == "converges"
    radii, _ = radii_of("consensus", "simultaneous", 0.1, dirac.Regularisation(1.0), 1500)
    assert radii[-1] < 1e-10
    weak = dirac.verdict("consensus", (1.0, 1.0), step_size=0.5, regularisation=dirac.Regularisation(0.1))
    assert weak.kind != "converges" and weak.spectral_radius > 1                 # h ≥ 8γ/(γ² + 4) = 0.198

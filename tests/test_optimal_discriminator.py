"""The optimal discriminator in 1-D against closed forms, scipy's quadrature and finite differences."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy import integrate, stats

from playground import optimal_discriminator as od
from playground.optimal_discriminator import Pair, preset_pair

LOG_4 = math.log(4.0)



def reference_densities(pair: Pair):
    """π and p_θ as scipy callables, written independently of the module."""
    if pair.family == "gaussian":
        real = stats.norm(0.0, math.hypot(pair.real_width, pair.noise)).pdf
        fake = stats.norm(pair.theta, math.hypot(pair.fake_width, pair.noise)).pdf
        return real, fake

    def blurred_uniform(centre, width):
        if pair.noise == 0:
            return lambda x: float(abs(x - centre) <= width) / (2 * width)
        return lambda x: (stats.norm.cdf((x - centre + width) / pair.noise)
                          - stats.norm.cdf((x - centre - width) / pair.noise)) / (2 * width)

    return blurred_uniform(0.0, pair.real_width), blurred_uniform(pair.theta, pair.fake_width)


def reference_quad(pair: Pair, integrand) -> float:
    real, fake = reference_densities(pair)
    reach = 14 * (max(pair.real_width, pair.fake_width) + pair.noise) + 1
    low, high = min(0.0, pair.theta) - reach, max(0.0, pair.theta) + reach
    points = sorted({0.0, pair.theta, -pair.real_width, pair.real_width,
                     pair.theta - pair.fake_width, pair.theta + pair.fake_width})
    return integrate.quad(lambda x: integrand(real(x), fake(x)), low, high, points=points, limit=400,
                          epsabs=1e-13, epsrel=1e-11)[0]


def reference_jsd(pair: Pair) -> float:
    """JSD = ½ KL(π‖m) + ½ KL(p‖m), m = (π + p)/2, by scipy.integrate.quad."""
    def integrand(a, b):
        m = 0.5 * (a + b)
        return sum(0.5 * q * math.log(q / m) for q in (a, b) if q > 0)
    return reference_quad(pair, integrand)


def reference_value(pair: Pair) -> float:
    """V(G, D*) = ∫ π log(π/(π+p)) + p log(p/(π+p)) dx, by scipy.integrate.quad."""
    return reference_quad(pair, lambda a, b: sum(q * math.log(q / (a + b)) for q in (a, b) if q > 0))


PAIRS = [
    Pair(theta=1.0),
    Pair(theta=-2.3, real_width=0.4, fake_width=1.7),
    Pair(theta=0.7, real_width=0.08, fake_width=1.2, noise=0.05),
    Pair(theta=3.0, real_width=0.5, fake_width=0.5, noise=1.0),
    Pair(theta=0.6, real_width=1.0, fake_width=0.5, family="uniform"),
    Pair(theta=1.2, real_width=0.5, fake_width=0.5, noise=0.3, family="uniform"),
    Pair(theta=-0.4, real_width=1.5, fake_width=0.2, noise=0.02, family="uniform"),
]


@pytest.mark.slow
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p.family}-θ{p.theta}-σ{p.noise}")
def test_value_and_jsd_match_scipy_quad(pair):
    """V(G, D*) by the module's quadrature equals scipy's, and equals 2·JSD − log 4 with JSD from its definition."""
    value = od.value_at_optimum(pair)
    assert value == pytest.approx(reference_value(pair), abs=1e-10)
    assert value == pytest.approx(2 * reference_jsd(pair) - LOG_4, abs=1e-10)
    assert od.jensen_shannon(pair) == pytest.approx(reference_jsd(pair), abs=1e-10)


@pytest.mark.parametrize("family", od.FAMILIES)
@pytest.mark.parametrize("noise", [0.0, 0.4])
def test_matched_distributions_give_minus_log_4(family, noise):
    """θ = 0 with equal widths: D* = ½ everywhere and V(G, D*) = −log 4, its minimum."""
    pair = Pair(theta=0.0, real_width=0.7, fake_width=0.7, noise=noise, family=family)
    assert od.value_at_optimum(pair) == pytest.approx(-LOG_4, abs=1e-12)
    x = np.linspace(-0.6, 0.6, 7)
    np.testing.assert_allclose(od.optimal_discriminator(x, pair), 0.5, atol=1e-12)


def test_optimal_discriminator_matches_closed_form_for_gaussians():
    pair = Pair(theta=1.3, real_width=0.8, fake_width=1.4)
    x = np.linspace(-4, 5, 37)
    real, fake = stats.norm(0, 0.8).pdf(x), stats.norm(1.3, 1.4).pdf(x)
    np.testing.assert_allclose(od.optimal_discriminator(x, pair), real / (real + fake), rtol=1e-12)


def test_instance_noise_convolves_the_gaussians():
    """N(μ, s²) ∗ N(0, σ²) = N(μ, s² + σ²)."""
    pair = Pair(theta=2.0, real_width=0.3, fake_width=0.4, noise=0.5)
    x = np.linspace(-3, 5, 17)
    real, fake = stats.norm(0, math.hypot(0.3, 0.5)).pdf(x), stats.norm(2, math.hypot(0.4, 0.5)).pdf(x)
    np.testing.assert_allclose(od.optimal_discriminator(x, pair), real / (real + fake), rtol=1e-12)


@pytest.mark.parametrize("noise", [0.0, 0.05, 0.7])
def test_uniform_densities_integrate_to_one(noise):
    for centre, width in ((0.0, 0.5), (2.0, 1.5)):
        total = integrate.quad(lambda x, c=centre, w=width: math.exp(od.log_density(x, c, w, "uniform", noise)),
                               centre - width - 15 * noise - 1, centre + width + 15 * noise + 1,
                               points=[centre - width, centre + width], limit=200)[0]
        assert total == pytest.approx(1.0, abs=1e-9)


def test_blurred_uniform_log_density_is_finite_far_in_the_tails():
    """log(Φ(u) − Φ(v)) computed stably: no −inf and no NaN 40 noise-widths out on either side."""
    x = np.array([-30.0, -10.0, 0.0, 10.0, 30.0])
    values = od.log_density(x, 0.0, 1.0, "uniform", noise=0.5)
    assert np.isfinite(values).all()
    # Far in the tail, the blurred edge behaves like a Gaussian tail: log ≈ −(x − b)²/(2σ²) + O(log x).
    assert values[-1] == pytest.approx(-(30 - 1) ** 2 / (2 * 0.25), rel=0.01)


def test_separated_gaussians_saturate_and_their_slope_vanishes_at_the_fakes():
    """Supports far apart relative to the widths: D* ≈ 1 on π, ≈ 0 on p_θ, flat where the fakes are."""
    pair = preset_pair("separated")
    real_points = np.linspace(-0.6, 0.6, 13)
    fake_points = pair.theta + np.linspace(-0.6, 0.6, 13)
    assert np.all(od.optimal_discriminator(real_points, pair) == 1.0)  # exactly 1 in float64
    assert np.all(od.optimal_discriminator(fake_points, pair) < 1e-30)
    assert np.all(np.abs(od.optimal_discriminator_slope(fake_points, pair)) < 1e-28)
    assert od.mean_slope_at_fakes(pair) < 1e-10
    assert od.value_at_optimum(pair) == pytest.approx(0.0, abs=1e-12)  # JSD = log 2


def test_instance_noise_brings_the_slope_back():
    """The same separated pair, blurred: E_p |∂D*/∂x| grows from ~0 to a usable size as σ grows."""
    pair = preset_pair("separated")
    slopes = [od.mean_slope_at_fakes(replace(pair, noise=noise)) for noise in (0.0, 0.5, 1.0, 2.0)]
    assert slopes[0] < 1e-10
    assert slopes[2] > 1e-2
    assert all(a < b for a, b in zip(slopes, slopes[1:], strict=False))
    values = [od.value_at_optimum(replace(pair, noise=noise)) for noise in (0.0, 1.0, 2.0)]
    assert values[0] > -1e-12 and values[1] < -0.05 and values[2] < values[1]  # V leaves its ceiling 0


@pytest.mark.parametrize(("theta", "real_width", "fake_width", "noise"),
                         [(0.5, 0.3, 1.2, 0.0), (-1.7, 1.5, 0.4, 0.2), (2.0, 1.0, 1.0, 0.0)])
def test_mean_slope_at_fakes_matches_scipy_quadrature(theta, real_width, fake_width, noise):
    """E_p |∂D*/∂x| against scipy's quad split at the kink of |∂D*/∂x|, where (log π/p_θ)' = 0: the composite rule
    splits its panels there, since a kink inside a panel costs accuracy (θ = 0.5, widths 0.3 and 1.2 has one)."""
    pair = Pair(theta=theta, real_width=real_width, fake_width=fake_width, noise=noise)
    a, b = real_width**2 + noise**2, fake_width**2 + noise**2
    kinks = [theta * a / (a - b)] if a != b else []

    def integrand(x):
        point = np.array([x])
        return np.exp(od.fake_log_density(point, pair))[0] * abs(od.optimal_discriminator_slope(point, pair)[0])

    reference = integrate.quad(integrand, theta - 12 * math.sqrt(b), theta + 12 * math.sqrt(b),
                               points=[*kinks, 0.0, theta], limit=500, epsabs=1e-14, epsrel=1e-12)[0]
    assert od.mean_slope_at_fakes(pair) == pytest.approx(reference, rel=1e-10)


def test_disjoint_uniforms_give_exact_zero_and_one():
    pair = Pair(theta=3.0, real_width=1.0, fake_width=1.0, family="uniform")
    assert np.all(od.optimal_discriminator(np.linspace(-1, 1, 11), pair) == 1.0)
    assert np.all(od.optimal_discriminator(np.linspace(2, 4, 11), pair) == 0.0)
    assert np.all(od.optimal_discriminator_slope(np.linspace(2, 4, 11), pair) == 0.0)
    assert np.isnan(od.optimal_discriminator(np.array([1.5]), pair)).all()  # off both supports: undefined
    assert od.value_at_optimum(pair) == 0.0
    assert od.mean_slope_at_fakes(pair) == 0.0


def test_overlapping_uniforms_match_the_closed_form():
    """On the overlap of length L, D* = s_p/(s_π + s_p), so
    V = (L/2s_π) log(s_p/(s_π + s_p)) + (L/2s_p) log(s_π/(s_π + s_p))."""
    real_width, fake_width, theta = 1.0, 0.5, 0.9
    pair = Pair(theta=theta, real_width=real_width, fake_width=fake_width, family="uniform")
    overlap = min(real_width, theta + fake_width) - max(-real_width, theta - fake_width)
    total = real_width + fake_width
    expected = (overlap / (2 * real_width) * math.log(fake_width / total)
                + overlap / (2 * fake_width) * math.log(real_width / total))
    assert od.value_at_optimum(pair) == pytest.approx(expected, abs=1e-13)


@pytest.mark.parametrize("pair", [preset_pair("overlapping"), Pair(theta=1.0, real_width=0.5, fake_width=0.8,
                                                                noise=0.3, family="uniform")])
def test_slope_matches_finite_differences(pair):
    x = np.linspace(-2.5, 3.0, 23)
    step = 1e-6
    numeric = (od.optimal_discriminator(x + step, pair) - od.optimal_discriminator(x - step, pair)) / (2 * step)
    np.testing.assert_allclose(od.optimal_discriminator_slope(x, pair), numeric, atol=1e-7)


def test_value_curve_is_symmetric_and_rises_to_zero():
    """Equal widths: V(θ) = V(−θ), minimal (−log 4) at θ = 0, increasing in |θ|, 0 once supports part."""
    thetas = np.linspace(-5, 5, 41)
    values = od.value_curve(thetas, Pair(real_width=0.3, fake_width=0.3))
    np.testing.assert_allclose(values, values[::-1], atol=1e-12)
    assert values[20] == pytest.approx(-LOG_4, abs=1e-12)
    assert np.all(np.diff(values[20:]) >= -1e-12)
    assert values[-1] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.slow
def test_live_discriminator_learns_the_optimal_one():
    """A small MLP trained with the minimax loss approaches D* where the mass is; its V(G, D) approaches
    V(G, D*) from below."""
    run = od.LiveDiscriminator(preset_pair("overlapping"), seed=3)
    run.train(800)
    snapshot = run.snapshot()
    assert run.step == snapshot["step"] == 800
    mass = snapshot["real_density"] + snapshot["fake_density"]
    where = mass > 0.1 * mass.max()
    assert np.max(np.abs(snapshot["d"] - snapshot["d_optimal"])[where]) < 0.05
    assert snapshot["value"] == pytest.approx(snapshot["value_optimal"], abs=0.01)
    assert snapshot["value"] <= snapshot["value_optimal"] + 1e-6  # D* maximises V(G, ·)


@pytest.mark.slow
def test_live_discriminator_follows_a_moved_distribution():
    run = od.LiveDiscriminator(preset_pair("matched"), seed=1)
    run.train(200)
    assert run.reconfigure(preset_pair("separated")) == ["theta", "real_width", "fake_width"]
    assert run.config == preset_pair("separated") and run.reconfigure(preset_pair("separated")) == []
    run.train(400)
    snapshot = run.snapshot()
    x, d = snapshot["x"], snapshot["d"]
    assert d[np.argmin(np.abs(x - 0.0))] > 0.95
    assert d[np.argmin(np.abs(x - preset_pair("separated").theta))] < 0.05
    assert snapshot["diverged"] is None


def test_presets_are_the_pairs_the_page_teaches_with():
    """Overrides on Pair's defaults: the same three pairs as ever (links name them by these ids)."""
    assert preset_pair("overlapping") == Pair(theta=1.0, real_width=1.0, fake_width=1.0, noise=0.0, family="gaussian")
    assert preset_pair("separated") == Pair(theta=4.8, real_width=0.3, fake_width=0.3)
    assert preset_pair("matched") == Pair(theta=0.0)
    separated = preset_pair("separated")
    assert separated.theta / separated.fake_width == pytest.approx(16)  # D* ≈ e^−140 at the fakes: 0 in float32


def test_pair_rejects_bad_settings():
    with pytest.raises(ValueError):
        Pair(family="cauchy")
    with pytest.raises(ValueError):
        Pair(real_width=0.0)
    for bad in ({"theta": float("nan")}, {"theta": float("inf")}, {"noise": float("inf")}):  # was LinAlgError
        with pytest.raises(ValueError, match="finite"):
            Pair(**bad)


def test_grid_value_of_the_optimal_logit_is_the_optimal_value():
    """Feeding s*(x) = log π/p_θ to the grid quadrature gives V(G, D*); any other logit gives less."""
    pair = preset_pair("overlapping")
    grid = np.linspace(-od.PLOT_LIMIT, od.PLOT_LIMIT, od.GRID_POINTS)
    real, fake = np.exp(od.real_log_density(grid, pair)), np.exp(od.fake_log_density(grid, pair))
    optimal = od.grid_value(grid, od.log_ratio(grid, pair), real, fake)
    assert optimal == pytest.approx(od.value_at_optimum(pair), abs=1e-6)
    assert od.grid_value(grid, od.log_ratio(grid, pair) + 0.3, real, fake) < optimal
    assert od.grid_value(grid, np.zeros_like(grid), real, fake) == pytest.approx(-LOG_4, abs=1e-6)

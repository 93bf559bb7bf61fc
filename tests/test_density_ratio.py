"""The density-ratio trick against closed forms: the classifier's logit is log q₁/q₂, its mean under q₁ is KL."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import integrate, stats

from playground import density_ratio
from playground.density_ratio import PAIRS, DensityRatioConfig, DensityRatioRun

# The lecture's pair: q₁ = N(0, 1), q₂ = N(1, 1.5²). KL(q₁‖q₂) = log 1.5 + 2/4.5 − ½ ≈ 0.3499.
GAUSSIAN_KL = math.log(1.5) + (1.0 + 1.0) / (2 * 1.5**2) - 0.5

# Tolerances the trained classifier must meet (measured with seeds 0–4 after 2,000 steps: mean abs error
# 0.026–0.075 nats on both 95 % regions; the KL estimate averaged over the last 200 steps within 3.5 %, a single
# step's within 16 %, since the logit's offset follows each batch's sampling noise).
LOG_RATIO_TOLERANCE = 0.15   # mean |s(x) − log q₁/q₂| over the region where both have 95 % of their mass
KL_RELATIVE_TOLERANCE = 0.10
TRAINING_STEPS = 2000


@pytest.fixture(scope="module")
def trained_gaussian_run() -> DensityRatioRun:
    torch.set_num_threads(1)
    run = DensityRatioRun(DensityRatioConfig(pair="gaussians", seed=0))
    run.train(TRAINING_STEPS)
    return run


# --- exact references ----------------------------------------------------------------------------------------


def test_log_densities_match_scipy():
    points = np.linspace(-4, 4, 41)[:, None]
    pair = PAIRS["gaussians"]
    np.testing.assert_allclose(pair.numerator.log_density(points), stats.norm(0, 1).logpdf(points[:, 0]))
    np.testing.assert_allclose(pair.denominator.log_density(points), stats.norm(1, 1.5).logpdf(points[:, 0]))
    mixture = PAIRS["mixture"].numerator.log_density(points)
    expected = np.log(0.5 * stats.norm(-2, 0.5).pdf(points[:, 0]) + 0.5 * stats.norm(2, 0.5).pdf(points[:, 0]))
    np.testing.assert_allclose(mixture, expected, rtol=1e-10)
    plane = np.random.default_rng(0).normal(size=(50, 2))
    expected_2d = stats.multivariate_normal([1.0, 0.0], np.diag([1.5**2, 0.75**2])).logpdf(plane)
    np.testing.assert_allclose(PAIRS["gaussians_2d"].denominator.log_density(plane), expected_2d)
    uniform = PAIRS["no_overlap"].denominator.log_density(np.array([[0.0], [0.99], [1.5]]))
    np.testing.assert_allclose(uniform, [math.log(0.5), math.log(0.5), -math.inf])


def test_samplers_follow_their_densities():
    generator = torch.Generator().manual_seed(0)
    samples = PAIRS["gaussians"].denominator.sample(20_000, generator).numpy()[:, 0]
    assert stats.kstest(samples, stats.norm(1, 1.5).cdf).pvalue > 1e-3
    uniform = PAIRS["no_overlap"].numerator.sample(20_000, generator).numpy()[:, 0]
    assert stats.kstest(uniform, stats.uniform(-2, 4).cdf).pvalue > 1e-3


def test_gaussian_kl_closed_form_matches_scipy_quadrature_and_torch():
    assert density_ratio.exact_kl("gaussians") == pytest.approx(GAUSSIAN_KL, rel=1e-12)
    q1, q2 = stats.norm(0, 1), stats.norm(1, 1.5)
    numeric, _ = integrate.quad(lambda x: q1.pdf(x) * (q1.logpdf(x) - q2.logpdf(x)), -12, 12)
    assert density_ratio.exact_kl("gaussians") == pytest.approx(numeric, rel=1e-8)
    first = torch.distributions.Normal(torch.tensor([0.0, 0.0]), torch.tensor([1.0, 1.0]))
    second = torch.distributions.Normal(torch.tensor([1.0, 0.0]), torch.tensor([1.5, 0.75]))
    expected = torch.distributions.kl_divergence(first, second).sum().item()
    assert density_ratio.exact_kl("gaussians_2d") == pytest.approx(expected, rel=1e-6)


def test_mixture_kl_by_grid_matches_scipy_quadrature():
    pair = PAIRS["mixture"]

    def integrand(x: float) -> float:
        point = np.array([[x]])
        return float(np.exp(pair.numerator.log_density(point)[0]) * pair.log_ratio(point)[0])

    numeric, _ = integrate.quad(integrand, -10, 10, points=[-2, 2], limit=200)
    assert density_ratio.exact_kl("mixture") == pytest.approx(numeric, rel=1e-6)


def test_ring_kl_by_grid_matches_monte_carlo():
    pair = PAIRS["ring_2d"]
    samples = pair.numerator.sample(400_000, torch.Generator().manual_seed(3)).numpy()
    log_ratios = pair.log_ratio(samples)
    standard_error = log_ratios.std() / math.sqrt(len(log_ratios))
    assert abs(density_ratio.exact_kl("ring_2d") - log_ratios.mean()) < 4 * standard_error


def test_kl_is_infinite_when_q1_has_mass_where_q2_has_none():
    assert density_ratio.exact_kl("no_overlap") == math.inf


def test_mass_region_of_a_gaussian_is_its_central_interval():
    """For N(0, 1) the 95 % highest-density region is [−1.96, 1.96]."""
    points = np.array([[-2.05], [-1.9], [0.0], [1.9], [2.05]])
    inside = density_ratio.has_mass("gaussians", "numerator", points, coverage=0.95)
    assert inside.tolist() == [False, True, True, True, False]


# --- the classifier's loss ---------------------------------------------------------------------------------


def test_logistic_loss_matches_torch_binary_cross_entropy():
    scores_1, scores_2 = torch.randn(300), torch.randn(200)
    expected = (F.binary_cross_entropy_with_logits(scores_1, torch.ones(300))
                + F.binary_cross_entropy_with_logits(scores_2, torch.zeros(200)))
    assert density_ratio.logistic_loss(scores_1, scores_2).item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("density_1, density_2", [(0.3, 0.1), (0.05, 0.4), (0.2, 0.2)])
def test_pointwise_minimiser_of_logistic_loss_is_the_log_ratio(density_1, density_2):
    """q₁ softplus(−s) + q₂ softplus(s) has its minimum at s = log q₁/q₂: the density-ratio trick."""
    grid = torch.linspace(-5, 5, 100_001)
    pointwise = density_1 * F.softplus(-grid) + density_2 * F.softplus(grid)
    best = grid[pointwise.argmin()].item()
    assert best == pytest.approx(math.log(density_1 / density_2), abs=1e-3)


# --- the trained classifier against the truth -----------------------------------------------------------------


@pytest.mark.slow
def test_logit_matches_exact_log_ratio_where_both_have_mass(trained_gaussian_run):
    points = np.linspace(-5, 6, 2001)[:, None]
    region = density_ratio.both_have_mass("gaussians", points, coverage=0.95)
    assert points[region].min() == pytest.approx(-1.94, abs=0.01)   # 1 − 1.96·1.5
    assert points[region].max() == pytest.approx(1.96, abs=0.01)
    inside = points[region]
    errors = np.abs(trained_gaussian_run.scores(inside) - trained_gaussian_run.pair.log_ratio(inside))
    assert errors.mean() < LOG_RATIO_TOLERANCE


@pytest.mark.slow
def test_kl_estimate_within_ten_percent(trained_gaussian_run):
    estimate = trained_gaussian_run.smoothed_kl_estimate()
    assert estimate == pytest.approx(GAUSSIAN_KL, rel=KL_RELATIVE_TOLERANCE)
    assert trained_gaussian_run.snapshot()["exact_kl"] == pytest.approx(GAUSSIAN_KL)


@pytest.mark.slow
def test_no_overlap_pair_good_inside_and_failing_outside():
    """Where both uniforms have mass the logit finds log(¼ / ½) = −log 2; where only q₁ has mass the true
    ratio is infinite, and the logit and the KL estimate keep climbing with training."""
    run = DensityRatioRun(DensityRatioConfig(pair="no_overlap", seed=0))
    run.train(500)
    early_kl = run.current_kl_estimate()
    run.train(1000)
    centre = np.linspace(-0.8, 0.8, 81)[:, None]
    sides = np.concatenate([np.linspace(-1.9, -1.2, 30), np.linspace(1.2, 1.9, 30)])[:, None]
    assert np.abs(run.scores(centre) - math.log(0.5)).mean() < 0.2
    assert run.scores(sides).min() > 3.0
    assert run.current_kl_estimate() > early_kl + 0.5
    snapshot = run.snapshot()
    assert snapshot["exact_kl"] == math.inf
    untrusted = snapshot["grid_axis"][~snapshot["trusted"]]
    assert np.all(np.abs(untrusted) >= 0.99)          # the shaded region is exactly |x| > 1


# --- the Steppable protocol -----------------------------------------------------------------------------------


def test_same_seed_same_run_and_other_seed_differs():
    first, second = (DensityRatioRun(DensityRatioConfig(pair="gaussians_2d", seed=4)) for _ in range(2))
    other = DensityRatioRun(DensityRatioConfig(pair="gaussians_2d", seed=5))
    for run in (first, second, other):
        run.train(60)
    np.testing.assert_array_equal(first.snapshot()["estimated_log_ratio"], second.snapshot()["estimated_log_ratio"])
    for key in first.history:
        np.testing.assert_array_equal(first.history[key], second.history[key])   # NaN == NaN here
    assert not np.allclose(first.snapshot()["estimated_log_ratio"], other.snapshot()["estimated_log_ratio"])


def test_snapshot_shapes_and_history():
    run = DensityRatioRun(DensityRatioConfig(pair="ring_2d"))
    metrics = run.train(25)
    snapshot = run.snapshot()
    assert run.step == 25 and set(metrics) == {"loss", "kl_estimate"}
    assert snapshot["estimated_log_ratio"].shape == snapshot["exact_log_ratio"].shape == (60 * 60,)
    assert snapshot["history_step"].tolist() == [0, 10, 20]
    assert snapshot["samples_numerator"].shape == (400, 2)


def test_non_finite_loss_sets_diverged_and_stops():
    run = DensityRatioRun(DensityRatioConfig())
    run.train(5)
    with torch.no_grad():
        next(run.classifier.parameters()).fill_(float("nan"))
    run.train(10)
    assert run.diverged and "step 5" in run.diverged
    assert run.step == 5


def test_running_mean():
    np.testing.assert_allclose(density_ratio.running_mean([1.0, 3.0, 5.0, 7.0], 2), [1.0, 2.0, 4.0, 6.0])


def test_live_learning_rate_change_applies_in_place():
    run = DensityRatioRun(DensityRatioConfig())
    run.reconfigure(replace(run.config, learning_rate=1e-4))
    assert run.optimizer.param_groups[0]["lr"] == 1e-4


def test_unknown_pair_is_rejected():
    with pytest.raises(ValueError, match="unknown pair"):
        DensityRatioRun(DensityRatioConfig(pair="nope"))


# --- figures -----------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_views_draw_every_pair():
    from playground.figures import density_ratio as figures

    for pair_id in PAIRS:
        run = DensityRatioRun(DensityRatioConfig(pair=pair_id))
        run.train(10)
        summary, *charts = figures.ratio_view(run.snapshot(), ratio=pair_id == "gaussians")
        assert "KL estimate" in summary
        assert len(charts) == (3 if PAIRS[pair_id].dimension == 1 else 4)
        for chart in charts:
            chart.to_json()                               # serialisable: no NaN/inf surprises


def test_log_ratio_range_caps_infinite_ratios():
    from playground.figures.density_ratio import LOG_RATIO_LIMIT, log_ratio_range

    assert log_ratio_range(np.array([-0.7, -0.7, np.inf, np.nan])) == (pytest.approx(-1.7), LOG_RATIO_LIMIT)
    assert log_ratio_range(np.array([-50.0, 2.0])) == (-LOG_RATIO_LIMIT, 3.0)




def assert_verdict_agrees_with_run(run: DensityRatioRun) -> None:
    """The sentences under the KL numbers, read back against the numbers shown and against the run itself."""
    from playground.figures import density_ratio as figures

    summary = figures.ratio_view(run.snapshot())[0]
    estimate = float(re.search(r"KL estimate \*\*(-?\d+\.\d+)\*\*", summary).group(1))
    exact_shown = re.search(r"against exact \*\*(∞|\d+\.\d+)\*\*", summary).group(1)
    exact = density_ratio.exact_kl(run.config.pair)
    if exact_shown == "∞":
        assert math.isinf(exact) and "every finite estimate falls short" in summary
    else:
        relative = (estimate - float(exact_shown)) / float(exact_shown)
        match = re.search(r"The KL estimate is (\d+\.\d+) nats \((\d+)%\) (below|above) the exact KL", summary)
        if match is None:
            assert "within 0.5 % of the exact KL" in summary and abs(relative) < 0.006
        else:
            assert (match.group(3) == "below") == (relative < 0)
            assert float(match.group(1)) == pytest.approx(abs(estimate - float(exact_shown)), abs=0.0015)
            assert int(match.group(2)) == pytest.approx(100 * abs(relative), abs=0.6)
            assert ("negative, which no KL can be" in summary) == (estimate < 0)
    grid = run.grid
    exact_log_ratio = run.pair.log_ratio(grid)
    finite = np.isfinite(exact_log_ratio)
    errors = np.abs(run.scores(grid) - exact_log_ratio)
    match = re.search(r"the logit is off by (\d+\.\d+) on average, (more|less) than inside \((\d+\.\d+)\)",
                      summary)
    if match:
        inside, outside = errors[run.trusted & finite].mean(), errors[~run.trusted & finite].mean()
        assert float(match.group(1)) == pytest.approx(outside, rel=1e-3, abs=2e-3)
        assert float(match.group(3)) == pytest.approx(inside, abs=2e-3)
        assert (match.group(2) == "more") == (outside > inside)
        shown_inside = re.search(r"where both have mass: \*\*(\d+\.\d+)\*\*", summary).group(1)
        assert float(shown_inside) == pytest.approx(inside, abs=2e-3)
    else:
        assert not (~run.trusted & finite).any()
    infinite = np.isposinf(exact_log_ratio)
    match = re.search(r"the logit there reaches (-?\d+\.\d+)", summary)
    assert (match is not None) == infinite.any()
    if match:
        assert float(match.group(1)) == pytest.approx(run.scores(grid[infinite]).max(), abs=0.006)


@pytest.mark.parametrize("pair_id", list(PAIRS))
def test_verdict_agrees_with_the_numbers_for_every_pair(pair_id):
    run = DensityRatioRun(DensityRatioConfig(pair=pair_id, seed=0))
    assert_verdict_agrees_with_run(run)                   # the untrained classifier
    run.train(100)
    assert_verdict_agrees_with_run(run)


@pytest.mark.slow
@pytest.mark.parametrize("pair_id", list(PAIRS))
def test_verdict_agrees_with_the_numbers_on_other_seeds_and_rates(pair_id):
    for seed, learning_rate in ((1, 1e-2), (2, 3e-4)):
        run = DensityRatioRun(DensityRatioConfig(pair=pair_id, seed=seed, learning_rate=learning_rate))
        run.train(600)
        assert_verdict_agrees_with_run(run)


def test_a_run_from_the_page_settings_is_the_config_they_describe():
    settings = density_ratio.RatioSettings(pair="ring_2d", learning_rate=1e-3, seed=4, scale="ratio")
    run = density_ratio.DensityRatioRun.from_settings(settings, record_every=5)
    assert run.config == density_ratio.DensityRatioConfig(pair="ring_2d", learning_rate=1e-3, seed=4, record_every=5)
    assert density_ratio.DensityRatioRun.from_settings(density_ratio.RatioSettings()).config == \
        density_ratio.DensityRatioConfig()
    assert run.reconfigure(replace(settings, learning_rate=1e-2, scale="log-ratio")) == ["learning_rate"]
    assert run.optimizer.param_groups[0]["lr"] == 1e-2 and run.config.learning_rate == 1e-2
    assert run.reconfigure(replace(settings, learning_rate=1e-2)) == []

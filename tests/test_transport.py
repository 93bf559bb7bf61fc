"""Earth mover's distance, W₁ and the Kantorovich–Rubinstein critic against references (scipy, closed forms)."""

import math
import time
from dataclasses import replace

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from scipy.optimize import linear_sum_assignment, linprog
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from playground import transport
from playground.figures import transport as transport_figures

SLIDE_P = (3, 2, 1, 4)
SLIDE_Q = (1, 2, 4, 3)



def linprog_emd(a, b, cost):
    """The transport problem as a plain LP: min Σ γᵢⱼ Cᵢⱼ, row sums a, column sums b, γ ≥ 0 (scipy HiGHS)."""
    n, m = cost.shape
    rows = np.kron(np.eye(n), np.ones((1, m)))
    columns = np.kron(np.ones((1, n)), np.eye(m))
    result = linprog(cost.ravel(), A_eq=np.vstack([rows, columns]), b_eq=np.concatenate([a, b]),
                     bounds=(0, None), method="highs")
    assert result.status == 0
    return result.fun


# ---- emd ----------------------------------------------------------------------------------------


def test_emd_of_the_slide_is_exactly_five_with_valid_marginals():
    distance, plan = transport.emd(SLIDE_P, SLIDE_Q)
    assert distance == 5.0
    assert plan.shape == (4, 4)
    assert np.all(plan >= 0)
    np.testing.assert_array_equal(plan.sum(axis=1), SLIDE_P)
    np.testing.assert_array_equal(plan.sum(axis=0), SLIDE_Q)
    assert np.sum(plan * transport.line_cost(4, 4)) == 5.0


def test_emd_on_the_line_equals_the_cumulative_difference():
    """On a line with cost |i − j|, W = Σₖ |Σ_{i≤k} (aᵢ − bᵢ)| (the dirt crossing each gap)."""
    rng = np.random.default_rng(1)
    for _ in range(20):
        a = rng.integers(0, 10, 8).astype(float)
        b = rng.permutation(a)
        distance, _ = transport.emd(a, b)
        assert distance == pytest.approx(np.abs(np.cumsum(a - b)).sum(), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_emd_matches_scipy_linprog_on_random_histograms(seed):
    rng = np.random.default_rng(seed)
    n, m = rng.integers(2, 9, size=2)
    a = rng.uniform(0, 5, n)
    b = rng.uniform(0, 5, m)
    b *= a.sum() / b.sum()
    cost = rng.uniform(0, 3, (n, m)) if seed % 2 else transport.line_cost(n, m)
    distance, plan = transport.emd(a, b, cost if seed % 2 else None)
    assert distance == pytest.approx(linprog_emd(a, b, cost), rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(plan.sum(axis=1), a, atol=1e-9)
    np.testing.assert_allclose(plan.sum(axis=0), b, atol=1e-9)
    assert np.all(plan >= -1e-12)


def test_emd_accepts_lists_of_ints_and_floats_equal_up_to_rounding():
    distance, plan = transport.emd([0.1, 0.2], [0.3, 0.0])
    assert distance == pytest.approx(0.2)
    np.testing.assert_allclose(plan.sum(axis=0), [0.3, 0.0], atol=1e-12)
    assert transport.emd(np.array([2, 0]), [0, 2])[0] == 2.0


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        ([3, 2, 1, 4], [1, 2, 4, 4], "equal total mass"),
        ([3, -2, 1], [1, 0, 1], "negative"),
        ([], [], "empty"),
        ([1, float("nan")], [1, 0], "missing"),
    ],
)
def test_emd_rejects_bad_input_with_a_clear_message(a, b, message):
    with pytest.raises(ValueError, match=message):
        transport.emd(a, b)


@pytest.mark.parametrize("scale", [1e-170, 1e-100, 1e7, 1e9, 1e11, 1e30, 1e200])
def test_emd_is_exact_for_piles_of_any_size(scale):
    """POT's simplex on raw piles of ~1e8 and more called equal masses infeasible and returned W = 0 (49 % of
    random piles at 1e8), and crashed the interpreter on ~1e-170: the problem is solved for unit mass."""
    rng = np.random.default_rng(int(np.log10(scale)) + 200)
    for _ in range(10):
        a, b = rng.uniform(0, 1, 5), rng.uniform(0, 1, 5)
        b *= a.sum() / b.sum()
        distance, plan = transport.emd(a * scale, b * scale)
        assert distance == pytest.approx(linprog_emd(a, b, transport.line_cost(5, 5)) * scale, rel=1e-9)
        np.testing.assert_allclose(plan.sum(axis=1), a * scale, rtol=1e-9)
    slide = transport.emd(np.array(SLIDE_P) * scale, np.array(SLIDE_Q) * scale)[0]
    assert slide == pytest.approx(5 * scale, rel=1e-12)


def test_emd_rejects_negative_costs_and_names_the_masses_exactly():
    with pytest.raises(ValueError, match="negative entry"):
        transport.emd([1, 0], [0, 1], [[0, -1], [-1, 0]])
    with pytest.raises(ValueError, match=r"2\.0 units .* holds 2\.000001"):  # not "2 ... and Q holds 2"
        transport.emd([1, 1], [1, 1.000001])


def test_emd_of_no_dirt_is_zero():
    distance, plan = transport.emd([0, 0], [0, 0, 0])
    assert distance == 0.0 and plan.shape == (2, 3) and not plan.any()


def test_plan_moves_lists_the_plans_nonzero_entries_and_their_cost():
    distance, plan = transport.emd(SLIDE_P, SLIDE_Q)
    moves = transport.plan_moves(plan)
    assert sum(cost for *_, cost in moves) == distance
    assert sum(mass for _, _, mass, _ in moves) == sum(SLIDE_P)
    assert all(mass > 0 for _, _, mass, _ in moves)


# ---- W₁ between point clouds ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_wasserstein_matches_scipy_assignment(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(60, 2)), rng.normal(loc=1.0, size=(60, 2))
    cost = cdist(x, y)
    rows, columns = linear_sum_assignment(cost)
    assert transport.wasserstein(x, y) == pytest.approx(cost[rows, columns].mean(), rel=1e-10)


def test_optimal_matching_is_a_permutation_that_achieves_w1():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(80, 2)), rng.uniform(-1, 1, size=(80, 2))
    permutation = transport.optimal_matching(x, y)
    assert sorted(permutation) == list(range(80))
    matched = np.linalg.norm(x - y[permutation], axis=1).mean()
    assert matched == pytest.approx(transport.wasserstein(x, y), rel=1e-10)


def test_wasserstein_of_a_translation_is_the_shift_and_accepts_1d_shapes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    assert transport.wasserstein(x, x + [3.0, 4.0]) == pytest.approx(5.0)
    samples = rng.normal(size=40)
    shifted = rng.normal(size=40) + 1
    expected = wasserstein_distance(samples, shifted)
    assert transport.wasserstein(samples, shifted) == pytest.approx(expected, rel=1e-10)
    assert transport.wasserstein(samples[:, None], shifted[:, None]) == pytest.approx(expected, rel=1e-10)


def test_cdf_formula_matches_scipy_for_unequal_sizes():
    rng = np.random.default_rng(5)
    for n, m in [(10, 10), (37, 91), (500, 200)]:
        x, y = rng.normal(size=n), rng.exponential(size=m)
        assert transport.wasserstein_1d_cdf(x, y) == pytest.approx(wasserstein_distance(x, y), rel=1e-10)


def test_kantorovich_potential_attains_w1_and_is_1_lipschitz():
    """E_π f* − E_p f* = W₁ for f*' = sign(F_p − F_π), and no other 1-Lipschitz f does better."""
    rng = np.random.default_rng(7)
    real, fake = rng.normal(size=300), np.concatenate([rng.normal(-2, 0.5, 150), rng.normal(2, 0.5, 200)])
    knots, values = transport.kantorovich_potential_1d(real, fake)
    slopes = np.diff(values) / np.diff(knots)
    assert np.all(np.abs(slopes) <= 1 + 1e-9)  # cumulative sums round in the last digits
    exact = wasserstein_distance(real, fake)
    dual = np.interp(real, knots, values).mean() - np.interp(fake, knots, values).mean()
    assert dual == pytest.approx(exact, rel=1e-9)
    for _ in range(20):  # weak duality: random 1-Lipschitz functions stay below W₁
        other_slopes = rng.uniform(-1, 1, len(knots) - 1)
        other = np.concatenate([[0.0], np.cumsum(other_slopes * np.diff(knots))])
        assert np.interp(real, knots, other).mean() - np.interp(fake, knots, other).mean() <= exact + 1e-9


def test_kantorovich_potential_points_towards_the_real_distribution():
    knots, values = transport.kantorovich_potential_1d([3.0], [0.0])
    assert np.interp(3.0, knots, values) - np.interp(0.0, knots, values) == 3.0


# ---- Lipschitz helpers ------------------------------------------------------------------------------


def test_lipschitz_constant_of_a_linear_critic_is_its_weight_norm():
    linear = torch.nn.Linear(2, 1)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[3.0, -4.0]]))
    assert transport.lipschitz_constant(linear, np.random.default_rng(0).normal(size=(10, 2))) == pytest.approx(5.0)


def test_lipschitz_constant_matches_finite_differences():
    critic = transport.make_critic(2, 16, seed=0)
    points = torch.randn(64, 2, dtype=torch.float64)
    critic64 = critic.double()
    step = 1e-6
    finite = torch.stack([(critic64(points + step * e) - critic64(points - step * e))[:, 0] / (2 * step)
                          for e in torch.eye(2, dtype=torch.float64)], dim=1)
    critic.float()
    expected = finite.norm(dim=1).max().item()
    assert transport.lipschitz_constant(critic, points.float()) == pytest.approx(expected, rel=1e-3)


def test_critic_objective_is_real_minus_fake_mean():
    assert transport.critic_objective(torch.tensor([1.0, 3.0]), torch.tensor([0.5])).item() == 1.5


# ---- the live Kantorovich critic ----------------------------------------------------------------------


def train_critic(steps: int, **settings) -> dict:
    run = transport.KantorovichCritic(transport.CriticConfig(**settings))
    run.train(steps)
    return run.snapshot()


@pytest.mark.slow
def test_gradient_penalty_critic_estimates_w1_within_ten_percent():
    """Two well-separated 2-D Gaussians (W₁ ≈ 3): E_π f − E_p f of the trained WGAN-GP critic ≈ exact W₁."""
    snapshot = train_critic(500, penalty_weight=30.0)
    assert snapshot["estimate"] == pytest.approx(snapshot["exact_wasserstein"], rel=0.10)
    assert snapshot["exact_wasserstein"] == pytest.approx(3.0, rel=0.05)
    assert snapshot["lipschitz_samples"] == pytest.approx(1.0, rel=0.15)


@pytest.mark.slow
def test_gradient_penalty_overshoots_by_w_over_two_lambda():
    """For a shift, f = g·(x·e) gives g W − λ (g − 1)², maximal at g = 1 + W/(2λ): the GP estimate is W (1 + W/2λ)."""
    penalty_weight = 10.0
    snapshot = train_critic(500, penalty_weight=penalty_weight)
    exact = snapshot["exact_wasserstein"]
    assert snapshot["estimate"] == pytest.approx(exact * (1 + exact / (2 * penalty_weight)), rel=0.04)


@pytest.mark.slow
def test_clipped_critic_with_small_c_underestimates_and_scales_like_c_cubed():
    """Weights in [−c, c]: a K-Lipschitz f with K ∝ c³ here (three layers), so E_π f − E_p f ≈ K · (…) ≪ W₁."""
    estimates = {c: train_critic(300, lipschitz="clip", clip_value=c) for c in (0.003, 0.01)}
    exact = estimates[0.01]["exact_wasserstein"]
    assert 0 < estimates[0.003]["estimate"] < estimates[0.01]["estimate"] < 0.01 * exact
    ratio = estimates[0.01]["estimate"] / estimates[0.003]["estimate"]
    assert ratio == pytest.approx((0.01 / 0.003) ** 3, rel=0.2)
    for snapshot in estimates.values():  # dividing by the measured K recovers the right order of magnitude
        assert 0.5 * exact < snapshot["normalised_estimate"] <= 1.05 * exact


def test_snapshot_is_float32_numpy_of_the_right_shapes_and_w1_is_exact_on_the_evaluation_batches():
    config = transport.CriticConfig(evaluation_size=256, seed=3)
    run = transport.KantorovichCritic(config)
    run.train(25)
    snapshot = run.snapshot()
    assert snapshot["step"] == 25 and snapshot["diverged"] is None
    assert snapshot["critic_on_grid"].shape == (48, 48) and snapshot["critic_on_grid"].dtype == np.float32
    assert snapshot["grid_x"].shape == snapshot["grid_y"].shape == (48,)
    assert list(snapshot["history_steps"]) == [0, 10, 20]
    real = run.evaluation_real.numpy().astype(np.float64)
    fake = run.evaluation_fake.numpy().astype(np.float64)
    assert snapshot["exact_wasserstein"] == pytest.approx(transport.wasserstein(real, fake), rel=1e-5)
    scores = run.critic(run.evaluation_real).mean() - run.critic(run.evaluation_fake).mean()
    assert snapshot["estimate"] == pytest.approx(scores.item(), rel=1e-5)
    started = time.perf_counter()
    run.snapshot()
    assert time.perf_counter() - started < 0.1  # ~2 ms measured; generous for a shared machine


def test_exact_w1_is_computed_once_per_data_setting():
    transport.exact_evaluation_distance.cache_clear()
    for _ in range(3):
        transport.KantorovichCritic(transport.CriticConfig(evaluation_size=128))
    info = transport.exact_evaluation_distance.cache_info()
    assert (info.misses, info.hits) == (1, 2)


@pytest.mark.slow
def test_one_dimensional_critic_learns_the_kantorovich_potential():
    run = transport.KantorovichCritic(
        transport.CriticConfig(dimension=1, real="gaussian_shifted", fake="gaussian", penalty_weight=30.0)
    )
    run.train(600)
    snapshot = run.snapshot()
    assert snapshot["potential_on_grid"].shape == snapshot["critic_on_grid"].shape == (200,)
    assert snapshot["estimate"] == pytest.approx(snapshot["exact_wasserstein"], rel=0.10)
    inside = (snapshot["grid_x"] > 0) & (snapshot["grid_x"] < 3)  # between the means, f* has slope +1
    gap = snapshot["critic_on_grid"][inside] - snapshot["potential_on_grid"][inside]
    assert np.ptp(gap) < 0.3 * snapshot["exact_wasserstein"]


def test_reconfigure_changes_live_settings_only():
    run = transport.KantorovichCritic(transport.CriticConfig(lipschitz="clip", clip_value=0.01, evaluation_size=64))
    run.reconfigure(transport.CriticConfig(lipschitz="gradient_penalty", clip_value=0.05, learning_rate=1e-4, seed=9))
    assert run.config.clip_value == 0.05 and run.config.learning_rate == 1e-4
    assert run.config.lipschitz == "clip" and run.config.seed == 0
    assert run.optimizer.param_groups[0]["lr"] == 1e-4
    run.train(3)
    assert all(parameter.abs().max() <= 0.05 for parameter in run.critic.parameters())


def test_the_page_settings_build_the_critic_of_their_dimension_and_reconfigure_it_live():
    """π and p are kept per dimension: the run takes the pair of the chosen one; only c, λ and the rate are live."""
    settings = transport.CriticSettings(dimension=1, real_2d="ring", real_1d="uniform", fake_1d="exponential",
                                        lipschitz="clip", clip_value=0.05, seed=4)
    run = transport.KantorovichCritic.from_settings(settings)
    assert run.config == transport.CriticConfig(dimension=1, real="uniform", fake="exponential", lipschitz="clip",
                                                clip_value=0.05, seed=4)
    changed = run.reconfigure(replace(settings, clip_value=0.1, learning_rate=1e-3, lipschitz="gradient_penalty"))
    assert sorted(changed) == ["clip_value", "learning_rate"] and run.config.lipschitz == "clip"
    assert run.optimizer.param_groups[0]["lr"] == 1e-3
    assert transport.CriticSettings().critic_config() == transport.CriticConfig()  # the page opens on the defaults
    shown = [name for name in ("real_2d", "fake_2d", "real_1d", "fake_1d") if settings.shows(name)]
    assert shown == ["real_1d", "fake_1d"]
    assert settings.unused_note("penalty_weight") and settings.unused_note("clip_value") is None


def test_pile_settings_default_to_the_lecture_piles_and_show_only_the_chosen_count():
    settings = transport.PileSettings()
    assert settings.histograms() == (list(transport.LECTURE_P), list(transport.LECTURE_Q))
    assert transport.emd(*settings.histograms())[0] == 5
    six = replace(settings, piles=6, p5=2.0, q6=2.0)
    assert six.histograms() == ([3, 2, 1, 4, 2, 0], [1, 2, 4, 3, 0, 2])
    assert six.shows("q6") and not six.shows("q7") and six.shows("piles")
    assert transport.piles_problem(*six.histograms()) is None
    assert "equal total mass" in transport.piles_problem([1, 2], [1, 1])
    assert "empty" in transport.piles_problem([0, 0], [0, 0])


def test_divergence_is_reported_and_stops_training():
    run = transport.KantorovichCritic(transport.CriticConfig(learning_rate=math.inf, evaluation_size=64))
    run.train(5)
    assert run.diverged is not None and run.step < 5
    step = run.step
    run.train(5)
    assert run.step == step


def test_unknown_settings_are_rejected():
    with pytest.raises(ValueError):
        transport.KantorovichCritic(transport.CriticConfig(dimension=1, real="ring"))
    with pytest.raises(ValueError):
        transport.KantorovichCritic(transport.CriticConfig(lipschitz="spectral"))


# ---- figures -------------------------------------------------------------------------------------------


def test_figures_build_from_the_core_outputs():
    distance, plan = transport.emd(SLIDE_P, SLIDE_Q)
    heatmap = transport_figures.plan_heatmap(plan, distance)
    assert isinstance(heatmap, go.Figure) and "W = 5" in heatmap.layout.title.text
    moves = transport.plan_moves(plan)
    bars = transport_figures.dirt_moves_figure(SLIDE_P, SLIDE_Q, moves, distance)
    assert len([note for note in bars.layout.annotations if note.showarrow]) == len(moves)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 2))
    matching = transport_figures.matching_figure(x, y, transport.optimal_matching(x, y), 1.0)
    assert len(matching.data[0].x) == 3 * 20
    breakpoints, cdf_x, cdf_y = transport.empirical_cdfs(x[:, 0], y[:, 0])
    cdf = transport_figures.cdf_figure(breakpoints, cdf_x, cdf_y, 0.5)
    assert cdf.data[1].fill == "tonexty"
    for dimension, real, fake in [(2, "ring", "square"), (1, "gaussian", "two_bumps")]:
        run = transport.KantorovichCritic(transport.CriticConfig(dimension=dimension, real=real, fake=fake,
                                                                 evaluation_size=64))
        figures = transport_figures.kantorovich_figures(run.snapshot())
        assert isinstance(figures[0], go.Figure) and isinstance(figures[1], go.Figure)
        assert "exact W₁" in figures[2]


def test_cdf_figure_area_is_w1():
    """The shaded region between the drawn steps has area ∫|F − G| = W₁."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=30), rng.normal(1, 2, size=45)
    figure = transport_figures.cdf_figure(*transport.empirical_cdfs(x, y), 0.0)
    t = np.asarray(figure.data[0].x, dtype=np.float64)
    gap = np.abs(np.asarray(figure.data[0].y, np.float64) - np.asarray(figure.data[1].y, np.float64))
    area = np.sum(gap[:-1] * np.diff(t))  # vertical segments have zero width; horizontal ones carry the area
    assert area == pytest.approx(wasserstein_distance(x, y), rel=1e-5)

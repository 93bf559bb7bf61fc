"""The drawn dataset (`datasets.from_points`): its sampler against its points, its modes against the blobs."""

import numpy as np
import pytest
import torch

from playground import datasets, metrics

CENTRES = np.array([[-2.0, -1.0], [2.0, -1.0], [0.0, 2.0]])


def three_blobs(per_blob=60, std=0.15, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.normal(centre, std, (per_blob, 2)) for centre in CENTRES])


def test_three_separated_blobs_give_three_modes_near_their_centres():
    points = three_blobs()
    dataset = datasets.from_points(points)
    assert len(dataset.modes) == 3
    order = [int(np.argmin(np.linalg.norm(dataset.modes - centre, axis=1))) for centre in CENTRES]
    assert sorted(order) == [0, 1, 2]
    # each mode is its blob's mean (within the standard error 0.15/√60 ≈ 0.02, with room)
    assert np.abs(dataset.modes[order] - CENTRES).max() < 0.08
    # the coverage radius 3·mode_std holds a blob (std 0.15) and stays far from the next one (4 away)
    assert 0.15 <= dataset.mode_std < 0.3


def test_one_blob_is_one_mode():
    points = np.random.default_rng(1).normal(0.0, 0.3, (200, 2))
    assert len(datasets.from_points(points).modes) == 1


def test_draws_come_from_the_points():
    points = three_blobs(per_blob=30)
    found = datasets.find_modes(points)
    draws = datasets.from_points(points).sample(20_000, torch.Generator().manual_seed(3)).double().numpy()
    nearest = np.sqrt(((draws[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    # a 2-D Gaussian's radius exceeds 6h with probability e^{−18} ≈ 2e-8: none of 20,000 should
    assert nearest.max() < 6 * found.bandwidth
    assert np.median(nearest) < found.bandwidth * np.sqrt(2 * np.log(2))  # the kernel's median radius, h√(2 ln 2)


def test_mean_and_covariance_of_draws_are_the_points_plus_the_kernel():
    """A kernel density estimate's mean is the points' mean; its covariance the points' (1/n) plus h² I."""
    points = three_blobs(per_blob=40)
    bandwidth = datasets.find_modes(points).bandwidth
    n = 200_000
    draws = datasets.from_points(points).sample(n, torch.Generator().manual_seed(4)).double().numpy()
    expected_mean = points.mean(axis=0)
    expected_cov = np.cov(points.T, bias=True) + bandwidth**2 * np.eye(2)
    # standard errors: √(var/n) for the mean (≈ 0.004 here), a few 1e-3 relative for the covariance
    assert np.abs(draws.mean(axis=0) - expected_mean).max() < 5 * np.sqrt(expected_cov.diagonal().max() / n)
    assert np.allclose(np.cov(draws.T, bias=True), expected_cov, rtol=0.02, atol=0.01)


def test_seeded_draws_repeat():
    dataset = datasets.from_points(three_blobs())
    first = dataset.sample(500, torch.Generator().manual_seed(7))
    again = dataset.sample(500, torch.Generator().manual_seed(7))
    other = dataset.sample(500, torch.Generator().manual_seed(8))
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_mode_coverage_reads_a_drawing():
    """A generator that reproduces the drawing captures all three modes; one stuck on a blob captures one."""
    dataset = datasets.from_points(three_blobs())
    everywhere = dataset.sample(2500, torch.Generator().manual_seed(5))
    assert metrics.mode_coverage(everywhere, dataset.modes, dataset.mode_std).modes_captured == 3
    stuck = torch.as_tensor(CENTRES[0]) + 0.1 * torch.randn(2500, 2, generator=torch.Generator().manual_seed(6))
    coverage = metrics.mode_coverage(stuck, dataset.modes, dataset.mode_std)
    assert coverage.modes_captured == 1 and coverage.high_quality > 0.99


def test_the_draw_entry_is_a_dataset_like_the_others():
    draw = datasets.DATASETS["draw"]
    assert draw.label == "Draw your own" and len(draw.modes) == 3 and draw.extent == datasets.DRAW_EXTENT
    assert draw.sample(64, torch.Generator().manual_seed(0)).shape == (64, 2)


@pytest.mark.parametrize("points, message", [
    (np.zeros((20, 3)), "shape"),
    (np.zeros(20), "shape"),
    ([["a", "b"]] * 20, "numbers"),
    (np.r_[three_blobs(per_blob=5), [[np.nan, 0.0]]], "finite"),
    (np.r_[three_blobs(per_blob=5), [[np.inf, 0.0]]], "finite"),
    (three_blobs(per_blob=3), "10 to 5,000"),
    (three_blobs(per_blob=1700), "10 to 5,000"),
    (np.ones((50, 2)), "same point"),
])
def test_bad_points_raise_a_clear_value_error(points, message):
    with pytest.raises(ValueError, match=message):
        datasets.from_points(points)

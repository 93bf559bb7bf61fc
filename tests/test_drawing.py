"""The drawn dataset (`datasets.from_points`): its sampler against its points, its modes against the blobs."""

import numpy as np
import pytest
import torch

from playground import datasets, drawing, metrics
from playground.training import Trainer, TrainingConfig

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
    (three_blobs(per_blob=3), "10 to 3,000"),
    (three_blobs(per_blob=1700), "10 to 3,000"),
    (np.ones((50, 2)), "same point"),
])
def test_bad_points_raise_a_clear_value_error(points, message):
    with pytest.raises(ValueError, match=message):
        datasets.from_points(points)


# --- the link's encoding, the brush, the file reader (playground.drawing) ------------------------------------

def test_encoding_round_trip_is_within_half_a_step():
    rng = np.random.default_rng(11)
    points = rng.uniform(-3, 3, (1000, 2))
    decoded = drawing.decode(drawing.encode(points))
    assert decoded.shape == points.shape
    assert np.abs(decoded - points).max() <= drawing.QUANTUM / 2 + 1e-12
    assert np.array_equal(drawing.decode(drawing.encode(decoded)), decoded)  # quantised points come back exactly
    far = np.array([[-250.0, 1e-3], [299.99, -180.5]] * 5)  # an upload may lie outside the window
    assert np.abs(drawing.decode(drawing.encode(far)) - far).max() <= drawing.QUANTUM / 2 + 1e-12


def test_a_painted_drawing_fits_in_a_link():
    """Three brushed blobs of 40 dabs (1,440 points) take ~3,200 characters, under the 6,000 a link carries."""
    rng = np.random.default_rng(12)
    positions = np.concatenate([rng.normal(centre, 0.3, (40, 2)) for centre in CENTRES])
    points = drawing.brush(drawing.EMPTY, positions, rng)
    text = drawing.encode(points)
    assert len(points) == 40 * 3 * drawing.BRUSH_POINTS
    assert len(text) < 2 * len(points) * 1.5 < drawing.URL_LIMIT  # under 1.5 characters a coordinate
    assert set(text[2:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    # the most a drawing can hold: 3,000 points spread uniformly over the window overflow a link
    crowd = np.random.default_rng(13).uniform(-3, 3, (datasets.MAX_POINTS, 2))
    assert not drawing.fits_in_link(drawing.encode(crowd))


@pytest.mark.parametrize("text", ["", "abc", "2.eJwDAAAAAAE", "1.", "1.@@@", "1.eJzLSM3JyQcABiwCFQ",
                                  drawing.encode(three_blobs())[:-7]])
def test_foreign_or_damaged_text_raises_value_error(text):
    with pytest.raises(ValueError):
        drawing.decode(text)
    assert drawing.problem(text) or text == ""


def test_brush_and_eraser():
    rng = np.random.default_rng(14)
    painted = drawing.brush(drawing.EMPTY, [[1.0, 1.0]] * 200, rng)
    assert len(painted) == 200 * drawing.BRUSH_POINTS
    assert np.allclose(painted.mean(axis=0), [1.0, 1.0], atol=0.01)
    assert np.allclose(painted.std(axis=0), drawing.BRUSH_SPREAD, rtol=0.05)
    erased = drawing.erase(painted, [[1.0, 1.0]])
    assert np.all(np.linalg.norm(erased - 1.0, axis=1) > drawing.ERASER_RADIUS)
    # a ball of radius 0.3 holds 1 − e^{−0.3²/(2·0.12²)} ≈ 96 % of a 2-D Gaussian of std 0.12
    assert len(erased) / len(painted) == pytest.approx(np.exp(-0.3**2 / (2 * 0.12**2)), abs=0.015)
    assert len(drawing.brush(painted, [[0.0, 0.0]] * 1000, rng)) == datasets.MAX_POINTS  # a full canvas


def test_read_file_takes_csv_and_json_and_names_the_bad_line():
    assert np.array_equal(drawing.read_file(b"x,y\n1,2\n 3.5 , -4\n\n"), [[1, 2], [3.5, -4]])
    points = three_blobs(per_blob=5)
    assert np.allclose(drawing.read_file(drawing.to_json(points)), drawing.quantise(points))
    for bad, message in [(b"1,2\n3\n", "line 2 has 1 values"), (b"1,2\nfoo,bar\n", "line 2"),
                         (b"", "no x,y lines"), (b"{not json", "JSON"), (b'{"points": [1, 2]}', "pairs")]:
        with pytest.raises(ValueError, match=message):
            drawing.read_file(bad)


def test_a_config_with_drawn_points_trains_on_them():
    points = drawing.quantise(three_blobs(per_blob=20))
    config = TrainingConfig(dataset="draw", points=drawing.encode(points))
    trainer = Trainer(config)
    assert len(trainer.dataset.modes) == 3
    # the run's real points are the drawing's kernel density: each within a few bandwidths of a drawn point
    real = trainer.real_batch().double().numpy()
    assert np.sqrt(((real[:, None] - points[None]) ** 2).sum(axis=2)).min(axis=1).max() < 0.5
    trainer.train(5)
    assert trainer.step == 5
    assert Trainer(TrainingConfig(dataset="draw")).dataset is datasets.DATASETS["draw"]  # no points: the starter


def test_only_mode_collapse_offers_draw_your_own():
    """Pages without a brush (Compare, Vanishing gradients, WGAN) offer the built-in sets: there "Draw your own"
    could only ever be the starter drawing. Mode collapse, which has the brush, offers it."""
    from playground import compare, experiments, wgan
    from playground.settings import field_specs

    assert "draw" in field_specs(TrainingConfig)["dataset"]["choices"]
    for cls in (compare.SharedSettings, experiments.FrozenGeneratorSettings, wgan.WganSettings):
        assert list(field_specs(cls)["dataset"]["choices"]) == list(datasets.BUILT_IN) == [
            key for key in datasets.DATASETS if key != "draw"]


def test_a_drawn_run_saves_and_continues_bit_for_bit(tmp_path):
    """The drawing travels in the saved config: a loaded run rebuilds the same dataset and continues exactly."""
    config = TrainingConfig(dataset="draw", points=drawing.encode(drawing.quantise(three_blobs(per_blob=20))),
                            batch_size=64)
    trainer = Trainer(config)
    trainer.train(30)
    trainer.save(tmp_path / "drawn.pt")
    loaded = Trainer.load(tmp_path / "drawn.pt")
    assert np.array_equal(loaded.dataset.modes, trainer.dataset.modes)
    trainer.train(20)
    loaded.train(20)
    assert np.array_equal(trainer.sample(200), loaded.sample(200))

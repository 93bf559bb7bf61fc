"""Seeded 2-D toy distributions in one registry. Every dataset knows its modes and their spread, so that
mode coverage can be measured the same way for all of them (VEEGAN's protocol, see `metrics`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

Sampler = Callable[[int, torch.Generator], Tensor]


@dataclass(frozen=True)
class Dataset:
    """A toy distribution π on ℝ²: `sample(n, generator)` draws n points; `modes` are its centres."""

    label: str
    sampler: Sampler
    modes: np.ndarray          # [k, 2] centres; for curves (swiss roll, moons, ring): anchors along the curve
    mode_std: float            # spread around a mode used by the coverage metric
    extent: float              # half-width of the square plot window that shows all of it
    note: str = ""

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n points as a float32 tensor [n, 2] on the generator's device (CPU when no generator is given)."""
        if generator is None:
            generator = torch.Generator().manual_seed(0)
        return self.sampler(int(n), generator)


def _device(generator: torch.Generator) -> torch.device:
    return generator.device


def _gaussian_mixture(centres: np.ndarray, std: float) -> Sampler:
    """Equal-weight mixture of isotropic Gaussians N(centre, std² I)."""
    centre_table = torch.as_tensor(centres, dtype=torch.float32)
    cache: dict[torch.device, Tensor] = {}

    def sample(n: int, generator: torch.Generator) -> Tensor:
        device = _device(generator)
        table = cache.get(device)
        if table is None:
            table = cache[device] = centre_table.to(device)
        index = torch.randint(len(table), (n,), generator=generator, device=device)
        return table[index] + std * torch.randn(n, 2, generator=generator, device=device)

    return sample


def _circle(k: int, radius: float) -> np.ndarray:
    angles = 2 * math.pi * np.arange(k) / k
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)


# --- the standard toy recipes (Metz et al. 2016; Gulrajani et al. 2017's gan_toy.py) -------------------------

EIGHT_RADIUS, EIGHT_STD = 2.0, 0.02
EIGHT_MODES = _circle(8, EIGHT_RADIUS)

GRID_SPACING, GRID_STD = 2.0, 0.05
GRID_MODES = np.array([(GRID_SPACING * i, GRID_SPACING * j) for i in range(-2, 3) for j in range(-2, 3)], float)

SWISS_NOISE, SWISS_SCALE = 0.25, 7.5  # sklearn-style roll, noise 0.25, columns (0, 2), divided by 7.5
SWISS_T_MIN, SWISS_T_MAX = 1.5 * math.pi, 4.5 * math.pi
SWISS_ANCHORS = 24                    # anchors spaced evenly in arc length along the roll


def _swiss_point(t: np.ndarray) -> np.ndarray:
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / SWISS_SCALE


def _swiss_roll(n: int, generator: torch.Generator) -> Tensor:
    device = _device(generator)
    t = SWISS_T_MIN + (SWISS_T_MAX - SWISS_T_MIN) * torch.rand(n, generator=generator, device=device)
    points = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
    points = points + SWISS_NOISE * torch.randn(n, 2, generator=generator, device=device)
    return points / SWISS_SCALE


def _arc_length_anchors(curve: Callable[[np.ndarray], np.ndarray], t_min: float, t_max: float, k: int):
    """k points evenly spaced in arc length along curve(t), and the spacing between neighbours."""
    t = np.linspace(t_min, t_max, 4001)
    points = curve(t)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    targets = (np.arange(k) + 0.5) * arc[-1] / k
    anchors = curve(np.interp(targets, arc, t))
    return anchors, arc[-1] / k


SWISS_MODES, SWISS_SPACING = _arc_length_anchors(_swiss_point, SWISS_T_MIN, SWISS_T_MAX, SWISS_ANCHORS)

MOONS_NOISE = 0.05
MOONS_ANCHORS_PER_MOON = 6


def _moon_points(t: np.ndarray, upper: bool) -> np.ndarray:
    if upper:
        return np.stack([np.cos(t), np.sin(t)], axis=1) - np.array([0.5, 0.25])
    return np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1) - np.array([0.5, 0.25])


def _two_moons(n: int, generator: torch.Generator) -> Tensor:
    device = _device(generator)
    t = math.pi * torch.rand(n, generator=generator, device=device)
    upper = torch.rand(n, generator=generator, device=device) < 0.5
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t)) - 0.5
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t)) - 0.25
    points = torch.stack([x, y], dim=1) * 2.0
    return points + MOONS_NOISE * 2.0 * torch.randn(n, 2, generator=generator, device=device)


def _moon_anchors() -> np.ndarray:
    t = (np.arange(MOONS_ANCHORS_PER_MOON) + 0.5) * math.pi / MOONS_ANCHORS_PER_MOON
    return 2.0 * np.concatenate([_moon_points(t, True), _moon_points(t, False)])


RING_RADIUS, RING_STD, RING_ANCHORS = 1.5, 0.05, 16


def _ring(n: int, generator: torch.Generator) -> Tensor:
    device = _device(generator)
    angle = 2 * math.pi * torch.rand(n, generator=generator, device=device)
    radius = RING_RADIUS + RING_STD * torch.randn(n, generator=generator, device=device)
    return torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1)


TWO_GAUSSIANS_MODES = np.array([[-1.5, 0.0], [1.5, 0.0]])
TWO_GAUSSIANS_STD = 0.25

DATASETS: dict[str, Dataset] = {  # keys are URL ids: never rename
    "eight_gaussians": Dataset(
        "8 Gaussians", _gaussian_mixture(EIGHT_MODES, EIGHT_STD), EIGHT_MODES, EIGHT_STD, 3.0,
        "8 modes of std 0.02 on a circle of radius 2 (Metz et al. 2016).",
    ),
    "twenty_five_gaussians": Dataset(
        "25 Gaussians", _gaussian_mixture(GRID_MODES, GRID_STD), GRID_MODES, GRID_STD, 5.5,
        "A 5×5 grid with spacing 2 and std 0.05 (Gulrajani et al. 2017).",
    ),
    "swiss_roll": Dataset(
        "Swiss roll", _swiss_roll, SWISS_MODES, SWISS_SPACING / 3.0, 2.5,
        f"A noisy spiral; its {SWISS_ANCHORS} 'modes' are anchors evenly spaced along the roll.",
    ),
    "two_moons": Dataset(
        "Two moons", _two_moons, _moon_anchors(), 0.25, 3.5,
        "Two interleaved half circles; 6 anchors along each moon serve as modes.",
    ),
    "ring": Dataset(
        "Ring", _ring, _circle(RING_ANCHORS, RING_RADIUS), 2 * math.pi * RING_RADIUS / RING_ANCHORS / 3, 2.5,
        f"A thin circle of radius {RING_RADIUS}; {RING_ANCHORS} anchors along it serve as modes.",
    ),
    "two_gaussians": Dataset(
        "Two Gaussians", _gaussian_mixture(TWO_GAUSSIANS_MODES, TWO_GAUSSIANS_STD), TWO_GAUSSIANS_MODES,
        TWO_GAUSSIANS_STD, 3.0, "Two well-separated blobs: the smallest case of mode dropping.",
    ),
}


# --- drawn or uploaded points (the Draw dataset) ------------------------------------------------------------

MIN_POINTS, MAX_POINTS = 10, 3000   # fewer is no distribution to learn; Ward clustering of 3,000 takes ~0.8 s
NEIGHBOUR_RANK = 10                 # the bandwidth's scale: distance to the 10th-nearest point
MAX_MODES = 25                      # as many modes as the largest built-in set (25 Gaussians)
MODE_JUMP = 4.0                     # a merge this many times higher than the one before it joins separate modes
DRAW_EXTENT = 3.0                   # the drawing window [−3, 3]²: the scale of the built-in sets


@dataclass(frozen=True)
class DrawnModes:
    """How `from_points` read a drawing: modes, their spread, the kernel's bandwidth and the cluster of each point."""

    modes: np.ndarray       # [k, 2] cluster means
    mode_std: float         # per-coordinate spread of the sampler around its mode: √(within-cluster var + h²)
    bandwidth: float        # h, the Gaussian kernel's standard deviation
    labels: np.ndarray      # [n] cluster index of each point


def check_points(points) -> np.ndarray:
    """`points` as a float64 array [n, 2], or a ValueError that says what is wrong with it."""
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"points must be numbers in an array [n, 2] ({error}).") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"points must be an array [n, 2] (one x, y pair per row), got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"points must be finite: {int((~np.isfinite(array).any(axis=1)).sum())} row(s) hold "
                         "NaN or infinity.")
    if not MIN_POINTS <= len(array) <= MAX_POINTS:
        raise ValueError(f"a drawing needs {MIN_POINTS} to {MAX_POINTS:,} points, got {len(array):,}.")
    if np.ptp(array, axis=0).max() == 0:
        raise ValueError("all the points are the same point: a drawing needs some spread.")
    return array


def find_modes(points) -> DrawnModes:
    """The modes of a drawing, by Ward's hierarchical clustering (scipy). The number of modes k ≤ 25 is where the
    dendrogram's merge heights jump most (height of the merge that would leave k − 1 clusters over the one that
    leaves k), if that jump is at least 4×; otherwise the drawing is one mode (a single blob, or a curve or a
    spread of points with no clear gaps). Modes are the clusters' means.

    The kernel's bandwidth h is half the median distance from a point to its 10th-nearest neighbour (a
    k-nearest-neighbour scale: small in a dense blob, and it follows a thin stroke without blurring it), and
    mode_std = √(s² + h²), s the within-cluster standard deviation per coordinate: the sampler's spread around
    its mode, which the coverage metric's 3·std radius reads."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial import cKDTree

    array = check_points(points)
    n = len(array)
    rank = min(NEIGHBOUR_RANK, n - 1)
    distances, _ = cKDTree(array).query(array, k=rank + 1)
    bandwidth = 0.5 * float(np.median(distances[:, rank]))
    if bandwidth <= 0:  # more than `rank` copies of most points: fall back to a thousandth of the drawing's size
        bandwidth = 1e-3 * float(np.ptp(array, axis=0).max())
    tree = linkage(array, method="ward")
    heights = tree[:, 2]
    count = 1
    jumps = {k: heights[-(k - 1)] / max(heights[-k], 1e-12) for k in range(2, min(MAX_MODES, n - 1) + 1)}
    if jumps:
        best = max(jumps, key=jumps.get)
        if jumps[best] >= MODE_JUMP:
            count = best
    labels = fcluster(tree, count, criterion="maxclust") - 1 if count > 1 else np.zeros(n, dtype=int)
    modes = np.stack([array[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    within = float(((array - modes[labels]) ** 2).sum() / (2 * n))
    return DrawnModes(modes, math.sqrt(within + bandwidth**2), bandwidth, labels)


def _kernel_density(points: np.ndarray, bandwidth: float) -> Sampler:
    """Draw a point uniformly, then add N(0, h² I): the Gaussian kernel density estimate of the points, which is
    an equal-weight mixture of Gaussians centred on them."""
    return _gaussian_mixture(points, bandwidth)


def from_points(points, *, label: str = "Drawn points", extent: float = 0.0) -> Dataset:
    """A dataset from a drawn or uploaded set of points [n, 2] (10 to 3,000 finite points, not all equal).

    `.sample(n, generator)` draws from a Gaussian kernel density estimate of the points; `.modes` and `.mode_std`
    come from clustering them; `find_modes` says how (Ward clustering cut at the largest jump in merge heights,
    bandwidth half the median 10th-nearest-neighbour distance). `extent` is the least half-width of the plot
    window; it grows to hold every point and three bandwidths around it. Raises ValueError for bad points."""
    array = check_points(points)
    found = find_modes(array)
    needed = float(np.abs(array).max()) + 3 * found.bandwidth
    window = max(float(extent), math.ceil(needed * 2) / 2)  # half units: a steady window while points are added
    note = (f"{len(array):,} drawn points; {len(found.modes)} mode{'s' if len(found.modes) != 1 else ''} found by "
            f"Ward clustering (cut at the largest jump in merge heights), kernel bandwidth h = "
            f"{found.bandwidth:.3g} (half the median distance to the 10th-nearest point).")
    return Dataset(label, _kernel_density(array, found.bandwidth), found.modes, found.mode_std, window, note)


def _starter_drawing() -> np.ndarray:
    """Three blobs of 40 points (std 0.2) on the 0.01 grid a link stores: what "Draw your own" starts from."""
    rng = np.random.default_rng(2024)
    centres = np.array([[-1.5, -1.0], [1.5, -1.0], [0.0, 1.5]])
    return np.round(np.concatenate([rng.normal(centre, 0.2, (40, 2)) for centre in centres]), 2)


STARTER_DRAWING = _starter_drawing()
DATASETS["draw"] = from_points(STARTER_DRAWING, label="Draw your own", extent=DRAW_EXTENT)
# what pages without a brush offer: there "Draw your own" could only ever be the starter drawing
BUILT_IN: dict[str, Dataset] = {key: dataset for key, dataset in DATASETS.items() if key != "draw"}

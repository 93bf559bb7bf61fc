"""Take a run home: its metrics as CSV, its config as JSON (loadable again), and an animated GIF of its replay
frames drawn server-side with matplotlib (no browser needed)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

import numpy as np

from playground.training import Trainer, TrainingConfig, parse_config

GIF_FRAME_MS = 120     # ~8 frames a second: slow enough to follow a mode hop
GIF_MAX_FRAMES = 80    # a long run is thinned to this many frames (GIF size stays in the low MB)
GIF_DPI = 80


def history_csv(trainer: Trainer) -> str:
    """One row per recorded step: every metric, and mode coverage where it was measured."""
    history = trainer.history.as_dict()
    coverage = {int(step): (captured, quality) for step, captured, quality, _ in trainer.coverage_history}
    columns = list(history)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*columns, "modes_captured", "high_quality"])
    for index in range(len(history["step"])):
        step = int(history["step"][index])
        captured, quality = coverage.get(step, ("", ""))
        writer.writerow([step, *(f"{history[c][index]:.6g}" for c in columns[1:]), captured, quality])
    return buffer.getvalue()


def config_json(config: TrainingConfig) -> str:
    return json.dumps(asdict(config), indent=2, sort_keys=True)


def load_config_json(text: str | bytes, base: TrainingConfig | None = None) -> tuple[TrainingConfig, list[str]]:
    """A config from uploaded JSON; anything malformed falls back to `base` with a notice, never an exception."""
    try:
        values = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
        return base or TrainingConfig(), [f"Not a JSON file ({error})."]
    if not isinstance(values, dict):
        return base or TrainingConfig(), ["The JSON must be an object of settings, like the exported file."]
    return parse_config(values, base)


def replay_gif(frames: list[dict[str, Any]], modes: np.ndarray | None = None, *, title: str = "") -> bytes:
    """An animated GIF of replay frames: real and fake points over the critic surface, one frame each."""
    import imageio.v3 as imageio
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.colors import LinearSegmentedColormap

    from playground.figures import CRITIC_COLORSCALE, FAKE_COLOR, REAL_COLOR

    if not frames:
        raise ValueError("no frames recorded yet: train a few hundred steps first")
    if len(frames) > GIF_MAX_FRAMES:
        frames = [frames[i] for i in np.linspace(0, len(frames) - 1, GIF_MAX_FRAMES).astype(int)]
    colormap = LinearSegmentedColormap.from_list("critic", [(stop, colour) for stop, colour in CRITIC_COLORSCALE])
    images = []
    figure, axes = plt.subplots(figsize=(5, 5), dpi=GIF_DPI)
    for frame in frames:
        axes.clear()
        extent = frame["extent"]
        surface = frame["surface"]
        limits = (0.0, 1.0) if frame["probabilistic"] else (-np.abs(surface).max() or 1.0, np.abs(surface).max() or 1.0)
        axes.imshow(surface, origin="lower", extent=(-extent, extent, -extent, extent), cmap=colormap,
                    vmin=limits[0], vmax=limits[1])
        axes.scatter(*frame["real"].T, s=4, c=REAL_COLOR, label="real")
        axes.scatter(*frame["fake"].T, s=4, c=FAKE_COLOR, label="fake")
        if modes is not None:
            axes.scatter(*np.asarray(modes).T, s=30, marker="+", c="black", linewidths=1)
        axes.set_xlim(-extent, extent)
        axes.set_ylim(-extent, extent)
        axes.set_title(f"{title} step {frame['step']:,}".strip())
        axes.set_xticks([])
        axes.set_yticks([])
        figure.canvas.draw()
        images.append(np.asarray(figure.canvas.buffer_rgba())[..., :3].copy())
    plt.close(figure)
    return imageio.imwrite("<bytes>", np.stack(images), extension=".gif", duration=GIF_FRAME_MS, loop=0)

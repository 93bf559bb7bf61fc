"""Figures of many seeds trained at once, built from an `Ensemble.snapshot()`: modes captured across seeds over
time, their distribution now, and every member's samples side by side.

Plain plotly figure dicts with float32 numpy arrays, like `figures.training`, so the live view can redraw them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from playground.figures import FAKE_COLOR, FONT_SIZE, MUTED_COLOR, REAL_COLOR, bottom_legend
from playground.figures.training import decimate, layout

Figure = dict[str, Any]
DIVERGED_COLOR = "#d62728"  # a frozen (diverged) seed's line and panel title
SEED_LINE_OPACITY = 0.35    # thin per-seed lines stay readable behind the mean even with 16 of them


def _seed_jitter(members: int) -> np.ndarray:
    """Small vertical offsets (±0.12) so that seeds with equal integer counts do not hide one another."""
    if members == 1:
        return np.zeros(1, dtype=np.float32)
    return np.linspace(-0.12, 0.12, members, dtype=np.float32)


def modes_over_time(snapshot: dict[str, Any], *, height: int = 440) -> Figure:
    """Modes captured per seed over time (thin lines), the mean over live seeds (thick) with a ±1 std band."""
    steps = np.asarray(snapshot["coverage_step"], dtype=np.float32)
    captured = np.asarray(snapshot["modes_captured"], dtype=np.float32)  # [K, checkpoints]
    alive = np.asarray(snapshot["alive"], dtype=bool)
    counted = captured[alive] if alive.any() else captured
    mean, spread = counted.mean(axis=0), counted.std(axis=0)
    jitter = _seed_jitter(len(captured))
    traces = []
    for member, seed in enumerate(snapshot["seeds"]):
        x, y = decimate(steps, captured[member] + jitter[member])
        color = MUTED_COLOR if alive[member] else DIVERGED_COLOR
        traces.append({"type": "scatter", "mode": "lines", "x": x, "y": y, "name": "one seed",
                       "legendgroup": "seeds", "showlegend": member == 0, "opacity": SEED_LINE_OPACITY,
                       "line": {"color": color, "width": 1.2, "shape": "hv"},
                       "hovertemplate": f"seed {int(seed)}<br>step %{{x}}<br>%{{y:.0f}} modes<extra></extra>"})
    modes = int(snapshot["mode_count"])
    x, low, high, middle = decimate(steps, np.clip(mean - spread, 0, modes), np.clip(mean + spread, 0, modes), mean)
    traces += [
        {"type": "scatter", "mode": "lines", "x": x, "y": high, "line": {"width": 0}, "showlegend": False,
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "x": x, "y": low, "line": {"width": 0}, "fill": "tonexty",
         "fillcolor": "rgba(255, 127, 14, 0.22)", "name": "mean ± 1 std", "hoverinfo": "skip"},
        # a lone checkpoint (step 0, before Play) is a dot: a line through one point draws nothing
        {"type": "scatter", "mode": "lines" if len(steps) > 1 else "markers", "x": x, "y": middle,
         "name": f"mean of {int(alive.sum())} seeds", "line": {"color": FAKE_COLOR, "width": 4},
         "marker": {"color": FAKE_COLOR, "size": 12}, "cliponaxis": False,  # the dot sits on the y axis
         "hovertemplate": "step %{x}<br>mean %{y:.2f} modes<extra></extra>"},
    ]
    return {"data": traces, "layout": layout(
        f"Modes captured across {len(captured)} seeds", height,
        xaxis={"title": {"text": "step"}, "rangemode": "tozero"},
        yaxis={"title": {"text": f"modes captured (of {modes})"}, "range": [-0.3, modes + 0.5],
               "dtick": 1 if modes <= 12 else 5},
        # at the figure's bottom edge, below the axis title (a share of the plot's height below the axis ran into
        # that title at 1280 px)
        legend=bottom_legend(),
        margin={"l": 60, "r": 20, "t": 60, "b": 110},
    )}


def count_step(count: int, most_labels: int = 8) -> int:
    """A tick step (1, 2, 5, 10, 20, …) that labels 0…count with at most `most_labels` ticks: at K = 32 a step of
    2 stacked sixteen labels on top of each other."""
    step = 1
    while count / step > most_labels:
        step = step * 5 // 2 if str(step)[0] == "2" else step * 2   # 1, 2, 5, 10, 20, 50, …
    return step


def modes_histogram(snapshot: dict[str, Any], *, height: int = 440) -> Figure:
    """How many seeds capture 0, 1, …, M modes at the latest checkpoint, with the mean ± std in the title."""
    captured = np.asarray(snapshot["modes_captured"])[:, -1]
    alive = np.asarray(snapshot["alive"], dtype=bool)
    modes = int(snapshot["mode_count"])
    counts = np.bincount(captured[alive].astype(int), minlength=modes + 1).astype(np.float32)
    frozen = np.bincount(captured[~alive].astype(int), minlength=modes + 1).astype(np.float32)
    values = np.arange(modes + 1, dtype=np.float32)
    traces = [{"type": "bar", "x": values, "y": counts, "name": "seeds", "marker": {"color": FAKE_COLOR},
               "hovertemplate": "%{y:.0f} seeds capture %{x} modes<extra></extra>"}]
    if frozen.any():
        traces.append({"type": "bar", "x": values, "y": frozen, "name": "diverged (frozen)",
                       "marker": {"color": DIVERGED_COLOR}})
    checkpoint = int(np.asarray(snapshot["coverage_step"])[-1])  # counted there, not at the current step
    title = (f"Step {checkpoint:,}: {snapshot['modes_captured_mean']:.1f} ± "
             f"{snapshot['modes_captured_std']:.1f} modes")
    return {"data": traces, "layout": layout(
        title, height, barmode="stack", bargap=0.15,
        xaxis={"title": {"text": "modes captured"}, "range": [-0.6, modes + 0.6], "dtick": 1 if modes <= 12 else 5},
        yaxis={"title": {"text": "seeds"}, "range": [0, len(captured) + 0.5], "dtick": count_step(len(captured))},
        # at the figure's bottom edge, below the axis title (a share of the plot's height below the axis ran into
        # that title at 1280 px)
        legend=bottom_legend(),
        margin={"l": 60, "r": 20, "t": 60, "b": 110},
    )}


def member_samples(snapshot: dict[str, Any], *, columns: int = 4, panel_height: int = 170) -> Figure:
    """Small multiples: each seed's samples (orange) over the real modes (blue), titled with its modes captured."""
    fake = np.asarray(snapshot["fake"], dtype=np.float32)  # [K, points, 2]
    members = len(fake)
    columns = max(1, min(columns, members))
    rows = math.ceil(members / columns)
    extent = float(snapshot["extent"])
    window = [-extent, extent]
    captured = np.asarray(snapshot["modes_captured"])[:, -1]
    alive = np.asarray(snapshot["alive"], dtype=bool)
    modes = np.asarray(snapshot["modes"], dtype=np.float32)
    gap_x, gap_y = 0.02, 0.22 / rows
    width, height = (1 - gap_x * (columns - 1)) / columns, (1 - gap_y * (rows - 1)) / rows
    traces, axes, annotations = [], {}, []
    for member, seed in enumerate(snapshot["seeds"]):
        row, column = divmod(member, columns)
        suffix = "" if member == 0 else str(member + 1)  # plotly's first axes are "x" and "y": "x1" is not
        x_id, y_id = f"x{suffix}", f"y{suffix}"               # honoured as a scaleanchor (seed 0's ring was wide)
        x0, y1 = column * (width + gap_x), 1 - row * (height + gap_y)
        # square panels (the ring of modes stays a ring however wide the grid cell is)
        axes[f"xaxis{suffix}"] = {"domain": [x0, x0 + width], "range": window, "anchor": y_id,
                                  "showticklabels": False, "zeroline": False, "showgrid": False,
                                  "constrain": "domain"}
        axes[f"yaxis{suffix}"] = {"domain": [y1 - height, y1], "range": window, "anchor": x_id,
                                  "showticklabels": False, "zeroline": False, "showgrid": False,
                                  "scaleanchor": x_id, "constrain": "domain"}
        traces.append({"type": "scatter", "mode": "markers", "x": modes[:, 0], "y": modes[:, 1],
                       "xaxis": x_id, "yaxis": y_id, "name": "modes of π",
                       "legendgroup": "modes", "showlegend": member == 0, "hoverinfo": "skip",
                       "marker": {"color": REAL_COLOR, "size": 7, "symbol": "circle-open", "line": {"width": 2}}})
        traces.append({"type": "scatter", "mode": "markers", "x": fake[member, :, 0], "y": fake[member, :, 1],
                       "xaxis": x_id, "yaxis": y_id, "name": "G(z)",
                       "legendgroup": "fake", "showlegend": member == 0, "hoverinfo": "skip",
                       "marker": {"color": FAKE_COLOR, "size": 3, "opacity": 0.6}})
        label = f"seed {int(seed)}: {int(captured[member])}" if alive[member] else f"seed {int(seed)}: diverged"
        annotations.append({"text": label, "x": x0 + width / 2, "y": y1, "xref": "paper", "yref": "paper",
                            "showarrow": False, "yanchor": "bottom", "font": {
                                "size": FONT_SIZE - 3, "color": "#222222" if alive[member] else DIVERGED_COLOR}})
    return {"data": traces, "layout": layout(
        "", rows * panel_height + 80, annotations=annotations, **axes,
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0.0},
        margin={"l": 10, "r": 10, "t": 30, "b": 50},
        meta={"full_row": True},  # the live grid's whole row: the panels are not squeezed into half of it
    )}

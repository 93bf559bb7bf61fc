"""Plotly figure builders, one submodule per lecture topic: numpy in, figure out; no torch, no streamlit.

This module holds the house look that every figure shares, so that real and fake points, the critic and
the curves keep one colour each across pages and stay readable on a projector.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go

# One colour per role, on every page. Chosen to stay distinct for red-green colour-blind viewers.
REAL_COLOR = "#1f77b4"        # data π: blue
FAKE_COLOR = "#ff7f0e"        # generator p_θ: orange
# Critic / discriminator surfaces: pale orange where D calls points fake, white at ½, pale blue where it calls them
# real, so the saturated points in front stay legible on a projector.
CRITIC_COLORSCALE = [[0.0, "#fdae6b"], [0.5, "#ffffff"], [1.0, "#9ecae1"]]
ACCENT_COLOR = "#2ca02c"      # a third curve (e.g. an estimate against a truth)
MUTED_COLOR = "#7f7f7f"       # references, truths, guides
SERIES_COLORS = (REAL_COLOR, FAKE_COLOR, ACCENT_COLOR, "#d62728", "#9467bd", "#8c564b", "#e377c2")

FONT_SIZE = 16                # readable from the back of a lecture hall
FIGURE_HEIGHT = 420


def bottom_legend(**changes: Any) -> dict[str, Any]:
    """A horizontal legend pinned to the figure's bottom edge, left-aligned unless `changes` say otherwise: it stays
    below the axis title however tall the plot is or however large lecture mode makes the text (a share of the
    plot's height below the axis ran into that title, and a legend above a narrow plot wrapped into its title)."""
    return {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "xanchor": "left", "x": 0.0,
            **changes}


BOTTOM_LEGEND = bottom_legend(xanchor="center", x=0.5)


def base_layout(figure: go.Figure, *, title: str = "", height: int = FIGURE_HEIGHT, **layout) -> go.Figure:
    """Apply the shared look: large fonts, white background, a legend that does not cover the data."""
    figure.update_layout(
        title={"text": title, "x": 0.02, "xanchor": "left"},
        height=height,
        font={"size": FONT_SIZE},
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 60 if title else 20, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
        uirevision="keep",  # keep the user's zoom across live updates
        **layout,
    )
    return figure


def positive_finite(*series) -> np.ndarray:
    """The positive, finite values of all `series`, flattened into one float64 array: what a log axis can show."""
    values = np.concatenate([np.asarray(values, dtype=np.float64).ravel() for values in series])
    return values[np.isfinite(values) & (values > 0)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values from `low` to `high`: steps of 1, 2, 2.5 or 5 × 10ᵏ, the smallest at least
    (high − low)/count, so about `count` of them (at least two when count ≤ 4)."""
    if high <= low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [float(f"{k * step:.12g}") for k in range(math.ceil(low / step), math.floor(high / step) + 1)]

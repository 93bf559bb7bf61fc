"""Dirac-GAN figures: the (θ, ψ) plane with the gradient field and an animated trajectory, the distance to the
equilibrium per iteration, and the eigenvalues of one update step against the unit circle."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.figures import (
    ACCENT_COLOR,
    BOTTOM_LEGEND,
    FAKE_COLOR,
    FONT_SIZE,
    MUTED_COLOR,
    REAL_COLOR,
    SERIES_COLORS,
    base_layout,
    bottom_legend,
)

END_COLOR = SERIES_COLORS[3]
ANIMATION_FRAMES = 80          # frames of the replay; each frame moves the point and its short tail
TAIL_POINTS = 40               # points drawn in the moving tail
FRAME_MILLISECONDS = 60
SMALLEST_ARROW = 0.2           # of the full arrow length, so that slow regions still show a direction


def _as_float32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def arrow_segments(grid_theta: np.ndarray, grid_psi: np.ndarray, field_theta: np.ndarray,
                   field_psi: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shaft coordinates (x, y with NaN between arrows) and head angles (degrees clockwise from up).

    Arrow length grows with √(speed / max speed), at least SMALLEST_ARROW of `length`, so the direction
    stays visible where the field is slow (a saturated discriminator) without hiding how slow it is.
    """
    theta, psi = grid_theta.ravel(), grid_psi.ravel()
    d_theta, d_psi = field_theta.ravel(), field_psi.ravel()
    speed = np.hypot(d_theta, d_psi)
    top = speed.max() if speed.size and speed.max() > 0 else 1.0
    scale = np.where(speed > 0, length * np.maximum(np.sqrt(speed / top), SMALLEST_ARROW) / np.maximum(speed, 1e-300),
                     0.0)
    tips_theta, tips_psi = theta + scale * d_theta, psi + scale * d_psi
    gap = np.full_like(theta, np.nan)
    xs = np.stack([theta, tips_theta, gap], axis=1).ravel()
    ys = np.stack([psi, tips_psi, gap], axis=1).ravel()
    angles = np.degrees(np.arctan2(d_theta, d_psi))
    return xs, ys, np.stack([tips_theta, tips_psi, angles])


def _frame_indices(length: int, frames: int = ANIMATION_FRAMES) -> np.ndarray:
    """Iterates shown by the replay: evenly spaced, first and last included."""
    return np.unique(np.linspace(0, length - 1, min(frames, length)).round().astype(int))


def _tail(trajectory: np.ndarray, index: int, window: int) -> np.ndarray:
    """The last `window` iterates up to `index`, thinned to at most TAIL_POINTS."""
    segment = trajectory[max(0, index - window): index + 1]
    keep = np.unique(np.linspace(0, len(segment) - 1, min(TAIL_POINTS, len(segment))).round().astype(int))
    return segment[keep]


def phase_portrait(grid_theta: np.ndarray, grid_psi: np.ndarray, field_theta: np.ndarray, field_psi: np.ndarray,
                   trajectory: np.ndarray, *, extent: float, flow: np.ndarray | None = None,
                   clip_value: float | None = None, title: str = "Gradient field and training trajectory",
                   height: int = 560) -> go.Figure:
    """Arrows of v(θ, ψ), the iterates (θ_k, ψ_k) with start and end, the flow, and a replay with a slider."""
    spacing = float(grid_theta[0, 1] - grid_theta[0, 0]) if grid_theta.shape[1] > 1 else extent
    xs, ys, heads = arrow_segments(grid_theta, grid_psi, field_theta, field_psi, 0.85 * spacing)
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=_as_float32(xs), y=_as_float32(ys), mode="lines", name="v(θ, ψ)",
                                line={"color": MUTED_COLOR, "width": 1.2}, hoverinfo="skip", showlegend=False))
    figure.add_trace(go.Scatter(x=_as_float32(heads[0]), y=_as_float32(heads[1]), mode="markers",
                                marker={"symbol": "arrow", "angle": _as_float32(heads[2]), "size": 8,
                                        "color": MUTED_COLOR}, name="gradient field", hoverinfo="skip"))
    if clip_value is not None:
        for level in (clip_value, -clip_value):
            figure.add_hline(y=level, line={"color": END_COLOR, "dash": "dot", "width": 1.5})
    if flow is not None and len(flow) > 1:
        figure.add_trace(go.Scatter(x=_as_float32(flow[:, 0]), y=_as_float32(flow[:, 1]), mode="lines",
                                    name="flow (h → 0)",
                                    line={"color": REAL_COLOR, "dash": "dash", "width": 2}))
    figure.add_trace(go.Scatter(x=_as_float32(trajectory[:, 0]), y=_as_float32(trajectory[:, 1]), mode="lines",
                                name="iterates", line={"color": FAKE_COLOR, "width": 1.5}, opacity=0.55))
    figure.add_trace(go.Scatter(x=_as_float32([0.0]), y=_as_float32([0.0]), mode="markers",
                                name="equilibrium",
                                marker={"symbol": "star", "size": 18, "color": "black"}))
    figure.add_trace(go.Scatter(x=_as_float32(trajectory[:1, 0]), y=_as_float32(trajectory[:1, 1]),
                                mode="markers", name="start",
                                marker={"symbol": "circle", "size": 14, "color": ACCENT_COLOR}))
    figure.add_trace(go.Scatter(x=_as_float32(trajectory[-1:, 0]), y=_as_float32(trajectory[-1:, 1]),
                                mode="markers", name=f"step {len(trajectory) - 1}",
                                marker={"symbol": "x", "size": 14, "color": END_COLOR}))
    _add_replay(figure, trajectory)
    base_layout(figure, title=title, height=height)
    # short entries in a smaller font: at 1366 px the legend took 45 % of the chart and left the field ~195 px wide
    figure.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top",
                                 "font": {"size": FONT_SIZE - 2}})
    figure.update_xaxes(title_text="θ (generator)", range=[-extent, extent], zeroline=True)
    figure.update_yaxes(title_text="ψ (discriminator)", range=[-extent, extent], zeroline=True,
                        scaleanchor="x", scaleratio=1)
    return figure


def _add_replay(figure: go.Figure, trajectory: np.ndarray) -> None:
    """A moving point with a short tail, animated in the browser by Play / Pause and a slider over steps."""
    indices = _frame_indices(len(trajectory))
    window = max(2, 3 * len(trajectory) // len(indices))
    last = int(indices[-1])
    tail, now = _tail(trajectory, last, window), trajectory[last]
    figure.add_trace(go.Scatter(x=_as_float32(tail[:, 0]), y=_as_float32(tail[:, 1]), mode="lines",
                                line={"color": FAKE_COLOR, "width": 4}, showlegend=False, hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=_as_float32([now[0]]), y=_as_float32([now[1]]), mode="markers",
                                name="replay", showlegend=False, marker={"size": 16, "color": FAKE_COLOR,
                                                       "line": {"color": "black", "width": 1.5}}))
    tail_trace, point_trace = len(figure.data) - 2, len(figure.data) - 1
    frames = []
    for index in indices:
        tail, now = _tail(trajectory, int(index), window), trajectory[int(index)]
        frames.append(go.Frame(name=str(int(index)), traces=[tail_trace, point_trace], data=[
            go.Scatter(x=_as_float32(tail[:, 0]), y=_as_float32(tail[:, 1])),
            go.Scatter(x=_as_float32([now[0]]), y=_as_float32([now[1]]))]))
    figure.frames = frames
    timing = {"frame": {"duration": FRAME_MILLISECONDS, "redraw": False}, "transition": {"duration": 0}}
    figure.update_layout(
        # below the x-axis title with room to spare: enlarged in lecture mode they sat on it
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.0, "y": -0.2, "xanchor": "left",
                      "yanchor": "top", "pad": {"t": 10, "r": 10}, "showactive": False, "buttons": [
                          {"label": "▶ Play", "method": "animate", "args": [None, {**timing, "fromcurrent": False}]},
                          {"label": "❚❚ Pause", "method": "animate",
                           "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}]}],
        sliders=[{"active": len(indices) - 1, "x": 0.24, "len": 0.76, "y": -0.16, "yanchor": "top",
                  "currentvalue": {"prefix": "step "}, "pad": {"t": 30},
                  "steps": [{"label": str(int(index)), "method": "animate",
                             "args": [[str(int(index))], {**timing, "mode": "immediate"}]} for index in indices]}],
    )
    figure.update_layout(margin={"b": 160})


BAND_EXTREMA = 100             # a series with more turning points than this is drawn as a band
BAND_WINDOWS = 150             # windows across the band: about one per 2-3 px of a half-width chart


def _turning_points(values: np.ndarray) -> int:
    """Local extrema of the series, not counting rounding noise once it has converged (≤ 1e-9 of its largest)."""
    steps = np.diff(values)
    steps = steps[(steps != 0) & (values[1:] > 1e-9 * values.max())]
    return int(np.count_nonzero(np.diff(np.sign(steps))))


def oscillation_band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """(x, lower, upper, window) of a series that oscillates faster than a chart can draw it, else None.

    With h = 1 the WGAN iterates cycle with period 3 to 5: 1,500 points zig-zag in 300 px and two such curves
    drew a two-colour block, the lower one hidden. Their range over consecutive windows (each at least two periods
    long) shows what the lines meant to: where the distance swings between, and for how long."""
    values = np.asarray(values, dtype=np.float64)
    turns = _turning_points(values)
    if turns <= BAND_EXTREMA:
        return None
    period = 2 * len(values) / turns
    window = max(int(np.ceil(len(values) / BAND_WINDOWS)), int(np.ceil(2 * period)))
    count = int(np.ceil(len(values) / window))
    padded = np.pad(values, (0, count * window - len(values)), mode="edge").reshape(count, window)
    x = np.minimum(np.arange(count) * window + (window - 1) / 2, len(values) - 1)
    return x, padded.min(axis=1), padded.max(axis=1), window


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[index:index + 2], 16) for index in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def distance_curves(distances: dict[str, np.ndarray], *, highlight: str | None = None,
                    flow_iterations: np.ndarray | None = None, flow_distances: np.ndarray | None = None,
                    title: str = "Distance to the equilibrium (0, 0)", height: int = 420) -> go.Figure:
    """‖(θ_k, ψ_k)‖ against k on a log scale, one curve per update rule, the flow dashed; `highlight` bold. A rule
    whose iterates oscillate faster than the chart can draw is shown as the band it swings in (see
    `oscillation_band`), translucent, so that two overlapping bands both stay visible."""
    figure = go.Figure()
    for color, (label, values) in zip(SERIES_COLORS[1:], distances.items(), strict=False):
        width = 4 if label == highlight else 2
        opacity = 1.0 if highlight in (None, label) else 0.6
        band = oscillation_band(values)
        if band is None:
            figure.add_trace(go.Scatter(
                x=np.arange(len(values), dtype=np.float32), y=_as_float32(np.maximum(values, 1e-30)), mode="lines",
                name=label, line={"color": color, "width": width}, opacity=opacity))
            continue
        x, lower, upper, window = band
        figure.add_trace(go.Scatter(x=_as_float32(x), y=_as_float32(np.maximum(lower, 1e-30)), mode="lines",
                                    line={"color": color, "width": 1}, opacity=opacity, showlegend=False,
                                    legendgroup=label, hoverinfo="skip"))
        figure.add_trace(go.Scatter(
            x=_as_float32(x), y=_as_float32(np.maximum(upper, 1e-30)), mode="lines", fill="tonexty",
            fillcolor=_rgba(color, 0.3), line={"color": color, "width": width / 2}, opacity=opacity,
            name=f"{label}: range per {window} steps", legendgroup=label))
    if flow_iterations is not None and flow_distances is not None:
        figure.add_trace(go.Scatter(x=_as_float32(flow_iterations), y=_as_float32(np.maximum(flow_distances, 1e-30)),
                                    mode="lines", name="flow (h → 0)",
                                    line={"color": REAL_COLOR, "dash": "dash", "width": 2}))
    base_layout(figure, title=title, height=height)
    figure.update_layout(legend=BOTTOM_LEGEND, margin={"b": 110})  # three entries above the plot ran into the title
    figure.update_xaxes(title_text="iteration k")
    figure.update_yaxes(title_text="‖(θₖ, ψₖ)‖", type="log", exponentformat="power")
    return figure


def update_eigenvalues(eigenvalues: dict[str, np.ndarray | None], *,
                       title: str = "Eigenvalues of one update step at (0, 0)", height: int = 500) -> go.Figure:
    """Each update rule's eigenvalues in the complex plane with the unit circle: inside, (0, 0) attracts nearby
    iterates; outside, it repels them; on it, the linearisation decides nothing (`dirac.verdict` asks the run)."""
    angle = np.linspace(0, 2 * np.pi, 181)
    figure = go.Figure(go.Scatter(x=_as_float32(np.cos(angle)), y=_as_float32(np.sin(angle)), mode="lines",
                                  name="|λ| = 1", line={"color": MUTED_COLOR, "dash": "dot"}))
    # open, large markers first so that coinciding eigenvalues of the two rules stay visible
    markers = ({"symbol": "circle-open", "size": 20, "line": {"width": 3}}, {"symbol": "diamond", "size": 11})
    for color, marker, (label, values) in zip(SERIES_COLORS[1:], markers, eigenvalues.items(), strict=False):
        if values is None:
            continue
        figure.add_trace(go.Scatter(x=_as_float32(values.real), y=_as_float32(values.imag), mode="markers",
                                    name=f"{label} (max |λ| = {np.max(np.abs(values)):.4f})",
                                    marker={**marker, "color": color}))
    base_layout(figure, title=title, height=height)
    # below the plot: in its top-left corner the legend covered the upper left of the unit circle
    figure.update_layout(legend=bottom_legend(orientation="v"), margin={"b": 150})
    known = [values for values in eigenvalues.values() if values is not None]
    reach = max([1.3] + [1.1 * float(np.max(np.abs(values))) for values in known])
    figure.update_xaxes(title_text="Re λ", range=[-reach, reach], zeroline=True)
    figure.update_yaxes(title_text="Im λ", range=[-reach, reach], zeroline=True, scaleanchor="x", scaleratio=1)
    return figure

"""Figures of the vanishing-gradients page: the saturating loss, the optimal discriminator in 1-D with V(G, D*)
against θ, and the frozen-generator experiment's gradient norms (log scale) and discriminator accuracy."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground import experiments
from playground import optimal_discriminator as od
from playground.figures import (
    ACCENT_COLOR,
    BOTTOM_LEGEND,
    FAKE_COLOR,
    MUTED_COLOR,
    REAL_COLOR,
    base_layout,
    bottom_legend,
    positive_finite,
)

MINIMAX_COLOR = "#d62728"       # the saturating loss: red on every figure of the page
NON_SATURATING_COLOR = ACCENT_COLOR
LOG_4 = math.log(4.0)
SMALLEST_NORM = 1e-12           # a norm that underflowed to 0 is drawn here (a log axis has no 0)


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


# --- saturation -----------------------------------------------------------------------------------------------


def saturation(curves: dict[str, np.ndarray], *, height: int = 460) -> go.Figure:
    """Left: the two generator losses against D(G(z)). Right: their slopes in the logit s, −D and D − 1."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.12, subplot_titles=(
        "Generator loss", "Gradient with respect to the logit s"))
    d = _f32(curves["d"])
    lines = (
        ("log(1 − D)  minimax", "loss_minimax", "slope_minimax", MINIMAX_COLOR),
        ("−log D  non-saturating", "loss_non_saturating", "slope_non_saturating", NON_SATURATING_COLOR),
    )
    for name, loss, slope, color in lines:
        figure.add_trace(go.Scatter(x=d, y=_f32(curves[loss]), name=name, mode="lines", legendgroup=name,
                                    line={"color": color, "width": 3}), row=1, col=1)
        figure.add_trace(go.Scatter(x=d, y=_f32(curves[slope]), name=name, mode="lines", legendgroup=name,
                                    showlegend=False, line={"color": color, "width": 3}), row=1, col=2)
    figure.add_vrect(x0=0.0, x1=0.1, fillcolor=MUTED_COLOR, opacity=0.12, line_width=0, row=1, col=2,
                     annotation_text="poor G", annotation_position="top left")
    figure.update_xaxes(title_text="D(G(z))", range=[0, 1])
    figure.update_yaxes(title_text="loss ℓ", range=[-4, 4], row=1, col=1)
    figure.update_yaxes(title_text="∂ℓ/∂s", range=[-1.1, 1.1], row=1, col=2)
    base_layout(figure, height=height)
    figure.update_layout(margin={"t": 50, "b": 110},
                         legend=BOTTOM_LEGEND)
    return figure


# --- the optimal discriminator -----------------------------------------------------------------------------------


def discriminator(snapshot: dict[str, Any], *, limit: float = 7.0, height: int = 440) -> go.Figure:
    """π and p_θ (scaled to height 1, shaded), D*(x) (dashed) and the live D(x), with a rug of samples."""
    x = snapshot["x"]
    peak = float(max(np.max(snapshot["real_density"]), np.max(snapshot["fake_density"]), 1e-300))
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=x, y=_f32(snapshot["real_density"] / peak), name="π (scaled)", mode="lines",
                                fill="tozeroy", line={"color": REAL_COLOR, "width": 1}, opacity=0.3,
                                hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=x, y=_f32(snapshot["fake_density"] / peak), name="p<sub>θ</sub> (scaled)",
                                mode="lines",
                                fill="tozeroy", line={"color": FAKE_COLOR, "width": 1}, opacity=0.3,
                                hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=x, y=snapshot["d_optimal"], name="D*(x) = π/(π + p<sub>θ</sub>)", mode="lines",
                                line={"color": "#222222", "width": 4, "dash": "dash"}))
    figure.add_trace(go.Scatter(x=x, y=snapshot["d"], name=f"trained D(x), step {snapshot['step']:,}",
                                mode="lines", line={"color": ACCENT_COLOR, "width": 3}))
    for key, color, level in (("real_samples", REAL_COLOR, -0.05), ("fake_samples", FAKE_COLOR, -0.1)):
        samples = snapshot[key]
        figure.add_trace(go.Scatter(x=samples, y=np.full(len(samples), level, np.float32), mode="markers",
                                    marker={"color": color, "size": 6, "symbol": "line-ns-open"},
                                    showlegend=False, hoverinfo="skip"))
    base_layout(figure, title="The discriminator and the optimal one", height=height)
    figure.update_layout(legend=BOTTOM_LEGEND, margin={"t": 60, "b": 130})  # four entries: below, not in the title
    figure.update_xaxes(title_text="x", range=[-limit, limit])
    figure.update_yaxes(range=[-0.15, 1.08], tickvals=[0, 0.5, 1])
    return figure


def value_curve(thetas, values, theta: float, value: float, *, height: int = 440) -> go.Figure:
    """V(G, D*) = 2·JSD − log 4 against θ, its bounds −log 4 (p_θ = π) and 0 (disjoint), and the current θ."""
    figure = go.Figure()
    for level, text in ((-LOG_4, "−log 4 (p<sub>θ</sub> = π)"), (0.0, "0 (supports apart)")):
        figure.add_hline(y=level, line={"color": MUTED_COLOR, "dash": "dot"}, annotation_text=text,
                         annotation_position="top" if level == 0 else "top right")
    figure.add_trace(go.Scatter(x=_f32(thetas), y=_f32(values), mode="lines", name="V(G, D*)",
                                line={"color": MINIMAX_COLOR, "width": 3}))
    figure.add_trace(go.Scatter(x=_f32([theta]), y=_f32([value]), mode="markers", name="current θ",
                                marker={"color": FAKE_COLOR, "size": 14, "line": {"color": "#222222", "width": 1}}))
    # short: the chart sits in the narrower notes column, and the full formula is above it
    base_layout(figure, title="V(G, D*) = 2·JSD − log 4", height=height)
    figure.update_layout(legend=BOTTOM_LEGEND, margin={"b": 110})  # below: above the plot it meets the title
    figure.update_xaxes(title_text="θ (mean of p<sub>θ</sub>)", range=[float(np.min(thetas)), float(np.max(thetas))])
    figure.update_yaxes(title_text="V(G, D*)", range=[-1.5, 0.12])
    return figure


def discriminator_view(snapshot: dict[str, Any]) -> list[Any]:
    """The live discriminator's frame: D over D* and the densities, and V(G, D) against its ceiling V(G, D*)."""
    return [discriminator(snapshot),
            f"V(G, D) = {snapshot['value']:.4f} ≤ V(G, D*) = {round(snapshot['value_optimal'], 4) + 0.0:.4f}"]


def pair_metrics(pair: od.Pair) -> list[tuple[str, str, str | None]]:
    """(label, value, help) of the three numbers beside V(G, D*) against θ, each value at most six characters
    (a third of the notes column): V(G, D*), JSD(π‖p_θ) and the mean slope of D* at the fakes."""
    value = od.value_at_optimum(pair)
    slope = od.mean_slope_at_fakes(pair)
    return [("V(G, D*)", f"{round(value, 3) + 0.0:.3f}", None),  # + 0.0: no "−0.000"
            ("JSD(π‖$p_\\theta$)", f"{od.jensen_shannon(pair):.3f}", "≤ log 2 ≈ 0.6931"),
            ("$E_p$ |∂D*/∂x|", f"{slope:.3f}" if slope >= 0.01 or slope == 0 else f"{slope:.0e}",
             "How steep D* is where the fakes are: the only signal G gets through D*.")]


# --- the frozen-generator experiment -----------------------------------------------------------------------------


def frozen_generator_progress(settings: experiments.FrozenGeneratorSettings
                              ) -> Generator[tuple[float, str, go.Figure], None, dict[str, Any]]:
    """Run the frozen-generator experiment `settings` describe in about twenty chunks, yielding (share done, what
    it is doing, the curves so far) after each; returns its final snapshot."""
    experiment = experiments.FrozenGeneratorExperiment.from_settings(settings)
    critic_steps = settings.critic_steps
    for running in experiment.run(chunk_steps=max(100, critic_steps // 20)):
        yield (running.progress, f"{running.phase.capitalize()} · D step {running.step:,} of {critic_steps:,}",
               frozen_generator(running.results(), critic_steps))
    return experiment.snapshot()



def frozen_generator(records: dict[str, np.ndarray], critic_steps: int, *, height: int = 560) -> go.Figure:
    """Top: ‖∇_θ L_G‖ on a log scale for both generator losses. Bottom: the discriminator's accuracy. Both
    against discriminator steps on a fixed axis [0, critic_steps], so the curves grow into the frame."""
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.68, 0.32])
    steps = _f32(records["step"])
    for key, name, color in (("grad_norm_minimax", "minimax: log(1 − D(G(z)))", MINIMAX_COLOR),
                             ("grad_norm_non_saturating", "non-saturating: −log D(G(z))", NON_SATURATING_COLOR)):
        norms = np.maximum(np.asarray(records[key], dtype=np.float64), SMALLEST_NORM)
        figure.add_trace(go.Scatter(x=steps, y=_f32(norms), name=name, mode="lines+markers",
                                    marker={"size": 4}, line={"color": color, "width": 3}), row=1, col=1)
    figure.add_trace(go.Scatter(x=steps, y=_f32(records["critic_accuracy"]), name="D's accuracy",
                                mode="lines", line={"color": MUTED_COLOR, "width": 3}), row=2, col=1)
    # a short title and the legend at the bottom: on a laptop-sized plot three entries above it run into the title
    base_layout(figure, title="‖∇<sub>θ</sub> L<sub>G</sub>‖ while D trains, G frozen", height=height + 60)
    figure.update_layout(legend=bottom_legend(), margin={"l": 70, "t": 60, "b": 150})
    figure.update_xaxes(range=[0, critic_steps], row=1, col=1)
    figure.update_xaxes(range=[0, critic_steps], title_text="discriminator steps", row=2, col=1)
    figure.update_yaxes(type="log", title_text="‖∇<sub>θ</sub> L<sub>G</sub>‖", exponentformat="power", row=1, col=1,
                        **_log_range(records))
    figure.update_yaxes(range=[0.4, 1.03], title_text="accuracy", row=2, col=1)
    return figure


def _log_range(records: dict[str, np.ndarray]) -> dict[str, Any]:
    """A log-axis range spanning all norms so far, in whole decades, at least 1e-5 … 1e1 (fixed while small)."""
    norms = positive_finite(records["grad_norm_minimax"], records["grad_norm_non_saturating"])
    low = min(-5.0, math.floor(math.log10(norms.min()))) if len(norms) else -5.0
    high = max(1.0, math.ceil(math.log10(norms.max()))) if len(norms) else 1.0
    return {"range": [low, high]}

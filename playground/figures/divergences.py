"""Figures for the divergence pages: KL, JSD and W₁ against θ for the parallel lines (infinite values drawn in
a labelled ∞ band, never clipped silently), the Theorem 2 sequence, the live JSD / W₁ estimators, and the
(μ, σ) landscapes of a Gaussian fitted to a mixture. Numpy in, plotly figure out; no torch, no streamlit.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go

from playground.figures import (
    ACCENT_COLOR,
    BOTTOM_LEGEND,
    FAKE_COLOR,
    MUTED_COLOR,
    REAL_COLOR,
    SERIES_COLORS,
    base_layout,
    bottom_legend,
    nice_ticks,
)
from playground.figures.training import Figure, decimate, layout

LN2 = math.log(2.0)
KL_COLOR = "#d62728"          # both KLs: red
JSD_COLOR = "#9467bd"         # JSD: purple
W_COLOR = ACCENT_COLOR        # W₁: green, the curve that behaves
INFINITY_BAND = (1.06, 1.22)  # the ∞ band, as multiples of the finite axis' top
DIVERGENCE_COLORS = {"forward_kl": SERIES_COLORS[3], "reverse_kl": SERIES_COLORS[4], "js": SERIES_COLORS[2]}
P_THETA = "p<sub>θ</sub>"     # plotly renders <sub>; "p_θ" would show its underscore
DIVERGENCE_SHORT = {"forward_kl": "KL(π‖p)", "reverse_kl": "KL(p‖π)", "js": "JSD"}


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def format_value(value: float) -> str:
    """∞ for an infinite divergence, else 3–4 significant digits."""
    return "∞" if math.isinf(value) else f"{value:.4g}"


# --- divergences against θ ------------------------------------------------------------------------------------

def finite_top(values: dict[str, np.ndarray], thetas: np.ndarray) -> float:
    """Top of the finite part of the y-axis: W₁ and JSD always fit; a finite KL only while it stays modest."""
    top = max(float(np.max(np.abs(thetas))), LN2) * 1.08
    finite_kl = values["kl"][np.isfinite(values["kl"])]
    if finite_kl.size:
        top = max(top, min(float(finite_kl.max()), 2.5 * top))
    return top


def _infinity_axis(figure: go.Figure, top: float) -> float:
    """A y-axis whose finite part ends at `top`, with a shaded band above it ticked “∞”. Returns the band's
    middle, where infinite values are drawn."""
    band_low, band_high = top * INFINITY_BAND[0], top * INFINITY_BAND[1]
    middle = 0.5 * (band_low + band_high)
    figure.add_hrect(y0=band_low, y1=band_high, fillcolor=MUTED_COLOR, opacity=0.15, line_width=0)
    ticks = nice_ticks(0.0, top)
    figure.update_yaxes(range=[0, band_high * 1.01], tickvals=[*ticks, middle],
                        ticktext=[f"{v:g}" for v in ticks] + ["∞"])
    return middle


def _onto_axis(x: np.ndarray, series: np.ndarray, top: float, infinity: float
               ) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """The curve as drawn: ∞ in the band; a finite value above `top` is cut where the curve leaves the axis
    (the exact crossing point is added), so it can never be mistaken for a plateau or for ∞. Returns x, y and
    the θ where it leaves the axis."""
    drawn = np.where(np.isinf(series), infinity, series).astype(np.float64)
    above = np.isfinite(series) & (series > top)
    exits = []
    if np.any(above):
        crossings_x, crossings_index = [], []
        for i in np.flatnonzero(above[:-1] != above[1:]):
            if np.isfinite(series[i]) and np.isfinite(series[i + 1]):
                fraction = (top - series[i]) / (series[i + 1] - series[i])
                crossings_x.append(x[i] + fraction * (x[i + 1] - x[i]))
                crossings_index.append(i + 1)
        drawn[above] = np.nan
        x = np.insert(x, crossings_index, crossings_x)
        drawn = np.insert(drawn, crossings_index, top)
        exits = crossings_x
    return x, drawn, exits


def divergence_curves(thetas, values: dict[str, np.ndarray], theta: float, current: dict[str, Any],
                      noise_std: float, *, height: int = 460) -> go.Figure:
    """KL(π‖p_θ), KL(p_θ‖π), JSD and W₁ against θ, and a marker at the current θ with its `current` values.

    Infinite values are drawn in a shaded band ticked ∞; a finite value too large for the axis is cut where it
    leaves the axis, with ▲ and a note. At θ = 0 without noise the curves jump, so the line breaks there and
    the value at θ = 0 is a separate dot. Hover shows the exact value, ∞ included.
    """
    thetas = np.asarray(thetas, dtype=np.float64)
    top = finite_top(values, thetas)
    figure = go.Figure()
    infinity = _infinity_axis(figure, top)
    series = (("kl", f"KL(π‖{P_THETA})", KL_COLOR, "solid", 5), ("reverse_kl", f"KL({P_THETA}‖π)", "#ff9896", "dot", 3),
              ("js", f"JSD(π, {P_THETA})", JSD_COLOR, "solid", 3),
              ("wasserstein", f"W₁(π, {P_THETA})", W_COLOR, "solid", 3))
    jump = noise_std == 0
    notes = []
    for key, name, color, dash, width in series:
        raw = np.asarray(values[key], dtype=np.float64)
        if jump and key != "wasserstein":
            raw = np.where(thetas == 0, np.nan, raw)   # a jump, not a steep line: break the curve at θ = 0
        x, drawn, exits = _onto_axis(thetas, raw, top, infinity)
        figure.add_scatter(x=_f32(x), y=_f32(drawn), mode="lines", name=name, hoverinfo="x+name",
                           line={"color": color, "dash": dash, "width": width}, connectgaps=False)
        if jump and key != "wasserstein" and np.any(thetas == 0):
            figure.add_scatter(x=[0.0], y=[0.0], mode="markers", showlegend=False, hoverinfo="text",
                               text=[f"θ = 0: {name} = 0"], marker={"color": color, "size": 11,
                                                                    "line": {"color": "white", "width": 1}})
        if exits:
            figure.add_scatter(x=_f32(exits), y=_f32(np.full(len(exits), top)), mode="markers", showlegend=False,
                               hoverinfo="skip", marker={"symbol": "triangle-up", "size": 13, "color": color})
            if key == "kl":
                notes.append(f"▲ KL leaves the axis at |θ| = {min(abs(e) for e in exits):.2f} and reaches "
                             f"{np.nanmax(values[key]):.3g} at |θ| = {np.max(np.abs(thetas)):.2g}")
    figure.add_vline(x=theta, line={"color": MUTED_COLOR, "dash": "dash", "width": 2})
    for key, name, color, _, _ in series:
        exact = float(current[key])
        drawn = infinity if math.isinf(exact) else min(exact, top)
        figure.add_scatter(x=[theta], y=[drawn], mode="markers", showlegend=False, hoverinfo="text",
                           text=[f"θ = {theta:.3g}: {name} = {format_value(exact)}"],
                           marker={"color": color, "size": 13,
                                   "symbol": "triangle-up" if exact > top and not math.isinf(exact) else "diamond",
                                   "line": {"color": "black", "width": 1}})
    if jump:
        notes.append("KL(π‖p<sub>θ</sub>) = KL(p<sub>θ</sub>‖π) = ∞<br>for every θ ≠ 0 (no overlap);<br>JSD = ln 2")
    for index, note in enumerate(notes):
        figure.add_annotation(text=note, xref="paper", yref="y", x=0.5, y=top * (0.99 - 0.08 * index),
                              showarrow=False, xanchor="center", yanchor="top", font={"size": 13},
                              bgcolor="rgba(255, 255, 255, 0.8)")
    noise = f", instance noise σ = {noise_std:g}" if noise_std else " (no noise)"
    figure.update_xaxes(title="θ", range=[float(thetas.min()), float(thetas.max())], zeroline=True)
    figure.update_yaxes(title="divergence (nats)")
    base_layout(figure, title=f"Divergences against θ{noise}", height=height)
    figure.update_layout(legend=BOTTOM_LEGEND, margin={"b": 110})
    return figure


def parallel_lines_figure(real: np.ndarray, fake: np.ndarray, theta: float, noise_std: float, *,
                          limit: float = 2.5, height: int = 460) -> go.Figure:
    """The two distributions in the plane: π on the line x = 0, p_θ on x = θ (segments y ∈ [0, 1]), and samples
    of both (blurred by the instance noise when σ > 0)."""
    figure = go.Figure()
    for points, name, color in ((real, "π samples", REAL_COLOR), (fake, "p<sub>θ</sub> samples", FAKE_COLOR)):
        figure.add_scatter(x=_f32(points[:, 0]), y=_f32(points[:, 1]), mode="markers", name=name,
                           marker={"color": color, "size": 5, "opacity": 0.45 if noise_std else 0.8})
    for x, name, color in ((0.0, "π = (0, U[0,1])", REAL_COLOR), (theta, "p<sub>θ</sub> = (θ, U[0,1])", FAKE_COLOR)):
        figure.add_scatter(x=[x, x], y=[0.0, 1.0], mode="lines", name=name, line={"color": color, "width": 6})
    figure.add_annotation(x=theta / 2, y=1.18, text=f"θ = {theta:.2f}", showarrow=False)
    if theta != 0:
        figure.add_annotation(x=theta, y=1.08, ax=0, ay=1.08, xref="x", yref="y", axref="x", ayref="y",
                              showarrow=True, arrowhead=3, arrowwidth=2, arrowcolor=MUTED_COLOR, text="")
    figure.update_xaxes(title="x", range=[-limit, limit], zeroline=False)
    figure.update_yaxes(title="y", range=[-0.6, 1.6], zeroline=False)
    base_layout(figure, title=f"π and {P_THETA}" + (f", blurred: σ = {noise_std:g}" if noise_std else ""),
                height=height)  # fits at 1600
    figure.update_layout(legend=BOTTOM_LEGEND, margin={"b": 110})
    return figure


def theorem2_figure(sequence: dict[str, np.ndarray], *, noise_std: float = 0.0, height: int = 420) -> go.Figure:
    """Divergences along pₜ → π (θₜ = θ₁/t) against the step t, and the limit θ = 0 drawn apart from the steps
    (it is not one more step): W₁ falls to 0 while KL and JSD stay put; with instance noise σ > 0 (the sequence
    computed with it) KL and JSD fall to 0 as well, and the title says so. A value above the axis is a ▲
    labelled with its value; hover shows t, θₜ and every value."""
    t_all = np.asarray(sequence["t"], dtype=np.float64)
    theta_all = np.asarray(sequence["theta"], dtype=np.float64)
    steps = theta_all != 0
    t = t_all[steps]
    limit_x = float(t.max(initial=0.0)) + 1.5   # a gap: the limit is not step t + 1
    top = max(float(np.max(sequence["wasserstein"])), LN2) * 1.1
    finite_kl = sequence["kl"][np.isfinite(sequence["kl"])]
    if finite_kl.size:
        top = max(top, min(float(finite_kl.max()), 3 * top))
    figure = go.Figure()
    infinity = _infinity_axis(figure, top)
    figure.add_vline(x=limit_x - 0.75, line={"color": MUTED_COLOR, "dash": "dot", "width": 1.5})
    for key, name, color in (("kl", "KL (both ways)", KL_COLOR), ("js", "JSD", JSD_COLOR),
                             ("wasserstein", "W₁", W_COLOR)):
        raw_all = np.asarray(sequence[key], dtype=np.float64)
        raw = raw_all[steps]
        x, drawn, _ = _onto_axis(t, raw, top, infinity)
        figure.add_scatter(x=_f32(x), y=_f32(drawn), mode="lines", name=name, legendgroup=name,
                           hoverinfo="skip", line={"color": color, "width": 3})
        off_scale = np.isfinite(raw) & (raw > top)
        hover = [f"t = {int(k)}, θₜ = {th:.3g}<br>{name} = {format_value(v)}"
                 for k, th, v in zip(t, theta_all[steps], raw, strict=True)]
        figure.add_scatter(x=_f32(t), y=_f32(np.where(np.isinf(raw), infinity, np.minimum(raw, top))),
                           mode="markers+text", legendgroup=name, showlegend=False, hovertext=hover,
                           hoverinfo="text", text=[f"{v:.3g}" if off else "" for v, off in zip(raw, off_scale,
                                                                                              strict=True)],
                           textposition="middle right", textfont={"color": color, "size": 13},
                           marker={"size": 10, "color": color,
                                   "symbol": np.where(off_scale, "triangle-up", "circle").tolist()})
        limit = raw_all[~steps]
        if limit.size:
            figure.add_scatter(x=[limit_x], y=[infinity if math.isinf(limit[0]) else min(float(limit[0]), top)],
                               mode="markers", legendgroup=name, showlegend=False, hoverinfo="text",
                               hovertext=[f"limit θ = 0<br>{name} = {format_value(float(limit[0]))}"],
                               marker={"size": 12, "color": color, "symbol": "diamond",
                                       "line": {"color": "black", "width": 1}})
    if not np.all(steps):   # the three limit markers coincide at 0: say what they are
        limits = {name: float(np.asarray(sequence[key], dtype=np.float64)[~steps][0])
                  for key, name in (("kl", "KL"), ("js", "JSD"), ("wasserstein", "W₁"))}
        if len(set(limits.values())) == 1:
            text = " = ".join(limits) + f" = {format_value(next(iter(limits.values())))}"
        else:
            text = "<br>".join(f"{name} = {format_value(value)}" for name, value in limits.items())
        figure.add_annotation(x=limit_x, y=top * 0.08, text=text, showarrow=False, yanchor="bottom",
                              font={"size": 13}, bgcolor="rgba(255, 255, 255, 0.8)")
    start = float(theta_all[0] * t_all[0]) if t_all.size else 1.0
    ticks, labels = [*t.tolist()], [f"{int(k)}" for k in t]
    if not np.all(steps):
        ticks.append(limit_x)
        labels.append("limit<br>θ = 0")
    figure.update_xaxes(title=f"step t of the sequence, θₜ = {start:g}/t", tickvals=ticks, ticktext=labels,
                        range=[float(t.min(initial=1.0)) - 0.5, limit_x + 1.1])
    figure.update_yaxes(title="divergence (nats)")
    title = ("Example 1's sequence: pₜ → π in W₁, not in KL or JSD" if not noise_std
             else f"With noise σ = {noise_std:g}, KL and JSD see pₜ → π too")
    base_layout(figure, title=title, height=height)
    figure.update_layout(margin={"b": 80})
    return figure


# --- the live estimators (plain dicts: redrawn ~10 times a second) ---------------------------------------------

def estimate_history(snapshot: dict[str, Any], *, height: int = 440) -> Figure:
    """The discriminator's JSD estimate and the critic's W₁ estimate over training, each with its exact value."""
    history = snapshot["history"]
    steps, jsd, wasserstein, exact_js, exact_w = decimate(history["step"], history["jsd_estimate"],
                                                          history["wasserstein_estimate"], history["exact_js"],
                                                          history["exact_wasserstein"])
    traces = [
        {"type": "scatter", "mode": "lines", "x": steps, "y": jsd, "name": "½(log 4 − L<sub>D</sub>)",
         "line": {"color": JSD_COLOR, "width": 3}},
        {"type": "scatter", "mode": "lines", "x": steps, "y": exact_js, "name": "exact JSD",
         "line": {"color": JSD_COLOR, "width": 2, "dash": "dash"}},
        {"type": "scatter", "mode": "lines", "x": steps, "y": wasserstein, "name": "E<sub>π</sub> f − E<sub>p</sub> f",
         "line": {"color": W_COLOR, "width": 3}},
        {"type": "scatter", "mode": "lines", "x": steps, "y": exact_w, "name": "exact W₁ = |θ|",
         "line": {"color": W_COLOR, "width": 2, "dash": "dash"}},
    ]
    return {"data": traces, "layout": layout(
        "Estimates from samples", height, xaxis={"title": {"text": "training step"}},
        yaxis={"title": {"text": "nats / distance"}, "rangemode": "tozero"},
        legend=bottom_legend(),
        margin={"l": 60, "r": 20, "t": 50, "b": 150})}


BAR_LABEL_SIZE = 13  # px: two five-character labels side by side fit a 50-px bar pitch


def bar_label(value: float) -> str:
    """A gradient bar's label, two decimals (the full value is in the hover): the axis spans at least ±1.56, so
    finer digits say nothing the bar does not, and "-0.00446" beside "-1.12e-05" ran into one another over bars
    near zero. −0.00 reads 0.00; beyond ±100 whole numbers keep the label short."""
    value = float(value)
    if not math.isfinite(value):
        return f"{value}"
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return "0.00" if text in ("-0.00", "0.00") else text.replace("-", "−")


def estimate_gradients(snapshot: dict[str, Any], *, height: int = 440) -> Figure:
    """d/dθ of each estimate (autograd through p_θ's samples, networks fixed) beside the exact derivative."""
    names = ["JSD", "W₁"]
    estimated = _f32([snapshot["jsd_gradient"], snapshot["wasserstein_gradient"]])
    exact = _f32([snapshot["exact_js_gradient"], snapshot["exact_wasserstein_gradient"]])
    bound = max(1.2, float(np.max(np.abs(np.concatenate([estimated, exact]))))) * 1.3  # room for the labels
    traces = [
        {"type": "bar", "x": names, "y": estimated, "name": "d/dθ of the estimate", "marker": {"color": FAKE_COLOR},
         "text": [bar_label(v) for v in estimated], "textposition": "outside", "cliponaxis": False,
         "textfont": {"size": BAR_LABEL_SIZE},
         "customdata": estimated, "hovertemplate": "%{x}: d/dθ of the estimate = %{customdata:.4g}<extra></extra>"},
        {"type": "bar", "x": names, "y": exact, "name": "exact d/dθ", "marker": {"color": MUTED_COLOR},
         "text": [bar_label(v) for v in exact], "textposition": "outside", "cliponaxis": False,
         "textfont": {"size": BAR_LABEL_SIZE},
         "customdata": exact, "hovertemplate": "%{x}: exact d/dθ = %{customdata:.4g}<extra></extra>"},
    ]
    return {"data": traces, "layout": layout(
        "Gradient with respect to θ", height, barmode="group", yaxis={"range": [-bound, bound],
                                                                      "title": {"text": "d/dθ"}},
        legend=bottom_legend(),
        margin={"l": 60, "r": 20, "t": 50, "b": 150})}


def critic_slices(snapshot: dict[str, Any], *, height: int = 440) -> Figure:
    """D(x) = sigmoid(s(x)) and the critic f(x) along y = ½, with the two lines marked."""
    x = snapshot["slice_x"]
    theta = float(snapshot["theta"])
    critic = snapshot["slice_critic"]
    bound = max(float(np.max(np.abs(critic))) * 1.1, 1e-6)
    traces = [
        {"type": "scatter", "mode": "lines", "x": x, "y": snapshot["slice_discriminator"], "name": "D(x)",
         "line": {"color": JSD_COLOR, "width": 3}},
        {"type": "scatter", "mode": "lines", "x": x, "y": critic, "name": "critic f(x)", "yaxis": "y2",
         "line": {"color": W_COLOR, "width": 3}},
    ]
    shapes = [{"type": "line", "x0": position, "x1": position, "y0": 0, "y1": 1, "yref": "paper",
               "line": {"color": color, "width": 4}} for position, color in ((0.0, REAL_COLOR), (theta, FAKE_COLOR))]
    return {"data": traces, "layout": layout(
        "D and f across the lines (y = ½)", height, shapes=shapes,
        xaxis={"range": [float(x[0]), float(x[-1])]},
        yaxis={"title": {"text": "D(x)"}, "range": [-0.02, 1.02]},
        yaxis2={"title": {"text": "f(x)"}, "overlaying": "y", "side": "right", "range": [-bound, bound],
                "tickmode": "auto", "showgrid": False},  # not plotly.js's default 'sync' ticks (0.0572, 0.0343, …)
        legend=bottom_legend(),
        margin={"l": 60, "r": 60, "t": 50, "b": 150})}


def estimator_summary(snapshot: dict[str, Any]) -> str:
    """The numbers to read out: each estimate against the exact value, and the critic's Lipschitz constant."""
    lipschitz = snapshot["critic_lipschitz"]
    normalised = snapshot["wasserstein_estimate"] / lipschitz if lipschitz > 0 else float("nan")
    clipping = snapshot["lipschitz_method"] == "clip"
    return (
        f"**JSD estimate** ½(log 4 − $L_D$) = **{snapshot['jsd_estimate']:.4f}** (exact {snapshot['exact_js']:.4f}, "
        f"ln 2 = {LN2:.4f}) · **W₁ estimate** $E_\\pi f - E_p f$ = **{snapshot['wasserstein_estimate']:.4g}** "
        f"(exact {snapshot['exact_wasserstein']:.4f})  \n"
        f"critic's Lipschitz constant K ≈ max‖∇ₓf‖ = {lipschitz:.3g} · estimate / K = {normalised:.4g}"
        + (" — a clipped critic estimates K·W₁ for an unknown K" if clipping else "")
    )


def estimator_view(snapshot: dict[str, Any]) -> list:
    """The live view of `ParallelLinesEstimators.snapshot()`."""
    return [estimate_history(snapshot), estimate_gradients(snapshot), critic_slices(snapshot),
            estimator_summary(snapshot)]


# --- mode covering against mode seeking --------------------------------------------------------------------------

LANDSCAPE_FLOOR = 1e-3        # colour is log10(D + floor): minima stay visible next to the huge KL values


LANDSCAPE_TICKS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 1, 2, 3, 5, 10, 30, 100, 300, 1000, 3000, 10000)


def _spaced_log_ticks(low: float, high: float, most: int = 8) -> list[float]:
    """Colour-bar ticks from LANDSCAPE_TICKS inside [low, high] (log10(D + floor)), each at least 1/`most` of
    the range above the one before, so that labels never overlap."""
    kept: list[tuple[float, float]] = []
    for value in LANDSCAPE_TICKS:
        position = math.log10(value + LANDSCAPE_FLOOR)
        if low <= position <= high and (not kept or position - kept[-1][0] >= (high - low) / most):
            kept.append((position, value))
    return [value for _, value in kept]


def landscape_figure(mus, sigmas, landscape: np.ndarray, divergence: str, *, minima: list[dict[str, float]],
                     path: dict[str, np.ndarray] | None = None, height: int = 460) -> go.Figure:
    """D(π, N(μ, σ²)) over (μ, σ) as a heat map (log colour scale, true value on hover), its local minima
    (★ global, ☆ local), and the descent path from the chosen start (○ start, ✕ end). A click on a cell is a
    plotly_click event at that (μ, σ): the page moves the start there (`ui.chart(..., on_click=...)`).
    """
    mus, sigmas = _f32(mus), _f32(sigmas)
    values = np.asarray(landscape, dtype=np.float64)
    colour = np.log10(np.maximum(values, 0.0) + LANDSCAPE_FLOOR)
    low, high = float(np.nanmin(colour)), float(np.nanmax(colour))
    ticks = _spaced_log_ticks(low, high)
    figure = go.Figure()
    figure.add_heatmap(x=mus, y=sigmas, z=colour.astype(np.float32), customdata=values.astype(np.float32),
                       colorscale="Viridis", reversescale=True, zmin=low, zmax=high,
                       hovertemplate="μ = %{x:.2f}, σ = %{y:.2f}<br>D = %{customdata:.4g}<extra></extra>",
                       colorbar={"thickness": 12,
                                 "tickvals": [math.log10(v + LANDSCAPE_FLOOR) for v in ticks],
                                 "ticktext": [f"{v:g}" for v in ticks]})
    for minimum in minima:
        figure.add_scatter(
            x=[minimum["mu"]], y=[minimum["sigma"]], mode="markers", showlegend=False, hoverinfo="text",
            text=[f"{'global' if minimum['global'] else 'local'} minimum<br>μ = {minimum['mu']:.3f}, "
                  f"σ = {minimum['sigma']:.3f}<br>D = {minimum['value']:.4g}"],
            marker={"symbol": "star" if minimum["global"] else "star-open", "size": 20,
                    "color": "white" if minimum["global"] else "black", "line": {"color": "black", "width": 1.5}})
    if path is not None and len(path["mu"]):
        mu_path, sigma_path = decimate(path["mu"], path["sigma"])
        figure.add_scatter(x=mu_path, y=sigma_path, mode="lines", showlegend=False, hoverinfo="skip",
                           line={"color": "white", "width": 5})
        figure.add_scatter(x=mu_path, y=sigma_path, mode="lines", showlegend=False, hoverinfo="skip",
                           line={"color": DIVERGENCE_COLORS[divergence], "width": 3})
        figure.add_scatter(x=[float(path["mu"][0])], y=[float(path["sigma"][0])], mode="markers",
                           showlegend=False, hoverinfo="text", text=["start"],
                           marker={"symbol": "circle", "size": 13, "color": "white",
                                   "line": {"color": "black", "width": 2}})
        figure.add_scatter(x=[float(path["mu"][-1])], y=[float(path["sigma"][-1])], mode="markers",
                           showlegend=False, hoverinfo="text",
                           text=[f"fit: μ = {path['mu'][-1]:.3f}, σ = {path['sigma'][-1]:.3f}"],
                           marker={"symbol": "x", "size": 14, "color": DIVERGENCE_COLORS[divergence],
                                   "line": {"color": "black", "width": 1.5}})
    figure.update_xaxes(title="μ", range=[float(mus[0]), float(mus[-1])])
    figure.update_yaxes(title="σ", range=[float(sigmas[0]), float(sigmas[-1])])
    base_layout(figure, title=DIVERGENCE_SHORT[divergence], height=height)
    figure.update_layout(clickmode="event", dragmode=False, margin={"l": 60, "r": 10, "t": 60, "b": 50})
    return figure


# Drawn in this order, each over the one before: a wide, pale solid KL(π‖p) underneath, the thinner dashed and
# dotted ones on top, so fits that coincide (forward KL and JSD often do) stay visible as two lines.
FIT_ORDER = ("forward_kl", "reverse_kl", "js")
FIT_STYLES = {"forward_kl": (9, "solid", 0.45), "reverse_kl": (3, "dash", 1.0), "js": (3, "dot", 1.0)}


def fits_coincide(first: tuple[float, float], second: tuple[float, float], tolerance: float = 0.01) -> bool:
    """Two fitted (μ, σ) drawn as one curve: both parameters within `tolerance` (their legend labels, at two
    decimals, then agree to within a unit of the last digit)."""
    return abs(first[0] - second[0]) <= tolerance and abs(first[1] - second[1]) <= tolerance


def fitted_densities(x, mixture_density, fits: dict[str, tuple[float, float]], *, height: int = 420
                     ) -> go.Figure:
    """π shaded, and the Gaussian each divergence fitted, drawn over it."""
    x = np.asarray(x, dtype=np.float64)
    figure = go.Figure()
    figure.add_scatter(x=_f32(x), y=_f32(mixture_density), mode="lines", name="π (mixture)", fill="tozeroy",
                       line={"color": REAL_COLOR, "width": 3}, fillcolor="rgba(31, 119, 180, 0.25)")
    peak = float(np.max(mixture_density))
    shown: list[tuple[str, tuple[float, float]]] = []
    for divergence in sorted(fits, key=lambda d: FIT_ORDER.index(d) if d in FIT_ORDER else len(FIT_ORDER)):
        mu, sigma = fits[divergence]
        density = np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        peak = max(peak, float(density.max()))
        same = [DIVERGENCE_SHORT[other] for other, fit in shown if fits_coincide(fit, (mu, sigma))]
        shown.append((divergence, (mu, sigma)))
        width, dash, opacity = FIT_STYLES.get(divergence, (3, "solid", 1.0))
        figure.add_scatter(x=_f32(x), y=_f32(density), mode="lines", opacity=opacity,
                           name=f"{DIVERGENCE_SHORT[divergence]}: N({round(mu, 2) + 0.0:.2f}, {sigma:.2f}²)"
                           + (f" = {' = '.join(same)}'s fit" if same else ""),
                           line={"color": DIVERGENCE_COLORS[divergence], "width": width, "dash": dash})
    figure.update_xaxes(title="x", range=[float(x[0]), float(x[-1])])
    figure.update_yaxes(title="density", range=[0, peak * 1.08])
    base_layout(figure, title="Fitted Gaussians over π", height=height)
    figure.update_layout(legend=BOTTOM_LEGEND, margin={"b": 110})
    return figure

"""Figures for the density-ratio trick and adversarial variational Bayes: numpy in, plotly figure out."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from playground.density_ratio import SMOOTHING_RECORDS, ratio_verdict
from playground.figures import (
    ACCENT_COLOR,
    CRITIC_COLORSCALE,
    FAKE_COLOR,
    MUTED_COLOR,
    REAL_COLOR,
    SERIES_COLORS,
    base_layout,
    bottom_legend,
)

LOG_RATIO_LIMIT = 8.0            # |log-ratio| beyond this is drawn at the edge: ratios of e⁸ ≈ 3,000 and more
NO_MASS_FILL = "rgba(127, 127, 127, 0.18)"
NO_MASS_LABEL = "q₁ or q₂ has (almost) no mass"
LATENT_EXTENT = 3.5              # the AVB paper's window: the prior's mass lies well inside ±3.5


def _layout(figure: go.Figure, *, title: str, height: int = 460) -> go.Figure:
    """The house look, with the legend under the plot: these charts share half a page and carry 3–5 entries."""
    base_layout(figure, title=title, height=height)
    figure.update_layout(legend=bottom_legend(), margin={"b": 110})
    return figure


def _float32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index pairs of the maximal runs of True in a 1-D mask."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(start), int(stop) - 1) for start, stop in zip(edges[::2], edges[1::2], strict=True)]


def _shade_untrusted(figure: go.Figure, axis: np.ndarray, trusted: np.ndarray) -> None:
    """Grey bands where either distribution has (almost) no mass, and one legend entry for them."""
    for first, last in _runs(~np.asarray(trusted, dtype=bool)):
        figure.add_vrect(x0=float(axis[first]), x1=float(axis[last]), fillcolor=NO_MASS_FILL, line_width=0,
                         layer="below")
    figure.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=NO_MASS_LABEL,
                                marker={"symbol": "square", "size": 14, "color": NO_MASS_FILL}))


def log_ratio_range(exact: np.ndarray) -> tuple[float, float]:
    """A fixed y-range for a pair: the finite exact values (capped at ±LOG_RATIO_LIMIT) plus a margin; an
    infinite ratio anywhere stretches the range to the cap on that side."""
    exact = np.asarray(exact, dtype=np.float64)
    finite = exact[np.isfinite(exact)]
    low = max(-LOG_RATIO_LIMIT, float(finite.min()) - 1.0) if finite.size else -LOG_RATIO_LIMIT
    high = min(LOG_RATIO_LIMIT, float(finite.max()) + 1.0) if finite.size else LOG_RATIO_LIMIT
    if np.any(np.isneginf(exact)):
        low = -LOG_RATIO_LIMIT
    if np.any(np.isposinf(exact)):
        high = LOG_RATIO_LIMIT
    return low, high


def densities_1d(axis, density_numerator, density_denominator, trusted) -> go.Figure:
    """q₁ and q₂ on one axis, with the regions where one of them has (almost) no mass shaded."""
    axis = _float32(axis)
    figure = go.Figure()
    _shade_untrusted(figure, axis, trusted)
    figure.add_trace(go.Scatter(x=axis, y=_float32(density_numerator), name="q₁ (label 1)",
                                line={"color": REAL_COLOR, "width": 3}, fill="tozeroy"))
    figure.add_trace(go.Scatter(x=axis, y=_float32(density_denominator), name="q₂ (label 0)",
                                line={"color": FAKE_COLOR, "width": 3}, fill="tozeroy"))
    figure.update_xaxes(title_text="x", range=[float(axis[0]), float(axis[-1])])
    figure.update_yaxes(title_text="density", rangemode="tozero")
    return _layout(figure, title="The two distributions")


def log_ratio_1d(axis, estimated, exact, trusted, *, ratio: bool = False) -> go.Figure:
    """The classifier's logit s(x) against the exact log q₁/q₂ (or e^s = D/(1 − D) against q₁/q₂ when `ratio`).
    Infinite exact values are drawn at the edge of the fixed window."""
    axis = _float32(axis)
    low, high = log_ratio_range(exact)
    exact_drawn = np.clip(np.asarray(exact, dtype=np.float64), low, high)
    estimated_drawn = np.asarray(estimated, dtype=np.float64)
    if ratio:
        exact_drawn, estimated_drawn = np.exp(exact_drawn), np.exp(np.minimum(estimated_drawn, high + 1))
        low, high = 0.0, min(math.exp(high), 20.0)
    figure = go.Figure()
    _shade_untrusted(figure, axis, trusted)
    figure.add_trace(go.Scatter(x=axis, y=_float32(exact_drawn), name="exact " + ("q₁/q₂" if ratio else
                                "log q₁/q₂"), line={"color": MUTED_COLOR, "width": 3, "dash": "dash"}))
    figure.add_trace(go.Scatter(x=axis, y=_float32(estimated_drawn), name="classifier: " + (
        "D/(1 − D)" if ratio else "logit s(x)"), line={"color": ACCENT_COLOR, "width": 3}))
    figure.update_xaxes(title_text="x", range=[float(axis[0]), float(axis[-1])])
    figure.update_yaxes(title_text="q₁/q₂" if ratio else "log q₁/q₂", range=[low, high])
    return _layout(figure, title="Density ratio: estimate vs exact" if ratio else
                   "Log density ratio: estimate vs exact")


def heatmap_limit(exact, trusted) -> float:
    """A symmetric colour range that shows the trusted region's contrast: the largest |exact log-ratio| where
    both distributions have mass (values beyond it saturate)."""
    inside = np.asarray(exact, dtype=np.float64)[np.asarray(trusted, dtype=bool)]
    inside = inside[np.isfinite(inside)]
    return float(np.clip(np.abs(inside).max() if inside.size else 1.0, 0.5, LOG_RATIO_LIMIT))


def log_ratio_heatmap(axis, values, trusted, *, limit: float, title: str) -> go.Figure:
    """A log-ratio on the plane (orange: q₂ dominates, blue: q₁ dominates) with a dotted contour around the
    region where both distributions have mass."""
    axis = _float32(axis)
    size = len(axis)
    drawn = np.clip(np.asarray(values, dtype=np.float64), -limit, limit).reshape(size, size)
    figure = go.Figure()
    figure.add_trace(go.Heatmap(x=axis, y=axis, z=_float32(drawn), zmin=-limit, zmax=limit,
                                colorscale=CRITIC_COLORSCALE,
                                colorbar={"title": {"text": "log q₁/q₂", "side": "right"}}))
    figure.add_trace(go.Contour(x=axis, y=axis, z=_float32(np.asarray(trusted).reshape(size, size)),
                                contours={"start": 0.5, "end": 0.5, "size": 1, "coloring": "none"},
                                line={"color": "black", "width": 2, "dash": "dot"}, showscale=False,
                                name="both have mass (inside)", showlegend=True, hoverinfo="skip"))
    figure.update_xaxes(range=[float(axis[0]), float(axis[-1])], title_text="x₁", constrain="domain")
    figure.update_yaxes(range=[float(axis[0]), float(axis[-1])], title_text="x₂", scaleanchor="x",
                        constrain="domain")
    return _layout(figure, title=title)


def samples_2d(samples_numerator, samples_denominator, extent: tuple[float, float]) -> go.Figure:
    """Samples of q₁ and q₂ in the plane."""
    figure = go.Figure()
    for samples, name, color in ((samples_numerator, "q₁ (label 1)", REAL_COLOR),
                                 (samples_denominator, "q₂ (label 0)", FAKE_COLOR)):
        samples = _float32(samples)
        figure.add_trace(go.Scatter(x=samples[:, 0], y=samples[:, 1], mode="markers", name=name,
                                    marker={"color": color, "size": 5, "opacity": 0.6}))
    figure.update_xaxes(range=list(extent), title_text="x₁", constrain="domain")
    figure.update_yaxes(range=list(extent), title_text="x₂", scaleanchor="x", constrain="domain")
    return _layout(figure, title="Samples of q₁ and q₂")


def kl_curve(steps, estimates, exact_kl: float, smoothed=None) -> go.Figure:
    """E_{q₁}[s(x)] over training (thin: each record; thick: `smoothed`, a running mean) against the exact
    KL(q₁‖q₂) (a note instead of a line when it is ∞)."""
    steps, estimates = _float32(steps), _float32(estimates)
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=steps, y=estimates, name="estimate E<sub>q₁</sub>[s(x)]",
                                line={"color": ACCENT_COLOR, "width": 1 if smoothed is not None else 3},
                                opacity=0.6 if smoothed is not None else 1.0))
    if smoothed is not None:
        figure.add_trace(go.Scatter(x=steps, y=_float32(smoothed), name="running mean (200 steps)",
                                    line={"color": ACCENT_COLOR, "width": 4}))
    if math.isfinite(exact_kl):
        figure.add_hline(y=exact_kl, line={"color": MUTED_COLOR, "width": 3, "dash": "dash"})
        figure.add_trace(go.Scatter(x=[None], y=[None], name=f"exact KL = {exact_kl:.3f}",
                                    line={"color": MUTED_COLOR, "width": 3, "dash": "dash"}))
        finite = estimates[np.isfinite(estimates)]
        top = max(2.0 * exact_kl, float(finite.max()) if finite.size else 0.0, 0.5)
        figure.update_yaxes(range=[min(0.0, float(finite.min()) if finite.size else 0.0), top * 1.05])
    else:
        figure.add_annotation(text="exact KL(q₁‖q₂) = ∞", xref="paper", yref="paper", x=0.02, y=0.95,
                              showarrow=False, font={"color": MUTED_COLOR, "size": 18}, xanchor="left")
    figure.update_xaxes(title_text="step", rangemode="tozero")
    figure.update_yaxes(title_text="KL(q₁‖q₂) in nats")
    return _layout(figure, title="KL estimate over training")


# --- adversarial variational Bayes ---------------------------------------------------------------------------


def _prior_circles(figure: go.Figure) -> None:
    angles = np.linspace(0.0, 2 * math.pi, 121)
    for radius, name in ((1.0, "prior N(0, I): 1σ, 2σ"), (2.0, None)):
        figure.add_trace(go.Scatter(x=_float32(radius * np.cos(angles)), y=_float32(radius * np.sin(angles)),
                                    mode="lines", line={"color": MUTED_COLOR, "width": 2, "dash": "dot"},
                                    name=name or "", showlegend=name is not None, hoverinfo="skip"))


def latent_scatter(z, labels, *, title: str, means=None, stds=None) -> go.Figure:
    """Samples z ~ q(z|x) coloured by x, over the prior's 1σ and 2σ circles; with `means` and `stds` (a
    Gaussian encoder), each posterior's 2σ ellipse as well."""
    z, labels = _float32(z), np.asarray(labels)
    figure = go.Figure()
    _prior_circles(figure)
    angles = np.linspace(0.0, 2 * math.pi, 61)
    for category in range(int(labels.max()) + 1 if labels.size else 0):
        color = SERIES_COLORS[category % len(SERIES_COLORS)]
        chosen = z[labels == category]
        figure.add_trace(go.Scatter(x=chosen[:, 0], y=chosen[:, 1], mode="markers", name=f"x = e{category + 1}",
                                    marker={"color": color, "size": 5, "opacity": 0.55}))
        if means is not None and stds is not None:
            mean, std = np.asarray(means)[category], np.asarray(stds)[category]
            figure.add_trace(go.Scatter(x=_float32(mean[0] + 2 * std[0] * np.cos(angles)),
                                        y=_float32(mean[1] + 2 * std[1] * np.sin(angles)), mode="lines",
                                        line={"color": color, "width": 3}, showlegend=False, hoverinfo="skip"))
    figure.update_xaxes(range=[-LATENT_EXTENT, LATENT_EXTENT], title_text="z₁", zeroline=False, constrain="domain")
    figure.update_yaxes(range=[-LATENT_EXTENT, LATENT_EXTENT], title_text="z₂", scaleanchor="x", zeroline=False,
                        constrain="domain")
    return _layout(figure, title=title)


def _is_adversary_estimate(name: str) -> bool:
    return "E<sub>q</sub>[T]" in name or "through T" in name


def _model_line(name: str) -> dict:
    """Each model keeps one colour (VAE: first, AVB: second); log p(x) is dotted, an adversary's estimate thin,
    and the one exact KL (the VAE's) grey and dashed, the reference the estimates are judged against."""
    if name.endswith("exact KL"):
        return {"color": MUTED_COLOR, "width": 3, "dash": "dash"}
    color = SERIES_COLORS[1] if name.startswith("AVB") else SERIES_COLORS[0]
    return {"color": color, "width": 2 if _is_adversary_estimate(name) else 3,
            "dash": "dot" if "log p(x)" in name else "solid"}


def elbo_curves(steps, series: dict[str, np.ndarray], best: float) -> go.Figure:
    """Named curves over training (ELBOs, log-likelihoods) with the best possible value −log 4 as a guide."""
    steps = _float32(steps)
    figure = go.Figure()
    figure.add_hline(y=best, line={"color": MUTED_COLOR, "width": 2, "dash": "dash"})
    figure.add_trace(go.Scatter(x=[None], y=[None], name=f"best possible: −log 4 = {best:.3f}",
                                line={"color": MUTED_COLOR, "width": 2, "dash": "dash"}))
    lowest = best
    for name, values in series.items():
        values = _float32(values)
        figure.add_trace(go.Scatter(x=steps, y=values, name=name, line=_model_line(name),
                                    opacity=0.6 if _is_adversary_estimate(name) else 1.0))
        tail = values[len(values) // 4:][np.isfinite(values[len(values) // 4:])]
        if tail.size:
            lowest = min(lowest, float(np.quantile(tail, 0.02)))
    top = best + 0.15
    for values in series.values():
        finite = _float32(values)[np.isfinite(_float32(values))]
        if finite.size:
            top = max(top, float(finite.max()) + 0.05)   # an estimate through T may exceed −log 4: keep it seen
    figure.update_xaxes(title_text="step", rangemode="tozero")
    figure.update_yaxes(title_text="nats per x", range=[max(lowest - 0.15, -4.0), top])
    return _layout(figure, title="ELBO and log p(x) (higher is better)")


def kl_curves(steps, series: dict[str, np.ndarray]) -> go.Figure:
    """Named KL(q(z|x)‖p(z)) curves: exact or k-NN values against the adversaries' estimates E_q[T]."""
    steps = _float32(steps)
    figure = go.Figure()
    for name, values in series.items():
        figure.add_trace(go.Scatter(x=steps, y=_float32(values), name=name, line=_model_line(name)))
    figure.update_xaxes(title_text="step", rangemode="tozero")
    figure.update_yaxes(title_text="KL(q(z|x) ‖ p(z)) in nats", rangemode="tozero")
    return _layout(figure, title="KL term: adversaries' estimates vs the truth")


# --- whole views from a snapshot (what a page's live view draws) ----------------------------------------------


def ratio_view(snapshot: dict, *, ratio: bool = False) -> list:
    """The density-ratio part: estimate against truth, the distributions, the KL curve, and one line of numbers."""
    axis, trusted = snapshot["grid_axis"], snapshot["trusted"]
    estimated, exact = snapshot["estimated_log_ratio"], snapshot["exact_log_ratio"]
    if snapshot["dimension"] == 1:
        figures = [log_ratio_1d(axis, estimated, exact, trusted, ratio=ratio),
                   densities_1d(axis, snapshot["density_numerator"], snapshot["density_denominator"], trusted)]
    else:
        limit = heatmap_limit(exact, trusted)
        figures = [log_ratio_heatmap(axis, estimated, trusted, limit=limit, title="Classifier logit s(x)"),
                   log_ratio_heatmap(axis, exact, trusted, limit=limit, title="Exact log q₁(x)/q₂(x)"),
                   samples_2d(snapshot["samples_numerator"], snapshot["samples_denominator"], snapshot["extent"])]
    figures.append(kl_curve(snapshot["history_step"], snapshot["history_kl_estimate"], snapshot["exact_kl"],
                            snapshot["history_kl_smoothed"]))
    error = np.abs(np.asarray(estimated, dtype=np.float64) - exact)[np.asarray(trusted, dtype=bool)]
    exact_text = "∞" if math.isinf(snapshot["exact_kl"]) else f"{snapshot['exact_kl']:.3f}"
    steps = np.asarray(snapshot["history_step"])
    window = steps[-SMOOTHING_RECORDS:]  # the records the smoothed estimate averages
    if snapshot["step"] == 0:
        over = "the untrained classifier"  # not "the mean of the last 200 steps" before any step
    else:
        first, last = int(window[0]), int(window[-1])
        over = f"mean over steps {first:,}–{last:,}" if len(window) > 1 else f"recorded at step {last:,}"
    summary = (f"KL estimate **{snapshot['kl_estimate_smoothed']:.3f}** nats ({over}) "
               f"against exact **{exact_text}** · mean "
               f"|s(x) − log q₁/q₂| where both have mass: **{error.mean():.3f}**" if error.size else "")
    verdict = ratio_verdict(snapshot["kl_estimate_smoothed"], snapshot["exact_kl"], estimated, exact, trusted)
    return [f"{summary}. {verdict}" if summary else verdict, *figures]


def avb_view(snapshot: dict) -> list:
    """The AVB part: the numbers and their comparisons (computed with the snapshot), both latent spaces side by
    side, the ELBO curves and the KL term against its estimates."""
    steps = snapshot["history_step"]
    return [
        snapshot["summary"],
        latent_scatter(snapshot["vae_z"], snapshot["labels"], title="VAE: Gaussian q(z|x), 2σ ellipses",
                       means=snapshot["vae_means"], stds=snapshot["vae_stds"]),
        latent_scatter(snapshot["avb_z"], snapshot["labels"], title="AVB: implicit q(z|x) = g(x, ε)"),
        elbo_curves(steps, {"VAE ELBO (exact KL)": snapshot["history_vae_elbo"],
                            "AVB ELBO (k-NN KL)": snapshot["history_avb_elbo"],
                            "AVB through T (estimate)": snapshot["history_avb_elbo_adversary"],
                            "VAE log p(x)": snapshot["history_vae_log_likelihood"],
                            "AVB log p(x)": snapshot["history_avb_log_likelihood"]}, snapshot["best_elbo"]),
        kl_curves(steps, {"VAE: exact KL": snapshot["history_vae_kl"],
                          "VAE: E<sub>q</sub>[T]": snapshot["history_vae_kl_adversary"],
                          "AVB: k-NN KL": snapshot["history_avb_kl"],
                          "AVB: E<sub>q</sub>[T]": snapshot["history_avb_kl_adversary"]}),
    ]

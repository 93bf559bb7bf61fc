"""Figures for the WGAN page: critic weights against the clipping box, estimates against the exact W₁, and
per-layer gradient norms of a deep critic. Plain figure dicts (live-redrawn), like `figures.training`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from playground.figures import ACCENT_COLOR, FAKE_COLOR, MUTED_COLOR, REAL_COLOR, SERIES_COLORS, bottom_legend
from playground.figures.training import Figure, decimate, layout, samples_and_critic

RUN_COLORS = {"WGAN (clip c)": FAKE_COLOR, "WGAN-GP": REAL_COLOR, "Classic GAN": ACCENT_COLOR}


def weight_histogram(weights: np.ndarray, clip_value: float | None, *, title: str, bins: int = 60,
                     height: int = 300) -> Figure:
    """Histogram of critic weights; with clipping, dashed walls at ±c where the mass piles up."""
    span = clip_value * 1.15 if clip_value else float(np.abs(weights).max(initial=1e-3)) * 1.05
    counts, edges = np.histogram(weights, bins=bins, range=(-span, span))
    centres = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
    shapes = []
    if clip_value:
        shapes = [{"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper",
                   "line": {"color": "#d62728", "dash": "dash", "width": 2}} for x in (-clip_value, clip_value)]
    trace = {"type": "bar", "x": centres, "y": counts.astype(np.float32), "marker": {"color": MUTED_COLOR},
             "width": float(edges[1] - edges[0]), "name": "weights"}
    return {"data": [trace], "layout": layout(title, height, shapes=shapes, showlegend=False, bargap=0,
                                              xaxis={"title": {"text": "weight value"}},
                                              yaxis={"title": {"text": "count"}})}


def estimates_against_truth(runs: dict[str, dict[str, Any]], *, note: str = "", height: int = 480) -> Figure:
    """WGAN paper, Figs. 3–4: each WGAN critic's estimate E f(x) − E f(G(z)), the exact W₁ between real and
    generated samples (POT), and the classic discriminator's JSD estimate ½(log 4 − L_D) on a second axis;
    `note` (e.g. `wgan.jsd_note`) is printed under the title."""
    traces = []
    lowest_jsd = 0.0
    for name, run in runs.items():
        color = RUN_COLORS.get(name, SERIES_COLORS[len(traces) % len(SERIES_COLORS)])
        history = run["history"]
        if name == "Classic GAN":
            steps, loss = decimate(history["step"], history["critic_loss"])
            estimate = 0.5 * (math.log(4) - loss)
            lowest_jsd = min(lowest_jsd, float(np.min(estimate, initial=0.0)))
            traces.append({"type": "scatter", "mode": "lines", "x": steps, "y": estimate,
                           "name": f"{name}: JSD estimate", "yaxis": "y2",
                           "line": {"color": color, "width": 2.5, "dash": "dot"}})
        else:
            steps, gap = decimate(history["step"], history["critic_gap"])
            traces.append({"type": "scatter", "mode": "lines", "x": steps, "y": gap,
                           "name": f"{name}: estimate (solid)", "line": {"color": color, "width": 3}})
        exact = run["exact_w1"]
        traces.append({"type": "scatter", "mode": "lines+markers", "x": exact[:, 0].astype(np.float32),
                       "y": exact[:, 1].astype(np.float32), "name": f"{name}: exact W₁ (dashed)",
                       # the run's hue, dashed with ◆ markers: told apart from its estimate's solid line
                       "line": {"color": color, "width": 2, "dash": "dash"},
                       "marker": {"size": 7, "symbol": "diamond", "color": color}})
    last_step = max(1, max(run["step"] for run in runs.values()))
    traces.append({"type": "scatter", "mode": "lines", "x": [0, last_step], "y": [math.log(2)] * 2, "yaxis": "y2",
                   "name": "ln 2", "line": {"color": MUTED_COLOR, "dash": "dash"}})
    return {"data": traces, "layout": layout(
        "Estimates against the exact W₁ of the samples (POT)" + (f"<br><sup>{note}</sup>" if note else ""), height,
        xaxis={"title": {"text": "generator step"}},
        yaxis={"title": {"text": "W₁, estimates"}, "rangemode": "tozero"},
        # plotly.js 3+ syncs an overlaying axis's ticks with its partner's by default (0.04, 0.211, …): own ticks
        yaxis2={"title": {"text": "JSD estimate"}, "overlaying": "y", "side": "right", "range": [lowest_jsd * 1.1, 0.8],
                "tickmode": "auto", "showgrid": False},
        # two entries a row (also at 1.3× in lecture mode), pinned to the figure's bottom edge: below the axis
        # title however tall the plot is
        legend=bottom_legend(entrywidth=0.5, entrywidthmode="fraction"),
        margin={"l": 60, "r": 60, "t": 80 if note else 50, "b": 150},
        meta={"full_row": True},  # the live grid gives it the whole row: seven legend entries need the width
    )}


def layer_gradient_profile(profile: dict[str, np.ndarray], *, height: int = 420) -> Figure:
    """Gulrajani et al. 2017, Fig. 1b: log gradient norm with respect to each critic layer's activations; as in
    the paper, the last layer (the score) is on the left, so the gradient flows left to right."""
    traces = []
    notes = []
    for index, (label, norms) in enumerate(profile.items()):
        norms = np.asarray(norms, dtype=np.float64)
        shown = np.where(norms > 0, norms, np.nan)
        zeros = int((norms == 0).sum())
        if zeros:  # a log axis cannot draw 0: say so, or a nearly empty series looks like a drawing bug
            where = "every layer" if zeros == len(norms) else f"{zeros} of {len(norms)} layers"
            notes.append(f"{label}: exactly 0 at {where} (vanished below float32's range)")
        traces.append({"type": "scatter", "mode": "lines+markers", "x": np.arange(1, len(norms) + 1),
                       "y": shown, "name": label,
                       "line": {"color": SERIES_COLORS[index % len(SERIES_COLORS)], "width": 3}})
    last = max((len(norms) for norms in profile.values()), default=1)
    annotations = [{"text": note, "xref": "paper", "yref": "paper", "x": 0.01, "y": 0.02 + 0.07 * i,
                    "showarrow": False, "xanchor": "left", "font": {"size": 13}} for i, note in enumerate(notes)]
    return {"data": traces, "layout": layout(
        "Gradient of the critic loss with respect to each layer's activations", height + 60, annotations=annotations,
        legend=bottom_legend(), margin={"l": 60, "r": 20, "t": 60, "b": 130},  # four entries: below, not on the title
        xaxis={"title": {"text": f"critic layer ℓ (1 = first hidden layer, {last} = the score)"}, "dtick": 1,
               "autorange": "reversed"},
        # automargin: labels like 10⁻²¹ are wide, and the axis title was printed over them
        yaxis={"title": {"text": "‖∂L/∂h<sub>ℓ</sub>‖ (log)", "standoff": 12}, "type": "log", "exponentformat": "power",
               "automargin": True},
    )}


def comparison_view(snapshot: dict[str, Any]) -> list[Figure]:
    """The WGAN page's live charts from a `wgan.WganComparison` snapshot: the clipped WGAN's and WGAN-GP's samples
    over their critics, both critics' weights (the clipped one's walls at ±c), and every run's estimate against
    its exact W₁ (titled with the classic discriminator's JSD note)."""
    runs = snapshot["runs"]
    clip_run, gp_run = runs["WGAN (clip c)"], runs["WGAN-GP"]
    return [
        samples_and_critic(clip_run, title=f"WGAN, clip c = {clip_run['config'].clip_value:g}", height=440),
        samples_and_critic(gp_run, title="WGAN-GP", height=440),
        weight_histogram(clip_run["weights"], clip_run["config"].clip_value,
                         title="Clipped critic's weights (walls at ±c)"),
        weight_histogram(gp_run["weights"], None, title="WGAN-GP critic's weights"),
        estimates_against_truth(runs, note=snapshot["jsd_note"]),
    ]

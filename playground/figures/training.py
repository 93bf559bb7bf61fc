"""Figures of a GAN run, built from a `Trainer.snapshot()`: samples over the critic, training curves and the
mode-occupancy raster.

The live view redraws these ~10 times a second, so they are plain plotly figure dicts (no validation pass)
with float32 numpy arrays that the live component ships as binary.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from playground.figures import (
    ACCENT_COLOR,
    CRITIC_COLORSCALE,
    FAKE_COLOR,
    FIGURE_HEIGHT,
    FONT_SIZE,
    MUTED_COLOR,
    REAL_COLOR,
    bottom_legend,
    nice_ticks,
    positive_finite,
)

Figure = dict[str, Any]
MAX_CURVE_POINTS = 300  # per series: keeps a frame small (payload) while the curve stays smooth
ARROW_FRACTION = 0.06   # the longest gradient arrow spans this share of the plot window


def layout(title: str = "", height: int = FIGURE_HEIGHT, **extra) -> dict[str, Any]:
    """The house look as a plain layout dict (the dict twin of `figures.base_layout`)."""
    return {
        "title": {"text": title, "x": 0.02, "xanchor": "left"},
        "height": height,
        "font": {"size": FONT_SIZE},
        "template": "plotly_white",
        "plot_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 60 if title else 20, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1.0},
        "uirevision": "keep",  # the user's zoom survives live updates
        **extra,
    }


def decimate(*columns: np.ndarray, limit: int = MAX_CURVE_POINTS) -> list[np.ndarray]:
    """Every k-th point of each column (and always the last), so no series exceeds `limit` points."""
    n = len(columns[0])
    if n <= limit:
        return [np.asarray(c, dtype=np.float32) for c in columns]
    index = np.unique(np.concatenate([np.linspace(0, n - 1, limit).astype(int), [n - 1]]))
    return [np.asarray(c, dtype=np.float32)[index] for c in columns]


def _arrow_segments(origin: np.ndarray, direction: np.ndarray, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """Line segments origin → origin + scaled direction, separated by NaN breaks, as one trace's x and y."""
    length = np.linalg.norm(direction, axis=1)
    scale = ARROW_FRACTION * 2 * extent / max(float(length.max(initial=0.0)), 1e-12)
    tips = origin + scale * direction
    x = np.stack([origin[:, 0], tips[:, 0], np.full(len(origin), np.nan)], axis=1).ravel()
    y = np.stack([origin[:, 1], tips[:, 1], np.full(len(origin), np.nan)], axis=1).ravel()
    return x.astype(np.float32), y.astype(np.float32)


def centred_critic(surface: np.ndarray) -> tuple[np.ndarray, float]:
    """f(x) minus its median over the view, and the half-width of a symmetric colour scale around 0.

    A critic has an arbitrary offset: a scale centred on f = 0 can paint the whole map one colour and hide the
    slope, which is the thing to see. A flat critic gets a ±1 scale rather than a zero-width one."""
    values = np.asarray(surface, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return values, 1.0
    centred = values - float(np.median(finite))
    spread = float(np.abs(centred[np.isfinite(centred)]).max())
    return centred, spread if spread > 0 else 1.0


def outside_note(outside: int, total: int) -> str:
    """"N of M / samples outside / the view" on three short lines: one line was wider than WGAN's 212-px plots."""
    return f"{outside:,} of {total:,}<br>samples outside<br>the view"


def samples_and_critic(snapshot: dict[str, Any], *, title: str | None = None, height: int = 520) -> Figure:
    """Real (blue) and generated (orange) points over D(x) — or the critic's f(x) — as a heat map, with the
    direction the generator's loss pushes each fake point as a short line."""
    extent = float(snapshot["extent"])
    probabilistic = bool(snapshot["probabilistic"])
    surface = snapshot["surface"]
    if probabilistic:
        zrange = {"zmin": 0.0, "zmax": 1.0}
        colorbar_title = "D(x)"
    else:
        surface, spread = centred_critic(surface)
        zrange = {"zmin": -spread, "zmax": spread}
        colorbar_title = "f(x) − median f"
    arrow_x, arrow_y = _arrow_segments(snapshot["arrow_origin"], snapshot["arrow_direction"], extent)
    axis = snapshot["grid_axis"]
    traces = [
        {"type": "heatmap", "x": axis, "y": axis, "z": surface, "colorscale": CRITIC_COLORSCALE,
         "colorbar": {"title": {"text": colorbar_title, "side": "right"}, "thickness": 14}, "hoverinfo": "skip",
         "name": colorbar_title, "showscale": True, **zrange},
        {"type": "scattergl", "mode": "markers", "name": "real x ~ π", "x": snapshot["real"][:, 0],
         "y": snapshot["real"][:, 1], "marker": {"color": REAL_COLOR, "size": 5, "opacity": 0.7},
         "hoverinfo": "skip"},
        {"type": "scattergl", "mode": "markers", "name": "fake G(z)", "x": snapshot["fake"][:, 0],
         "y": snapshot["fake"][:, 1], "marker": {"color": FAKE_COLOR, "size": 5, "opacity": 0.8},
         "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": "−∇ₓ generator loss", "x": arrow_x, "y": arrow_y,
         "line": {"color": "rgba(30, 30, 30, 0.55)", "width": 1.2}, "hoverinfo": "skip"},
    ]
    window = [-extent, extent]
    if title is None:
        kind = "D(x) = σ(s(x))" if probabilistic else "critic f(x)"
        title = f"Samples over {kind} · step {snapshot['step']:,}"
    annotations = []
    fake = np.asarray(snapshot["fake"], dtype=np.float64)
    outside = int((~(np.abs(fake) <= extent).all(axis=1)).sum())  # NaN counts as outside
    if outside:  # the axes stay fixed (the picture must not jump while it plays): say what left them
        # placed on the axes' own domain: the square window narrows the plot inside the paper, and a paper-placed
        # note began over the y tick labels
        annotations.append({"text": outside_note(outside, len(fake)), "x": 0.01, "y": 0.99, "align": "left",
                            "xref": "x domain", "yref": "y domain", "xanchor": "left", "yanchor": "top",
                            "showarrow": False, "bgcolor": "rgba(255, 255, 255, 0.8)",
                            "font": {"size": FONT_SIZE - 3, "color": "#222222"}})
    return {"data": traces, "layout": layout(
        title, height, annotations=annotations,
        # pinned to the figure's bottom edge, so it never covers the x tick labels (it did at 440 px and in lecture
        # mode, where it sat a fixed share of the plot's height below the axis)
        legend=bottom_legend(),
        # tick labels, then three legend rows (one entry a row on a 440-px chart: at b = 100 they covered the tick
        # labels); a two-line title (Compare's run settings) needs room above the plot
        margin={"l": 50, "r": 10, "t": 70 if "<br>" in title else 50, "b": 125},
        # a square window: whichever axis has room to spare gives it up (with x alone constrained, a plot taller
        # than wide stretched the y range past the data window)
        xaxis={"range": window, "zeroline": False, "constrain": "domain"},
        yaxis={"range": window, "zeroline": False, "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
    )}


def _panel(index: int, columns: int = 2, rows: int = 2, gap: float = 0.16, row_gap: float = 0.24
           ) -> tuple[list[float], list[float]]:
    """x and y domains of panel `index` (row-major, top-left first) in a rows × columns grid. Rows are further
    apart than columns: a row's step labels and the next row's titles sit between them."""
    row, column = divmod(index, columns)
    width, height = (1 - gap * (columns - 1)) / columns, (1 - row_gap * (rows - 1)) / rows
    x0 = column * (width + gap)
    y1 = 1 - row * (height + row_gap)
    return [x0, x0 + width], [y1 - height, y1]


def training_curves(snapshot: dict[str, Any], *, height: int = 560) -> Figure:
    """Four panels over steps: both losses; mean D(x) and D(G(z)); gradient norms (log); mode coverage."""
    history = snapshot["history"]
    probabilistic = snapshot["probabilistic"]
    steps, *series = decimate(history["step"], history["critic_loss"], history["generator_loss"],
                              history["d_real"], history["d_fake"], history["critic_grad_norm"],
                              history["generator_grad_norm"])
    critic_loss, generator_loss, d_real, d_fake, critic_grad, generator_grad = series
    critic_grad, generator_grad = np.maximum(critic_grad, 1e-12), np.maximum(generator_grad, 1e-12)  # log axis
    coverage_steps, captured, quality = decimate(snapshot["coverage_step"], snapshot["modes_captured"],
                                                 snapshot["high_quality"])
    real_name, fake_name = ("mean D(x)", "mean D(G(z))") if probabilistic else ("mean f(x)", "mean f(G(z))")

    def line(x, y, name, color, axis, dash="solid"):
        return {"type": "scattergl", "mode": "lines", "x": x, "y": y, "name": name, "xaxis": f"x{axis}",
                "yaxis": f"y{axis}", "line": {"color": color, "width": 2.5, "dash": dash}}

    traces = [
        line(steps, critic_loss, "D loss", REAL_COLOR, 1), line(steps, generator_loss, "G loss", FAKE_COLOR, 1),
        line(steps, d_real, real_name, REAL_COLOR, 2, "dot"), line(steps, d_fake, fake_name, FAKE_COLOR, 2, "dot"),
        line(steps, critic_grad, "‖∇D‖", REAL_COLOR, 3, "dash"),
        line(steps, generator_grad, "‖∇G‖", FAKE_COLOR, 3, "dash"),
        line(coverage_steps, captured, "modes captured", ACCENT_COLOR, 4),
        {**line(coverage_steps, 100 * quality, "% high quality", MUTED_COLOR, 4, "dot"), "yaxis": "y5"},
    ]
    titles = ["losses", real_name.replace("mean ", "") + " and " + fake_name.replace("mean ", ""),
              "‖∇‖ (log)", f"modes (of {len(snapshot['modes'])})"]
    axes: dict[str, Any] = {}
    annotations = []
    for index in range(4):
        x_domain, y_domain = _panel(index)
        suffix = "" if index == 0 else str(index + 1)
        # few, short, level step labels (500, 1k, 1.5k): enlarged in lecture mode, four labels turned on end and ran
        # into the titles of the panels below
        axes[f"xaxis{suffix}"] = {"domain": x_domain, "anchor": f"y{suffix}", "nticks": 3, "tickangle": 0,
                                  "tickformat": "~s"}
        axes[f"yaxis{suffix}"] = {"domain": y_domain, "anchor": f"x{suffix}"}
        annotations.append({"text": f"<b>{titles[index]}</b>", "x": sum(x_domain) / 2, "y": y_domain[1],
                            "xref": "paper", "yref": "paper", "showarrow": False, "yanchor": "bottom",
                            "yshift": 10, "font": {"size": FONT_SIZE - 2}})
    # a label a decade ("2" and "5" between them collided over many decades). Where that leaves fewer than two
    # labels on the norms' span: the 1, 2 and 5 of each decade, labelled in full (plotly's own 1-2-5 ticks read
    # "5 2 1 5 2", 5 and 0.5 alike), or else round, evenly spaced values (within a factor of ~3 one "1" was left)
    norms = positive_finite(critic_grad, generator_grad)  # none before the first step: plotly's range is 0.1-10k
    axes["yaxis3"].update(type="log", dtick=1)
    low, high = (float(norms.min()), float(norms.max())) if len(norms) else (None, None)
    if low is not None and len(_log_ticks(low, high, (1,))) < 2:
        ticks = _log_ticks(low, high, (1, 2, 5))
        ticks = ticks if len(ticks) >= 2 else nice_ticks(low, high, count=4)  # 0.8, 1, 1.2: room for 4
        axes["yaxis3"].update(tickmode="array", tickvals=ticks, ticktext=[f"{tick:g}" for tick in ticks])
    # modes on the left from 0 to M, so a collapse reads as a low line; the share of high-quality samples (0-100 %)
    # on its own right-hand axis, so it no longer squeezes the modes line to the bottom when it is high
    modes = len(snapshot["modes"])
    axes["yaxis4"].update(range=[0, modes + 0.3], nticks=5)
    axes["yaxis5"] = {"overlaying": "y4", "side": "right", "anchor": "x4", "range": [0, 100], "showgrid": False,
                      "tickmode": "linear", "tick0": 0, "dtick": 50, "ticksuffix": "%",
                      "tickfont": {"color": MUTED_COLOR}}
    legend = {"orientation": "h", "y": -0.1, "x": 0.0,  # two entries a row, also when lecture mode enlarges them
              "entrywidth": 0.5, "entrywidthmode": "fraction"}
    return {"data": traces, "layout": layout("", height, annotations=annotations, showlegend=True, legend=legend,
                                             **axes, margin={"l": 60, "r": 64, "t": 30, "b": 90})}


def _log_ticks(low: float, high: float, mantissas: tuple[int, ...]) -> list[float]:
    """m × 10ᵏ for each mantissa m, from `low` to `high`."""
    powers = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    return [float(f"{m * 10.0**power:.12g}") for power in powers for m in mantissas if low <= m * 10.0**power <= high]


OCCUPANCY_FLOOR = 0.01  # the colour scale's top is at least a 1 % share: at step 0 (no samples on a mode) it read "1µ"


def mode_occupancy(snapshot: dict[str, Any], *, height: int = 300) -> Figure:
    """Mode × time raster: the share of samples at each mode at each coverage checkpoint. A collapsed
    generator is one bright row; mode hopping is a bright cell that jumps between rows."""
    occupancy = np.asarray(snapshot["occupancy"], dtype=np.float32)  # [checkpoints, modes]
    steps = np.asarray(snapshot["coverage_step"], dtype=np.float32)
    if len(steps) > MAX_CURVE_POINTS:
        index = np.linspace(0, len(steps) - 1, MAX_CURVE_POINTS).astype(int)
        occupancy, steps = occupancy[index], steps[index]
    modes = np.arange(occupancy.shape[1], dtype=np.float32) + 1
    trace = {"type": "heatmap", "x": steps, "y": modes, "z": np.ascontiguousarray(occupancy.T),
             "colorscale": "Viridis", "zmin": 0.0, "zmax": float(max(occupancy.max(initial=0.0), OCCUPANCY_FLOOR)),
             "colorbar": {"title": {"text": "share", "side": "right"}, "thickness": 14},
             "hovertemplate": "step %{x}<br>mode %{y}<br>share %{z:.2f}<extra></extra>"}
    return {"data": [trace], "layout": layout(
        "Mode occupancy over time", height,
        xaxis={"title": {"text": "step"}}, yaxis={"title": {"text": "mode"}, "dtick": 1 if len(modes) <= 12 else 5},
    )}


def coverage_comparison(runs: dict[str, dict[str, Any]], *, height: int = 420) -> Figure:
    """Runs side by side over one clock: modes captured (left) and the exact W₁ of their samples (right)."""
    palette = (FAKE_COLOR, REAL_COLOR, ACCENT_COLOR, MUTED_COLOR)
    traces = []
    for index, (name, run) in enumerate(runs.items()):
        color = palette[index % len(palette)]
        steps, captured = decimate(run["coverage_step"], run["modes_captured"])
        traces.append({"type": "scatter", "mode": "lines", "x": steps, "y": captured, "name": f"{name}: modes",
                       "line": {"color": color, "width": 3}, "xaxis": "x", "yaxis": "y"})
        exact = run["exact_w1"]
        traces.append({"type": "scatter", "mode": "lines", "x": exact[:, 0].astype(np.float32),
                       "y": exact[:, 1].astype(np.float32), "name": f"{name}: exact W₁",
                       "line": {"color": color, "width": 3, "dash": "dot"}, "xaxis": "x2", "yaxis": "y2"})
    modes = len(next(iter(runs.values()))["modes"])
    return {"data": traces, "layout": layout(
        "", height,
        xaxis={"domain": [0, 0.44], "title": {"text": "step"}},
        yaxis={"title": {"text": f"modes captured (of {modes})"}, "range": [0, modes + 0.5]},
        xaxis2={"domain": [0.56, 1], "title": {"text": "step"}, "anchor": "y2"},
        yaxis2={"title": {"text": "W₁(real, fake)"}, "anchor": "x2", "rangemode": "tozero"},
        # two entries a row at the figure's bottom edge, below the axis titles; the whole row of the live grid,
        # so the two panels' axis titles have room (at half width the right one ran into the left panel)
        legend=bottom_legend(entrywidth=0.5, entrywidthmode="fraction"),
        margin={"l": 60, "r": 20, "t": 20, "b": 130}, meta={"full_row": True},
    )}


def manifold(view: dict[str, Any], *, height: int = 520) -> Figure:
    """GAN Lab's transformation view from `Trainer.manifold()`: the image of a regular z grid under G as a warped
    mesh over the data, with G(z)'s density shaded. A collapse shows the mesh folding onto one mode."""
    mesh = np.asarray(view["mesh"], dtype=np.float32)
    breaks = np.full((mesh.shape[0], 1, 2), np.nan, dtype=np.float32)
    rows = np.concatenate([mesh, breaks], axis=1).reshape(-1, 2)                     # lines of constant z_second
    columns = np.concatenate([mesh.transpose(1, 0, 2), breaks], axis=1).reshape(-1, 2)  # lines of constant z_first
    lines = np.concatenate([rows, columns])
    edges = np.asarray(view["density_edges"], dtype=np.float32)
    centres = (edges[:-1] + edges[1:]) / 2
    extent = float(view["extent"])
    first, second = view["directions"]
    outside = f" ({view['outside']:.0%} of G(z) outside)" if view["outside"] > 0 else ""
    return {
        "data": [
            {"type": "heatmap", "x": centres, "y": centres, "z": np.asarray(view["density"], dtype=np.float32),
             "colorscale": [[0, "rgba(255,255,255,0)"], [1, FAKE_COLOR]], "showscale": False,
             "name": "G(z) density", "hoverinfo": "skip"},
            {"type": "scattergl", "x": view["real"][:, 0], "y": view["real"][:, 1], "mode": "markers",
             "marker": {"size": 4, "color": REAL_COLOR, "opacity": 0.5}, "name": "data"},
            {"type": "scattergl", "x": lines[:, 0], "y": lines[:, 1], "mode": "lines",
             "line": {"color": "#333333", "width": 1}, "name": f"G on a z grid (z{first + 1}, z{second + 1})",
             "connectgaps": False, "hoverinfo": "skip"},
        ],
        "layout": layout(f"G's image of a z grid{outside}", height,
                         xaxis={"range": [-extent, extent], "scaleanchor": "y", "constrain": "domain"},
                         yaxis={"range": [-extent, extent]}, legend=bottom_legend()),
    }

"""The 1-D GAN drawn as Goodfellow et al. (2014), Fig. 1: data density (black dotted), G's density (green solid),
D(x) (blue dashed) above; below, the z line, the x line and the mapping x = G(z) for a regular grid of z."""

from __future__ import annotations

from typing import Any

import numpy as np

from playground.figures import FONT_SIZE

Figure = dict[str, Any]
DATA_LINE = {"color": "black", "dash": "dot", "width": 3}
GENERATOR_LINE = {"color": "#2ca02c", "width": 3}
DISCRIMINATOR_LINE = {"color": "#1f77b4", "dash": "dash", "width": 3}
MAPPING_COLOR = "#555555"


def _f32(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def discriminator_curve(snapshot: dict[str, Any]) -> tuple[np.ndarray, str]:
    """D(x) for the classic losses; for a critic, f(x) rescaled onto [0, 1] over the window (its level is
    arbitrary: only its slope moves G), with the label saying so."""
    d = np.asarray(snapshot["discriminator"], dtype=np.float64)
    if snapshot["probabilistic"]:
        return d, "D(x)"
    low, high = float(d.min()), float(d.max())
    return (d - low) / max(high - low, 1e-12), "critic f(x), rescaled to [0, 1]"


def _traces(snapshot: dict[str, Any], axes: tuple[str, str, str], legend: bool) -> list[dict[str, Any]]:
    x_axis, density_axis, mapping_axis = axes
    x = snapshot["x"]
    d, d_label = discriminator_curve(snapshot)
    z, generated = np.asarray(snapshot["z"]), np.asarray(snapshot["generated"])
    # Lower panel: z on the line y = 0, x on the line y = 1, one segment per z of the grid (NaN breaks them).
    segments_x = np.column_stack([z, generated, np.full_like(z, np.nan)]).ravel()
    segments_y = np.tile([0.0, 1.0, np.nan], len(z))
    low, high = float(x[0]), float(x[-1])
    common = {"xaxis": x_axis, "showlegend": legend, "hoverinfo": "skip"}
    return [
        {"type": "scatter", "x": _f32(x), "y": _f32(snapshot["p_data"]), "mode": "lines",
         "name": "data p<sub>data</sub>", "line": DATA_LINE, "yaxis": density_axis, "legendgroup": "data", **common},
        {"type": "scatter", "x": _f32(x), "y": _f32(snapshot["p_generator"]), "mode": "lines",
         "name": "generator p<sub>g</sub> (KDE)", "line": GENERATOR_LINE, "yaxis": density_axis, "legendgroup": "g",
         **common},
        {"type": "scatter", "x": _f32(x), "y": _f32(d), "mode": "lines", "name": d_label,
         "line": DISCRIMINATOR_LINE, "yaxis": density_axis, "legendgroup": "d", **common},
        {"type": "scatter", "x": _f32([low, high, np.nan, low, high]), "y": _f32([0, 0, np.nan, 1, 1]),
         "mode": "lines", "line": {"color": "black", "width": 2}, "yaxis": mapping_axis, "name": "z and x lines",
         **{**common, "showlegend": False}},
        {"type": "scatter", "x": _f32(segments_x), "y": _f32(segments_y), "mode": "lines",
         "line": {"color": MAPPING_COLOR, "width": 1.5}, "yaxis": mapping_axis, "name": "x = G(z)",
         "legendgroup": "map", **common},
        {"type": "scatter", "x": _f32(generated), "y": np.ones(len(z), dtype=np.float32), "mode": "markers",
         "marker": {"size": 8, "symbol": "triangle-up", "color": MAPPING_COLOR}, "yaxis": mapping_axis,
         "name": "G(z)", "legendgroup": "map", **{**common, "showlegend": False}},
    ]


def _density_top(snapshot: dict[str, Any]) -> float:
    peak = max(float(np.max(snapshot["p_data"])), float(np.max(snapshot["p_generator"])), 1.0)
    return 1.08 * min(peak, 3 * float(np.max(snapshot["p_data"])))  # a collapsed G's spike does not flatten the rest


def _mapping_axis(domain: list[float], anchor: str) -> dict[str, Any]:
    return {"domain": domain, "range": [-0.25, 1.25], "anchor": anchor, "tickvals": [0, 1], "ticktext": ["z", "x"],
            "showgrid": False, "zeroline": False, "fixedrange": True}


def gan1d_figure(snapshot: dict[str, Any], *, title: str | None = None, height: int = 520) -> Figure:
    """One run's state: densities and D above, the z → x mapping below, on one x axis."""
    low, high = float(snapshot["x"][0]), float(snapshot["x"][-1])
    if title is None:
        title = f"{snapshot['objective_label']}, step {snapshot['step']:,}"
    return {
        "data": _traces(snapshot, ("x", "y", "y2"), legend=True),
        "layout": {
            "title": {"text": title, "x": 0.02, "xanchor": "left"}, "height": height, "font": {"size": FONT_SIZE},
            "template": "plotly_white", "plot_bgcolor": "white", "uirevision": "keep",
            "margin": {"l": 60, "r": 20, "t": 60, "b": 40},
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
            "xaxis": {"range": [low, high], "anchor": "y2", "zeroline": False,
                      "title": {"text": "x (and z, same scale)"}},
            "yaxis": {"domain": [0.34, 1.0], "range": [0, _density_top(snapshot)], "title": {"text": "density, D"}},
            "yaxis2": _mapping_axis([0.0, 0.24], "x"),
        },
    }


def four_panels(panels: dict[str, dict[str, Any]], *, height: int = 460) -> Figure:
    """Fig. 1 (a)–(d) side by side, each panel a `gan1d_figure` in miniature."""
    data: list[dict[str, Any]] = []
    layout: dict[str, Any] = {
        "height": height, "font": {"size": FONT_SIZE}, "template": "plotly_white", "plot_bgcolor": "white",
        "margin": {"l": 40, "r": 10, "t": 70, "b": 40}, "annotations": [],
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "right", "x": 1.0},
    }
    gap = 0.03
    width = (1 - 3 * gap) / 4
    top = max(_density_top(snapshot) for snapshot in panels.values())
    for index, (panel, snapshot) in enumerate(panels.items()):
        n = index + 1
        x_name, y_name, y2_name = f"x{n}", f"y{2 * n - 1}", f"y{2 * n}"
        data += _traces(snapshot, (x_name, y_name, y2_name), legend=index == 0)
        left = index * (width + gap)
        layout[f"xaxis{n}"] = {"domain": [left, left + width], "anchor": y2_name, "zeroline": False,
                               "range": [float(snapshot["x"][0]), float(snapshot["x"][-1])]}
        layout[f"yaxis{2 * n - 1}"] = {"domain": [0.34, 1.0], "range": [0, top], "anchor": x_name,
                                       "showticklabels": index == 0}
        layout[f"yaxis{2 * n}"] = _mapping_axis([0.0, 0.24], x_name)
        layout["annotations"].append({"text": f"({panel})", "x": left + width / 2, "y": 1.0, "xref": "paper",
                                      "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                                      "showarrow": False, "font": {"size": FONT_SIZE + 2}})
    return {"data": data, "layout": layout}


def summary(snapshot: dict[str, Any]) -> str:
    """The two numbers that say how close the run is to the equilibrium, computed from the snapshot."""
    text = "Total variation $\\tfrac12\\int |p_{data} - p_g|\\,dx$ = " + f"**{snapshot['total_variation']:.3f}**"
    if snapshot["probabilistic"]:
        text += (f"; over the data's support, mean |D(x) − ½| = **{snapshot['mean_distance_from_half']:.3f}** and "
                 f"mean |D(x) − D*(x)| = **{snapshot['mean_distance_from_optimal']:.3f}**")
    else:
        text += "; the critic's level is arbitrary (only its slope moves G), so it is drawn rescaled"
    return text + "."


def view(snapshot: dict[str, Any]) -> list:
    return [gan1d_figure(snapshot), summary(snapshot)]

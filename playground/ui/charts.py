"""The live-charts component: plotly figures drawn with Plotly.react on the same DOM nodes (no remount, zoom
kept), from the app's own cut-down plotly.js under ./static; and the copy-link button. The components' code is
in the .js/.css files beside this module."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from playground.ui.url import lecture_mode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# static/plotly-gan.min.js is plotly.js cut down to the trace types below (1.6 MB instead of the full bundle's
# 4.8 MB); tools/plotly_bundle rebuilds it. Served from ./static: no CDN, works in a hall without Wi-Fi.
STATIC_PLOTLY = ROOT / "static" / "plotly-gan.min.js"
LIVE_TRACE_TYPES = frozenset({"scatter", "scattergl", "bar", "heatmap", "contour", "histogram"})
LECTURE_FONT_SCALE = 1.3       # ?lecture=1: chart text grows with the page's (21 px instead of 16 px)
PRELOAD_KEY = "gp_preload_plotly"  # live_charts.css hides the preload component by this key

_live_charts = st.components.v2.component(
    "gan_playground_live_charts", js=(HERE / "live_charts.js").read_text(encoding="utf-8"),
    css=(HERE / "live_charts.css").read_text(encoding="utf-8"), isolate_styles=False)
_copy_link = st.components.v2.component(
    "gan_playground_copy_link", js=(HERE / "copy_link.js").read_text(encoding="utf-8"),
    css=(HERE / "copy_link.css").read_text(encoding="utf-8"), isolate_styles=False)


def _encode(value: Any) -> Any:
    """JSON default for numpy: typed arrays as plotly.js's {dtype, bdata, shape} (binary, ~4 bytes a number)."""
    if isinstance(value, np.ndarray):
        array = np.ascontiguousarray(value, dtype=np.float32 if value.dtype.kind == "f" else value.dtype)
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            array = array.astype(np.float64)  # plotly.js reads NaN breaks from f8 as well; keep them
        spec = {"dtype": {"float32": "f4", "float64": "f8", "int64": "i4", "int32": "i4"}.get(str(array.dtype), "f8"),
                "bdata": base64.b64encode(array.astype(
                    {"int64": np.int32}.get(str(array.dtype), array.dtype)).tobytes()).decode()}
        if array.ndim > 1:
            spec["shape"] = ",".join(map(str, array.shape))
        return spec
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__}")


def figure_json(figure: Any) -> str:
    """A plotly figure (dict spec or graph_objects.Figure) as the JSON string plotly.js reads.

    Raises ValueError for a trace type that the app's plotly.js bundle does not register (it would draw nothing)."""
    if isinstance(figure, Mapping):
        types = {trace.get("type", "scatter") for trace in figure.get("data", ())}
    else:
        types = {trace.type for trace in figure.data}
    if missing := types - LIVE_TRACE_TYPES:
        raise ValueError(f"trace type(s) {', '.join(sorted(missing))} are not in {STATIC_PLOTLY.name}: add them to "
                         "tools/plotly_bundle/entry.js and LIVE_TRACE_TYPES, then rebuild the bundle")
    if isinstance(figure, Mapping):
        # JSON has no NaN: bare NaN/Infinity tokens become null, and only those (never inside a string, where the
        # base64 of a typed array may spell "NaN").
        try:
            return json.dumps(figure, default=_encode, allow_nan=False)  # the common case: nothing to replace
        except ValueError:
            return _NON_FINITE.sub(_null_outside_strings, json.dumps(figure, default=_encode, allow_nan=True))
    return figure.to_json()


_NON_FINITE = re.compile(r'"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b')


def _null_outside_strings(match: re.Match) -> str:
    token = match.group(0)
    return token if token.startswith('"') else "null"


def live_charts(figures: Sequence[Any], *, key: str | None, columns: int = 1,
                on_click: Callable[[float, float], None] | None = None,
                on_paint: Callable[[np.ndarray], None] | None = None, main_height: str | None = None) -> None:
    """Draw figures with Plotly.react on the same DOM nodes: no remount, no flicker, zoom kept.
    A `None` in `figures` leaves that chart as it was drawn last time. `on_click(x, y)` runs, before the next
    script run, when a point is clicked (a heat map cell counts as a point); `on_paint(positions)` makes the first
    chart a canvas: a press, or a press and drag, over its plot area reports the data coordinates it passed as an
    array [k, 2] when the mouse is released (the chart's own zoom-by-dragging is off). Both need a key.
    `main_height="viewport"`: the charts in the grid's first row are as tall as the window below their top (at
    least as tall as the figure asks, at most the window's height), so the page's main chart fills the screen."""
    data = {"figures": [None if f is None else figure_json(f) for f in figures], "columns": columns,
            "font_scale": LECTURE_FONT_SCALE if lecture_mode() else 1}
    if main_height == "viewport":
        data["main_height"] = main_height
    if on_click is None and on_paint is None:
        _live_charts(data=data, key=key)
        return
    if key is None:
        raise ValueError("a chart that reports clicks or painting needs a key")
    callbacks = {}
    if on_click is not None:
        data["clicks"] = True
        callbacks["on_click_change"] = partial(_chart_clicked, key, on_click)
    if on_paint is not None:
        data["paint"] = True
        callbacks["on_paint_change"] = partial(_chart_painted, key, on_paint)
    _live_charts(data=data, key=key, **callbacks)


def chart(figure: Any, *, key: str | None, on_click: Callable[[float, float], None] | None = None,
          on_paint: Callable[[np.ndarray], None] | None = None, main_height: str | None = None) -> None:
    """One static plotly figure (animation frames included), drawn by the live-chart component.

    Used instead of st.plotly_chart, whose own full plotly.js delays a page's first chart; reruns redraw it in
    place, keeping the user's zoom; `on_click`, `on_paint` and `main_height` as in `live_charts`. `key=None` draws
    a new chart each call: a progress chart redrawn several times within one script run (one key may be used
    once per run)."""
    live_charts([figure], key=key, on_click=on_click, on_paint=on_paint, main_height=main_height)


def preload() -> None:
    """An empty live-chart component: placed first on a page, the browser fetches the component's code early and
    starts loading plotly.js while the rest of the page renders, so the first chart appears sooner."""
    _live_charts(data={"figures": [], "columns": 1}, key=PRELOAD_KEY, height=1)


def copy_link_button(width: str = "stretch") -> None:
    """A button that copies the page's address (or shows it, selected, where there is no clipboard)."""
    _copy_link(key="gp_copy_link", width=width)


def _chart_clicked(key: str, on_click: Callable[[float, float], None]) -> None:
    point = st.session_state[key].get("click") or {}
    try:
        x, y = float(point["x"]), float(point["y"])
    except (KeyError, TypeError, ValueError):  # a category axis or a malformed event: nothing to pick
        return
    on_click(x, y)


MAX_PAINT_POSITIONS = 2000  # one stroke's positions taken from the browser; a longer stroke is cut


def _chart_painted(key: str, on_paint: Callable[[np.ndarray], None]) -> None:
    stroke = st.session_state[key].get("paint") or {}
    try:
        positions = np.asarray(stroke["points"], dtype=np.float64)[:MAX_PAINT_POSITIONS]
    except (KeyError, TypeError, ValueError):  # a malformed event: nothing to paint
        return
    if positions.ndim != 2 or positions.shape[1] != 2 or not len(positions):
        return
    positions = positions[np.isfinite(positions).all(axis=1)]
    if len(positions):
        on_paint(positions)

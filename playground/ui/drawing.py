"""The Draw dataset on a page: a brush or eraser on the samples chart, Clear, an upload of points, and a notice
with a JSON download when the drawing is too long for a link. The points live in the settings (`points`, the
link's compact text), so they survive reruns and page switches and travel in the share link."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import streamlit as st

from playground import drawing
from playground.datasets import DRAW_EXTENT, MIN_POINTS, STARTER_DRAWING, check_points
from playground.figures.drawing import canvas
from playground.training import TrainingConfig, dataset_of
from playground.ui.charts import chart
from playground.ui.controls import widget_key

TOOLS = {"brush": "Brush", "eraser": "Eraser"}


def drawn_points(config: TrainingConfig) -> np.ndarray:
    """The Draw dataset's points under `config` (the starter drawing while none are stored)."""
    return drawing.decode(config.points) if config.points else STARTER_DRAWING


def drawing_tools(page: str, config: TrainingConfig) -> tuple[Callable[[Any], None] | None, bool]:
    """For the Draw dataset (nothing otherwise): the tools, and while there are too few points to train on, a
    canvas to paint them on. Returns the brush callback for the live view's samples chart and whether the
    drawing can be trained on."""
    if config.dataset != "draw":
        return None, True
    points = drawn_points(config)
    paint = partial(_paint, page)
    row = st.container(horizontal=True, vertical_alignment="center")
    row.radio("Tool", list(TOOLS), format_func=TOOLS.get, horizontal=True, key=f"{page}.draw_tool",
              help=f"Press and drag on the samples chart: the brush adds {drawing.BRUSH_POINTS} points of spread "
                   f"(std) {drawing.BRUSH_SPREAD:g} around each place it passes, the eraser removes the points "
                   f"within {drawing.ERASER_RADIUS:g}. Each stroke starts a new run.")
    row.button("Clear", key=f"{page}.draw_clear", icon=":material/delete:", on_click=_store,
               args=(page, drawing.EMPTY))
    row.button("Starter drawing", key=f"{page}.draw_starter", icon=":material/scatter_plot:", on_click=_store,
               args=(page, None))
    st.file_uploader("Points from a file: CSV with x,y on each line (a header line is fine), or a drawing saved "
                     "here as JSON", type=["csv", "txt", "json"], key=f"{page}.draw_upload", on_change=_upload,
                     args=(page,))
    if message := st.session_state.pop(f"{page}.draw_message", None):
        (st.error if message[0] == "error" else st.success)(message[1])
    ready = len(points) >= MIN_POINTS
    if ready:
        try:
            st.caption(f"**Your drawing.** {_dataset(page, config).note} Paint on the samples chart below.")
        except ValueError as error:
            st.error(f"This drawing cannot be trained on: {error}")
            ready = False
    if not ready:
        st.info(f"Paint at least {MIN_POINTS} points here (press and drag) or upload a file: "
                f"{len(points)} so far.")
        chart(canvas(points, DRAW_EXTENT), key=f"{page}.draw_canvas", on_paint=paint)
    if config.points and not drawing.fits_in_link(config.points):
        st.warning(f"This drawing takes {len(config.points):,} characters, more than a link holds "
                   f"({drawing.URL_LIMIT:,}): the share link opens the starter drawing instead. Download the "
                   "drawing and load it with the upload box above.")
        st.download_button("Drawing (JSON)", drawing.to_json(points), file_name=f"{page}_drawing.json",
                           mime="application/json", icon=":material/download:", key=f"{page}.draw_json")
    return paint, ready


def _dataset(page: str, config: TrainingConfig):
    """The drawing's dataset, kept while its text is the same (clustering 3,000 points takes most of a second)."""
    cache_key = f"{page}.draw_dataset"
    cached = st.session_state.get(cache_key)
    if cached is None or cached[0] != config.points:
        cached = st.session_state[cache_key] = (config.points, dataset_of(config))
    return cached[1]


def _store(page: str, points) -> None:
    """Put the points into the page's settings; None: the starter drawing (the empty text, so no `points=`)."""
    text = "" if points is None else drawing.encode(drawing.quantise(points))
    st.session_state[widget_key(page, "points")] = text


def _paint(page: str, positions) -> None:
    points = drawn_points(st.session_state[f"{page}.config"])
    if st.session_state.get(f"{page}.draw_tool", "brush") == "eraser":
        _store(page, drawing.erase(points, positions))
        return
    # seeded by what is on the canvas and where the stroke went: the same strokes give the same drawing
    seed = [len(points), *np.round(np.asarray(positions).ravel()[:64] / drawing.QUANTUM).astype(np.int64) % 2**32]
    _store(page, drawing.brush(points, positions, np.random.default_rng(seed)))


def _upload(page: str) -> None:
    upload = st.session_state.get(f"{page}.draw_upload")
    if upload is None:
        return
    try:
        points = check_points(drawing.quantise(drawing.read_file(upload.getvalue())))
    except ValueError as error:
        st.session_state[f"{page}.draw_message"] = ("error", f"Could not use {upload.name}: {error}")
        return
    _store(page, points)
    st.session_state[f"{page}.draw_message"] = ("success", f"Loaded {len(points):,} points from {upload.name}.")

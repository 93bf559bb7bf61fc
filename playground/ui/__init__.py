"""The only streamlit importers in `playground`: what pages use, one job per module.

    charts.py     the live-charts component (JS/CSS in live_charts.js/.css), chart(), figure_json()
    url.py        the only reader/writer of the query parameters: tolerant read, write of owned keys, lecture mode
    page.py       navigation (PAGES), page_header, side_by_side, notes (folded in lecture mode)
    controls.py   controls(): a widget per knob of a settings dataclass, presets, greying, URL round trip
    drawing.py    drawing_tools(): the Draw dataset's brush, eraser, Clear and upload
    experiment.py experiment(): a Run button for an on-demand experiment, with progress; its result kept
    live_view.py  live_view(): play a Steppable run in the background, redraw it, restart or reconfigure it
    tools.py      replay and continue from a frame, download/load a run, export, share; start from a shipped run

A page is layout only:

    settings = ui.controls("divergences", ThetaSettings)
    ui.live_view("divergences.estimators", ParallelLinesEstimators.from_settings, render, settings)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from playground.presets import CHECKPOINT_DIR, PRESETS
from playground.training import Trainer, TrainingConfig
from playground.ui.charts import LIVE_TRACE_TYPES, ROOT, STATIC_PLOTLY, chart, figure_json, live_charts
from playground.ui.controls import TRAINING_GROUPS, controls, load_settings, widget_key
from playground.ui.drawing import drawing_tools
from playground.ui.experiment import experiment
from playground.ui.live_view import GAN_STEP, Render, live_view
from playground.ui.page import PAGES, notes, page_header, side_by_side, sidebar_navigation
from playground.ui.tools import load_run_file, run_file_tools, run_tools, share_link, start_from_file
from playground.ui.url import hidden_controls, lecture_mode, navigation_params

__all__ = [
    "GAN_STEP", "LIVE_TRACE_TYPES", "PAGES", "ROOT", "STATIC_PLOTLY", "TRAINING_GROUPS",
    "chart", "controls", "drawing_tools", "experiment", "figure_json", "hidden_controls", "lecture_mode",
    "live_charts", "live_training", "live_view", "load_run_file", "load_settings", "navigation_params",
    "notes", "page_header", "run_file_tools", "run_tools", "share_link", "side_by_side", "sidebar_navigation",
    "start_from_file", "widget_key",
]


def live_training(page: str, config: TrainingConfig, render: Render, *, columns: int = 2,
                  on_paint: Callable[[Any], None] | None = None, main_height: str | None = None) -> Trainer:
    """The live view of a `Trainer` with D step / G step buttons, and the run tools under it; `on_paint` makes
    the first chart a canvas (the Draw dataset's brush, `drawing_tools`); `main_height` as in `live_view`. Under a
    preset that ships a trained run (`Preset.checkpoint`), a "Start trained" button loads it."""
    preset = PRESETS.get(st.session_state.get(f"{page}.preset"))
    if preset is not None and preset.checkpoint:
        start_from_file(page, f"{page}.live", Trainer, CHECKPOINT_DIR / preset.checkpoint,
                        preset.checkpoint_steps)
    trainer = live_view(f"{page}.live", Trainer, render, config, columns=columns, on_paint=on_paint,
                        main_height=main_height,
                        single_steps={"D step": lambda t: t.critic_step(), "G step": lambda t: t.generator_step()})
    run_tools(page, trainer)
    return trainer



"""The only streamlit importers in `playground`: what pages use, one job per module.

    charts.py     the live-charts component (JS/CSS in live_charts.js/.css), chart(), figure_json()
    url.py        the only reader/writer of the query parameters: tolerant read, write of owned keys, lecture mode
    page.py       navigation (PAGES), page_header, side_by_side, notes (folded in lecture mode)
    controls.py   controls(): a widget per knob of a settings dataclass, presets, greying, URL round trip
    experiment.py experiment(): a Run button for an on-demand experiment, with progress; its result kept
    live_view.py  live_view(): play a Steppable run in the background, redraw it, restart or reconfigure it
    tools.py      replay, export, load settings, share (under a live Trainer); on_demand (a slow measurement)
    legacy.py     THE OLD PATH for pages that still bind widgets to the URL by hand; goes with the last one

A page is layout only:

    settings = ui.controls("divergences", ThetaSettings)
    ui.live_view("divergences.estimators", ParallelLinesEstimators.from_settings, render, settings)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.training import Trainer, TrainingConfig
from playground.ui.charts import LIVE_TRACE_TYPES, ROOT, STATIC_PLOTLY, chart, figure_json, live_charts
from playground.ui.controls import TRAINING_GROUPS, controls, load_settings, widget_key
from playground.ui.experiment import experiment
from playground.ui.legacy import accept_ids_in_link, url_notices
from playground.ui.live_view import GAN_STEP, Render, play_with_token
from playground.ui.live_view import live_view as _live_view
from playground.ui.page import PAGES, notes, page_header, side_by_side, sidebar_navigation
from playground.ui.tools import on_demand, run_tools, share_link
from playground.ui.url import hidden_controls, lecture_mode, navigation_params

__all__ = [
    "GAN_STEP", "LIVE_TRACE_TYPES", "PAGES", "ROOT", "STATIC_PLOTLY", "TRAINING_GROUPS", "accept_ids_in_link",
    "chart", "controls", "experiment", "figure_json", "hidden_controls", "lecture_mode", "live_charts",
    "live_training", "live_view", "load_settings", "navigation_params", "notes", "on_demand", "page_header",
    "run_tools", "share_link",
    "side_by_side", "sidebar_navigation", "url_notices", "widget_key",
]


def live_view(key: str, make_run: Callable[..., Any], render: Render, settings: Any = None, **options: Any) -> Any:
    """`live_view.live_view(key, make_run, render, settings, ...)`: see there. Called without `settings` (with
    `restart_token=`/`update=`), it is THE OLD PATH for pages not yet on `ui.controls`: `make_run()` takes no
    argument and a changed token restarts the run. Export `live_view.live_view` directly once no page does."""
    if settings is None:
        return play_with_token(key, make_run, render, **options)
    return _live_view(key, make_run, render, settings, **options)


def live_training(page: str, config: TrainingConfig, render: Render, *, columns: int = 2,
                  main_height: str | None = None) -> Trainer:
    """The live view of a `Trainer` with D step / G step buttons, and the run tools under it (`main_height` as in
    `live_view`)."""
    trainer = _live_view(f"{page}.live", Trainer, render, config, columns=columns, main_height=main_height,
                         single_steps={"D step": lambda t: t.critic_step(), "G step": lambda t: t.generator_step()})
    run_tools(page, trainer)
    return trainer



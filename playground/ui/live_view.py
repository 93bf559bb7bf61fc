"""The live view: a run (anything `Steppable`) plays in a background `LiveRun` while a fragment redraws it from
snapshots ~12 times a second, under one row of Play/Pause, Step, Reset and Speed controls.

Which changes need a new run comes from the settings' knobs: a changed *restart* field (or another preset)
starts a fresh run, with a toast naming what changed; changed *live* fields go to `run.reconfigure(settings)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import streamlit as st
import torch

from playground.live import LiveRun, Scheduler, Steppable
from playground.settings import field_label, restart_changes
from playground.ui.charts import live_charts
from playground.ui.controls import origin_of
from playground.ui.page import main_slot

# One thread per training run: on 2 cores, intra-op threads fought the server and the browser; small MLPs gain
# nothing from more.
torch.set_num_threads(1)

SPEEDS = {"fastest": None, "1k it/s": 1000, "100 it/s": 100, "10 it/s": 10, "1 it/s": 1}  # short: lecture mode
BUTTON_WIDTH = 124             # px, Play/Pause, Step, Reset: fixed, so the row does not shift when Play turns Pause;
                               # five buttons and the speed box fit one row of a 1366-px laptop's main column
FRAME_SECONDS = 0.08           # the live view asks for a new frame 12.5 times a second
SECONDARY_EVERY = 8            # curves and rasters redraw every 8th frame (~1.5 Hz): the main chart gets the browser
GAN_STEP = "One training step: the critic steps, then one generator step."

Render = Callable[[dict[str, Any]], Sequence[Any]]


@st.cache_resource(show_spinner=False)
def _scheduler() -> Scheduler:
    """One scheduler per server process: every session's training takes turns."""
    return Scheduler()


def _close_all(runs: dict[str, LiveRun]) -> None:
    for live in runs.values():
        live.close(timeout=0.5)
    runs.clear()


@st.cache_resource(scope="session", on_release=_close_all, show_spinner=False)
def _session_runs() -> dict[str, LiveRun]:
    """This session's live runs; released (threads stopped, memory freed) when the tab closes."""
    return {}


def _runs() -> dict[str, LiveRun]:
    try:
        return _session_runs()
    except Exception:  # no session (bare mode): fall back to session state
        return st.session_state.setdefault("_gan_playground_runs", {})


def live_view(key: str, make_run: Callable[[Any], Steppable], render: Render, settings: Any, *,
              columns: int = 2, single_steps: Mapping[str, Callable[[Steppable], Any]] | None = None,
              step_help: str = GAN_STEP, on_paint: Callable[[Any], None] | None = None,
              main_height: str | None = None) -> Steppable:
    """Play / pause / step / reset the run `make_run(settings)` and redraw `render(snapshot)` while it plays.

    `settings` is the page's settings object (from `ui.controls`): on a rerun, changed restart fields or another
    preset start a new run (a toast names them), changed live fields go to the run's `reconfigure`. `render`
    returns plotly figures (dict specs or go.Figure) and markdown strings; `single_steps` adds buttons (label ->
    action on the run); `step_help` says what Step does (a GAN's step by default); `on_paint(positions)` makes
    the first chart a canvas (see `charts.live_charts`), and the page reruns after each stroke.
    `main_height="viewport"`: this is the page's main view; it stands right under the page header, and its first
    row of charts takes its height from the browser window (the screen's height below the chart's top, at least the
    figure's own). Returns the run.
    """
    state_key = f"{key}.settings"
    origin = origin_of(settings)
    previous = st.session_state.get(state_key)
    restart, apply = None, None
    if previous is not None:
        old_settings, old_origin = previous
        if origin != old_origin:
            restart = "Preset changed: started a new run."
        elif changed := restart_changes(old_settings, settings):
            labels = ", ".join(field_label(type(settings), name) for name in changed)
            restart = f"{labels} changed: started a new run."
        elif settings != old_settings:
            apply = lambda run: run.reconfigure(settings)  # noqa: E731 — the run's own thread-safe turn
    st.session_state[state_key] = (settings, origin)
    return play(key, lambda: make_run(settings), render, restart=restart, apply=apply, columns=columns,
                single_steps=single_steps, step_help=step_help, on_paint=on_paint,
                main_height=main_height)


def live_run(key: str) -> LiveRun | None:
    """The live run `live_view(key, …)` plays in this session, if it has started."""
    return _runs().get(key)


def replace_run(key: str, run: Steppable, settings: Any = None) -> LiveRun:
    """Put `run` (loaded from a file, resumed from a replay frame) in place of the live run `key`, paused.

    `settings` (the run's settings, which the caller has put into the page's controls) become the ones the live
    view remembers, with the preset it remembers: the next rerun then finds nothing changed and keeps this run,
    where comparing with the old run's settings would see a "restart" and throw it away. Without `settings` the
    remembered ones stay (a run resumed with the settings the controls show now)."""
    runs = _runs()
    old = runs.get(key)
    if old is not None:
        old.close(timeout=0.5)
    runs[key] = live = LiveRun(run, _scheduler())
    state_key = f"{key}.settings"
    if settings is not None:
        previous = st.session_state.get(state_key)
        st.session_state[state_key] = (settings, previous[1] if previous is not None else None)
    return live


def play(key: str, make_run: Callable[[], Steppable], render: Render, *, restart: str | None = None,
         apply: Callable[[Steppable], Any] | None = None, columns: int = 2,
         single_steps: Mapping[str, Callable[[Steppable], Any]] | None = None,
         step_help: str = GAN_STEP, on_paint: Callable[[Any], None] | None = None,
         main_height: str | None = None) -> Steppable:
    """The controls and the frames of one live run: `restart` (a toast's text) replaces a running run with
    `make_run()`; `apply(run)` runs in the run's turn. `live_view` decides both from the settings; `main_height`
    as there."""
    if main_height not in (None, "viewport"):
        raise ValueError(f"main_height must be None or 'viewport', not {main_height!r}")
    slot = main_slot() if main_height else None
    with slot if slot is not None else contextlib.nullcontext():
        return _play(key, make_run, render, restart=restart, apply=apply, columns=columns, single_steps=single_steps,
                     step_help=step_help, on_paint=on_paint, main_height=main_height)


def _play(key: str, make_run: Callable[[], Steppable], render: Render, *, restart: str | None,
          apply: Callable[[Steppable], Any] | None, columns: int,
          single_steps: Mapping[str, Callable[[Steppable], Any]] | None, step_help: str,
          on_paint: Callable[[Any], None] | None, main_height: str | None) -> Steppable:
    runs = _runs()
    live = runs.get(key)
    if live is not None and restart:
        live.close(timeout=0.5)
        live = None
        st.toast(restart, icon=":material/restart_alt:")
    if live is None:
        live = runs[key] = LiveRun(make_run(), _scheduler())
    # Always through the run's lock: apply publishes a fresh snapshot, so a full rerun draws the run as it is
    # now, not the snapshot the worker last published for a frame that asked.
    live.apply(apply or _unchanged)

    # one row of fixed-width buttons that wraps when the page is narrow (equal columns cut labels in lecture mode)
    row = st.container(horizontal=True, gap="small")
    if row.button("Pause" if live.playing else "Play", key=f"{key}.play", type="primary",
                  icon=":material/pause:" if live.playing else ":material/play_arrow:",
                  width=BUTTON_WIDTH, disabled=bool(live.diverged or live.error)):
        live.pause() if live.playing else live.play()
        st.rerun()
    if row.button("Step", key=f"{key}.step", icon=":material/skip_next:", width=BUTTON_WIDTH,
                  help=step_help):
        live.advance(1)
    for index, (label, action) in enumerate((single_steps or {}).items()):
        if row.button(label, key=f"{key}.single.{index}", width=BUTTON_WIDTH):
            live.apply(action)
    if row.button("Reset", key=f"{key}.reset", icon=":material/restart_alt:", width=BUTTON_WIDTH,
                  help="A fresh run with the same settings."):
        live.close(timeout=0.5)
        runs[key] = LiveRun(make_run(), _scheduler())
        st.rerun()
    speed = row.selectbox("Speed", list(SPEEDS), key=f"{key}.speed", label_visibility="collapsed",
                          icon=":material/speed:", width=BUTTON_WIDTH + 40,
                          help="Slow motion: at most this many training steps a second while playing.")
    live.set_max_rate(SPEEDS[speed])

    run_every = FRAME_SECONDS if live.playing else None
    painted = None if on_paint is None else partial(_painted, key, on_paint)
    st.fragment(_live_frame, run_every=run_every)(key, render, columns, live.playing, bool(single_steps), painted,
                                                  main_height)
    return live.run


def _painted(key: str, on_paint: Callable[[Any], None], positions: Any) -> None:
    """A stroke on the canvas chart: the page's callback, then a full rerun (the fragment's own rerun would not
    rebuild the settings the stroke changed)."""
    on_paint(positions)
    st.session_state[f"{key}.painted"] = True


def _unchanged(run: Steppable) -> None:
    """No setting to apply (`play` still takes the run's lock to publish its snapshot)."""


def _live_frame(key: str, render: Render, columns: int, was_playing: bool, single_steps: bool = False,
                on_paint: Callable[[Any], None] | None = None, main_height: str | None = None) -> None:
    if st.session_state.pop(f"{key}.painted", False):
        st.rerun(scope="app")
    live = _runs().get(key)
    if live is None:
        return
    snapshot = live.snapshot()
    rate = f" · {live.steps_per_second:,.0f} it/s" if live.playing else ""
    updates = ""
    if single_steps and "generator_updates" in snapshot:  # D step / G step move the run but not its step count
        updates = "".join(f" · {count:,} {name} update{'s' if count != 1 else ''}" for name, count in (
            ("D", snapshot["critic_updates"]), ("G", snapshot["generator_updates"])))
    st.markdown(f"**Step {snapshot.get('step', live.step):,}**{updates}{rate}")
    if live.diverged:
        st.error(live.diverged)
    if live.error:
        st.error(f"The run stopped: {live.error}. Press Reset to start again.")
    if live.stopped_idle:
        st.info("Paused because nobody was watching. Press Play to continue.")
    try:
        items = list(render(snapshot))
    except Exception as error:  # a drawing bug must not hide the controls behind a traceback
        st.error(f"This view could not be drawn ({type(error).__name__}: {error}).")
        items = []
    figures = [item for item in items if not isinstance(item, str)]
    for text in (item for item in items if isinstance(item, str)):
        st.markdown(text)
    frame = st.session_state.get(f"{key}.frame", 0) + 1
    st.session_state[f"{key}.frame"] = frame
    if live.playing and frame % SECONDARY_EVERY:
        figures = figures[:1] + [None] * (len(figures) - 1)
    if figures:
        live_charts(figures, key=f"{key}.charts", columns=columns, on_paint=on_paint, main_height=main_height)
    if was_playing and not live.playing:  # it stopped itself (diverged, idle): stop the frame timer
        st.rerun()

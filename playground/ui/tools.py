"""Run tools under a live run: replay recorded frames and continue from one, download and load the run itself,
export (CSV, JSON, GIF), load settings, share a link. `run_file_tools` and `start_from_file` serve any page whose
run is `Checkpointable` and whose `ui.controls` describe the run's settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import streamlit as st

from playground import checkpoint, export
from playground.figures import training as training_figures
from playground.objectives import OBJECTIVES
from playground.settings import parse_settings
from playground.training import MAX_REPLAY_STATES, Trainer
from playground.ui import url
from playground.ui.charts import chart
from playground.ui.controls import load_settings
from playground.ui.live_view import live_run, replace_run

RUN_FILE_TYPES = ["gganrun", "pt"]  # what "Download this run" writes, and torch's usual suffix


def share_link() -> None:
    """The URL of this exact view (page, preset and every changed setting), as a plain link."""
    link = url.current_link()
    # A plain link, not st.code: st.code pulls in a large syntax highlighter and delays the first chart.
    st.markdown(f"[{link}]({link})" if link else "(no address: open the app in a browser)")


def run_tools(page: str, trainer: Trainer, live_key: str | None = None) -> None:
    """Replay (scrub through recorded frames, continue from one), export (CSV, JSON, GIF, the run itself), load a
    run or a config, share a link. `live_key`: the live view's key (`f"{page}.live"` by default).

    The tabs are lazy: only the open tab's content runs, so a first visit neither builds the export files nor
    loads the download/upload widgets' code before the first chart appears."""
    live_key = live_key or f"{page}.live"
    replay, export_tab, share = st.tabs(["Replay", "Export and load", "Share"], key=f"{page}.tools",
                                        on_change="rerun")
    for tab, draw in ((replay, _replay_tab), (export_tab, _export_tab), (share, _share_tab)):
        if tab.open is not False:  # None: no tab state (never in the app); draw everything as plain tabs do
            with tab:
                draw(page, trainer, live_key)


def _replay_tab(page: str, trainer: Trainer, live_key: str) -> None:
    frames = list(trainer.frames)
    kept = set(trainer.replay_states)
    if note := st.session_state.pop(f"{page}.replay_note", None):
        st.success(note)
    if error := st.session_state.pop(f"{page}.replay_error", None):
        st.error(error)
    if len(frames) < 2:
        st.caption("Frames are recorded at every coverage checkpoint: train a few hundred steps to replay.")
        return
    index = st.slider("Frame", 0, len(frames) - 1, len(frames) - 1, key=f"{page}.replay",
                      format=f"%d of {len(frames) - 1}",
                      help="Scrub back and forth through training; the newest frame is on the right.")
    frame = frames[index]
    with_state = sorted(step for step in kept if any(f["step"] == step for f in frames))
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    can_continue = frame["step"] in kept
    row.button("Continue from here", key=f"{page}.continue", icon=":material/fork_right:",
               disabled=not can_continue, on_click=_continue_from_frame, args=(page, live_key, frame["step"]),
               help="A new run from this frame's networks, optimiser and random states, with the settings the "
                    "controls show now (switch the loss first to try a cure); it replaces the run on screen, paused.")
    counted = (f"{len(with_state)} of {len(frames)} frames keep a model state (the newest and at most "
               f"{MAX_REPLAY_STATES} spread over the run)")
    if can_continue:
        row.caption(f"{counted}; this one does.")
    else:
        nearest = sorted(sorted(with_state, key=lambda step: abs(step - frame["step"]))[:2])
        row.caption(f"{counted}; this one does not: the nearest that do are at step "
                    f"{' and '.join(f'{step:,}' for step in nearest)}.")
    chart(training_figures.samples_and_critic(frame, title=f"Replay · step {frame['step']:,}"),
          key=f"{page}.replay_chart")


def _continue_from_frame(page: str, live_key: str, step: int) -> None:
    """The button's callback: replace the live run with the one resumed from the frame at `step`, using the
    settings the live view last applied (the controls' current values)."""
    live = live_run(live_key)
    remembered = st.session_state.get(f"{live_key}.settings")
    if live is None or remembered is None:
        return
    live.pause()
    with live.lock:  # the worker may be finishing a slice; frames and states must not move under us
        trainer = live.run
        index = next((i for i, frame in enumerate(trainer.frames) if frame["step"] == step), None)
        try:
            if index is None:
                raise ValueError(f"The frame at step {step:,} is no longer kept (the replay thins old frames).")
            resumed = trainer.resume_from_frame(index, remembered[0])
        except ValueError as error:
            st.session_state[f"{page}.replay_error"] = f"Could not continue: {error} The run on screen is unchanged."
            return
    replace_run(live_key, resumed)
    st.session_state[f"{page}.replay"] = len(resumed.frames) - 1
    st.session_state[f"{page}.replay_note"] = (
        f"Continued from step {step:,} with the loss {OBJECTIVES[resumed.config.objective].label} and the other "
        "settings the controls show. Press Play.")


def run_file_tools(page: str, live_key: str, run_class: type, *,
                   settings_of: Callable[[Any], Any] = lambda run: run.config, load: bool = True) -> None:
    """"Download this run" (the live run's `to_bytes()`, named after the page and step) and "Load a run" (a file
    uploader that replaces the live run, paused at its step, and puts `settings_of(run)` into the controls of
    `page`). A file that cannot be loaded leaves the run as it is and says why in an error box. `load=False`:
    the download only, for a page whose controls cannot show every run of its kind (still loadable in a
    notebook with `run_class.load`)."""
    live = live_run(live_key)
    if live is None:
        return
    if error := st.session_state.pop(f"{page}.run_file_error", None):
        st.error(error)
    left, right = st.columns([1, 2])
    help_text = ("The whole run in one file (settings, networks, optimiser and random states, step, metric "
                 f"history): load it {'here or ' if load else ''}with `{run_class.__name__}.load(path)` in a "
                 "notebook to continue it.")
    if live.playing:  # the name and the contents must be the step on screen
        left.download_button("Download this run", b"", key=f"{page}.run_download", disabled=True,
                             icon=":material/download:", help=f"Pause first. {help_text}")
    else:
        def data(live=live) -> bytes:  # serialised on the click only: a Many-seeds run is megabytes
            with live.lock:
                return live.run.to_bytes()
        left.download_button("Download this run", data,
                             file_name=f"{page}_step{live.run.step}.{RUN_FILE_TYPES[0]}",
                             mime="application/octet-stream", key=f"{page}.run_download", on_click="ignore",
                             icon=":material/download:", help=help_text)
    if not load:
        return
    right.file_uploader("Load a run (a file downloaded here)", type=RUN_FILE_TYPES, key=f"{page}.run_upload",
                        max_upload_size=checkpoint.MAX_FILE_BYTES // 2**20,  # what the loader reads at most
                        on_change=_load_run_upload, args=(page, live_key, run_class, settings_of),
                        help="Replaces the run on screen with the file's, paused at its step, and sets the "
                             "controls to its settings. Files are read safely: they cannot run code.")


def _load_run_upload(page: str, live_key: str, run_class: type, settings_of: Callable[[Any], Any]) -> None:
    upload = st.session_state.get(f"{page}.run_upload")
    if upload is not None:
        load_run_file(page, live_key, run_class, upload.getvalue(), upload.name, settings_of)


def load_run_file(page: str, live_key: str, run_class: type, data: bytes, name: str,
                  settings_of: Callable[[Any], Any] = lambda run: run.config, loaded: str | None = None) -> bool:
    """Replace the live run `live_key` with the run in `data` and set `page`'s controls to its settings; call from
    a widget callback. On a file that is not such a run, or whose settings the controls cannot show, the run and
    the controls stay as they are and the reason is kept for `run_file_tools`' error box. True when loaded."""
    try:
        run = run_class.from_bytes(data)
        settings = settings_of(run)
        _check_controls_can_show(settings)
    except ValueError as error:
        st.session_state[f"{page}.run_file_error"] = (f"{name} was not loaded: {error} "
                                                      "The run on screen is unchanged.")
        return False
    replace_run(live_key, run, settings)
    load_settings(page, settings, loaded=loaded or f"Loaded {name}: step {run.step:,}, paused.")
    return True


def _check_controls_can_show(settings: Any) -> None:
    """ValueError naming each setting outside its control's range or choices (a notebook may train with a
    learning rate of 10; a slider cannot show it)."""
    _, problems = parse_settings(type(settings), asdict(settings), settings)
    if problems:
        raise ValueError("Its settings are beyond this page's controls: " + " ".join(problems))


def start_from_file(page: str, live_key: str, run_class: type, path: Path, steps: int) -> None:
    """A "Start trained" button that loads the shipped run file `path` (trained for `steps` steps) as the live
    run, and under a run started so the note that says so."""
    started = st.session_state.get(f"{live_key}.started_from")
    live = live_run(live_key)
    if started is not None and live is not None and live.run is started[0]:
        st.info(started[1], icon=":material/fast_forward:")
        return
    st.button("Start trained", key=f"{page}.start_trained", icon=":material/fast_forward:",
              on_click=_start_trained, args=(page, live_key, run_class, path),
              help=f"Skip the wait: load this preset's run trained for {steps:,} steps (shipped with the app, "
                   "made by tools/make_checkpoints.py).")
    if error := st.session_state.pop(f"{page}.run_file_error", None):
        st.error(error)


def _start_trained(page: str, live_key: str, run_class: type, path: Path) -> None:
    try:
        data = path.read_bytes()
    except OSError as error:
        st.session_state[f"{page}.run_file_error"] = f"The shipped run {path.name} could not be read: {error}."
        return
    if load_run_file(page, live_key, run_class, data, path.name, loaded=f"Loaded the shipped run {path.name}."):
        run = live_run(live_key).run
        st.session_state[f"{live_key}.started_from"] = (
            run, f"Started from a checkpoint trained for {run.step:,} steps ({path.name}).")


def _export_tab(page: str, trainer: Trainer, live_key: str) -> None:
    run_file_tools(page, live_key, Trainer)
    left, middle, right = st.columns(3)
    left.download_button("Metrics (CSV)", export.history_csv(trainer), file_name=f"{page}_metrics.csv",
                         mime="text/csv", icon=":material/table_view:", key=f"{page}.csv")
    middle.download_button("Settings (JSON)", export.config_json(trainer.config), file_name=f"{page}_config.json",
                           mime="application/json", icon=":material/settings:", key=f"{page}.json")
    if right.button("Make an animated GIF", icon=":material/movie:", key=f"{page}.make_gif",
                    disabled=len(trainer.frames) < 2):
        with st.spinner("Drawing frames…"):
            st.session_state[f"{page}.gif"] = export.replay_gif(list(trainer.frames), trainer.dataset.modes,
                                                                title=trainer.objective.label)
    if f"{page}.gif" in st.session_state:
        right.download_button("Download GIF", st.session_state[f"{page}.gif"], file_name=f"{page}.gif",
                              mime="image/gif", key=f"{page}.gif_download")
    st.file_uploader("Load settings (JSON exported here)", type=["json"], key=f"{page}.upload",
                     on_change=_load_upload, args=(page,))


def _load_upload(page: str) -> None:
    upload = st.session_state.get(f"{page}.upload")
    if upload is None:
        return
    config, notices = export.load_config_json(upload.getvalue(), st.session_state[f"{page}.config"])
    load_settings(page, config, notices, loaded=f"Loaded settings from {upload.name}.")


def _share_tab(page: str, trainer: Trainer, live_key: str) -> None:
    st.caption("This link reproduces the page, its preset and every setting you changed.")
    share_link()

"""Run tools under a live Trainer: replay recorded frames, export (CSV, JSON, GIF), load settings, share a link;
and `on_demand`, a measurement too slow for every rerun, made when asked and kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from playground import export
from playground.figures import training as training_figures
from playground.training import Trainer
from playground.ui import url
from playground.ui.charts import chart
from playground.ui.controls import load_settings


def share_link() -> None:
    """The URL of this exact view (page, preset and every changed setting), as a plain link."""
    link = url.current_link()
    # A plain link, not st.code: st.code pulls in a large syntax highlighter and delays the first chart.
    st.markdown(f"[{link}]({link})" if link else "(no address: open the app in a browser)")


def run_tools(page: str, trainer: Trainer) -> None:
    """Replay (scrub through recorded frames), export (CSV, JSON, GIF), load a config, share a link.

    The tabs are lazy: only the open tab's content runs, so a first visit neither builds the export files nor
    loads the download/upload widgets' code before the first chart appears."""
    replay, export_tab, share = st.tabs(["Replay", "Export and load", "Share"], key=f"{page}.tools",
                                        on_change="rerun")
    for tab, draw in ((replay, _replay_tab), (export_tab, _export_tab), (share, _share_tab)):
        if tab.open is not False:  # None: no tab state (never in the app); draw everything as plain tabs do
            with tab:
                draw(page, trainer)


def _replay_tab(page: str, trainer: Trainer) -> None:
    frames = list(trainer.frames)
    if len(frames) < 2:
        st.caption("Frames are recorded at every coverage checkpoint: train a few hundred steps to replay.")
        return
    index = st.slider("Frame", 0, len(frames) - 1, len(frames) - 1, key=f"{page}.replay",
                      format=f"%d of {len(frames) - 1}",
                      help="Scrub back and forth through training; the newest frame is on the right.")
    frame = frames[index]
    chart(training_figures.samples_and_critic(frame, title=f"Replay · step {frame['step']:,}"),
          key=f"{page}.replay_chart")


def _export_tab(page: str, trainer: Trainer) -> None:
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


def _share_tab(page: str, trainer: Trainer) -> None:
    st.caption("This link reproduces the page, its preset and every setting you changed.")
    share_link()


def on_demand(key: str, label: str, compute: Callable[[Callable[[float], None]], Any], *, icon: str | None = None,
              progress_text: str = "Working…") -> Any:
    """A button (key `{key}.run`) that runs `compute(progress)` under a progress bar (`progress(fraction)`, 0 to
    1) and keeps the result for the session: returns the latest result, or None before the first press."""
    if st.button(label, key=f"{key}.run", icon=icon):
        bar = st.progress(0.0, text=progress_text)
        st.session_state[f"{key}.result"] = compute(lambda fraction: bar.progress(fraction, text=progress_text))
        bar.empty()
    return st.session_state.get(f"{key}.result")

"""`experiment`: an experiment that runs on demand, not live. Its Run button trains it to the end under a progress
bar and a growing chart; the result stays on the page, with a note once the settings differ from the run's."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import streamlit as st

from playground.ui.charts import chart

Progress = Generator[tuple[float, str, Any], None, Any]  # yields (share done, text, figure or None); returns the result
STALE = "The settings changed since this run: press **Run** to redo it."


def experiment(key: str, run: Callable[[Any], Progress], settings: Any, *, idle: str = "Press **Run**.",
               label: str = "Run") -> Any:
    """A Run button for `run(settings)`; the result of the last run (None before the first).

    While it runs, each yielded (share, text, figure) moves a progress bar and redraws the figure; the generator's
    return value is the result, kept in the session with the settings it ran with. `idle` is shown before the
    first run; a note says when the settings on screen are not the ones the result was run with."""
    state_key = f"{key}.result"
    if st.button(label, key=f"{key}.run", type="primary", icon=":material/play_arrow:"):
        bar, frame = st.progress(0.0, text="Starting…"), st.empty()
        steps = run(settings)
        while True:
            try:
                share, text, figure = next(steps)
            except StopIteration as finished:
                result = finished.value
                break
            bar.progress(min(max(float(share), 0.0), 1.0), text=text)
            if figure is not None:
                with frame:
                    chart(figure, key=None)
        bar.empty()
        frame.empty()
        st.session_state[state_key] = (settings, result)
    if state_key not in st.session_state:
        st.info(idle)
        return None
    ran_with, result = st.session_state[state_key]
    if ran_with != settings:
        st.info(STALE)
    return result

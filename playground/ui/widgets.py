"""One Streamlit control for one knob: the widget kind follows the knob's metadata (choices, options, range, log,
powers of two, a number box, tabs, a toggle)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from playground.settings import choice_label

LOG_MANTISSAS = (1.0, 2.0, 5.0)  # a log slider's stops: 1, 2, 5 of each decade
RESTART_MARK = " ↻"             # on the label of a field whose change starts a new run


def log_options(low: float, high: float, current: float) -> list[float]:
    """1, 2, 5 of each decade within [low, high], and the current value."""
    options = {current}
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for mantissa in LOG_MANTISSAS:
            value = float(f"{mantissa * 10.0**exponent:.10g}")
            if low <= value <= high:
                options.add(value)
    return sorted(options)


def widget(key: str, spec: Mapping[str, Any], unused: str | None = None) -> Any:
    """The control for one knob. `unused` (why the current choices ignore the field) greys it out and says why
    in its help: a slider that visibly moves but changes nothing misleads a hall."""
    current = st.session_state[key]
    label = spec["label"] + ("" if spec["live"] else RESTART_MARK)
    help_text = spec.get("help", "") + ("" if spec["live"] else " Changing it starts a new run.")
    if unused:
        help_text = f"{help_text} {unused}"
    common = {"key": key, "help": help_text.strip(), "disabled": bool(unused)}
    widget = spec.get("widget")
    if "choices" in spec:
        choices = spec["choices"]
        if widget == "radio":
            return st.radio(label, list(choices), format_func=lambda k: choice_label(choices, k),
                            horizontal=bool(spec.get("horizontal")), **common)
        if widget == "tabs":
            return _tabs(key, choices, current)
        return st.selectbox(label, list(choices), format_func=lambda k: choice_label(choices, k), **common)
    if "options" in spec:
        pattern = spec.get("format", "{}")
        return st.select_slider(label, list(spec["options"]), format_func=pattern.format, **common)
    if spec["type"] is bool:
        return st.toggle(label, **common)
    if widget == "number" and spec["type"] is float:  # a number box may leave either bound open
        low, high = spec.get("min"), spec.get("max")
        return float(st.number_input(label, min_value=None if low is None else float(low),
                                     max_value=None if high is None else float(high), step=spec.get("step", 0.01),
                                     format="%g", **common))
    low, high = spec["min"], spec["max"]
    if spec.get("log"):
        return st.select_slider(label, log_options(low, high, current), format_func=lambda v: f"{v:g}", **common)
    if widget == "powers_of_two":
        options = sorted({2**k for k in range(int(math.log2(low)), int(math.log2(high)) + 1)} | {current})
        return st.select_slider(label, options, **common)
    if spec["type"] is int:
        if widget == "number" or widget != "slider" and high - low > 64:  # a wide range: typed, unless asked
            return int(st.number_input(label, min_value=low, max_value=high, step=1, **common))
        return st.slider(label, low, high, step=spec.get("step", 1), **common)
    step = spec.get("step", 0.01)
    return st.slider(label, float(low), float(high), step=step, **common)


def _tabs(key: str, choices: Any, current: Any) -> Any:
    """A choice as tabs (the open tab is the value). `st.tabs` keeps the open tab's label, under a key of its own;
    picking a tab copies that label's id into the field's state, which the tabs follow on every run."""
    ids = {choice_label(choices, choice): choice for choice in choices}
    tab_key = f"{key}.tab"
    st.session_state[tab_key] = choice_label(choices, current)
    return st.tabs(list(ids), key=tab_key, on_change=_take_tab, args=(key, tab_key, ids))


def _take_tab(key: str, tab_key: str, ids: Mapping[str, Any]) -> None:
    st.session_state[key] = ids[st.session_state[tab_key]]

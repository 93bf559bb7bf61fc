"""The address bar: the only module that reads or writes `st.query_params`.

A page's settings that differ from its preset live in the URL under their knobs' URL ids; `preset`, `lecture`
and `hide` are reserved. Reading is tolerant (the settings layer names what it cannot take); writing touches
only the keys the caller owns, so two control sections (or lecture mode) on one page never erase each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

import streamlit as st

RESERVED_PARAMS = ("preset", "lecture", "hide")  # URL keys that are not settings fields
LECTURE_KEY = "gp_lecture"     # session state: lecture mode, once a link turned it on
TRUE_TEXT = {"1", "true", "yes", "on"}


def read() -> dict[str, str]:
    """The link's parameters, one text value each (the last, when a key repeats)."""
    return {key: st.query_params.get(key) for key in st.query_params}


def write(owned: Iterable[str], wanted: Mapping[str, str]) -> None:
    """Make the URL hold `wanted` for the keys in `owned` (a key owned but not wanted is removed); other keys
    stay as they are. Writes nothing when the URL already says it (a rewrite would add a history entry)."""
    owned = set(owned) | set(wanted)
    current = read()
    new = {key: value for key, value in current.items() if key not in owned} | dict(wanted)
    if new != current:
        st.query_params.from_dict(new)


def lecture_mode() -> bool:
    """`?lecture=1` enlarges fonts for a projector. It holds for the session: a page opened from the navigation
    (whose links carry it) or typed without it stays in lecture mode, and its address gets `lecture=1` back, so a
    copied link keeps it; `?lecture=0` turns it off."""
    if "lecture" in st.query_params:
        on = str(st.query_params.get("lecture", "")).lower() in TRUE_TEXT
        st.session_state[LECTURE_KEY] = on
        return on
    if st.session_state.get(LECTURE_KEY, False):
        st.query_params["lecture"] = "1"
        return True
    return False


def navigation_params() -> dict[str, str]:
    """Query parameters every link to another page carries: lecture mode, so that it survives navigation."""
    return {"lecture": "1"} if lecture_mode() else {}


def hidden_controls() -> set[str]:
    """`?hide=seed,device,…` hides those controls (TensorFlow Playground's *_hide flags); field names or URL ids."""
    return {name.strip() for name in str(st.query_params.get("hide", "")).split(",") if name.strip()}


def current_link() -> str:
    """The address of this exact view: the page and every parameter of its URL."""
    base = st.context.url or ""
    query = urlencode(read())
    return f"{base}?{query}" if query else base

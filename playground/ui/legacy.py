"""THE OLD PATH, kept only until the last page moves to `ui.controls`: helpers for pages that still bind their
widgets to the URL by hand (`bind="query-params"`). They lean on Streamlit internals (`_link_values`,
`_url_values_not_taken`); a page converted to `ui.controls` needs none of this. Delete this module with the last
`bind="query-params"` in pages/.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from playground.ui.page import notice_slot


def accept_ids_in_link(key: str, labels: Mapping[str, str]) -> None:
    """A bound selectbox keeps its option's label in the URL ("cmp_A_preset=WGAN-GP+on+25+Gaussians"); a hand-made
    link with the option's id (?cmp_A_preset=twenty_five_gaussians, the id a notebook and the code use) is read
    as that option too. Call before the widget is drawn.

    The link's id is handed to Streamlit's URL seeding as the label (`_link_values`), so the control takes it and
    the address keeps it; if that internal moves, the control's state is set instead (the view is right, the
    address drops the key)."""
    value = st.query_params.get(key)
    if value not in labels or value in labels.values() or key in st.session_state:
        return
    initial = _link_values()
    if initial is not None and initial.get(key) == [value]:
        initial[key] = [labels[value]]
    else:
        st.session_state[key] = value


def url_notices() -> None:
    """At the top of the page, say which values of the link a control could not take; call it last on a page.

    A control bound to the URL (bind="query-params") takes its value from the link on the page's first load, and
    Streamlit quietly drops a value it cannot read or that is not one of the control's options, or clamps one out
    of range (a link with ?seeds_members=1000 opened at 16 members without a word). Once per page and session this
    compares each bound control's value, in its URL form, with the link's: a difference is said in words."""
    checked = f"gp_url_checked.{_page_id()}"
    if st.session_state.get(checked):
        return
    st.session_state[checked] = True
    notices = _url_values_not_taken()
    slot = notice_slot()
    for key, asked, shown in notices:
        slot.warning(f"The link's **{key}={asked}** could not be used here (not one of the control's values, or "
                     f"outside its range): it shows **{shown}**.", icon=":material/link_off:")


def _page_id() -> str:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    context = get_script_run_ctx()
    return context.page_script_hash if context is not None else ""


def _url_values_not_taken() -> list[tuple[str, str, str]]:
    """(key, the link's value, the value the control shows) for each control bound to the URL whose value, in the
    form the URL writes it, differs from the link's. Repeats Streamlit's own parsing of a bound value (the parser,
    deserializer and serializer its URL binding uses); none if those internals move in a later Streamlit."""
    try:
        from streamlit.runtime.state.query_params import parse_url_param
        from streamlit.runtime.state.session_state_proxy import get_session_state

        state = get_session_state()._state
        key_ids, metadata_by_id = state._key_id_mapper, state._new_widget_state.widget_metadata
    except (ImportError, AttributeError):
        return []
    initial = dict(_link_values() or {})
    notices = []
    for key, values in initial.items():
        widget_id = key_ids.get_id_from_key(key, None)
        metadata = metadata_by_id.get(widget_id) if widget_id is not None else None
        if metadata is None or getattr(metadata, "bind", None) != "query-params" or key not in st.session_state:
            continue
        raw = values[0] if len(values) == 1 else list(values)
        try:
            asked = parse_url_param(raw, metadata.value_type)
            shown = metadata.serializer(st.session_state[key])
        except Exception:  # noqa: BLE001 — a notice is a courtesy: it must never be what breaks the page
            continue  # nothing to compare with: say nothing rather than something wrong
        if shown != asked:
            notices.append((key, _url_text(raw), _url_text(shown)))
    return notices


def _link_values() -> dict[str, list[str]] | None:
    """The link's query values as Streamlit seeds bound controls from them on a page's first load (its own dict,
    an internal of Streamlit), or None if that internal has moved."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        return get_session_state()._state.query_params._initial_query_params
    except (ImportError, AttributeError):
        return None


def _url_text(value: Any) -> str:
    values = value if isinstance(value, list | tuple) else [value]
    return ", ".join(f"{item:g}" if isinstance(item, float) else str(item) for item in values)

"""The shape of the settings layer's UI: small one-job modules, no JS in Python, converted pages thin, and the
Streamlit internals the old path still leans on present (this test fails loudly the day one moves)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
UI = ROOT / "playground" / "ui"
CONVERTED_PAGES = ("1_Mode_collapse.py", "2_Vanishing_gradients.py", "3_Divergences_vs_theta.py",
                   "4_Mode_covering_vs_seeking.py", "5_Earth_movers_distance.py", "6_WGAN_and_clipping.py",
                   "7_Density_ratio_and_AVB.py", "8_Dirac_GAN.py", "9_Compare_runs.py",
                   "11_One_dimensional_GAN.py")


@pytest.mark.parametrize("module", sorted(p.name for p in UI.glob("*.py")))
def test_ui_modules_are_small_and_hold_no_javascript(module):
    text = (UI / module).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300, module
    assert "export default function" not in text and not re.search(r"<style>[^{<]+\{", text), module


def test_the_components_code_is_in_real_files():
    for name in ("live_charts.js", "live_charts.css", "copy_link.js", "copy_link.css", "lecture.css"):
        assert (UI / name).read_text(encoding="utf-8").strip(), name


@pytest.mark.parametrize("page", CONVERTED_PAGES)
def test_converted_pages_are_layout_only(page):
    text = (ROOT / "pages" / page).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 80
    assert not re.search(r"bind=|query_params|restart_token|session_state", text)


def test_only_url_and_the_old_path_touch_query_params():
    users = {p.name for p in UI.glob("*.py") if "st.query_params" in p.read_text(encoding="utf-8")}
    assert users <= {"url.py", "legacy.py"}, users


def test_the_streamlit_internals_of_the_old_path_are_where_it_expects_them():
    """legacy.py (pages still bound with bind="query-params") reads these; a Streamlit upgrade that moves one
    must fail here, not silently drop the link notices. Delete with legacy.py."""
    from streamlit.runtime.state.query_params import QueryParams, parse_url_param  # noqa: F401
    from streamlit.runtime.state.session_state import SessionState

    state = SessionState()
    assert hasattr(state, "_key_id_mapper") and hasattr(state, "_new_widget_state")
    assert hasattr(state._new_widget_state, "widget_metadata")
    assert hasattr(state, "query_params") and hasattr(state.query_params, "_initial_query_params")

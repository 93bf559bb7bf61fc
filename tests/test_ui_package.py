"""The shape of the settings layer's UI: small one-job modules, no JS in Python, every page converted and thin,
and one module for the address bar."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
UI = ROOT / "playground" / "ui"
CONVERTED_PAGES = ("1_Mode_collapse.py", "2_Vanishing_gradients.py", "3_Divergences_vs_theta.py",
                   "4_Mode_covering_vs_seeking.py", "5_Earth_movers_distance.py", "6_WGAN_and_clipping.py",
                   "7_Density_ratio_and_AVB.py", "8_Dirac_GAN.py", "9_Compare_runs.py", "10_Many_seeds.py",
                   "11_One_dimensional_GAN.py")


@pytest.mark.parametrize("module", sorted(p.name for p in UI.glob("*.py")))
def test_ui_modules_are_small_and_hold_no_javascript(module):
    text = (UI / module).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300, module
    assert "export default function" not in text and not re.search(r"<style>[^{<]+\{", text), module


def test_the_components_code_is_in_real_files():
    for name in ("live_charts.js", "live_charts.css", "copy_link.js", "copy_link.css", "lecture.css", "page.css"):
        assert (UI / name).read_text(encoding="utf-8").strip(), name


@pytest.mark.parametrize("page", CONVERTED_PAGES)
def test_converted_pages_are_layout_only(page):
    text = (ROOT / "pages" / page).read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 80
    assert not re.search(r"bind=|query_params|restart_token|session_state", text)


def test_only_url_touches_query_params():
    """Every page is on `ui.controls`: one module reads and writes the address, none uses Streamlit's private
    URL state or a hand-made restart token."""
    private = r"_initial_query_params|_key_id_mapper|_new_widget_state|parse_url_param|restart_token"
    for path in [*UI.glob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        assert "st.query_params" not in text or path.name == "url.py", path
        assert 'bind="query-params"' not in text and not re.search(private, text), path


def test_every_page_is_converted():
    assert sorted(CONVERTED_PAGES) == sorted(p.name for p in (ROOT / "pages").glob("*.py"))



def _page_titles(page: str) -> tuple[str, str]:
    """The title a page gives `st.set_page_config` (without the app's suffix) and `ui.page_header`."""
    import ast

    config_title = header_title = None
    for node in ast.walk(ast.parse((ROOT / "pages" / page).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "set_page_config":
                config_title = next(ast.literal_eval(k.value) for k in node.keywords if k.arg == "page_title")
            elif node.func.attr == "page_header":
                header_title = ast.literal_eval(node.args[0])
    return config_title.removesuffix(" · GAN Playground"), header_title


# Page 3 is left out until its title matches the navigation's ("Divergences vs θ").
TITLED_PAGES = CONVERTED_PAGES


@pytest.mark.parametrize("page", TITLED_PAGES)
def test_page_titles_equal_the_navigation_title(page):
    """One name per page: the browser tab, the heading and the sidebar link say the same."""
    from playground.ui.page import PAGES

    navigation_title = PAGES[f"pages/{page}"][0]
    assert _page_titles(page) == (navigation_title, navigation_title)


def test_readme_lists_every_page_by_its_navigation_title():
    from playground.ui.page import PAGES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| page | what it shows |"):].split("\n\n")[0]
    listed = [row.split("|")[1].strip() for row in table.splitlines()[2:]]
    assert listed == [title for page, (title, _, _) in PAGES.items() if (ROOT / page).exists()]

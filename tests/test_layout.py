"""The projector view: in lecture mode a page's main live chart fills most of the screen and starts above its
middle (issue 21: at 1920×1080 Mode collapse's samples chart started at y = 703, below the buttons and a caption)."""

from __future__ import annotations

import pytest
from conftest import new_context, wait_for_app

PROJECTOR = {"width": 1920, "height": 1080}
# the page's main chart: the first drawn cell of a live-chart grid in the main column (as bench/layout.py reads it)
MAIN_CHART = """() => {
  const cell = [...document.querySelectorAll('[data-testid=stMain] .gp-live-cell')]
    .find(c => c.querySelector('.main-svg'));
  if (!cell) return null;
  const r = cell.getBoundingClientRect();
  return {top: r.top, height: r.height};
}"""


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("path", ["/Mode_collapse", "/WGAN_and_clipping", "/Compare_runs"])
def test_the_main_chart_fills_the_projector_screen_in_lecture_mode(browser, app_url, path):
    context = new_context(browser, viewport=PROJECTOR)
    tab = context.new_page()
    tab.goto(app_url + path + "?lecture=1")
    wait_for_app(tab)
    tab.wait_for_function(f"() => ({MAIN_CHART})() !== null", timeout=60_000)
    tab.wait_for_timeout(1500)  # the charts beside it, and the refit once what stands above has rendered
    box = tab.evaluate(MAIN_CHART)
    context.close()
    assert box["top"] < PROJECTOR["height"] / 2, box
    assert box["height"] >= 0.6 * PROJECTOR["height"], box
    assert box["top"] + box["height"] <= PROJECTOR["height"], box  # and its lower edge is on the screen

"""The Draw dataset on the Mode collapse page: a link's `points=`, the upload, and painting in a real browser."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from conftest import ROOT, new_context, screenshot, wait_for_app
from mode_collapse_app import app, step_count
from streamlit.testing.v1 import AppTest

from playground import datasets, drawing

PAGE = str(ROOT / "pages" / "1_Mode_collapse.py")
CENTRES = np.array([[-1.8, -1.2], [1.8, -1.2], [0.0, 1.8]])


def blobs(per_blob=30, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return drawing.quantise(np.concatenate([rng.normal(centre, 0.15, (per_blob, 2)) for centre in CENTRES]))



@pytest.mark.slow
def test_a_link_with_points_opens_the_draw_dataset_with_them_and_trains():
    points = blobs()
    test = app(dataset="draw", points=drawing.encode(points))
    assert not test.exception and not test.sidebar.warning
    config = test.session_state["mode_collapse.config"]
    assert config.dataset == "draw" and np.array_equal(drawing.decode(config.points), points)
    assert test.session_state["mode_collapse.dataset"] == "draw"  # its selectbox sits in a closed group
    assert any("3 modes found by Ward clustering" in caption.value for caption in test.caption)
    test.button(key="mode_collapse.live.step").click().run()
    test.button(key="mode_collapse.live.step").click().run()
    assert step_count(test) == 2
    assert test.query_params["points"] == drawing.encode(points)  # the address keeps the drawing


@pytest.mark.slow
def test_a_damaged_points_link_gives_a_notice_and_the_starter_drawing():
    text = drawing.encode(blobs())
    test = app(dataset="draw", points=text[: len(text) // 2])
    assert not test.exception
    assert any("Ignored points=" in warning.value and "damaged" in warning.value for warning in test.sidebar.warning)
    assert test.session_state["mode_collapse.config"].points == ""
    assert any(f"{len(datasets.STARTER_DRAWING)} drawn points" in caption.value for caption in test.caption)


@pytest.mark.slow
def test_csv_upload_replaces_the_drawing_and_a_bad_file_says_why():
    test = app(dataset="draw")
    points = blobs(per_blob=10, seed=3)
    csv = "x,y\n" + "\n".join(f"{x:.2f},{y:.2f}" for x, y in points)
    test.get("file_uploader")[0].set_value(("three.csv", csv.encode(), "text/csv")).run()
    assert not test.exception
    assert any("Loaded 30 points from three.csv" in message.value for message in test.success)
    assert np.array_equal(drawing.decode(test.session_state["mode_collapse.config"].points), points)
    test.get("file_uploader")[0].set_value(("bad.csv", b"1,2\n3,4,5\n", "text/csv")).run()
    assert any("bad.csv" in error.value and "line 2 has 3 values" in error.value for error in test.error)
    assert np.array_equal(drawing.decode(test.session_state["mode_collapse.config"].points), points)  # kept


@pytest.mark.slow
def test_clear_leaves_a_canvas_and_no_run_until_there_are_enough_points():
    test = app(dataset="draw")
    test.button(key="mode_collapse.draw_clear").click().run()
    assert not test.exception
    assert any("Paint at least 10 points" in info.value for info in test.info)
    assert not [m for m in test.markdown if m.value.startswith("**Step")]  # no live view to play
    test.button(key="mode_collapse.draw_starter").click().run()
    assert test.session_state["mode_collapse.config"].points == "" and "points" not in test.query_params
    assert step_count(test) == 0



@pytest.mark.slow
def test_a_drawing_too_long_for_a_link_is_offered_as_json_and_left_out_of_the_address():
    crowd = drawing.quantise(np.random.default_rng(5).uniform(-3, 3, (datasets.MAX_POINTS, 2)))
    assert not drawing.fits_in_link(drawing.encode(crowd))
    test = app(dataset="draw")
    csv = "\n".join(f"{x:.2f},{y:.2f}" for x, y in crowd)
    test.get("file_uploader")[0].set_value(("crowd.csv", csv.encode(), "text/csv")).run()
    assert not test.exception
    assert any(f"more than a link holds ({drawing.URL_LIMIT:,})" in warning.value for warning in test.warning)
    download = test.get("download_button")
    assert any("Drawing (JSON)" in button.proto.label for button in download)
    assert "points" not in test.query_params and test.query_params["dataset"] == "draw"
    assert np.array_equal(drawing.decode(test.session_state["mode_collapse.config"].points), crowd)  # still drawn


@pytest.mark.slow
def test_the_drawing_survives_a_page_switch():
    points = blobs()
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    test.switch_page("pages/1_Mode_collapse.py")
    test.query_params.update(dataset="draw", points=drawing.encode(points))
    test.run()
    assert np.array_equal(drawing.decode(test.session_state["mode_collapse.config"].points), points)
    test.switch_page("pages/2_Vanishing_gradients.py").run()
    test.query_params.clear()  # a page switch drops the other page's parameters
    test.switch_page("pages/1_Mode_collapse.py").run()
    assert not test.exception
    assert np.array_equal(drawing.decode(test.session_state["mode_collapse.config"].points), points)
    assert any("90 drawn points; 3 modes" in caption.value for caption in test.caption)

def _client_point(tab, cell, x: float, y: float) -> tuple[float, float]:
    """Where the data point (x, y) of a chart cell is on the screen."""
    return tuple(cell.evaluate("""(cell, [x, y]) => {
        const full = cell._fullLayout, box = cell.getBoundingClientRect();
        return [box.left + full.xaxis._offset + full.xaxis.d2p(x), box.top + full.yaxis._offset + full.yaxis.d2p(y)];
    }""", [x, y]))


def _paint_blob(tab, cell, centre) -> None:
    """Press at the centre and drag the mouse round a small circle (radius 0.2 in data units), then release."""
    cell.evaluate("(cell) => cell.scrollIntoView({block: 'center'})")
    tab.wait_for_timeout(300)
    tab.mouse.move(*_client_point(tab, cell, *centre))
    tab.mouse.down()
    for angle in np.linspace(0, 4 * np.pi, 25):
        tab.mouse.move(*_client_point(tab, cell, centre[0] + 0.2 * np.cos(angle), centre[1] + 0.2 * np.sin(angle)),
                       steps=2)
    tab.mouse.up()


def _drawing_caption(tab) -> str:
    return tab.get_by_text(re.compile(r"drawn points; \d+ modes? found")).first.inner_text()


@pytest.mark.browser
def test_paint_three_blobs_train_and_share_in_chromium(app_url, page, browser):
    page.goto(app_url + "/Mode_collapse?dataset=draw")
    wait_for_app(page)
    page.get_by_role("button", name="Clear").click()
    page.wait_for_selector("text=Paint at least 10 points")
    wait_for_app(page)
    for centre in CENTRES:
        cell = page.locator(".gp-live-cell").first
        cell.locator(".main-svg").first.wait_for()
        page.wait_for_timeout(500)
        _paint_blob(page, cell.element_handle(), centre)
        page.wait_for_timeout(1500)
        wait_for_app(page)
    page.wait_for_selector("text=Step 0", timeout=60_000)
    caption = _drawing_caption(page)
    assert "3 modes found" in caption, caption
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(5000)
    screenshot(page, "draw_playing")
    page.get_by_role("button", name="Pause").click()
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0

    link = page.url
    text = parse_qs(urlparse(link).query)["points"][0]
    painted = drawing.decode(text)
    found = datasets.find_modes(painted)
    assert len(found.modes) == 3
    assert all(np.linalg.norm(found.modes - centre, axis=1).min() < 0.3 for centre in CENTRES)

    fresh = new_context(browser, viewport={"width": 1600, "height": 1000})
    try:
        other = fresh.new_page()
        other.goto(link)
        wait_for_app(other)
        other.wait_for_selector("text=Step 0", timeout=60_000)
        assert _drawing_caption(other) == caption  # the same points, modes and bandwidth
        assert parse_qs(urlparse(other.url).query)["points"][0] == text
        other.wait_for_selector(".gp-live-cell .main-svg")
        other.locator(".gp-live-cell").first.evaluate("(cell) => cell.scrollIntoView({block: 'center'})")
        other.wait_for_timeout(1500)
        screenshot(other, "draw_shared_link")
        assert other.locator("[data-testid='stException']").count() == 0
    finally:
        fresh.close()

    # the eraser: a stroke over one blob leaves two
    page.get_by_text("Eraser", exact=True).click()
    wait_for_app(page)
    _paint_blob(page, page.locator(".gp-live-cell").first.element_handle(), CENTRES[2])
    page.wait_for_function("() => /2 modes found/.test(document.body.innerText)", timeout=60_000)
    remaining = drawing.decode(parse_qs(urlparse(page.url).query)["points"][0])
    # the stroke starts at the blob's centre: nothing is left within the eraser's radius of it
    assert np.linalg.norm(remaining - CENTRES[2], axis=1).min() > drawing.ERASER_RADIUS
    assert len(remaining) > len(painted) / 2

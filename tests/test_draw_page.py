"""The Draw dataset on the Mode collapse page: a link's `points=`, the upload, and painting in a real browser."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from playground import datasets, drawing

PAGE = str(ROOT / "pages" / "1_Mode_collapse.py")
CENTRES = np.array([[-1.8, -1.2], [1.8, -1.2], [0.0, 1.8]])


def blobs(per_blob=30, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return drawing.quantise(np.concatenate([rng.normal(centre, 0.15, (per_blob, 2)) for centre in CENTRES]))


def app(**params) -> AppTest:
    test = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        test.query_params[key] = value
    return test.run()


def step_count(test: AppTest) -> int:
    text = next(m.value for m in test.markdown if m.value.startswith("**Step"))
    return int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))


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

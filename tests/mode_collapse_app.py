"""The Mode collapse page under AppTest, opened from a link, and the step its status line shows: shared by the
page's own tests, the Draw dataset's and the run files'."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "1_Mode_collapse.py")


def app(**params) -> AppTest:
    test = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        test.query_params[key] = value
    return test.run()


def step_count(test: AppTest) -> int:
    text = next(m.value for m in test.markdown if m.value.startswith("**Step"))
    return int(re.search(r"Step ([\d,]+)", text).group(1).replace(",", ""))

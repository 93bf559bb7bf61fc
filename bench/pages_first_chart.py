"""First chart on every page: in a fresh tab (empty cache) and when opened from the home page's sidebar.

"First chart" is the first plotly chart whose axes are drawn (`.js-plotly-plot .xtick`), a criterion that holds
for the app's own live-chart component and for st.plotly_chart alike, so that a checkout from before and after
a change can be compared: `python bench/pages_first_chart.py` in each. Warm server, medians of --rounds. The time
is the page's own clock when the axes appeared (navigation start, or the click on the sidebar link).

Usage: python bench/pages_first_chart.py [--rounds 3] [--pages Vanishing_gradients,Dirac_GAN]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from playground.ui import PAGES  # noqa: E402

DRAWN = ".js-plotly-plot .xtick"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# The page records, in its own clock, the moment the first axes appear (a MutationObserver), so neither polling nor
# the drawing that follows on the page delays the reading.
MARK = """
window.__firstAxes = null;
new MutationObserver(() => {
  if (window.__firstAxes === null && document.querySelector(".js-plotly-plot .xtick")) {
    window.__firstAxes = performance.now();
  }
}).observe(document, {subtree: true, childList: true});
"""


def fresh_tab(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.add_init_script(MARK)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(DRAWN, state="attached", timeout=90_000)
    seconds = page.evaluate("() => window.__firstAxes") / 1000  # since navigation start
    context.close()
    return seconds


def from_sidebar(browser, home: str, title: str) -> float:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.add_init_script(MARK)  # the home page draws no chart: the first axes after the click are the page's
    page = context.new_page()
    page.goto(home)
    page.wait_for_selector(IDLE, timeout=90_000)
    page.wait_for_timeout(1500)  # let the home page finish loading what it preloads
    started = page.evaluate("() => { window.__firstAxes = null; return performance.now(); }")
    page.locator("[data-testid='stSidebar'] a", has_text=title).first.click()
    page.wait_for_function("() => window.__firstAxes !== null", timeout=90_000)
    seconds = (page.evaluate("() => window.__firstAxes") - started) / 1000
    context.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", default="", help="comma-separated URL paths; default: every page")
    args = parser.parse_args()
    pages = {Path(file).stem.split("_", 1)[1]: title for file, (title, *_rest) in PAGES.items()}
    chosen = [name for name in args.pages.split(",") if name] or list(pages)
    port = free_port()
    server = start_streamlit(port)
    home = f"http://127.0.0.1:{port}/"
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in chosen:
                fresh_tab(browser, home + name)  # warm the server for this page
                fresh = [fresh_tab(browser, home + name) for _ in range(args.rounds)]
                inside = [from_sidebar(browser, home, pages[name]) for _ in range(args.rounds)]
                rows.append((name, statistics.median(fresh), statistics.median(inside)))
                print(f"  {name:26s} fresh tab {rows[-1][1]:.2f} s · from the sidebar {rows[-1][2]:.2f} s", flush=True)
            browser.close()
    finally:
        stop(server)
    print(f"first chart with drawn axes, warm server, median of {args.rounds}: fresh tab "
          f"{min(r[1] for r in rows):.2f}–{max(r[1] for r in rows):.2f} s, from the sidebar "
          f"{min(r[2] for r in rows):.2f}–{max(r[2] for r in rows):.2f} s over {len(rows)} pages")


if __name__ == "__main__":
    main()

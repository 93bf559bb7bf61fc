"""How long a fresh browser tab waits for the first live chart, and where the time goes.

Each round opens the page in a new browser context (a student's first visit: empty cache) on a warm server and
records, in the page's own clock (ms since navigation start), when the app connected, when the live-chart component
mounted, when plotly.js became available, and when the first live chart was drawn. Rounds alternate between the
app's cut-down bundle (static/plotly-gan.min.js) and the full plotly.js that the plotly package ships (served in its
place by request interception), so both meet the same machine load; medians and the ratio are printed. Two last sets
of rounds open the page from the home page's sidebar instead, as a student clicking through the lecture does, and in
a new tab of a browser that has opened the app before (its cache holds Streamlit's and plotly's code).

Usage: python bench/first_chart.py [--rounds 6] [--page Mode_collapse]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import plotly  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from playground.ui import PAGES, STATIC_PLOTLY  # noqa: E402

FULL_PLOTLY = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

# Timestamps (performance.now(), ms since navigation start) written by the page itself, so that no polling from
# the test process adds latency.
MARKS = """
window.__marks = {};
const mark = (name) => { if (!(name in window.__marks)) window.__marks[name] = performance.now(); };
let plotly;
Object.defineProperty(window, "Plotly", {configurable: true,
  get() { return plotly; }, set(value) { plotly = value; mark("plotly"); }});
new MutationObserver(() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (app && app.dataset.testConnectionState === "CONNECTED") mark("connected");
  // drawn, not just framed: data-drawn is set once Plotly.react has finished (its svg frame appears earlier)
  if (document.querySelector(".gp-live-cell[data-drawn]")) mark("chart");
}).observe(document, {subtree: true, childList: true, attributes: true});
"""


def one_round(browser, url: str, full: bool) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    if full:
        body = FULL_PLOTLY.read_bytes()
        context.route(f"**/{STATIC_PLOTLY.name}",
                      lambda route: route.fulfill(body=body, content_type="application/javascript"))
    context.add_init_script(MARKS)
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached", timeout=90_000)
    observed = time.perf_counter() - started  # as a test script sees it: goto, then a generic plotly selector
    page.wait_for_selector(".gp-live-cell[data-drawn]", state="attached", timeout=90_000)
    marks = page.evaluate("() => window.__marks")
    # the live component's own performance marks (playground/ui/live_charts.js): when the first one was mounted
    marks["mounted"] = page.evaluate("() => (performance.getEntriesByName('gp-component-mounted')[0] || {}).startTime")
    context.close()
    return {**{name: (marks.get(name) or float("nan")) / 1000 for name in ("connected", "mounted", "plotly", "chart")},
            "observed": observed}


def cached_round(browser, url: str) -> float:
    """A new tab in a browser that has opened the app before (its HTTP cache holds the app's code): seconds from
    navigation start to the first chart drawn."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.add_init_script(MARKS)
    first = context.new_page()
    first.goto(url)
    first.wait_for_selector(".gp-live-cell[data-drawn]", state="attached", timeout=90_000)
    first.close()
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".gp-live-cell[data-drawn]", state="attached", timeout=90_000)
    seconds = page.evaluate("() => window.__marks.chart") / 1000
    context.close()
    return seconds


def in_app_round(browser, home: str, title: str) -> float:
    """Seconds from clicking the page's sidebar link on the home page (a fresh context) to its first live chart."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(home)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000)
    page.wait_for_function("() => window.Plotly", timeout=90_000)  # the home page preloads plotly.js
    link = page.locator("[data-testid='stSidebar'] a", has_text=title).first
    started = page.evaluate("() => performance.now()")
    link.click()
    page.wait_for_selector(".gp-live-cell[data-drawn]", state="attached", timeout=90_000)
    elapsed = (page.evaluate("() => performance.now()") - started) / 1000
    context.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--page", default="Mode_collapse")
    args = parser.parse_args()
    port = free_port()
    server = start_streamlit(port)
    url = f"http://127.0.0.1:{port}/{args.page}"
    results: dict[str, list[dict[str, float]]] = {"app bundle": [], "full plotly.js": []}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            one_round(browser, url, full=False)  # warm the server: imports, the page's first run
            for index in range(args.rounds):
                for name in (("app bundle", "full plotly.js") if index % 2 == 0 else ("full plotly.js", "app bundle")):
                    results[name].append(one_round(browser, url, full=name == "full plotly.js"))
            title = next(title for file, (title, *_rest) in PAGES.items() if Path(file).stem.endswith(args.page))
            in_app = [in_app_round(browser, url.rsplit("/", 1)[0] + "/", title) for _ in range(args.rounds)]
            cached = [cached_round(browser, url) for _ in range(args.rounds)]
            browser.close()
    finally:
        stop(server)
    print(f"/{args.page}, fresh browser context per round, warm server, {args.rounds} rounds per side (alternating); "
          f"{STATIC_PLOTLY.name} {STATIC_PLOTLY.stat().st_size / 2**20:.2f} MiB, plotly.min.js "
          f"{FULL_PLOTLY.stat().st_size / 2**20:.2f} MiB")
    medians = {}
    for name, rows in results.items():
        medians[name] = {key: statistics.median(row[key] for row in rows) for key in rows[0]}
        charts = ", ".join(f"{row['chart']:.2f}" for row in rows)
        print(f"  {name:15s}: connected {medians[name]['connected']:.2f} s · component mounted "
              f"{medians[name]['mounted']:.2f} s · plotly.js ready "
              f"{medians[name]['plotly']:.2f} s · first chart {medians[name]['chart']:.2f} s (median; rounds {charts})")
    ratio = medians["app bundle"]["chart"] / medians["full plotly.js"]["chart"]
    print(f"first chart, app bundle / full plotly.js = {ratio:.2f}")
    print(f"opened from the home page's sidebar (plotly.js already loaded there): first chart "
          f"{statistics.median(in_app):.2f} s (median; rounds {', '.join(f'{value:.2f}' for value in in_app)})")
    print(f"a new tab in a browser that opened the app before (HTTP cache warm): first chart "
          f"{statistics.median(cached):.2f} s (median; rounds {', '.join(f'{value:.2f}' for value in cached)})")


if __name__ == "__main__":
    main()

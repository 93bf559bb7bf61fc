"""First live chart in a fresh tab, two or more checkouts of the app side by side in one run.

Each checkout gets its own server; rounds visit them in rotating order, a new browser context (empty cache) per
visit, so that a noisy machine slows all alike. The page's own clock (ms since navigation start) gives when the
app connected, when the first live-chart component mounted, when plotly.js became available, and when the first
chart was drawn (`data-drawn`, set once Plotly.react has finished); and, as a test script would see it, the
seconds from `page.goto` until a generic `.js-plotly-plot .main-svg` selector resolves. Medians, and each
checkout's first-chart time as a ratio of the first checkout's, are printed.

A checkout of an earlier commit: `git worktree add /tmp/before <commit>`, then
    python bench/first_chart_checkouts.py /tmp/before . [--rounds 7] [--page Mode_collapse]
(the checkout must draw its live charts with the app's component, i.e. set `data-drawn`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop  # noqa: E402
from first_chart import one_round  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

KEYS = ("connected", "mounted", "plotly", "chart", "observed")
NAMES = {"connected": "connected", "mounted": "component mounted", "plotly": "plotly.js ready",
         "chart": "first chart", "observed": "seen by the script"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkouts", nargs="+", type=Path, help="repository roots, the first is the reference")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--page", default="Mode_collapse")
    args = parser.parse_args()
    roots = [path.resolve() for path in args.checkouts]
    servers = []
    try:
        for root in roots:
            port = free_port()
            servers.append((start_streamlit(port, root=root), f"http://127.0.0.1:{port}/{args.page}"))
        results: list[list[dict[str, float]]] = [[] for _ in roots]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _, url in servers:
                one_round(browser, url, full=False)  # warm each server: imports, the page's first run
            for index in range(args.rounds):
                order = list(range(len(roots)))
                order = order[index % len(order):] + order[:index % len(order)]
                for which in order:
                    results[which].append(one_round(browser, servers[which][1], full=False))
            browser.close()
    finally:
        for process, _ in servers:
            stop(process)
    print(f"/{args.page}, fresh browser context per visit, warm servers, {args.rounds} rounds, rotating order")
    reference = statistics.median(row["chart"] for row in results[0])
    for root, rows in zip(roots, results, strict=True):
        medians = {key: statistics.median(row[key] for row in rows) for key in KEYS}
        charts = ", ".join(f"{row['chart']:.2f}" for row in rows)
        print(f"  {str(root):40s} " + " · ".join(f"{NAMES[key]} {medians[key]:.2f} s" for key in KEYS)
              + f" · ratio {medians['chart'] / reference:.2f} (rounds {charts})")


if __name__ == "__main__":
    main()
